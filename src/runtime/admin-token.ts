// The admin token file: written by `chat serve` when no token is given (mode 0600, in the user's private state directory), read by `chat admin` on the same machine.

import { randomBytes } from "node:crypto";
import { closeSync, constants, fchmodSync, fstatSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { makePrivateDir, stateDir } from "./dirs.ts";

/** One token per port, so that several servers on one machine each have their own (`env`: whose state folder). */
export const tokenFile = (port: number, env: Parameters<typeof stateDir>[0] = process.env) => join(stateDir(env), `admin-token-${port}`);

const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/** Fewer characters than this make a token a guess could find; the one chat makes itself has 64. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Why `token`, given by the operator (`source`: the flag or variable it came from), cannot be used, or undefined when
 * it can. The server and chat admin apply the same rule: a shorter one could never match a server's.
 */
export function tokenProblem(token: string, source: string): string | undefined {
  const length = [...token].length;
  if (length >= MIN_TOKEN_LENGTH) return undefined;
  return `the admin token (${source}) must be at least ${MIN_TOKEN_LENGTH} characters (this one has ${length})`;
}

/** Opening flags of a new file that must be ours: created here and now (O_EXCL), never through a planted symlink (O_NOFOLLOW). */
const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
/** Reading the token: a symlink at its name is not followed (a planted one would hand us someone else's token). */
const READ_FILE = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

/**
 * The token in `file` if it is ours alone and well formed; otherwise a new random one (256 bits), written there
 * with mode 0600. A restarted server keeps its token, so the operator's scripts keep working. The folder must be
 * private (created 0700; an existing one ours and closed to others): throws a one-line Error otherwise.
 */
export function loadOrCreateToken(file: string): { token: string; created: boolean } {
  const dir = dirname(file);
  const { problem } = makePrivateDir(dir);
  if (problem) throw new Error(`cannot keep the admin token in ${dir}: ${problem} (or give one with --admin-token)`);
  const kept = readPrivateToken(file);
  if (kept) return { token: kept, created: false };
  const token = randomBytes(32).toString("hex");
  writePrivate(file, `${token}\n`);
  return { token, created: true };
}

/**
 * Writes `text` to `file`, mode 0600, replacing whatever is at that name (a file or a symlink, never its target):
 * through a temporary file of a random name, opened exclusively, then renamed into place.
 */
function writePrivate(file: string, text: string): void {
  const temp = `${file}.${randomBytes(8).toString("hex")}.tmp`;
  const fd = openSync(temp, NEW_FILE, 0o600);
  try {
    try {
      fchmodSync(fd, 0o600); // the umask may have taken bits away, never added them; this states the intent
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true }); // ours (created exclusively): no half-written token is left behind
    throw err;
  }
}

/** The token in `file`, or undefined when there is none, or when others could read it (it is then not trusted). */
export function readPrivateToken(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, READ_FILE);
  } catch {
    return undefined; // none there, or a symlink (not followed): no token of ours
  }
  try {
    const stat = fstatSync(fd);
    const ours = process.platform === "win32" || (stat.isFile() && (stat.mode & 0o077) === 0 && stat.uid === process.getuid?.());
    if (!ours) return undefined;
    const token = readFileSync(fd, "utf8").trim();
    return TOKEN_PATTERN.test(token) ? token : undefined;
  } finally {
    closeSync(fd);
  }
}
