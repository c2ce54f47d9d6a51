// The receiver subprocess of `chat join`: owns the member's UDP socket, logs in, prints the room to stdout and sends what the parent hands it.

import { formatWithOptions } from "node:util";
import { formatHostPort } from "../core/address.ts";
import { Envelope, isSealed, travelsInClear } from "../core/wire/envelope.ts";
import { Outbox, type Outgoing, type Utterance } from "../core/member/outbox.ts";
import {
  decode,
  DEFAULT_ROOM,
  encode,
  isRoomEvent,
  KNOCK_BYTES,
  NAME_RULE,
  padded,
  ProtocolError,
  TIMERS,
  type Challenge,
  type Members,
  type Message,
  type RefusalReason,
  type RoomEvent,
  type Say,
  type Welcome,
} from "../core/wire/protocol.ts";
import { membersJson, membersLine, render, type Shown, type View } from "../core/screen/render.ts";
import type { Peer } from "../core/room/room.ts";
import { Sequencer } from "../core/member/sequencer.ts";
import { EXIT } from "../exit-codes.ts";
import { isToReceiver, type FromReceiver, type LogLevel, type ToReceiver } from "./ipc.ts";
import type { Log } from "../runtime/log.ts";
import { anyAddressFor, openUdp, resolvePeer, type UdpEndpoint } from "../runtime/udp.ts";

type Start = Extract<ToReceiver, { kind: "start" }>;

const REFUSALS: Record<RefusalReason, (name: string) => string> = {
  name_taken: (name) => `the name "${name}" is taken: choose another`,
  bad_name: (name) => `the server refused the name "${name}": use ${NAME_RULE}`,
  unknown_session: () => "the server no longer knows this session",
  bad_token: () => "refused: wrong admin token",
  stale: () => "refused: stale request",
  replayed: () => "refused: repeated request",
  no_such_member: () => "nobody in the room has that name",
  too_long: () => "message not sent: too long",
  rate_limited: () => "message not sent: you are sending faster than the room allows; wait a moment",
  room_full: () => "the room is full: try again later",
  too_many_logins: () => "too many logins from this address lately: wait a minute and try again",
  banned: () => "you are banned from this room",
  kicked: () => "you were removed from the room by the administrator",
  passphrase_required: () => "this room has a passphrase: join with --passphrase or CHAT_PASSPHRASE",
  bad_passphrase: () => "wrong passphrase: the server could not read what this member sent",
  bad_room: () => `the server refused the room name: use ${NAME_RULE}`,
  no_such_room: () => "the server has no such room",
  too_many_rooms: () => "the server has as many rooms as it allows: join an existing room, or try later",
};
/** What a say carries of an utterance: its text, and whom it is for (`to`) or that it is an action (`me`). */
const sayFields = (u: Utterance): Pick<Say, "text" | "to" | "me"> =>
  u.to !== undefined ? { text: u.text, to: u.to } : u.me ? { text: u.text, me: true } : { text: u.text };

/** The line for a say the server refused: which one, and why. */
function refusedLine(reason: RefusalReason, said: Outgoing, me: string): string {
  if (reason === "no_such_member" && said.to !== undefined) return `not sent to ${said.to}: nobody in the room has that name`;
  return `${REFUSALS[reason](me)}: ${JSON.stringify(said.text)}`;
}

/** The member's own join, leave, message, action or private message: its terminal shows those itself, or not at all. */
function isOwn(event: Exclude<RoomEvent, { type: "hidden" }>, me: string): boolean {
  switch (event.type) {
    case "join":
    case "leave":
      return event.name === me;
    case "message":
    case "action":
    case "private":
      return event.from === me;
    case "admin":
      return false;
  }
}

/** Refusals that end the membership whatever state it is in. */
const FINAL: ReadonlySet<RefusalReason> = new Set(["kicked", "banned"]);

/** Runs until the member has left; resolves to the process's exit code. */
export async function runReceiver(log: Log): Promise<number> {
  const start = await nextStart();
  if (!start) return EXIT.ok; // the parent went away before saying anything
  // In a terminal the parent owns the screen: diagnostics go to it, to be printed above the line being typed.
  if (start.output.to === "parent")
    log.setReporters([{ log: (entry) => toParent(entry.type, formatWithOptions({ colors: false }, ...entry.args)) }]);
  let servers: Peer[];
  try {
    servers = await Promise.all(start.servers.map(resolvePeer));
  } catch (err) {
    log.error(String(err instanceof Error ? err.message : err));
    return EXIT.error;
  }
  return new Membership(start, servers, log).run();
}

