// How a command ends: its logger, and its body run into an exit code (an Error becomes one line, never a stack trace).
//
// The convention every command file follows (cli.ts runs the command, and only cli.ts exits):
//   run({ args, data }) {
//     const log = commandLog(data, args.verbose);
//     return runBody(log, async () => { …; return EXIT.ok; });
//   }

import { EXIT } from "../exit-codes.ts";
import { createLog, type Log } from "../runtime/log.ts";

/** Where a command's words go. The entry hands it to every command as citty's `data`, so that tests can record them. */
export interface CommandIo {
  /** The command's logger (debug lines with --verbose); every level goes to stderr. */
  log(verbose: boolean): Log;
  /** Help, usage and the version: stdout. */
  out(text: string): void;
  /** A usage error, one line: stderr. */
  err(text: string): void;
}

/** The process's own: `--verbose` is CHAT_DEBUG=1 for this process and, through the environment, its subprocesses. */
export const processIo: CommandIo = {
  log(verbose) {
    if (verbose) process.env.CHAT_DEBUG = "1";
    return createLog(process.env.CHAT_DEBUG === "1");
  },
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
};

/** The io a command was given (citty's `data`), or the process's when it was run without one. */
export function ioOf(data: unknown): CommandIo {
  const given = data as Partial<CommandIo> | undefined;
  return typeof given?.log === "function" && typeof given.out === "function" && typeof given.err === "function"
    ? (given as CommandIo)
    : processIo;
}

/** The logger of a command: `data` is citty's, where the entry put the io. */
export const commandLog = (data: unknown, verbose: boolean): Log => ioOf(data).log(verbose);

/** Runs a command body into its exit code: an Error becomes one line on stderr and exit code 1 (its stack only with --verbose). */
export async function runBody(log: Log, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    log.error(err instanceof Error ? err.message : String(err));
    if (err instanceof Error) log.debug(err.stack);
    return EXIT.error;
  }
}

/**
 * Waits until stdout and stderr have handed everything to their pipes: Bun's process.exit() drops what is still
 * buffered. Bounded, in case nobody reads.
 */
export async function flushOutput(): Promise<void> {
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
}

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
