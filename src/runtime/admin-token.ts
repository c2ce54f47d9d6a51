// The admin token file: written by `chat serve` when no token is given (mode 0600, in the user's state directory), read by `chat admin` on the same machine.

import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { stateDir } from "./dirs.ts";

/** One token per port, so that several servers on one machine each have their own (`env`: whose state folder). */
export const tokenFile = (port: number, env: Parameters<typeof stateDir>[0] = process.env) => join(stateDir(env), `admin-token-${port}`);

const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The token in `file` if it is ours alone and well formed; otherwise a new random one (256 bits), written there
 * with mode 0600. A restarted server keeps its token, so the operator's scripts keep working.
 */
export function loadOrCreateToken(file: string): { token: string; created: boolean } {
  const kept = readPrivateToken(file);
  if (kept) return { token: kept, created: false };
  const token = randomBytes(32).toString("hex");
  mkdirSync(join(file, ".."), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, "w", 0o600);
  try {
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
  chmodSync(temp, 0o600); // the umask may have taken bits away, never added them; this states the intent
  renameSync(temp, file);
  return { token, created: true };
}

/** The token in `file`, or undefined when there is none, or when others could read it (it is then not trusted). */
export function readPrivateToken(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return undefined;
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
