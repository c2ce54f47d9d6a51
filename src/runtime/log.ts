// The diagnostics logger: consola, every level on stderr, so nothing it prints can enter the transcript on stdout.

import { type ConsolaInstance, createConsola, LogLevels } from "consola";

export type Log = ConsolaInstance;

/** `verbose` shows debug lines; the level is always set explicitly, so `NODE_ENV=test` cannot hide errors. */
export function createLog(verbose: boolean): Log {
  return createConsola({
    level: verbose ? LogLevels.debug : LogLevels.info,
    stdout: process.stderr,
    stderr: process.stderr,
    fancy: process.stderr.isTTY === true,
    formatOptions: { date: false, colors: process.stderr.isTTY === true && !process.env.NO_COLOR },
  });
}
