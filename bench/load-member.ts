// One simulated member of the load process: its wire (UDP or WebSocket), login, event stream with nack repairs, heartbeats and (for the sender) its outbox.
//
// It drives the real client's parts (Login, Repairs, Outbox, Sequencer, openUdp) but not the whole MemberSession:
// the load process starts every stream once the join storm is over (repairing the storm's join events would flood
// the room), and it paces the sender's outbox itself. A browser member is the same member over another wire: the
// same frames, the same repairs (a page misses what came while it was away), only no proof.

import { randomBytes } from "node:crypto";
import { createConsola, LogLevels } from "consola";
import { KNOCK, Login } from "../src/core/member/login.ts";
import { Outbox } from "../src/core/member/outbox.ts";
import { Repairs } from "../src/core/member/repairs.ts";
import { Sequencer } from "../src/core/member/sequencer.ts";
import { encode, isRoomEvent, type Message, type Request, type RoomEvent, TIMERS } from "../src/core/wire/protocol.ts";
import { udpWire, type Wire, webWire } from "./load-wire.ts";

/** Counts every member adds to; read once at the end. */
export interface Counters {
  datagrams: number;
  undecodable: number;
  nacks: number;
  pings: number;
  lostEvents: number;
  sendErrors: number;
  /** WebSockets the server closed during the run (none expected). */
  webClosed: number;
  refused: Record<string, number>;
}

/** Counters at the start of a run. */
export const noCounters = (): Counters => ({
  datagrams: 0,
  undecodable: 0,
  nacks: 0,
  pings: 0,
  lostEvents: 0,
  sendErrors: 0,
  webClosed: 0,
  refused: {},
});

/** What a member needs from the load process that owns it. */
export interface MemberHost {
  readonly counters: Counters;
  /** Members whose stream is behind what they know the room has: the repair sweep visits only these. */
  readonly lagging: Set<Member>;
  /** The frames of a datagram (decoded once per distinct datagram), or undefined when it does not decode. */
  frames(data: Uint8Array): readonly Message[] | undefined;
  /** The frames of a WebSocket text message, likewise decoded once per distinct text. */
  textFrames(text: string): readonly Message[] | undefined;
  welcomed(member: Member, seq: number, now: number): void;
  /** A message event handed over in order, once. */
  delivered(member: Member, event: RoomEvent & { type: "message" }, now: number): void;
  /** The server's answer to one of this member's says. */
  acked(member: Member, id: number, seq: number | undefined, now: number): void;
  waiting(member: Member, id: number, now: number): void;
}

/** The knock's bytes, encoded once for every member. */
const KNOCK_DATAGRAM = encode(KNOCK);

/** The udp adapter's warnings (a socket error other than ICMP's): each counts as a send error, nothing is printed. */
export const countingLog = (counters: Counters) =>
  createConsola({ level: LogLevels.warn, reporters: [{ log: () => void counters.sendErrors++ }] });

/** How a member reaches the server: its UDP port, or the web port of its WebSocket (a browser member). */
export type Reach = { kind: "udp"; port: number } | { kind: "web"; port: number };

export class Member {
  #wire: Wire | undefined;
  sid = "";
  isIn = false;
  readonly #login: Login;
  #lastSent = -Infinity;
  readonly stream = new Sequencer();
  /** The highest seq this member knows the room has (events, ticks, the sender's acks at the drain). */
  known = 0;
  readonly #repairs = new Repairs();
  /** Only the sender's is used. */
  readonly outbox = new Outbox();

  constructor(
    readonly name: string,
    readonly nonce: string,
    private readonly host: MemberHost,
    readonly reach: Reach,
  ) {
    this.#login = new Login({ name, nonce });
  }

  get isWeb(): boolean {
    return this.reach.kind === "web";
  }

  /**
   * The UDP socket (with the adapter's guards: the ICMP error handler, the retry after a stale ICMP error), or the
   * WebSocket with a client id of its own, as a page draws one.
   */
  async open(log: ReturnType<typeof countingLog>): Promise<void> {
    const receive = (frames: readonly Message[] | undefined) => this.#onFrames(frames);
    const { counters } = this.host;
    this.#wire =
      this.reach.kind === "udp"
        ? await udpWire(this.reach.port, this.nonce, log, (d) => this.host.frames(d), receive)
        : await webWire(
            this.reach.port,
            randomBytes(8).toString("hex"),
            (t) => this.host.textFrames(t),
            receive,
            () => void counters.webClosed++,
          );
  }

  /** The local UDP port, by which the server (and /proc/net/udp) knows this member; undefined for a browser member. */
  get udpPort(): number | undefined {
    return this.#wire?.udpPort;
  }

  close(): void {
    this.#wire?.close();
  }

  // ---- Login ----

  /** Knocks (or, with a cookie, says hello) when nothing went out for TIMERS.retryMs: the client's retry rule. */
  login(now: number): void {
    if (this.isIn) return;
    const msg = this.#login.due(now, TIMERS.retryMs);
    if (msg) this.#sendBytes(msg.type === "knock" ? KNOCK_DATAGRAM : encode(msg), false, now);
  }

  // ---- Sending ----

