// Hidden subcommands that `chat` starts as its own subprocesses; run by hand, they refuse.

import { defineCommand } from "citty";
import { runConsole } from "../server/console.ts";
import { EXIT } from "../exit-codes.ts";
import { runReceiver } from "../member/receiver.ts";
import { startedByChat } from "../runtime/self.ts";
import { finish, logFor } from "./_shared.ts";

function internal(name: string, startedBy: string, body: () => Promise<number>) {
  return defineCommand({
    meta: { name, hidden: true, description: `internal: started by ${startedBy}` },
    async run() {
      const log = logFor(false);
      await finish(log, async () => {
        if (!startedByChat()) {
          log.error(`\`chat ${name}\` is internal: ${startedBy} starts it`);
          return EXIT.error;
        }
        return body();
      });
    },
  });
}

/** The member's network loop (socket, login, transcript), a subprocess of `chat join`. */
export const receiver = internal("__receiver", "`chat join`", () => runReceiver(logFor(false)));

/** The operator's input loop, a subprocess of `chat serve`. */
export const console_ = internal("__console", "`chat serve`", async () => {
  await runConsole();
  return EXIT.ok;
});
