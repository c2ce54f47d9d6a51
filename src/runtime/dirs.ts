// The per-user folders chat keeps files in, by platform: state (the admin token files) and data (the room databases).

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
