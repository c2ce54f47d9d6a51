// `chat join`: reads what the user types and hands it to the receiver subprocess, which owns the socket; in a terminal, it also shows the room.

import { randomBytes } from "node:crypto";
import type { HostPort } from "../core/address.ts";
import type { Lang } from "../core/screen/render.ts";
import type { Log } from "../runtime/log.ts";
import type { ToReceiver } from "./ipc.ts";
import { JoinSession } from "./join-session.ts";
import { spawnReceiver } from "./receiver-process.ts";

export interface JoinOptions {
  name: string;
  /** In checkRoom's form. */
  room: string;
  /** One server, or the servers of a cluster in the order to try them. */
  servers: HostPort[];
  json: boolean;
  /** Whether stdout may carry colour at all (a terminal, NO_COLOR unset). */
  color: boolean;
  lang: Lang;
  /** The room's passphrase; it goes to the receiver over IPC, never on a command line. */
  passphrase?: string;
  log: Log;
}

/** Runs a member until it leaves; resolves to the exit code. */
export async function join(opts: JoinOptions): Promise<number> {
  // A person at a terminal gets the line editor and this process shows the room; anything else (a pipe, a file,
  // --json) gets plain lines that the receiver writes to stdout itself.
  const interactive = !opts.json && process.stdin.isTTY === true && process.stdout.isTTY === true && process.env.TERM !== "dumb";
  const session = new JoinSession(opts, interactive);
  const receiver = spawnReceiver((msg) => session.fromReceiver(msg), opts.log);
  session.attach(receiver);
  receiver.tell(startMessage(opts, interactive));

  const leave = () => session.leave();
  const interrupt = () => session.interrupt();
  const signals = ["SIGTERM", "SIGHUP"] as const;
  for (const s of signals) process.on(s, leave);
  process.on("SIGINT", interrupt);
  try {
    session.start();
    await receiver.exited;
  } finally {
    session.stop();
    for (const s of signals) process.off(s, leave);
    process.off("SIGINT", interrupt);
  }
  return receiver.exitCode();
}

/** What the receiver needs to know: who, where, and how to print (itself on stdout, or through this process). */
function startMessage(opts: JoinOptions, interactive: boolean): ToReceiver {
  return {
    kind: "start",
    name: opts.name,
    room: opts.room,
    nonce: randomBytes(8).toString("hex"),
    servers: opts.servers,
    output: interactive ? { to: "parent" } : { to: "stdout", json: opts.json, color: opts.color, lang: opts.lang },
    ...(opts.passphrase ? { passphrase: opts.passphrase } : {}),
  };
}