function toParent(type: string, text: string): void {
  const level: LogLevel =
    type === "error" || type === "fatal" || type === "fail"
      ? "error"
      : type === "warn"
        ? "warn"
        : type === "success" || type === "ready"
          ? "success"
          : type === "debug" || type === "trace" || type === "verbose"
            ? "debug"
            : "info";
  process.send?.({ kind: "log", level, text } satisfies FromReceiver);
}

/** The first message from the parent, which must be "start"; undefined if the parent disconnects first. */
function nextStart(): Promise<Start | undefined> {
  return new Promise((resolve) => {
    const onMessage = (msg: unknown) => {
      if (!isToReceiver(msg) || msg.kind !== "start") return;
      done(msg);
    };
    const onDisconnect = () => done(undefined);
    const done = (value: Start | undefined) => {
      process.off("message", onMessage);
      process.off("disconnect", onDisconnect);
      resolve(value);
    };
    process.on("message", onMessage);
    process.on("disconnect", onDisconnect);
  });
}

/** The receiver's loop runs this often: retransmissions, repairs, heartbeats and timeouts are all checked on it. */
const PUMP_MS = 25;
/** A nack without its repair is repeated this often (about a few round trips on a LAN, where repairs matter most). */
const NACK_RETRY_MS = 150;
/** Missing runs asked for at once. */
const MAX_NACKS = 16;
/** Events held while the welcome is still on its way (they can overtake it). */
const MAX_EARLY_EVENTS = 1024;

type State = "joining" | "in" | "lost" | "leaving" | "done";

/**
 * One member's life: login, the room, losing and finding the server again, leaving. Owns the socket and the one
 * timer; `run` resolves once both are closed.
 */
class Membership {
  #state: State = "joining";
  #sid = "";
  #name: string;
  #epoch = "";
  /** Events up to this number happened before this member joined: the backlog, shown as history. */
  #historyEnd = 0;
  readonly #stream = new Sequencer();
  readonly #outbox = new Outbox();
  /** Events that overtook the welcome. */
  readonly #early: RoomEvent[] = [];
  #udp: UdpEndpoint | undefined;
  /** How this process prints the room itself; undefined when the parent does (a terminal). */
  readonly #view: View | undefined;
  /** The /who under way: its id, the names so far, and when it was last asked. */
  #who: { id: number; names: string[]; from: number; askedAt: number; startedAt: number } | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #finish: (code: number) => void = () => {};

  #startedAt = Date.now();
  #lastHeard = 0;
  #lastSent = 0;
  #lastHello = -Infinity;
  /** Hellos sent with the current cookie: only a welcome to a hello sent once is a round-trip sample (Karn). */
  #hellosSent = 0;
  /** From the server's challenge: proves this member's address in the hello. */
  #cookie: string | undefined;
  /** The room's key, once the challenge gave its salt (only with a passphrase). */
  #envelope: Envelope | undefined;
  #salt: string | undefined;
  /** When each missing run (by its first number) was last asked for. */
  readonly #asked = new Map<number, number>();
  /** Once set, the bye exchange is under way. */
  #bye: { id: number; startedAt: number; lastSent: number } | undefined;
  /** Which of the servers this member talks to now, and since when it has tried it without a welcome. */
  #at = 0;
  #tryingSince = Date.now();

  constructor(
    private readonly start: Start,
    private readonly servers: readonly Peer[],
    private readonly log: Log,
  ) {
    const out = start.output;
    this.#view = out.to === "stdout" ? { json: out.json, color: out.color, lang: out.lang, self: start.name, room: start.room } : undefined;
    this.#name = start.name;
  }

