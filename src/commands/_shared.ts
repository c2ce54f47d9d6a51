// Transitional: the old names serve.ts still imports, until the lead moves it to _args.ts and _finish.ts (then delete this file).

import type { Log } from "../runtime/log.ts";
import { flushOutput, processIo, runBody } from "./_finish.ts";

export { verboseArg } from "./_args.ts";

/** The old logFor(verbose): the process's logger. New code: commandLog(data, verbose). */
export const logFor = (verbose: boolean): Log => processIo.log(verbose);

/**
 * The old finish(): runs the body and ends the process with its code, as cli.ts now does for a command that returns
 * it. New code returns runBody(log, body) from `run` instead.
 */
export async function finish(log: Log, body: () => Promise<number>): Promise<never> {
  const code = await runBody(log, body);
  await flushOutput();
  process.exit(code);
}
