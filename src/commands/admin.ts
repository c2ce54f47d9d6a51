// `chat admin`: the operator's requests to a running server, signed with its admin token.

import { defineCommand } from "citty";
import { type AdminAction, runAdmin } from "../admin/admin.ts";
import { parseHostPort } from "../core/address.ts";
import { BAN_WHILE_RUNNING, parseBanLength } from "../core/duration.ts";
import { checkRoom, MAX_TEXT_BYTES, textBytes } from "../core/wire/protocol.ts";
import { readPrivateToken, tokenFile, tokenProblem } from "../runtime/admin-token.ts";
import { serverAddress, serverArg, verboseArg } from "./_args.ts";
import { commandLog, runBody } from "./_finish.ts";
import { REST_OF_WORDS } from "./_strict.ts";

export const admin = defineCommand({
  meta: {
    name: "admin",
    description: "Broadcast MESSAGE to every member as [admin], or --kick, --ban or --who; exits 0 once the server has done it",
  },
  args: {
    message: {
      type: "positional",
      description: "The text to broadcast (quote it; further words are appended)",
      required: false,
      valueHint: "message",
      ...REST_OF_WORDS,
    },
    kick: { type: "string", description: "Remove this member (the others see it kicked)", valueHint: "name" },
    ban: { type: "string", description: "Remove this member and refuse its address (see --for)", valueHint: "name" },
    for: {
      type: "string",
      description: "How long a --ban lasts: 30s, 10m, 2h, 1d (default: while the server runs)",
      valueHint: "duration",
    },
    who: { type: "boolean", description: "Print the members, one a line", default: false },
    room: {
      type: "string",
      description: "Only this room (default: a MESSAGE, --kick and --ban concern every room; --who the lobby)",
      valueHint: "room",
    },
    ...serverArg,
    token: {
      type: "string",
      description: "The server's admin token (default: $CHAT_ADMIN_TOKEN, else the token file of a server on this machine)",
      valueHint: "token",
    },
    passphrase: { type: "string", description: "The room's passphrase, if it has one (default: $CHAT_PASSPHRASE)", valueHint: "words" },
    ...verboseArg,
  },
  run({ args, data }) {
    const log = commandLog(data, args.verbose);
    return runBody(log, async () => {
      const server = parseHostPort(serverAddress(args.server));
      const action = actionOf(args);
      const room = args.room === undefined ? undefined : checkRoom(args.room);
      if (room && "problem" in room) throw new Error(room.problem);
      const offered = args.token || process.env.CHAT_ADMIN_TOKEN;
      const short = offered && tokenProblem(offered, args.token ? "--token" : "CHAT_ADMIN_TOKEN");
      if (short) throw new Error(`${short}: no server takes one that short; give the server's`);
      // Without a token runAdmin first finds out whether anyone is there: "nobody answers" is the news then, not the token.
      const token = offered || readPrivateToken(tokenFile(server.port)) || undefined;
      const noToken = `no admin token: give --token or CHAT_ADMIN_TOKEN (a server on this machine keeps its own in ${tokenFile(server.port)})`;
      const passphrase = args.passphrase || process.env.CHAT_PASSPHRASE;
      const given = { ...(room ? { room: room.name } : {}), ...(passphrase ? { passphrase } : {}) };
      return runAdmin({ server, action, token: token ?? { missing: noToken }, log, ...given });
    });
  },
});

interface ActionArgs {
  message?: string | undefined;
  _: string[];
  kick?: string | undefined;
  ban?: string | undefined;
  for?: string | undefined;
  who: boolean;
}

function actionOf(args: ActionArgs): AdminAction {
  const text = args.message === undefined ? undefined : [args.message, ...args._.slice(1)].join(" ");
  const chosen = [text !== undefined, args.kick !== undefined, args.ban !== undefined, args.who].filter(Boolean).length;
  if (chosen !== 1) throw new Error("say what to do: a MESSAGE, or one of --kick NAME, --ban NAME, --who");
  if (args.for !== undefined && args.ban === undefined) throw new Error("--for goes with --ban");
  if (args.kick !== undefined) return { kind: "kick", name: args.kick };
  if (args.ban !== undefined) {
    if (args.for === undefined) return { kind: "ban", name: args.ban, length: BAN_WHILE_RUNNING };
    const d = parseBanLength(args.for);
    if ("problem" in d) throw new Error(d.problem);
    return { kind: "ban", name: args.ban, length: d.ms };
  }
  if (args.who) return { kind: "who" };
  const message = text!;
  if (message.trim() === "") throw new Error("the message is empty");
  const bytes = textBytes(message);
  if (bytes > MAX_TEXT_BYTES) throw new Error(`the message is ${bytes} bytes (max ${MAX_TEXT_BYTES})`);
  return { kind: "announce", text: message };
}
