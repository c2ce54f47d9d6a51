// `chat admin MESSAGE`: broadcast to every member as the administrator.

import { defineCommand } from "citty";
import { parseHostPort } from "../core/address.ts";
import { announce } from "../admin-client.ts";
import { finish, logFor, serverAddress, serverArg, verboseArg } from "./_shared.ts";

export const admin = defineCommand({
  meta: { name: "admin", description: "Broadcast MESSAGE to every member as [admin]; exits 0 once the server confirms" },
  args: {
    message: { type: "positional", description: "The text to broadcast (quote it; further words are appended)", required: true, valueHint: "message" },
    ...serverArg,
    token: { type: "string", description: "The server's admin token (default: $CHAT_ADMIN_TOKEN)", valueHint: "token" },
    ...verboseArg,
  },
  async run({ args }) {
    const log = logFor(args.verbose);
    await finish(log, async () => {
      const server = parseHostPort(serverAddress(args.server));
      const token = args.token ?? process.env.CHAT_ADMIN_TOKEN;
      const text = [args.message, ...args._.slice(1)].join(" ");
      return announce({ server, text, log, ...(token ? { token } : {}) });
    });
  },
});
