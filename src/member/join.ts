// `chat join`: reads what the user types and hands it to the receiver subprocess, which owns the socket; in a terminal, it also shows the room.

import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import type { HostPort } from "../core/address.ts";
import { helpLines, parseLine } from "../core/screen/commands.ts";
import type { Lang } from "../core/screen/render.ts";
import { nameKey, TIMERS } from "../core/wire/protocol.ts";
import { EXIT } from "../exit-codes.ts";
import { isFromReceiver, type FromReceiver, type ToReceiver } from "./ipc.ts";
import type { Log } from "../runtime/log.ts";
import { RoomScreen } from "../terminal/room-screen.ts";
import { selfCommand } from "../runtime/self.ts";

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

/** The receiver gets this long to leave politely (messages confirmed or given up on, then bye) before it is killed. */
const LEAVE_DEADLINE_MS = TIMERS.giveUpMs + TIMERS.byeTimeoutMs + 2000;

/** Runs a member until it leaves; resolves to the exit code. */
export async function join(opts: JoinOptions): Promise<number> {
  const { log } = opts;
  // A person at a terminal gets the line editor and this process shows the room; anything else (a pipe, a file,
  // --json) gets plain lines that the receiver writes to stdout itself.
  const interactive = !opts.json && process.stdin.isTTY === true && process.stdout.isTTY === true && process.env.TERM !== "dumb";
  const screen = interactive
    ? new RoomScreen(
        { name: opts.name, room: opts.room, color: opts.color, lang: opts.lang, log },
        {
          submit: (line) => (joined ? handleLine(line) : early.push(line)),
          interrupt: () => interrupt(),
          eof: () => endOfInput(),
        },
      )
    : undefined;

  const receiver = Bun.spawn(selfCommand("__receiver"), {
    stdio: ["ignore", "inherit", "inherit"],
    serialization: "json",
    ipc(msg) {
      if (!isFromReceiver(msg)) return log.debug("ignored an unknown message from the receiver");
      try {
        fromReceiver(msg);
      } catch (err) {
        // A line that cannot be shown must not take the member out of the room.
        log.error(`could not show a ${msg.kind} from the receiver: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  });
  const tell = (msg: ToReceiver) => {
    try {
      receiver.send(msg);
    } catch (err) {
      log.debug(`receiver is gone: ${String(err)}`); // it has exited; its exit code decides ours
    }
  };
  tell({
    kind: "start",
    name: opts.name,
    room: opts.room,
    nonce: randomBytes(8).toString("hex"),
    servers: opts.servers,
    output: interactive ? { to: "parent" } : { to: "stdout", json: opts.json, color: opts.color, lang: opts.lang },
    ...(opts.passphrase ? { passphrase: opts.passphrase } : {}),
  });

  /** As the server stores it (NFC). */
  let name = opts.name;
  let joined = false;
  let leaving = false;
  /** Lines typed (or piped) before the welcome: sent once in, in order. */
  const early: string[] = [];
  let leaveWhenJoined = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  /** Numbers the says this process shows as pending, to match what the receiver says became of them. */
  let nextRef = 1;

  function fromReceiver(msg: FromReceiver): void {
    switch (msg.kind) {
      case "joined":
        joined = true;
        name = msg.name;
        screen?.joined(msg.name);
        for (const line of early.splice(0)) handleLine(line);
        if (leaveWhenJoined) leave();
        return;
      case "show":
        return screen?.show(msg.item, msg.history);
      case "log":
        return void log[msg.level](msg.text);
      case "settled":
        return screen?.settled(msg.ref, msg.problem);
      case "members":
        return screen?.members(msg.names);
      case "status":
        return screen?.status(msg.text);
    }
  }

  /** Ctrl-C: the first leaves politely; a second one stops waiting for unconfirmed messages. */
  let interrupted = false;
  const interrupt = () => {
    if (!leaving) return leave();
    if (interrupted) return;
    interrupted = true;
    tell({ kind: "leave" });
  };

  const leave = () => {
    if (leaving) return;
    leaving = true;
    tell({ kind: "leave" });
    killTimer = setTimeout(() => {
      log.warn("the receiver did not stop in time; killing it");
      receiver.kill("SIGKILL");
    }, LEAVE_DEADLINE_MS);
  };

  /** Ctrl-D or the end of a pipe: whatever was read before it is still sent. */
  const endOfInput = () => {
    if (joined) leave();
    else leaveWhenJoined = true;
  };

  const handleLine = (line: string) => {
    if (leaving) return; // lines after /quit are not sent
    const command = parseLine(line);
    switch (command.kind) {
      case "none":
        return;
      case "say":
      case "me":
      case "msg": {
        if (command.kind === "msg" && nameKey(command.to) === nameKey(name)) return log.warn("that is you: nothing was sent");
        const said =
          command.kind === "say"
            ? { text: command.text }
            : command.kind === "me"
              ? { text: command.text, me: true }
              : { text: command.text, to: command.to };
        const ref = nextRef++;
        screen?.sending(ref, said);
        return tell({ kind: "say", ...said, ...(screen ? { ref } : {}) });
      }
      case "who":
        return tell({ kind: "who" });
      case "help":
        return screen ? screen.help() : log.info(helpLines().join("\n"));
      case "timestamp":
        return screen ? screen.toggleTimestamps() : log.info("/timestamp changes a terminal's lines; JSON lines always carry ts");
      case "quit":
        return leave();
      case "problem":
        return log.warn(command.problem);
    }
  };

  const signals = ["SIGTERM", "SIGHUP"] as const;
  for (const s of signals) process.on(s, leave);
  process.on("SIGINT", interrupt);
  let input: ReturnType<typeof createInterface> | undefined;
  try {
    if (screen) {
      screen.start();
    } else {
      // Not a terminal (or its output is not one): plain lines, echoed by the terminal if there is one.
      input = createInterface({ input: process.stdin, terminal: false });
      input.on("line", (line) => (joined ? handleLine(line) : early.push(line)));
      // End of input (Ctrl-D, or the end of a pipe): whatever was read before it is still sent.
      input.on("close", () => endOfInput());
    }
    await receiver.exited;
  } finally {
    leaving = true; // closing the input below must not start a leave
    clearTimeout(killTimer);
    for (const s of signals) process.off(s, leave);
    process.off("SIGINT", interrupt);
    input?.close();
    screen?.stop();
  }
  if (receiver.signalCode !== null) {
    log.error(`the receiver subprocess was killed (${receiver.signalCode}): disconnected from the room`);
    return EXIT.error;
  }
  return receiver.exitCode ?? EXIT.error;
}