  /** The server this member talks to now. */
  get server(): Peer {
    return this.servers[this.#at]!;
  }

  /** How the user knows it: as given on the command line. */
  get #where(): string {
    return formatHostPort(this.start.servers[this.#at]!);
  }

  /** With several servers: the next one, after the one that is gone or did not answer. */
  #next(now: number): void {
    this.#at = (this.#at + 1) % this.servers.length;
    this.#tryingSince = now;
    this.#cookie = undefined; // each server has its own cookie secret (and, with a passphrase, salt)
    this.#lastHello = -Infinity;
  }

  /** With several servers, after failoverTryMs without a welcome from this one: the next. */
  #rotate(now: number): void {
    if (this.servers.length < 2 || now - this.#tryingSince < TIMERS.failoverTryMs) return;
    const silent = this.#where;
    this.#next(now);
    this.log.info(`no answer from ${silent}: trying ${this.#where}…`);
    this.#status(`trying ${this.#where}…`);
  }

  async run(): Promise<number> {
    const finished = new Promise<number>((resolve) => (this.#finish = resolve));
    this.#udp = await openUdp({
      hostname: anyAddressFor(this.server),
      port: 0,
      log: this.log,
      onDatagram: (data, from) => this.#onDatagram(data, from),
      // The only peer of this socket is the server: its port closed means it is gone. Moving on is quick only
      // when there is somewhere to move to; a lone server may be restarting, and gets the usual silence.
      onRefused: () => {
        if (this.servers.length > 1 && this.#state === "in") this.#lose("its port is closed");
      },
    });
    const leave = () => this.#leave();
    const ignore = () => {};
    const listeners: Array<[NodeJS.EventEmitter, string, (arg: unknown) => void]> = [
      [process, "message", (msg: unknown) => this.#fromParent(msg)],
      // The parent is gone (even by SIGKILL): tell the room and go too, so no process of ours is left behind.
      [process, "disconnect", () => this.#abandon()],
      [process, "SIGTERM", leave],
      // Ctrl-C and a closed terminal reach the whole process group: the parent decides, and sends "leave".
      [process, "SIGINT", ignore],
      [process, "SIGHUP", ignore],
      [process.stdout, "error", leave], // e.g. `chat join bot | head -1`: nobody reads any more
    ];
    for (const [target, event, fn] of listeners) target.on(event, fn);

    this.#startedAt = Date.now();
    this.#status(`joining ${this.#where}…`);
    this.#timer = setInterval(() => this.#pump(Date.now()), PUMP_MS);
    this.#pump(this.#startedAt);
    const code = await finished;

    clearInterval(this.#timer);
    this.#udp.close();
    for (const [target, event, fn] of listeners) target.off(event, fn);
    return code;
  }

  #fromParent(msg: unknown): void {
    if (!isToReceiver(msg)) return this.log.debug("ignored an unknown message from the parent");
    if (msg.kind === "say") this.#say(msg);
    else if (msg.kind === "who") this.#askWho(Date.now());
    else if (msg.kind === "leave") this.#leave();
  }

  #send(msg: Message): void {
    const plain = encode(msg);
    // Only the knock goes in the clear: it asks for the salt the key is made from.
    this.#udp?.send(this.#envelope && !travelsInClear(msg) ? this.#envelope.seal(plain) : plain, this.server);
    this.#lastSent = Date.now();
  }

  #end(code: number): void {
    if (this.#state === "done") return;
    this.#state = "done";
    this.#finish(code);
  }

  // ---- The loop: everything time-driven happens here ----

  #pump(now: number): void {
    switch (this.#state) {
      case "joining": {
        // Each server gets the answer timeout to itself, tried in turns.
        if (now - this.#startedAt >= TIMERS.answerTimeoutMs * this.servers.length) {
          const seconds = TIMERS.answerTimeoutMs / 1000;
          const where = this.start.servers.map(formatHostPort).join(", ");
          this.log.error(`no answer from ${where} within ${seconds * this.servers.length} s: is \`chat serve\` running there?`);
          return this.#end(EXIT.noAnswer);
        }
        this.#rotate(now);
        return this.#hello(now, TIMERS.retryMs);
      }
      case "lost":
        this.#reportExpired(now);
        this.#rotate(now);
        return this.#hello(now, this.servers.length > 1 ? TIMERS.retryMs : TIMERS.rejoinMs);
      case "in":
      case "leaving": {
        this.#reportExpired(now);
        const silence = this.servers.length > 1 ? TIMERS.failoverSilenceMs : TIMERS.serverSilenceMs;
        if (now - this.#lastHeard >= silence) return this.#lose(`nothing heard for ${silence / 1000} s`);
        if (this.#bye) return this.#sayBye(now);
        for (const item of this.#outbox.due(now)) {
          if (item.tries > 1) this.log.debug(`say ${item.id}: try ${item.tries} (timeout ${Math.round(item.rto)} ms)`);
          this.#send({ type: "say", sid: this.#sid, id: item.id, base: this.#outbox.base, ...sayFields(item) });
        }
        this.#repair(now);
        if (this.#who) this.#askWho(now);
        if (this.#state === "leaving" && this.#outbox.size === 0) return this.#sayBye(now);
        if (now - this.#lastSent >= TIMERS.heartbeatMs) this.#send({ type: "ping", sid: this.#sid });
        return;
      }
      case "done":
        return;
    }
  }

  /** A knock until the server's challenge gives a cookie (and the salt), then hellos with it. */
  #hello(now: number, every: number): void {
    if (now - this.#lastHello < every) return;
    this.#lastHello = now;
    if (this.#cookie === undefined) return this.#send(padded({ type: "knock" }, KNOCK_BYTES));
    // The default room goes unnamed on the wire: a hello for it is the same bytes as before there were rooms.
    const room = this.start.room === DEFAULT_ROOM ? {} : { room: this.start.room };
    this.#send({ type: "hello", name: this.start.name, nonce: this.start.nonce, cookie: this.#cookie, ...room });
    this.#hellosSent++;
  }

  #challenged(msg: Challenge): void {
    if (this.#state !== "joining" && this.#state !== "lost") return;
    const passphrase = this.start.passphrase;
    if (msg.salt !== undefined && passphrase === undefined) return this.#fatal(REFUSALS.passphrase_required(this.#name));
    if (msg.salt === undefined && passphrase !== undefined) {
      return this.#fatal("this server has no passphrase: nothing sealed was sent (join without --passphrase)");
    }
    if (msg.salt !== undefined && msg.salt !== this.#salt) {
      this.#salt = msg.salt;
      this.#envelope = Envelope.fromPassphrase(passphrase!, msg.salt);
    }
    this.#cookie = msg.cookie;
    this.#lastHello = -Infinity;
    this.#hellosSent = 0;
    this.#pump(Date.now());
  }

  #fatal(line: string): void {
    this.log.error(line);
    this.#end(EXIT.refused);
  }

  /** Asks for every missing run of events: at once when it is new, then again each NACK_RETRY_MS until it is filled. */
  #repair(now: number): void {
    const next = this.#stream.next ?? 0;
    for (const from of this.#asked.keys()) if (from < next) this.#asked.delete(from);
    for (const gap of this.#stream.gaps(MAX_NACKS)) {
      const asked = this.#asked.get(gap.from);
      if (asked !== undefined && now - asked < NACK_RETRY_MS) continue;
      this.log.debug(`asking for events ${gap.from}-${gap.to}`);
      this.#asked.set(gap.from, now);
      this.#send({ type: "nack", sid: this.#sid, from: gap.from, to: gap.to });
    }
  }

  #reportExpired(now: number): void {
    for (const item of this.#outbox.expire(now)) this.#undelivered(item);
  }

  #undelivered(item: Outgoing): void {
    this.#settled(item.ref, `not delivered (the server did not confirm it): ${JSON.stringify(item.text)}`);
  }

  /** Tells the parent what became of the say `ref` it is showing as pending; a problem is reported either way. */
  #settled(ref: number | undefined, problem?: string): void {
    if (problem) this.log.error(problem);
    if (ref !== undefined) process.send?.({ kind: "settled", ref, ...(problem ? { problem } : {}) } satisfies FromReceiver);
  }

  /** The server is gone or has forgotten us: say so and log in again, as often as it takes. */
  #lose(why: string): void {
    if (this.#state === "leaving") {
      // Leaving anyway: no point waiting for a server that is not there.
      for (const item of this.#outbox.abandon()) this.#undelivered(item);
      return this.#end(EXIT.ok);
    }
    const lost = this.#where;
    this.#state = "lost";
    this.#lastHello = -Infinity;
    this.#cookie = undefined; // a restarted server has a new secret (and, with a passphrase, a new salt)
    if (this.servers.length > 1) this.#next(Date.now());
    this.log.warn(`lost the server ${lost} (${why}); trying to join ${this.#where} as ${this.#name}…`);
    this.#status(`lost the server: trying to join ${this.#where}…`);
  }

  // ---- What the server says ----

  #onDatagram(data: Uint8Array, from: Peer): void {
    if (from.port !== this.server.port || from.address !== this.server.address) {
      return this.log.debug(`ignored a datagram from ${from.address}:${from.port}, which is not the server`);
    }
    const sealed = isSealed(data);
    const plain = sealed ? this.#envelope?.open(data) : data;
    if (!plain) return this.log.debug("ignored a datagram that does not open with the room's key");
    let messages: Message[];
    try {
      messages = decode(plain);
    } catch (err) {
      return this.log.debug(`ignored a bad datagram from the server: ${String(err)}`);
    }
    if (this.start.passphrase !== undefined && !sealed) messages = messages.filter(travelsInClear);
    if (messages.length === 0) return;
    this.#lastHeard = Date.now();
    for (const msg of messages) this.#handle(msg);
  }

  #handle(msg: Message): void {
    if (this.#state === "done") return;
    if (isRoomEvent(msg)) {
      if (this.#stream.started) return this.#deliver(this.#stream.offer(msg));
      if (this.#early.length < MAX_EARLY_EVENTS) this.#early.push(msg);
      return;
    }
    switch (msg.type) {
      case "challenge":
        return this.#challenged(msg);
      case "welcome":
        return this.#welcomed(msg);
      case "ack": {
        if (this.#bye && msg.id === this.#bye.id) return this.#end(EXIT.ok);
        const acked = this.#outbox.ack(msg.id, Date.now());
        if (acked) this.#settled(acked.ref);
        if (msg.seq !== undefined) this.#deliver(this.#stream.own(msg.seq));
        return;
      }
      case "members":
        return this.#members(msg);
      case "waiting":
        this.#outbox.hurry(msg.id, Date.now());
        return this.#pump(Date.now());
      case "tick":
        if (msg.epoch === this.#epoch) this.#stream.known(msg.seq);
        return;
      case "lost":
        this.log.warn(`events ${msg.from}-${msg.to} are no longer kept by the server and cannot be shown`);
        return this.#deliver(this.#stream.skip(msg.from, msg.to));
      case "refused":
        return this.#refused(msg.reason, msg.id);
      default:
        return this.log.debug(`ignored a ${msg.type} from the server`);
    }
  }

  #welcomed(welcome: Welcome): void {
    const loggingIn = this.#state === "joining" || this.#state === "lost";
    if (loggingIn && this.#hellosSent === 1) this.#outbox.measured(Date.now() - this.#lastHello);
    if (this.#state === "joining") {
      this.#state = "in";
      this.#sid = welcome.sid;
      this.#name = welcome.name;
      this.#epoch = welcome.epoch;
      this.#historyEnd = welcome.seq;
      this.#stream.start(welcome.backlog > 0 ? welcome.backlog : welcome.seq + 1, welcome.seq);
      this.#status(undefined);
      this.#show(welcome);
      process.send?.({ kind: "joined", name: welcome.name } satisfies FromReceiver);
      for (const event of this.#early.splice(0)) this.#deliver(this.#stream.offer(event));
      return;
    }
    if (this.#state !== "lost") return; // a repeated welcome for a repeated hello
    this.#state = "in";
    this.#sid = welcome.sid;
    if (welcome.epoch === this.#epoch) {
      this.#stream.known(welcome.seq); // whatever was missed while away is repaired like any gap
    } else {
      this.log.warn("the server started a new room history: what was said while it was away cannot be shown");
      this.#epoch = welcome.epoch;
      this.#historyEnd = welcome.seq;
      this.#stream.start(welcome.seq + 1, welcome.seq);
    }
    this.#outbox.resendAll();
    this.#status(undefined);
    this.log.success(`back in the room as ${welcome.name}`);
  }

  #refused(reason: RefusalReason, id: number | undefined): void {
    if (reason === "bad_passphrase" && this.#state === "lost") {
      // Our key may be from before the server restarted with a new salt: knock again for the new one.
      this.#cookie = undefined;
      this.#salt = undefined;
      this.#envelope = undefined;
      return;
    }
    if (FINAL.has(reason) || this.#state === "joining") return this.#fatal(REFUSALS[reason](this.start.name));
    // Coming back after losing the server: a refusal of who we are ends it; a full room or a busy address is retried.
    if (this.#state === "lost" && (reason === "name_taken" || reason === "bad_name" || reason === "passphrase_required")) {
      return this.#fatal(REFUSALS[reason](this.start.name));
    }
    if (reason === "unknown_session") return this.#lose(REFUSALS[reason](this.#name));
    if (id !== undefined && id === this.#who?.id) {
      this.#who = undefined;
      return this.log.error(`could not list the members: ${REFUSALS[reason](this.#name)}`);
    }
    const dropped = id === undefined ? undefined : this.#outbox.drop(id);
    if (dropped) this.#settled(dropped.ref, refusedLine(reason, dropped, this.#name));
  }

  /** Hands events to the user: backlog as history, the member's own join, leave and messages left out. */
  #deliver(events: RoomEvent[]): void {
    for (const event of events) {
      if (event.type === "hidden") continue;
      if (event.seq <= this.#historyEnd) {
        if (event.type === "message" || event.type === "admin" || event.type === "action") this.#show(event, true);
        continue;
      }
      if (!isOwn(event, this.#name)) this.#show(event);
    }
  }

  #show(item: Shown, history = false): void {
    if (!this.#view) return void process.send?.({ kind: "show", item, history } satisfies FromReceiver);
    process.stdout.write(`${render(item, this.#view, history)}\n`);
  }

  /** What the connection is doing, for a terminal's status line (undefined: in the room, nothing to say). */
  #status(text: string | undefined): void {
    if (!this.#view) process.send?.({ kind: "status", ...(text === undefined ? {} : { text }) } satisfies FromReceiver);
  }

  // ---- /who ----

  /** Asks for the members (again, when an answer is overdue); gives up once the server has not answered in time. */
  #askWho(now: number): void {
    if (this.#state !== "in" && this.#state !== "leaving") return;
    if (!this.#who) this.#who = { id: this.#outbox.allocate(), names: [], from: 0, askedAt: -Infinity, startedAt: now };
    const who = this.#who;
    if (now - who.startedAt >= TIMERS.answerTimeoutMs) {
      this.#who = undefined;
      return this.log.error("could not list the members: the server did not answer");
    }
    if (now - who.askedAt < TIMERS.retryMs) return;
    who.askedAt = now;
    this.#send({ type: "names", sid: this.#sid, id: who.id, from: who.from });
  }

  #members(page: Members): void {
    const who = this.#who;
    // A repeated answer to an earlier page points to where the page being waited for starts: take each page once.
    if (!who || page.id !== who.id || (page.next !== 0 && page.next <= who.from)) return;
    who.names.push(...page.names);
    if (page.next !== 0) {
      who.from = page.next;
      who.askedAt = -Infinity;
      return this.#askWho(Date.now());
    }
    this.#who = undefined;
    if (!this.#view) return void process.send?.({ kind: "members", names: who.names } satisfies FromReceiver);
    process.stdout.write(`${this.#view.json ? membersJson(who.names, this.#view.room) : membersLine(who.names, this.#view)}\n`);
  }

  // ---- What the parent asks for ----

  #say(said: Extract<ToReceiver, { kind: "say" }>): void {
    const { kind: _, ...what } = said;
    if (this.#state === "joining" || this.#state === "done") return this.#settled(said.ref, "not in the room: message not sent");
    try {
      encode({ type: "say", sid: "0".repeat(32), id: 0, base: 0, ...sayFields(what) }); // refuse here what could never be sent
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return this.#settled(said.ref, `message not sent: ${err.message}`);
    }
    this.#outbox.add(what, Date.now());
    this.#pump(Date.now()); // send now, not at the next turn of the loop
  }

  /**
   * Leaves politely: waits until every message is acknowledged (or given up on), then says bye until that is
   * acknowledged. Asked a second time, it stops waiting for messages.
   */
  #leave(): void {
    switch (this.#state) {
      case "joining":
      case "lost":
        for (const item of this.#outbox.abandon()) this.#undelivered(item);
        return this.#end(EXIT.ok);
      case "in":
        this.#state = "leaving";
        return this.#pump(Date.now());
      case "leaving":
        for (const item of this.#outbox.abandon()) this.#undelivered(item);
        return this.#sayBye(Date.now());
      case "done":
        return;
    }
  }

  #sayBye(now: number): void {
    if (!this.#bye) this.#bye = { id: this.#outbox.allocate(), startedAt: now, lastSent: -Infinity };
    // No ack within the time: the bye went out, and the server may simply be gone.
    if (now - this.#bye.startedAt >= TIMERS.byeTimeoutMs) return this.#end(EXIT.ok);
    if (now - this.#bye.lastSent < TIMERS.byeRetryMs) return;
    this.#bye.lastSent = now;
    this.#send({ type: "bye", sid: this.#sid, id: this.#bye.id });
  }

  /** The parent died: no time to wait for acks. Two byes, as IP Messenger does, in case one is lost. */
  #abandon(): void {
    if (this.#state === "in" || this.#state === "leaving") {
      const bye = { type: "bye", sid: this.#sid, id: this.#outbox.allocate() } as const;
      this.#send(bye);
      this.#send(bye);
    }
    this.#end(EXIT.ok);
  }
}
