// The diagnostics logger: consola, every level on stderr, so nothing it prints can enter the transcript on stdout.

import { createConsola, LogLevels, type ConsolaInstance } from "consola";

export type Log = ConsolaInstance;

/** `CHAT_DEBUG=1` (or `--verbose`) shows debug lines; the level is set explicitly so `NODE_ENV=test` cannot hide errors. */
export function createLog(verbose = process.env.CHAT_DEBUG === "1"): Log {
  return createConsola({
    level: verbose ? LogLevels.debug : LogLevels.info,
    stdout: process.stderr,
    stderr: process.stderr,
    fancy: process.stderr.isTTY === true,
    formatOptions: { date: false, colors: process.stderr.isTTY === true && !process.env.NO_COLOR },
  });
}

/** The process-wide default; commands pass it down, tests pass their own. */
export const log: Log = createLog();
