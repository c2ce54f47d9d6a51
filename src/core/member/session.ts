// One member's life as pure state: login, the room, losing and finding the server again, leaving (`now` passed in, effects to a sink).

import type { HostPort } from "../address.ts";
import type { Shown } from "../screen/render.ts";
import {
  type AwayMark,
  type Challenge,
  DEFAULT_ROOM,
  isRoomEvent,
  type Members,
  type Message,
  type RefusalReason,
  type Request,
  TIMERS,
  type Welcome,
} from "../wire/protocol.ts";
import { memberRefusal } from "../wire/refusals.ts";
import { type Asked, Asks } from "./asks.ts";
import { Connection } from "./connection.ts";
import { Departure, UNDELIVERED_AFTER_MS } from "./departure.ts";
import { Ignores, renamed } from "./ignores.ts";
import type { Credentials } from "./login.ts";
import type { Utterance } from "./outbox.ts";
import { type PendingHow, Says } from "./says.ts";
import { Transcript } from "./transcript.ts";
import { WhoPages } from "./who.ts";

export type MemberState = "joining" | "in" | "lost" | "leaving" | "done";
export type LogLevel = "debug" | "info" | "success" | "warn" | "error";
/** How the membership ended: the shell makes an exit code of it ("undelivered": left, but some line was not delivered). */
export type Ending = "left" | "refused" | "no_answer" | "undelivered";

/** A say as the parent hands it over. */
type Said = Utterance & { ref?: number };

/** A second goodbye this soon after the first is its repeat (servers send it twice), not news. */
const GOODBYE_REPEAT_MS = 5000;

/**
 * What the session does to the world, called as it happens: a sink rather than returned effects, so that the
 * benchmark's thousands of members allocate nothing per turn and the shell acts in order (a key before the hello
 * it seals). Tests record the calls.
 */
export interface MemberSink {
  /** To the current server (`session.server`), sealed with the room's key except what travels in the clear. */
  send(msg: Request): void;
  /** The room's salt from a challenge (derive the key), or undefined (forget it). */
  key(salt: string | undefined): void;
  show(item: Shown, history: boolean): void;
  /** What the connection is doing, for a status line; undefined once in the room. */
  status(text: string | undefined): void;
  joined(name: string): void;
  /** The member's own rename came back from the room: it is called `name` now. */
  renamed?(name: string): void;
  /** What became of the say `ref` (a problem is also logged). */
  settled(ref: number, problem?: string): void;
  /** How the say `ref` is pending now: queued for the room's allowance, sending, or waiting for the server. */
  pending(ref: number, how: PendingHow): void;
  /** The answer to /who: every name, and those away with their reasons. */
  members(names: string[], away: AwayMark[]): void;
  /** Whom /reply answers now: the last member who sent this one a private message (optional: a web page has no /reply yet). */
  replyTo?(name: string): void;
  log(level: LogLevel, text: string): void;
  end(how: Ending): void;
}

export interface SessionOptions {
  name: string;
  /** In checkRoom's form. */
  room: string;
  /** Random per client run: a repeated hello gets the same welcome. */
  nonce: string;
  /** As given on the command line, in the order to try them. */
  servers: readonly HostPort[];
  /** Whether the member was given a passphrase. */
  passphrase: boolean;
}

/** What a refusal means, by the state it finds the member in (the decision table the tests pin). */
export type RefusalMeaning = "rekey" | "end" | "lost" | "about_a_request";
export function refusalMeaning(reason: RefusalReason, state: MemberState): RefusalMeaning {
  // Our key may be from before the server restarted with a new salt: knock again for the new one.
  if (reason === "bad_passphrase" && state === "lost") return "rekey";
  if (reason === "kicked" || reason === "banned" || state === "joining") return "end";
  // Coming back after losing the server: a refusal of who we are ends it; a full room or a busy address is retried.
  if (state === "lost" && (reason === "name_taken" || reason === "bad_name" || reason === "passphrase_required" || reason === "version"))
    return "end";
  if (reason === "unknown_session") return "lost";
  return "about_a_request";
}

/**
 * The member-side twin of Room: the five states' rules, over a Connection, Says, a Transcript, WhoPages and a
 * Departure, with Ignores for what it shows. It runs to about 520 lines because every state's answer to every
 * input lives here, each a short method (pacing, outages, the server's goodbye, /nick and /away, and /join's move
 * between rooms added theirs); splitting it further would spread one state machine over several classes again.
 */
