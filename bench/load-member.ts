// One simulated member of the load process: its socket, login, event stream with nack repairs, heartbeats and (for the sender) its outbox.

import type { udp } from "bun";
import { Outbox } from "../src/core/member/outbox.ts";
import { encode, isRoomEvent, KNOCK_BYTES, padded, TIMERS, type Message, type Request, type RoomEvent } from "../src/core/wire/protocol.ts";
import { Sequencer } from "../src/core/member/sequencer.ts";

/** A nack without its repair is asked again this often (as the real client, src/receiver.ts). */
const NACK_RETRY_MS = 150;
/** Missing runs asked for at once (as the real client). */
const MAX_NACKS = 16;

/** Counts every member adds to; read once at the end. */
export interface Counters {
  datagrams: number;
  undecodable: number;
  nacks: number;
  pings: number;
  lostEvents: number;
  sendErrors: number;
  refused: Record<string, number>;
}

/** What a member needs from the load process that owns it. */
export interface MemberHost {
  readonly counters: Counters;
  /** Members whose stream is behind what they know the room has: the repair sweep visits only these. */
  readonly lagging: Set<Member>;
  /** The frames of a datagram (decoded once per distinct datagram), or undefined when it does not decode. */
  frames(data: Uint8Array): readonly Message[] | undefined;
  welcomed(member: Member, seq: number, now: number): void;
  /** A message event handed over in order, once. */
  delivered(member: Member, event: RoomEvent & { type: "message" }, now: number): void;
  /** The server's answer to one of this member's says. */
  acked(member: Member, id: number, seq: number | undefined, now: number): void;
  waiting(member: Member, id: number, now: number): void;
}

const KNOCK = encode(padded({ type: "knock" }, KNOCK_BYTES));
const errorCode = (err: unknown) => (err && typeof err === "object" && "code" in err ? String(err.code) : "");

export class Member {
  #socket: udp.Socket<"uint8array"> | undefined;
  sid = "";
  #cookie: string | undefined;
  isIn = false;
  /** When the current login started (first knock), and when its last knock or hello went out. */
  loginStartedAt = -Infinity;
  #lastHello = -Infinity;
  #hellos = 0;
  #lastSent = -Infinity;
  readonly stream = new Sequencer();
  /** The highest seq this member knows the room has (events, ticks, the sender's acks at the drain). */
  known = 0;
  /** When each missing run (by its first number) was last asked for. */
  readonly #asked = new Map<number, number>();
  /** Only the sender's is used. */
  readonly outbox = new Outbox();

  constructor(
    readonly name: string,
    readonly nonce: string,
    private readonly host: MemberHost,
    readonly serverPort: number,
  ) {}

  async open(): Promise<void> {
    this.#socket = await Bun.udpSocket({
      hostname: "127.0.0.1",
      port: 0,
      binaryType: "uint8array",
      socket: {
        data: (_s, data) => this.#onDatagram(data),
        // Without an error handler an ICMP "port unreachable" (the server gone) kills the process (BUN-NOTES §1).
        error: (a: unknown, b?: unknown) => {
          if (errorCode(b ?? a) !== "ECONNREFUSED") this.host.counters.sendErrors++;
        },
      },
    });
  }

  /** The local port, by which the server (and /proc/net/udp) knows this member. */
  get port(): number {
    return this.#socket?.port ?? 0;
  }

  close(): void {
    this.#socket?.close();
  }

  // ---- Login ----

  /** Knocks (or, with a cookie, says hello) when nothing went out for TIMERS.retryMs: the client's retry rule. */
  login(now: number): void {
    if (this.isIn || now - this.#lastHello < TIMERS.retryMs) return;
    if (this.loginStartedAt === -Infinity) this.loginStartedAt = now;
    this.#lastHello = now;
    if (this.#cookie === undefined) return this.#sendBytes(KNOCK, now);
    this.#hellos++;
    this.send({ type: "hello", name: this.name, nonce: this.nonce, cookie: this.#cookie }, now);
  }

  // ---- Sending ----

  send(msg: Request, now: number): void {
    this.#sendBytes(encode(msg), now);
  }

  #sendBytes(bytes: Uint8Array, now: number): void {
    const socket = this.#socket;
    if (!socket) return;
    // After an ICMP error the next send() throws ECONNREFUSED once and is lost: a second try goes through.
    for (let attempt = 1; ; attempt++) {
      try {
        socket.send(bytes, this.serverPort, "127.0.0.1");
        break;
      } catch (err) {
        if (attempt === 1 && errorCode(err) === "ECONNREFUSED") continue;
        this.host.counters.sendErrors++;
        break;
      }
    }
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

  /** Asks for every missing run: new ones at once, then again each NACK_RETRY_MS (the sweep calls this often). */
  repair(now: number): void {
    if (this.caughtUp || !this.stream.started) {
      this.host.lagging.delete(this);
      this.#asked.clear();
      return;
    }
    const next = this.stream.next!;
    for (const from of this.#asked.keys()) if (from < next) this.#asked.delete(from);
    for (const gap of this.stream.gaps(MAX_NACKS)) {
      const asked = this.#asked.get(gap.from);
      if (asked !== undefined && now - asked < NACK_RETRY_MS) continue;
      this.#asked.set(gap.from, now);
      this.host.counters.nacks++;
      this.send({ type: "nack", sid: this.sid, from: gap.from, to: gap.to }, now);
    }
  }

  #onDatagram(data: Uint8Array): void {
    const frames = this.host.frames(data);
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
        this.#cookie = msg.cookie;
        this.#lastHello = -Infinity;
        return this.login(now);
      case "welcome":
        if (this.isIn) return; // a repeat of the first welcome
        this.isIn = true;
        this.sid = msg.sid;
        // A hello answered at its first try is a round-trip sample, as the real client takes it (Karn).
        if (this.#hellos === 1) this.outbox.measured(now - this.#lastHello);
        this.spreadHeartbeat(now);
        return this.host.welcomed(this, msg.seq, now);
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

  #handOver(events: RoomEvent[], now: number): void {
    for (const e of events) if (e.type === "message") this.host.delivered(this, e, now);
  }
}
