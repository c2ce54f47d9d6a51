// Hidden subcommands that `chat` starts as its own subprocesses; run by hand, they refuse.

import { defineCommand } from "citty";
import { EXIT } from "../exit-codes.ts";
import { runReceiver } from "../member/receiver.ts";
import type { Log } from "../runtime/log.ts";
import { startedByChat } from "../runtime/self.ts";
import { commandLog, runBody } from "./_finish.ts";

function internal(name: string, startedBy: string, body: (log: Log) => Promise<number>) {
  return defineCommand({
    meta: { name, hidden: true, description: `internal: started by ${startedBy}` },
    run({ data }) {
      const log = commandLog(data, false);
      return runBody(log, async () => {
        if (!startedByChat()) {
          log.error(`\`chat ${name}\` is internal: ${startedBy} starts it`);
          return EXIT.error;
        }
        return body(log);
      });
    },
  });
}

/** The member's network loop (socket, login, transcript), a subprocess of `chat join`. */
export const receiver = internal("__receiver", "`chat join`", (log) => runReceiver(log));

/** The operator's input loop, a subprocess of `chat serve`. */
export const console_ = internal("__console", "`chat serve`", async (log) => {
  const { runConsole } = await import("../server/console.ts");
  await runConsole(log);
  return EXIT.ok;
});

/** The room databases' checkpoints, a subprocess of `chat serve` (with --data). */
export const checkpoint = internal("__checkpoint", "`chat serve`", async (log) => {
  const { runCheckpointer } = await import("../server/checkpointer.ts");
  await runCheckpointer(log);
  return EXIT.ok;
});
