// `chat join`: reads what the user types and hands it to the receiver subprocess, which owns the socket and the transcript.

import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import type { HostPort } from "./core/address.ts";
import { MAX_TEXT_BYTES, textBytes, TIMERS } from "./core/protocol.ts";
import { EXIT } from "./exit-codes.ts";
import { isFromReceiver, type ToReceiver } from "./ipc.ts";
import type { Log } from "./log.ts";
import { selfCommand } from "./self.ts";

export interface JoinOptions {
  name: string;
  server: HostPort;
  json: boolean;
  color: boolean;
  /** The room's passphrase; it goes to the receiver over IPC, never on a command line. */
  passphrase?: string;
  log: Log;
}

/** The receiver gets this long to leave politely (messages confirmed or given up on, then bye) before it is killed. */
const LEAVE_DEADLINE_MS = TIMERS.giveUpMs + TIMERS.byeTimeoutMs + 2000;

const COMMANDS = [
  ["/quit", "leave the room (also Ctrl-D, or Ctrl-C)"],
  ["/help", "this list"],
  ["//text", "send a line that starts with /"],
] as const;

/** Runs a member until it leaves; resolves to the exit code. */
export async function join(opts: JoinOptions): Promise<number> {
  const { log } = opts;
  const receiver = Bun.spawn(selfCommand("__receiver"), {
    stdio: ["ignore", "inherit", "inherit"],
    serialization: "json",
    ipc(msg) {
      if (isFromReceiver(msg)) onJoined();
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
    nonce: randomBytes(8).toString("hex"),
    server: opts.server,
    json: opts.json,
    color: opts.color,
    ...(opts.passphrase ? { passphrase: opts.passphrase } : {}),
  });

  let joined = false;
  let leaving = false;
  /** Lines typed (or piped) before the welcome: sent once in, in order. */
  const early: string[] = [];
  let leaveWhenJoined = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;

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

  const handleLine = (raw: string) => {
    if (leaving) return; // lines after /quit are not sent
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    if (line.startsWith("/") && !line.startsWith("//")) return command(line);
    const text = line.startsWith("//") ? line.slice(1) : line;
    const bytes = textBytes(text);
    if (bytes > MAX_TEXT_BYTES) return log.error(`not sent: the message is ${bytes} bytes (max ${MAX_TEXT_BYTES})`);
    tell({ kind: "say", text });
  };

  const command = (line: string) => {
    const [name] = line.split(/\s+/, 1);
    if (name === "/quit") return leave();
    if (name === "/help") return log.info(COMMANDS.map(([c, what]) => `${c.padEnd(8)} ${what}`).join("\n"));
    log.warn(`unknown command ${name}: nothing was sent (type /help for the commands, //text to send a line starting with /)`);
  };

  function onJoined() {
    joined = true;
    for (const line of early.splice(0)) handleLine(line);
    if (leaveWhenJoined) leave();
  }

  const tty = process.stdin.isTTY === true;
  // No prompt yet: incoming lines are printed by the receiver and would land after it.
  const input = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty, prompt: "" });
  input.on("line", (line) => (joined ? handleLine(line) : early.push(line)));
  // End of input (Ctrl-D, or the end of a pipe): whatever was read before it is still sent.
  input.on("close", () => (joined ? leave() : (leaveWhenJoined = true)));
  input.on("SIGINT", interrupt); // Ctrl-C while readline holds the terminal in raw mode
  process.on("SIGINT", interrupt);
  const signals = ["SIGTERM", "SIGHUP"] as const;
  for (const s of signals) process.on(s, leave);

  await receiver.exited;
  leaving = true; // closing the input below must not start a leave
  clearTimeout(killTimer);
  for (const s of signals) process.off(s, leave);
  process.off("SIGINT", interrupt);
  input.close();
  if (receiver.signalCode !== null) {
    log.error(`the receiver subprocess was killed (${receiver.signalCode}): disconnected from the room`);
    return EXIT.error;
  }
  return receiver.exitCode ?? EXIT.error;
}
