// One login from the page: the terminal's MemberSession, over the page's WebSocket, its effects drawn by a RoomView.

import type { PendingHow } from "../../core/member/says.ts";
import { type Ending, type LogLevel, MemberSession, type MemberSink } from "../../core/member/session.ts";
import { helpLines, memberAction, parseLine } from "../../core/screen/commands.ts";
import { membersLine, type Shown, type View } from "../../core/screen/render.ts";
import { type AwayMark, DEFAULT_ROOM, decodeReplies, encode, ProtocolError, type Request } from "../../core/wire/protocol.ts";
import { Link, socketUrl } from "./link.ts";
import { hexOf, PAGE_WORDS, phaseOf, statusLine } from "./logic.ts";
import type { RoomView } from "./view.ts";

/** The session's clock ticks this often, as in `chat join`'s receiver. */
const PUMP_MS = 25;

/** What a visit tells the page around it. */
export interface VisitEvents {
  /** In the room: show it. */
  joined(name: string): void;
  status(text: string): void;
  /** A line that ends the visit or says something went wrong (a refusal, no answer). */
  alert(text: string): void;
  /** An event of the room arrived (for the unread count). */
  shown(history: boolean): void;
  /** Over: back to the login form. */
  ended(how: Ending): void;
}

export interface VisitOptions {
  name: string;
  room: string;
  /** Keeps the page the same member across reconnects: the server derives its address from it. */
  client: string;
}

const utf8Out = new TextDecoder();
const utf8In = new TextEncoder();

export class Visit implements MemberSink {
  #session: MemberSession | undefined;
  readonly #link: Link;
  #timer: ReturnType<typeof setInterval> | undefined;
  #wasLost = false;
  #status = "";
  #ref = 0;
  #over = false;
  /** The last error the session logged: the reason, when it ends refused. */
  #lastError = "";
  /** Whoever last sent this member a private message: /reply's addressee. */
  #replyTo: string | undefined;

  constructor(
    private readonly opts: VisitOptions,
    private readonly room: RoomView,
    private readonly view: View,
    private readonly on: VisitEvents,
  ) {
    this.#link = new Link(socketUrl(opts.client), {
      open: () => this.#opened(),
      message: (text) => this.#message(text),
      close: () => this.#closed(),
    });
    this.#showStatus();
  }

  /** A line typed into the message box: a message or a slash command, as `chat join` reads it. False: keep the text. */
  typed(line: string): boolean {
    const session = this.#session;
    if (!session) return false;
    const now = Date.now();
    const action = memberAction(parseLine(line), this.room.me, this.#replyTo);
    switch (action.kind) {
      case "ignore":
        session.ignore(action.name, action.on, now);
        return true;
      case "join":
        this.#replyTo = undefined; // a name of the room left: in the next one it may be someone else
        session.move(action.room, now);
        return true;
      case "say": {
        const ref = ++this.#ref;
        this.room.own(ref, action.said, now);
        session.say({ ...action.said, ref }, now);
        return true;
      }
      case "who":
        session.who(now);
        return true;
      case "nick":
        session.nick(action.name, now);
        return true;
      case "away":
        session.away(action.reason, now);
        return true;
      case "help":
        for (const help of helpLines()) this.room.note(help, "help");
        return true;
      case "timestamp":
        document.body.classList.toggle("times");
        return true;
      case "quit":
        session.leave(now);
        return true;
      case "none":
        return true;
      case "warn":
        this.room.note(action.text, "warn");
        return false;
    }
  }

  /** The tab is closing: two byes, so the others see the member leave now rather than time out. */
  abandon(): void {
    this.#session?.abandon(Date.now());
  }

  // ---- The socket ----

  #opened(): void {
    if (this.#session || this.#over) return;
    const now = Date.now();
    const where = { host: location.hostname, port: Number(location.port || (location.protocol === "https:" ? 443 : 80)) };
    const nonce = hexOf(crypto.getRandomValues(new Uint8Array(8)));
    this.#session = new MemberSession(
      { name: this.opts.name, room: this.opts.room, nonce, servers: [where], passphrase: false },
      this,
      now,
    );
    this.#timer = setInterval(() => this.#tick(), PUMP_MS);
    this.#session.begin(now);
  }

  #message(text: string): void {
    const session = this.#session;
    if (!session) return;
    let replies: ReturnType<typeof decodeReplies>;
    try {
      replies = decodeReplies(utf8In.encode(text));
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return console.debug(`ignored a message from the server: ${err.message}`);
    }
    const now = Date.now();
    session.receive(replies, now);
    // Messages are not throttled in a hidden tab, timers are: heartbeats and repairs ride on them too.
    session.tick(now);
    this.#showStatus();
  }

  #closed(): void {
    if (this.#over) return;
    if (!this.#session) {
      // Never reached the server at all: say so, rather than knock into nothing.
      this.on.alert(PAGE_WORDS[this.view.lang].unreachable(location.host));
      return this.end("no_answer");
    }
    this.#session.disconnected(Date.now());
    this.#showStatus();
  }

  #tick(): void {
    this.#session?.tick(Date.now());
    this.#showStatus();
  }

  #showStatus(): void {
    const state = this.#session?.state;
    if (state === "lost") this.#wasLost = true;
    const room = this.opts.room === DEFAULT_ROOM ? DEFAULT_ROOM : this.opts.room;
    const text = statusLine(phaseOf(state, this.#wasLost), this.view.lang, room, this.room.me || this.opts.name);
    if (text === this.#status) return;
    if (state === "in" && this.#wasLost) this.#link.settled();
    this.#status = text;
    this.on.status(text);
  }

  // ---- The session's effects ----

  send(msg: Request): void {
    this.#link.send(utf8Out.decode(encode(msg)));
  }

  key(): void {} // no passphrase over the web: a sealed room is not served to browsers

  show(item: Shown, history: boolean): void {
    this.room.event(item, history);
    if (item.type !== "welcome") this.on.shown(history);
  }

  status(): void {} // the status line is drawn from the session's state on every tick

  replyTo(name: string): void {
    this.#replyTo = name;
  }

  joined(name: string): void {
    this.room.me = name;
    this.on.joined(name);
    this.#showStatus();
  }

  settled(ref: number, problem?: string): void {
    this.room.settled(ref, problem); // the problem itself is logged too (log, below)
  }

  pending(ref: number, how: PendingHow): void {
    this.room.pending(ref, how);
  }

  /** The member's own rename went through: its lines and mentions are under the new name from now on. */
  renamed(name: string): void {
    this.room.me = name;
  }

  members(names: string[], away: AwayMark[] = []): void {
    this.room.note(membersLine(names, this.view, away));
    this.room.roster(names);
  }

  log(level: LogLevel, text: string): void {
    if (level === "error") this.#lastError = text;
    // Before the room is shown, an error can only be why it will not be: the alert says it.
    if (level === "error" && !this.room.me) this.on.alert(text);
    // Losing the server is the status line's to say ("reconnecting…"), not a line of the room.
    else if (level === "error" || (level === "warn" && this.#session?.state !== "lost")) this.room.note(text, level);
    else console.debug(text);
  }

  end(how: Ending): void {
    if (this.#over) return;
    this.#over = true;
    clearInterval(this.#timer);
    this.#link.close();
    // Kicked, banned, or refused coming back: the line that ended it goes with the login form it returns to.
    if ((how === "refused" || how === "no_answer") && this.#lastError) this.on.alert(this.#lastError);
    this.on.ended(how);
  }
}
