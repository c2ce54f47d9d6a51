// What `chat join`'s parent keeps between the user and the receiver: joined or not, lines typed early, leaving, the pending says.

import { createInterface, type Interface } from "node:readline";
import { COMMANDS, helpLines, memberAction, parseLine } from "../core/screen/commands.ts";
import { completer, NAME_COMMANDS, Roster } from "../core/screen/complete.ts";
import type { Lang } from "../core/screen/render.ts";
import { TIMERS } from "../core/wire/protocol.ts";
import type { Log } from "../runtime/log.ts";
import { RoomScreen } from "../terminal/room-screen.ts";
import type { FromReceiver } from "./ipc.ts";
import type { ReceiverProcess } from "./receiver-process.ts";

/**
 * Told to stop waiting (a second Ctrl-C), the receiver gets this long to say bye before it is killed. A first leave
 * has no deadline here: the receiver bounds it itself (each line acknowledged, refused or given up on, the server
 * unreachable for UNDELIVERED_AFTER_MS), and a bot with many lines takes as long as the room's pace needs.
 */
const STOP_DEADLINE_MS = TIMERS.byeTimeoutMs + 2000;

export interface JoinSessionOptions {
  name: string;
  room: string;
  color: boolean;
  lang: Lang;
  log: Log;
}

export class JoinSession {
  /** A person at a terminal: the line editor, and this process shows the room. */
  readonly screen: RoomScreen | undefined;
  #receiver: ReceiverProcess | undefined;
  #input: Interface | undefined;
  /** As the server stores it (NFC). */
  #name: string;
  #joined = false;
  #leaving = false;
  /** Ctrl-C once more while leaving: stop waiting for unconfirmed messages. */
  #interrupted = false;
  /** Lines typed (or piped) before the welcome: sent once in, in order. */
  readonly #early: string[] = [];
  #leaveWhenJoined = false;
  #killTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whom /reply answers, as the receiver said (it sees every private message, whether or not this process shows it). */
  #replyTo: string | undefined;
  /** Numbers the says this process shows as pending, to match what the receiver says became of them. */
  #nextRef = 1;
  /** Who is in the room, from what the receiver hands over: for Tab, and for the room's spelling of names in echoes. */
  readonly #roster = new Roster();

  constructor(
    private readonly opts: JoinSessionOptions,
    interactive: boolean,
  ) {
    this.#name = opts.name;
    const events = { submit: (line: string) => this.input(line), interrupt: () => this.interrupt(), eof: () => this.endOfInput() };
    this.screen = interactive ? new RoomScreen(opts, events) : undefined;
    this.#roster.self = opts.name;
    const commands = COMMANDS.map((c) => c.name);
    this.screen?.setCompleter(completer({ names: () => this.#roster.names(), commands, nameCommands: NAME_COMMANDS }));
  }

  /** The receiver this session talks to, once started. */
  attach(receiver: ReceiverProcess): void {
    this.#receiver = receiver;
  }

  /** Starts reading: the screen, or plain lines (echoed by the terminal if there is one). */
  start(): void {
    if (this.screen) return this.screen.start();
    this.#input = createInterface({ input: process.stdin, terminal: false });
    this.#input.on("line", (line) => this.input(line));
    this.#input.on("close", () => this.endOfInput());
  }

  /** The receiver has exited: let go of the terminal and the input. */
  stop(): void {
    this.#leaving = true; // closing the input below must not start a leave
    clearTimeout(this.#killTimer);
    this.#input?.close();
    this.screen?.stop();
  }

  fromReceiver(msg: FromReceiver): void {
    const screen = this.screen;
    switch (msg.kind) {
      case "joined":
        this.#joined = true;
        this.#name = msg.name;
        this.#replyTo = undefined; // joined again after a /join: last room's names may be others' here
        this.#roster.self = msg.name;
        screen?.joined(msg.name);
        for (const line of this.#early.splice(0)) this.#handle(line);
        if (this.#leaveWhenJoined) this.leave();
        return;
      case "renamed":
        this.#name = msg.name;
        return screen?.joined(msg.name); // the prompt and the highlighted name follow
      case "show":
        this.#roster.apply(msg.item, msg.history);
        return screen?.show(msg.item, msg.history);
      case "log":
        return void this.opts.log[msg.level](msg.text);
      case "settled":
        return screen?.settled(msg.ref, msg.problem);
      case "pending":
        return screen?.pending(msg.ref, msg.how);
      case "members":
        this.#roster.replace(msg.names);
        return screen?.members(msg.names, msg.away ?? []);
      case "reply_to":
        this.#replyTo = msg.name;
        return;
      case "status":
        return screen?.status(msg.text);
    }
  }

  /** A line typed or piped in. */
  input(line: string): void {
    if (this.#joined) this.#handle(line);
    else this.#early.push(line);
  }

  /** Ctrl-C: the first leaves politely; a second one stops waiting for unconfirmed messages. */
  interrupt(): void {
    if (!this.#leaving) return this.leave();
    if (this.#interrupted) return;
    this.#interrupted = true;
    this.#receiver?.tell({ kind: "leave" });
    this.#killTimer = setTimeout(() => {
      this.opts.log.warn("the receiver did not stop in time; killing it");
      this.#receiver?.kill();
    }, STOP_DEADLINE_MS);
  }

  leave(): void {
    if (this.#leaving) return;
    this.#leaving = true;
    this.#receiver?.tell({ kind: "leave" });
  }

  /** Ctrl-D or the end of a pipe: whatever was read before it is still sent. */
  endOfInput(): void {
    if (this.#joined) this.leave();
    else this.#leaveWhenJoined = true;
  }

  #handle(line: string): void {
    if (this.#leaving) return; // lines after /quit are not sent
    const { log } = this.opts;
    const screen = this.screen;
    const action = memberAction(parseLine(line), this.#name, this.#replyTo);
    switch (action.kind) {
      case "say": {
        const ref = this.#nextRef++;
        // `/msg BOB hi` is echoed, and sent, as `bob`: the name as the room spells it, when the roster knows it.
        const to = action.said.to === undefined ? undefined : (this.#roster.spelling(action.said.to) ?? action.said.to);
        const said = to === undefined ? action.said : { ...action.said, to };
        screen?.sending(ref, said);
        return this.#receiver?.tell({ kind: "say", ...said, ref });
      }
      case "who":
        return this.#receiver?.tell({ kind: "who" });
      case "nick":
        return this.#receiver?.tell({ kind: "nick", name: action.name });
      case "away":
        return this.#receiver?.tell(action.reason === undefined ? { kind: "away" } : { kind: "away", reason: action.reason });
      case "ignore":
        return this.#receiver?.tell({ kind: "ignore", on: action.on, ...(action.name === undefined ? {} : { name: action.name }) });
      case "join":
        return this.#receiver?.tell({ kind: "join", room: action.room });
      case "help":
        return screen ? screen.help() : log.info(helpLines().join("\n"));
      case "timestamp":
        return screen ? screen.toggleTimestamps() : log.info("/timestamp changes a terminal's lines; JSON lines always carry ts");
      case "quit":
        return this.leave();
      case "warn":
        return log.warn(action.text);
      case "none":
        return;
    }
  }
}
