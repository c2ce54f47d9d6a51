// The one place that knows how to start this same program again, from source or as a compiled binary.

/**
 * The argv that runs `chat <args>` as this very program. A compiled binary must not be handed its
 * "/$bunfs/root/..." entry path: it would take that for a user argument (the self-spawn trap).
 */
export function selfCommand(...args: string[]): string[] {
  return Bun.isStandaloneExecutable ? [process.execPath, ...args] : [process.execPath, Bun.main, ...args];
}

/** True when this process was started by `chat` itself with an IPC channel (how internal subcommands run). */
export const startedByChat = (): boolean => typeof process.send === "function";

/** What a subprocess of ours does with each standard stream: shares ours, has none, or is given our file descriptor N. */
type Stdio = "inherit" | "ignore" | number;

/**
 * Starts `chat <subcommand>` as a child with a JSON IPC channel (the subcommand refuses to run without one).
 * Its messages reach `onMessage` unchecked: each channel's ipc.ts checks their shape.
 */
export function spawnSelf(subcommand: string, stdio: [Stdio, Stdio, Stdio], onMessage: (msg: unknown) => void) {
  // The environment as it is now, given explicitly: Bun.spawn's default is the one the process started with, so a
  // --verbose (CHAT_DEBUG=1, set by _finish.ts) would not reach the subprocess.
  return Bun.spawn(selfCommand(subcommand), { stdio, env: { ...process.env }, serialization: "json", ipc: (msg) => onMessage(msg) });
}
