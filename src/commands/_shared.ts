// What the command files share: argument groups defined once, and the one way a command ends with an exit code.

import { DEFAULT_SERVER } from "../core/wire/protocol.ts";
import { EXIT } from "../exit-codes.ts";
import { createLog, type Log } from "../runtime/log.ts";

export const verboseArg = {
  verbose: { type: "boolean", description: "Show debug diagnostics on stderr (also CHAT_DEBUG=1)", default: false },
} as const;

export const serverArg = {
  server: {
    type: "string",
    description: `Server address HOST:PORT (default: $CHAT_SERVER, else ${DEFAULT_SERVER})`,
    valueHint: "host:port",
  },
} as const;

/** --server, else $CHAT_SERVER, else the default. */
export const serverAddress = (flag: string | undefined) => flag ?? process.env.CHAT_SERVER ?? DEFAULT_SERVER;

/** The command's logger. `--verbose` is CHAT_DEBUG=1 for this process and, through the environment, its subprocesses. */
export function logFor(verbose: boolean): Log {
  if (verbose) process.env.CHAT_DEBUG = "1";
  return createLog(process.env.CHAT_DEBUG === "1");
}

/**
 * Runs a command body and ends the process with its exit code. An Error becomes one line on stderr and exit
 * code 1, never a stack trace (unless verbose). The process exits explicitly, once stdout and stderr are
 * flushed: a listener left on the IPC channel would otherwise keep a subprocess alive after its parent is gone.
 */
export async function finish(log: Log, body: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await body();
  } catch (err) {
    log.error(err instanceof Error ? err.message : String(err));
    if (err instanceof Error) log.debug(err.stack);
    code = EXIT.error;
  }
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}

/** Bun's process.exit() drops what is still buffered for a pipe: wait for it to be written (bounded, in case nobody reads). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, DRAIN_LIMIT_MS);
    stream.once("drain", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
const DRAIN_LIMIT_MS = 2000;