export class MemberSession {
  #state: MemberState = "joining";
  #sid = "";
  /** The room the member is in, or logging in to (checkRoom's form). */
  #room: string;
  #connection: Connection;
  /** One for the client run, across rooms: say ids keep rising, so a room visited again never takes a say for a repeat. */
  readonly #says: Says;
  #transcript: Transcript;
  #who = new WhoPages();
  readonly #asks = new Asks();
  /** What each hello carries: its name follows the member's renames, so a login after an outage is under the new one. */
  #credentials!: Credentials;
  /** For the client run: across losing the server, a /join and renames. */
  readonly #ignores = new Ignores();
  /** Whom /reply answers: the last member who sent this one a private message. */
  #replyTo: string | undefined;
  /** A /join under way: the room to go to, and the says typed since, for that room only (sent once welcomed there). */
  #move: { room: string; held: Said[]; thenLeave?: boolean } | undefined;
  /** Logging in to a /join's room: the room left, to go back to if this one will not have the member. */
  #returnTo: string | undefined;
  #lastHeard = 0;
  #lastSent = 0;
  /** Heartbeats go out this often: often enough for the server's peer timeout, if its welcome named one. */
  #pingEveryMs: number = TIMERS.heartbeatMs;
  #departure = new Departure();
  /** The server said it is stopping: the member said so once, and says nothing more of this loss. */
  #stopped = false;
  /** When the member last said the server stopped: the goodbye comes twice, and is said once. */
  #stoppedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly opts: SessionOptions,
    private readonly sink: MemberSink,
    now: number,
  ) {
    this.#says = new Says(sink);
    this.#room = opts.room;
    this.#transcript = this.#newTranscript(opts.name);
    this.#connection = this.#newConnection(opts.name, now);
  }

  #newTranscript(me: string): Transcript {
    return new Transcript(
      me,
      (item, history) => this.#shown(item, history),
      (name) => this.#renamed(name),
    );
  }

  /** A login to this.#room as `name`, with the client run's nonce (the proof key is made from it, and the say ids go on). */
  #newConnection(name: string, now: number): Connection {
    // The default room goes unnamed on the wire: a hello for it is the same bytes as before there were rooms.
    this.#credentials = { name, nonce: this.opts.nonce, ...(this.#room === DEFAULT_ROOM ? {} : { room: this.#room }) };
    return new Connection(this.opts.servers, this.#credentials, this.opts.passphrase, this.sink, now);
  }

  get state(): MemberState {
    return this.#state;
  }
  /** Which of the servers (an index into the options' list) the member talks to now. */
  get server(): number {
    return this.#connection.server;
  }
  /** The room the member is in, or logging in to after a /join. */
  get room(): string {
    return this.#room;
  }

  /** As the server stores it (NFC), once welcomed. */
  get #name(): string {
    return this.#transcript.me;
  }

  get #where(): string {
    return this.#connection.where;
  }

  /** The first knock. */
  begin(now: number): void {
    this.#connection.begin(now);
    this.sink.status(`joining ${this.#where}…`);
    this.tick(now);
  }

  /** Everything time-driven: login pacing, silence, bye, retransmissions, repairs, /who, heartbeat. */
  tick(now: number): void {
    this.#tick(now);
    this.#says.report(this.#state === "lost");
  }

  #tick(now: number): void {
    switch (this.#state) {
      case "joining": {
        const hello = this.#connection.joining(now);
        if (hello === "no_answer") return this.#end("no_answer");
        return hello && this.#send(hello, now);
      }
      case "lost": {
        // Nothing ages while the member is away: only a leaving member gives up, on a server gone for good.
        if (this.#departure.overdue(now, this.#lastHeard)) {
          this.sink.log("error", `no answer from ${this.#where} for ${UNDELIVERED_AFTER_MS / 1000} s: leaving`);
          this.#says.abandon();
          return this.#left(now);
        }
        const hello = this.#connection.rejoining(now);
        return hello && this.#send(hello, now);
      }
      case "in":
      case "leaving":
        return this.#inRoom(now);
      case "done":
        return;
    }
  }

  /** What the server sent in one datagram (already opened, decoded and checked against the clear-text rule). */
  receive(messages: readonly Message[], now: number): void {
    if (messages.length === 0) return;
    this.#lastHeard = now;
    const transcript = this.#transcript;
    for (const msg of messages) {
      if (this.#transcript !== transcript) break; // a /join left the room: the rest was the old room's
      this.#handle(msg, now);
    }
    this.#says.report(this.#state === "lost");
  }

  /** Something to say, from the parent; `ref` is its name for it there. */
  say(said: Said, now: number): void {
    if (this.#move) return void this.#move.held.push(said); // for the room the member is going to, not the one it is leaving
    if (this.#state === "joining" || this.#state === "done") return this.#says.settled(said.ref, "not in the room: message not sent");
    if (this.#says.add(said, now)) this.tick(now); // send now, not at the next turn of the loop
  }

  /** Says queued or on their way. */
  get pendingSays(): number {
    return this.#says.size;
  }

  /** /who: asks for the members, page by page. */
  who(now: number): void {
    if (this.#state !== "in" && this.#state !== "leaving") return;
    if (this.#who.id === undefined) this.#who.start(this.#says.outbox.allocate(), now);
    this.#askWho(now);
  }

  /** /nick NAME: asks the room to call this member `name`; its `rename` event (or a refusal) answers. */
  nick(name: string, now: number): void {
    this.#ask((id) => ({ type: "nick", id, name }), now);
  }

  /** /away REASON (a string, perhaps empty) or /back (undefined). */
  away(reason: string | undefined, now: number): void {
    this.#ask((id) => ({ type: "away", id, ...(reason === undefined ? {} : { reason }) }), now);
  }

  #ask(make: (id: number) => Asked, now: number): void {
    if (this.#state !== "in" && this.#state !== "leaving") return this.sink.log("warn", "not in the room: nothing was sent");
    this.#asks.add(make(this.#says.outbox.allocate()), now);
    this.tick(now);
  }

  /**
   * Leaves politely: waits until every message is sent at the room's pace and acknowledged (or refused, or given
   * up on: the server unreachable for UNDELIVERED_AFTER_MS), then says bye until that is acknowledged. Asked a
   * second time, it stops waiting for messages.
   */
  leave(now: number): void {
    // A bot's `/join ops` then its lines then end of input: the move is finished, the lines delivered, then it leaves.
    if (this.#move && !this.#move.thenLeave) {
      this.#move.thenLeave = true;
      return;
    }
    this.#cancelMove(); // asked again: no further, and stop waiting (the move's own leave already asked once)
    const again = this.#departure.ask(now);
    switch (this.#state) {
      case "joining":
        this.#says.abandon();
        return this.#end("left");
      case "lost":
        if (!again && this.#says.size > 0) {
          // Logging in again goes on, to deliver them; a person may not want to wait.
          const n = this.#says.size;
          return this.sink.log(
            "info",
            `the server is away: waiting up to ${UNDELIVERED_AFTER_MS / 1000} s to deliver ${n} line${n === 1 ? "" : "s"}`,
          );
        }
        this.#says.abandon();
        return this.#end("left");
      case "in":
        this.#state = "leaving";
        return this.tick(now);
      case "leaving":
        this.#says.abandon();
        return this.#sayBye(now);
      case "done":
        return;
    }
  }

  /**
   * /ignore NAME (`on`), /unignore NAME, or /ignore alone (no name: the list). Only what this member is shown
   * changes: nothing goes to the server or to the member ignored.
   */
  ignore(name: string | undefined, on: boolean, now: number): void {
    const ignores = this.#ignores;
    if (name === undefined) return this.sink.show({ type: "ignoring", names: ignores.list(), ts: now }, false);
    if (!(on ? ignores.add(name) : ignores.remove(name)))
      return this.sink.log("info", `${name} is ${on ? "ignored already" : "not ignored"}`);
    this.sink.show({ type: "ignoring", names: ignores.list(), ...(on ? { added: name } : { removed: name }), ts: now }, false);
  }

  /**
   * /join ROOM: leaves this room as a leave does (the says typed before it delivered, then a bye, so the room sees
   * the member leave), then logs in to `room` (checkRoom's form) with the same nonce; says typed meanwhile wait for it.
   */
  move(room: string, now: number): void {
    if (this.#state === "lost") return this.sink.log("warn", "the server is away: /join once back in the room");
    if (this.#state !== "in" || this.#move) return this.sink.log("warn", "not in a room now: /join not done");
    if (room === this.#room) return this.sink.log("info", `you are in room ${room} already`);
    this.#move = { room, held: [] };
    this.#departure.ask(now);
    this.#state = "leaving";
    this.tick(now);
  }

  /** The parent died: no time to wait for acks. Two byes, as IP Messenger does, in case one is lost. */
  abandon(now: number): void {
    if (this.#state === "in" || this.#state === "leaving") {
      const bye = { type: "bye", sid: this.#sid, id: this.#says.outbox.allocate() } as const;
      this.#send(bye, now);
      this.#send(bye, now);
    }
    this.#end("left");
  }

  /**
   * The connection to the server closed (a web page's WebSocket): what a long silence means, said at once, since no
   * datagram of this server can arrive any more. Logging in again (the same nonce) goes on as after any loss.
   */
  disconnected(now: number): void {
    if (this.#state === "in" || this.#state === "leaving") this.#lose("the connection closed", now);
  }

  /** The server's port turned out closed (ICMP). Moving on is quick only with somewhere to move to. */
  portClosed(now: number): void {
    if (this.#connection.several && this.#state === "in") this.#lose("its port is closed", now);
  }

  // ---- Time-driven ----

  #inRoom(now: number): void {
    this.#says.expire(now);
    const silence = this.#connection.silenceMs;
    if (now - this.#lastHeard >= silence) return this.#lose(`nothing heard for ${silence / 1000} s`, now);
    if (this.#departure.saying) return this.#sayBye(now);
    for (const say of this.#says.due(this.#sid, now)) this.#send(say, now);
    for (const gap of this.#transcript.repairs(now)) {
      this.sink.log("debug", `asking for events ${gap.from}-${gap.to}`);
      this.#send({ type: "nack", sid: this.#sid, from: gap.from, to: gap.to }, now);
    }
    if (this.#who.id !== undefined) this.#askWho(now);
    this.#sendAsks(now);
    if (this.#state === "leaving" && this.#says.size === 0) return this.#sayBye(now);
    if (now - this.#lastSent >= this.#pingEveryMs) this.#send({ type: "ping", sid: this.#sid }, now);
  }

  #askWho(now: number): void {
    if (this.#state !== "in" && this.#state !== "leaving") return;
    const from = this.#who.due(now);
    if (from === "gave_up") return this.sink.log("error", "could not list the members: the server did not answer");
    if (from !== undefined) this.#send({ type: "names", sid: this.#sid, id: this.#who.id!, from }, now);
  }

  #sendAsks(now: number): void {
    const { send, gaveUp } = this.#asks.due(now);
    for (const ask of send) this.#send({ ...ask, sid: this.#sid }, now);
    for (const ask of gaveUp) this.sink.log("error", `${ask.type === "nick" ? "not renamed" : "not changed"}: the server did not answer`);
  }

  /** The server answered a /nick, /away or /back: acknowledged (a rename shows by its event), or refused. */
  #answered(ask: Asked, reason?: RefusalReason): void {
    if (reason === undefined) {
      if (ask.type === "away") this.sink.log("info", ask.reason === undefined ? "you are back" : "you are marked away");
      return;
    }
    if (ask.type === "away") return this.sink.log("error", `not changed: ${memberRefusal(reason, this.#name)}`);
    if (reason === "rate_limited")
      return this.sink.log("error", "not renamed: you are renaming faster than the room allows; wait a moment");
    this.sink.log("error", memberRefusal(reason, ask.name));
  }

  /** This member's own rename came back in the room's events. */
  #renamed(name: string): void {
    this.#credentials.name = name;
    this.sink.renamed?.(name);
  }

  #sayBye(now: number): void {
    const bye = this.#departure.bye(this.#sid, () => this.#says.outbox.allocate(), now);
    if (bye === "over") return this.#left(now);
    if (bye) this.#send(bye, now);
  }

  /**
   * The server is gone or has forgotten us: say so, in one line, and log in again, as often as it takes (a leaving
   * member too, while it has says to deliver). After the server's goodbye, the silence that follows is not news.
   */
  #lose(why: string, now: number): void {
    if (this.#state === "leaving" && this.#says.size === 0) return this.#left(now); // nothing left to deliver
    const lost = this.#where;
    this.#state = "lost";
    this.#departure.lost();
    this.#connection.lost(now, this.#stopped);
    if (this.#stopped) return this.sink.log("debug", `lost the server ${lost} (${why}) after its goodbye`);
    this.sink.log("warn", `lost the server ${lost} (${why}); trying to join ${this.#where} as ${this.#name}…`);
  }

  /** The server's goodbye: one line now, rather than another after the silence. */
  #stopping(now: number): void {
    if (this.#state !== "in" && this.#state !== "leaving") return;
    if (now - this.#stoppedAt >= GOODBYE_REPEAT_MS) this.sink.show({ type: "status", text: "server_stopped", ts: now }, false);
    this.#stoppedAt = now;
    this.#stopped = true;
    this.#lose("it is stopping", now);
  }

  // ---- What the server says ----

  #handle(msg: Message, now: number): void {
    if (this.#state === "done") return;
    if (isRoomEvent(msg)) return this.#transcript.event(msg);
    switch (msg.type) {
      case "challenge":
        return this.#challenged(msg, now);
      case "welcome":
        return this.#welcomed(msg, now);
      case "ack": {
        if (this.#departure.acked(msg.id)) return this.#left(now);
        const ask = this.#asks.answered(msg.id);
        if (ask) return this.#answered(ask);
        this.#says.acked(msg.id, now);
        if (msg.seq !== undefined) this.#transcript.own(msg.seq);
        return;
      }
      case "members":
        return this.#members(msg, now);
      case "waiting":
        this.#says.outbox.hurry(msg.id, now);
        return this.tick(now);
      case "tick":
        return this.#transcript.tick(msg.seq, msg.epoch);
      case "probe":
        // The server asks whether this member is still there before it ends the session: answer at once.
        if (this.#state === "in" || this.#state === "leaving") this.#send({ type: "ping", sid: this.#sid }, now);
        return;
      case "stopping":
        return this.#stopping(now);
      case "lost":
        if (!this.#transcript.askedFor(msg.from, msg.to))
          return this.sink.log("debug", `ignored a lost ${msg.from}-${msg.to} not asked for`);
        this.sink.log("warn", `events ${msg.from}-${msg.to} are no longer kept by the server and cannot be shown`);
        return this.#transcript.lost(msg.from, msg.to);
      case "refused":
        return this.#refused(msg.reason, msg.id, now);
      case "away_notice":
        return this.sink.show({ ...msg, ts: now }, false);
      default:
        return this.sink.log("debug", `ignored a ${msg.type} from the server`);
    }
  }

  #challenged(msg: Challenge, now: number): void {
    if (this.#state !== "joining" && this.#state !== "lost") return;
    const problem = this.#connection.challenged(msg, this.#name);
    if (problem) return this.#fatal(problem);
    this.tick(now);
  }

  #welcomed(welcome: Welcome, now: number): void {
    const loggingIn = this.#state === "joining" || this.#state === "lost";
    const rtt = loggingIn ? this.#connection.rtt(now) : undefined;
    if (rtt !== undefined) this.#says.outbox.measured(rtt);
    if (!loggingIn) return; // a repeated welcome for a repeated hello
    this.#says.welcomed(welcome, now);
    // A heartbeat every quarter of the server's timeout: three may be lost on the way without losing the member.
    if (welcome.timeoutMs !== undefined) this.#pingEveryMs = Math.min(TIMERS.heartbeatMs, Math.max(250, welcome.timeoutMs / 4));
    if (this.#state === "joining") return this.#firstWelcome(welcome, now);
    this.#state = this.#departure.asked ? "leaving" : "in";
    this.#stopped = false;
    this.#sid = welcome.sid;
    if (!this.#transcript.back(welcome)) {
      this.sink.log("warn", "the server started a new room history: what was said while it was away cannot be shown");
    }
    this.#says.outbox.resendAll();
    this.sink.status(undefined);
    this.sink.log("success", `back in the room as ${welcome.name}`);
  }

  #firstWelcome(welcome: Welcome, now: number): void {
    this.#state = "in";
    this.#sid = welcome.sid;
    this.#transcript.start(welcome);
    this.sink.status(undefined);
    // After a /join the screen, made for the first room, learns the new one from the welcome.
    this.sink.show(this.#room === this.opts.room ? welcome : { ...welcome, room: this.#room }, false);
    this.sink.joined(welcome.name);
    this.#transcript.releaseEarly();
    const { held = [], thenLeave = false } = this.#move ?? {};
    this.#move = undefined;
    this.#returnTo = undefined;
    for (const said of held) this.say(said, now);
    if (thenLeave) this.leave(now);
  }

  #refused(reason: RefusalReason, id: number | undefined, now: number): void {
    switch (refusalMeaning(reason, this.#state)) {
      case "rekey":
        return this.#connection.rekey();
      case "end":
        if (this.#returnTo !== undefined) return this.#goBack(memberRefusal(reason, this.#name), now);
        return this.#fatal(memberRefusal(reason, this.opts.name));
      case "lost":
        return this.#lose(memberRefusal(reason, this.#name), now);
      case "about_a_request":
        if (id !== undefined) {
          const ask = this.#asks.answered(id);
          if (ask) return this.#answered(ask, reason);
        }
        if (id !== undefined && id === this.#who.id) {
          this.#who.cancel();
          return this.sink.log("error", `could not list the members: ${memberRefusal(reason, this.#name)}`);
        }
        if (id !== undefined) this.#says.refused(id, reason, this.#name, now);
        return;
    }
  }

  #members(page: Members, now: number): void {
    const names = this.#who.page(page);
    if (names === "more") return this.#askWho(now);
    if (names) this.sink.members(names, this.#who.away);
  }

  // ---- What is shown, and moving between rooms ----

  /** What the transcript hands over, past this member's ignores; a private message names whom /reply answers. */
  #shown(item: Shown, history: boolean): void {
    this.#ignores.follow(item);
    if (this.#ignores.hides(item)) return;
    const to = item.type === "private" ? item.from : this.#replyTo && renamed(item, this.#replyTo);
    if (to !== undefined && to !== this.#replyTo) {
      this.#replyTo = to;
      this.sink.replyTo?.(to);
    }
    this.sink.show(item, history);
  }

  /** Out of the room: the end, or the next room of a /join. */
  #left(now: number): void {
    if (!this.#move) return this.#end("left");
    this.#returnTo = this.#room;
    this.#room = this.#move.room;
    this.#state = "joining";
    this.#sid = "";
    this.#stopped = false;
    this.#replyTo = undefined; // a name of the room left: in another room it may be someone else
    this.#departure = new Departure();
    this.#who = new WhoPages();
    this.#transcript = this.#newTranscript(this.#name);
    this.#connection = this.#newConnection(this.#name, now);
    this.#connection.begin(now);
    this.sink.status(`joining room ${this.#room}…`);
    this.tick(now);
  }

  /**
   * The /join's room refused the member (its name is taken there, the room is full, …): back to the room it came
   * from, once (refused there too, it ends). What was typed for the new room is not delivered.
   */
  #goBack(why: string, now: number): void {
    const back = this.#returnTo!;
    const thenLeave = this.#move?.thenLeave === true;
    this.sink.log("error", `could not join room ${this.#room}: ${why}${thenLeave ? "" : `; going back to room ${back}`}`);
    this.#cancelMove();
    if (thenLeave) return this.#end("left"); // asked to leave meanwhile: no way back needed
    this.#move = { room: back, held: [] };
    this.#left(now);
    this.#returnTo = undefined;
  }

  /** The /join will not be done (the member leaves instead): what was typed for the next room is not delivered. */
  #cancelMove(): void {
    for (const said of this.#move?.held ?? []) this.#says.neverSent(said);
    this.#move = undefined;
  }

  // ---- Helpers ----

  #send(msg: Request, now: number): void {
    this.sink.send(msg);
    this.#lastSent = now;
  }

  #fatal(line: string): void {
    this.sink.log("error", line);
    this.#end("refused");
  }

  #end(how: Ending): void {
    if (this.#state === "done") return;
    this.#cancelMove();
    this.#state = "done";
    this.sink.end(how === "left" && this.#says.undelivered > 0 ? "undelivered" : how);
  }
}