  /** A request of the session goes proven over UDP, as the real client sends it (the wire does it). */
  send(msg: Request, now: number): void {
    this.#sendBytes(encode(msg), "sid" in msg, now);
  }

  #sendBytes(bytes: Uint8Array, inSession: boolean, now: number): void {
    if (this.#wire && !this.#wire.send(bytes, inSession)) this.host.counters.sendErrors++;
    this.#lastSent = now;
  }

  /** Sends what the outbox says is due: new says while the window has room, and retransmissions. Returns how many were retries. */
  flush(now: number): number {
    let retries = 0;
    for (const item of this.outbox.due(now)) {
      if (item.tries > 1) retries++;
      this.send({ type: "say", sid: this.sid, id: item.id, base: this.outbox.base, text: item.text }, now);
    }
    return retries;
  }

  /**
   * Gives this member's heartbeat a random phase. Real members are separate processes whose pings spread over the
   * interval; members of one process that was busy (the join storm) would otherwise all ping in the same instant,
   * every 2 s, and overflow the server's socket buffer: an artifact of the load generator, not a property of the server.
   */
  spreadHeartbeat(now: number): void {
    this.#lastSent = now - Math.random() * TIMERS.heartbeatMs;
  }

  /** A ping when nothing else went out for a heartbeat, as the real client does. */
  heartbeat(now: number): void {
    if (!this.isIn || now - this.#lastSent < TIMERS.heartbeatMs) return;
    this.host.counters.pings++;
    this.send({ type: "ping", sid: this.sid }, now);
  }

  // ---- The room's events ----

  /** Starts showing events from `next` on (the load process starts every stream once the join storm is over). */
  startStream(next: number): void {
    this.stream.start(next, next - 1);
    this.known = Math.max(this.known, next - 1);
  }

  /** The room has events up to `seq`: anything missing before it is a gap to repair. */
  know(seq: number): void {
    if (seq > this.known) this.known = seq;
    this.stream.known(seq);
    if (this.stream.started && this.stream.next! <= this.known) this.host.lagging.add(this);
  }

  /** True once every event this member knows of has been handed over. */
  get caughtUp(): boolean {
    return this.stream.started && this.stream.next! > this.known;
  }

  /** This member's own message became event `seq` (the sender): skip it in its stream. */
  own(seq: number, now: number): void {
    if (seq > this.known) this.known = seq;
    this.#handOver(this.stream.own(seq), now);
  }

  /** Asks for every missing run, as the real client's Repairs say (the sweep calls this often). */
  repair(now: number): void {
    if (this.caughtUp || !this.stream.started) {
      this.host.lagging.delete(this);
      this.#repairs.clear();
      return;
    }
    for (const gap of this.#repairs.due(this.stream, now)) {
      this.host.counters.nacks++;
      this.send({ type: "nack", sid: this.sid, from: gap.from, to: gap.to }, now);
    }
  }

  #onFrames(frames: readonly Message[] | undefined): void {
    if (!frames) {
      this.host.counters.undecodable++;
      return;
    }
    this.host.counters.datagrams++;
    const now = performance.now();
    // The server may pack several events into one datagram: every frame counts, in order.
    for (const msg of frames) this.#handle(msg, now);
  }

  #handle(msg: Message, now: number): void {
    switch (msg.type) {
      case "challenge":
        if (this.isIn) return;
        this.#login.challenged(msg.cookie);
        return this.login(now);
      case "welcome":
        return this.#welcomed(msg.sid, msg.seq, now);
      case "ack":
        return this.host.acked(this, msg.id, msg.seq, now);
      case "waiting":
        return this.host.waiting(this, msg.id, now);
      case "refused":
        this.host.counters.refused[msg.reason] = (this.host.counters.refused[msg.reason] ?? 0) + 1;
        return;
      case "tick":
        if (this.stream.started) this.know(msg.seq);
        return;
      case "probe":
        // The server asks whether this member is still there: a ping answers, as the real client's does.
        if (!this.isIn) return;
        this.host.counters.pings++;
        return this.send({ type: "ping", sid: this.sid }, now);
      case "lost":
        this.host.counters.lostEvents += msg.to - msg.from + 1;
        return this.#handOver(this.stream.skip(msg.from, msg.to), now);
      default:
        if (!isRoomEvent(msg) || !this.stream.started) return;
        if (msg.seq > this.known) this.known = msg.seq;
        this.#handOver(this.stream.offer(msg), now);
        if (this.stream.next! <= this.known) this.host.lagging.add(this);
    }
  }

  #welcomed(sid: string, seq: number, now: number): void {
    if (this.isIn) return; // a repeat of the first welcome
    this.isIn = true;
    this.sid = sid;
    // A hello answered at its first try is a round-trip sample, as the real client takes it (Karn).
    const rtt = this.#login.rtt(now);
    if (rtt !== undefined) this.outbox.measured(rtt);
    this.spreadHeartbeat(now);
    this.host.welcomed(this, seq, now);
  }

  #handOver(events: RoomEvent[], now: number): void {
    for (const e of events) if (e.type === "message") this.host.delivered(this, e, now);
  }
}
