// The per-user folders chat keeps files in, by platform: state (the admin token files) and data (the room databases), made private.

import { chmodSync, mkdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The environment variables the folders depend on (process.env unless a caller gives its own). */
type Env = Readonly<Record<string, string | undefined>>;

/** Per-user state: $XDG_STATE_HOME/chat, ~/.local/state/chat, ~/Library/Application Support/chat or %LOCALAPPDATA%\chat. */
export const stateDir = (env: Env = process.env): string => platformDir(env) ?? xdgDir(env.XDG_STATE_HOME, ".local", "state");

/** Per-user data: $XDG_DATA_HOME/chat, ~/.local/share/chat, ~/Library/Application Support/chat or %LOCALAPPDATA%\chat. */
export const defaultDataDir = (env: Env = process.env): string => platformDir(env) ?? xdgDir(env.XDG_DATA_HOME, ".local", "share");

/** Windows and macOS keep state and data in one per-user folder; elsewhere (undefined) the XDG variables decide. */
function platformDir(env: Env): string | undefined {
  if (process.platform === "win32") return join(env.LOCALAPPDATA ?? join(homedir(), "AppData", "Local"), "chat");
  if (process.platform === "darwin") return join(homedir(), "Library", "Application Support", "chat");
  return undefined;
}

/** $XDG_…_HOME/chat, or its default under the home folder when the variable is unset or empty (as the XDG spec says). */
const xdgDir = (variable: string | undefined, ...fallback: string[]) => join(variable || join(homedir(), ...fallback), "chat");

/**
 * Makes `dir` (and any missing parents) for files nobody else may read: created 0700 whatever the umask (set with
 * chmod, not left to it). An existing folder is not changed; the answer says what is wrong with it, if anything.
 */
export function makePrivateDir(dir: string): { created: boolean; problem: string | undefined } {
  const made = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (made !== undefined) {
    chmodSync(dir, 0o700);
    return { created: true, problem: undefined };
  }
  return { created: false, problem: privacyProblem(dir) };
}

/** Why others could reach into `dir` (it is someone else's, or group or others may enter it), or undefined when it is private. */
export function privacyProblem(dir: string): string | undefined {
  // Windows has no uid and no such mode bits (node reports made-up ones): its per-user folders are private by their
  // ACLs, which this does not read. Nothing to check there.
  if (process.platform === "win32") return undefined;
  const stat = statSync(dir);
  if (!stat.isDirectory()) return "it is not a directory";
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) return `it belongs to user id ${stat.uid}, not to you (${uid})`;
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) !== 0) return `its group or others may enter it (mode ${mode.toString(8).padStart(4, "0")}; chmod 700 it)`;
  return undefined;
}
