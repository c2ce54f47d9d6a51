// `chat join NAME`: enter the room; type to talk, /quit or Ctrl-D to leave.

import { defineCommand } from "citty";
import { parseHostPort } from "../core/address.ts";
import { langOf } from "../core/screen/render.ts";
import { checkName, checkRoom, DEFAULT_ROOM } from "../core/wire/protocol.ts";
import { EXIT } from "../exit-codes.ts";
import { join as runJoin } from "../member/join.ts";
import { serverAddress, serverArg, verboseArg } from "./_args.ts";
import { commandLog, runBody } from "./_finish.ts";

export const join = defineCommand({
  meta: { name: "join", description: "Join the room as NAME; each line you type is a message, /quit leaves" },
  args: {
    name: { type: "positional", description: "Your name in the room: 1-16 letters, digits, _ . -", required: true, valueHint: "name" },
    server: {
      ...serverArg.server,
      description: `${serverArg.server.description}; several servers of one cluster: HOST:PORT,HOST:PORT (tried in order, the next when one is gone)`,
    },
    room: {
      type: "string",
      description: "The room to join: each has its own members, messages and history",
      default: DEFAULT_ROOM,
      valueHint: "room",
    },
    json: { type: "boolean", description: "Print one JSON object per event on stdout (for bots)", default: false },
    passphrase: { type: "string", description: "The room's passphrase, if it has one (default: $CHAT_PASSPHRASE)", valueHint: "words" },
    ...verboseArg,
  },
  run({ args, data }) {
    const log = commandLog(data, args.verbose);
    return runBody(log, async () => {
      // Several servers of one cluster, comma-separated: the member moves to the next when its server is gone.
      const servers = serverAddress(args.server)
        .split(",")
        .map((s) => parseHostPort(s.trim()));
      const checked = checkName(args.name);
      if ("problem" in checked) {
        log.error(checked.problem);
        return EXIT.error;
      }
      const room = checkRoom(args.room);
      if ("problem" in room) {
        log.error(room.problem);
        return EXIT.error;
      }
      const color = !args.json && process.stdout.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== "dumb";
      const passphrase = args.passphrase || process.env.CHAT_PASSPHRASE;
      const lang = langOf(process.env);
      return runJoin({
        name: checked.name,
        room: room.name,
        servers,
        json: args.json,
        color,
        lang,
        log,
        ...(passphrase ? { passphrase } : {}),
      });
    });
  },
});
