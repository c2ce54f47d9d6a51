// The datagram protocol's side of a room's fan-out: the events of one turn packed together, privates alone, the tick; each copy proven for its member.

import type { Broadcast, Member, Peer, Room } from "../core/room/room.ts";
import { reachOf } from "../core/room/roster.ts";
import { encode, PROOF_BYTES, TIMERS } from "../core/wire/protocol.ts";
import type { DatagramSocket, MemberLink } from "./member-link.ts";
import type { ServerProofs } from "./proofs.ts";
import { TurnBatch } from "./turn-batch.ts";

/** Members whose copies are proven, then sent, together (a sendmmsg's worth, runtime/udp.ts). */
const FANOUT_CHUNK = 64;

/** The two messages without fields, encoded once. */
const PROBE = encode({ type: "probe" });
const STOPPING = encode({ type: "stopping" });

export interface DatagramLinkOptions {
  room: Room;
  udp: DatagramSocket;
  /** Sealed with the room's passphrase, if it has one: the bytes that go on the wire. */
  seal: (plain: Uint8Array) => Uint8Array;
  /** Every datagram to a member is proven with that member's key (proof.ts). */
  proofs: ServerProofs;
  /** The clock (Date.now), for when the room last sent something and the proofs' counter. */
  now: () => number;
  /** Runs `flush` once every datagram already read has been handled (setImmediate). */
  later?: (flush: () => void) => void;
}

/**
 * How a room's members that speak this protocol (every member but the classic ones) get its events: packed with the
 * others of the same turn, in as few datagrams as they fit in, sent when the turn ends; a private message alone.
 * A datagram is encoded and sealed once; what each member gets besides is its proof, a counter and a short tag.
 */
export class DatagramLink implements MemberLink {
  readonly #batch: TurnBatch;
  /** When the room last sent its members something: a quiet room ticks after a heartbeat. */
  #lastBroadcastAt = 0;
  /** One chunk's datagrams and addresses, reused from chunk to chunk and call to call. */
  readonly #datagrams: Uint8Array[] = [];
  readonly #peers: Peer[] = [];
  /**
   * Where a chunk's copies are proven: sendEach hands them to the kernel before it returns, so the next chunk
   * reuses it. Grown to the largest datagram; a room of thousands needs no more than a room of sixty.
   */
  #arena = new Uint8Array(FANOUT_CHUNK * 1200);
  /**
   * The arena's views of the last datagram size, kept: the copies of a busy room's datagrams are mostly one size
   * (full ones), and a view made once per slot rather than per member and datagram leaves the collector little.
   */
  #views: Uint8Array[] = [];
  #viewSize = 0;

  constructor(private readonly opts: DatagramLinkOptions) {
    this.#batch = new TurnBatch((packet) => this.#toMembers(opts.seal(packet.bytes), packet.except), opts.later);
  }

  deliver(b: Broadcast): void {
    const { room, seal } = this.opts;
    if (!b.only) return this.#batch.add(b.datagram, b.except);
    // A private message and its stand-in go out alone, after everything queued before them.
    this.flush();
    const addressee = room.memberOf(b.only.to);
    if (addressee && reachOf(addressee) === "datagram") this.#toOne(addressee, seal(b.datagram));
    this.#toMembers(seal(b.only.hidden), b.except, b.only.to);
  }

  /** Sends what the packer holds: every event of this turn, in as few datagrams as they fit in. */
  flush(): void {
    this.#batch.flush();
  }

  /** The heartbeat of a room quiet for TIMERS.heartbeatMs, so that a member who lost the last event asks for it. */
  idle(now: number, tick: () => Uint8Array): void {
    if (this.opts.room.size === 0 || now - this.#lastBroadcastAt < TIMERS.heartbeatMs) return;
    this.flush(); // a tick must not announce an event that has not gone out yet
    this.#toMembers(this.opts.seal(tick()));
  }

  probe(member: Member): boolean {
    if (reachOf(member) !== "datagram") return false;
    this.#toOne(member, this.opts.seal(PROBE));
    return true;
  }

  /** The server's goodbye, to every member of the room: not a room event (no number), so sent at once, not packed. */
  stopping(): void {
    if (this.opts.room.size > 0) this.#toMembers(this.opts.seal(STOPPING));
  }

  removed(member: Member, reason: "kicked" | "banned"): boolean {
    if (reachOf(member) !== "datagram") return false;
    this.#toOne(member, this.opts.seal(encode({ type: "refused", reason })));
    return true;
  }

  #toOne(member: Member, sealed: Uint8Array): void {
    const { proofs, udp } = this.opts;
    udp.send(proofs.prove(proofs.keyOf(member), sealed, this.opts.now()), member.peer);
  }

  /**
   * `sealed` to every member of this protocol but the sessions `except` and `alsoExcept`, each copy proven for its
   * member, FANOUT_CHUNK members at a time.
   */
  #toMembers(sealed: Uint8Array, except?: string, alsoExcept?: string): void {
    const { proofs, room, udp } = this.opts;
    const now = this.opts.now();
    const size = PROOF_BYTES + sealed.length;
    const digest = proofs.digest(sealed); // kept by proofs until its next digest or check: after this loop
    if (this.#arena.length < size * FANOUT_CHUNK) {
      this.#arena = new Uint8Array(size * FANOUT_CHUNK);
      this.#views = [];
    }
    if (size !== this.#viewSize) {
      this.#views = [];
      this.#viewSize = size;
    }
    const views = this.#views;
    const datagrams = this.#datagrams;
    const peers = this.#peers;
    datagrams.length = peers.length = 0;
    for (const m of room.speakers()) {
      if (m.sid === except || m.sid === alsoExcept) continue;
      const i = datagrams.length;
      views[i] ??= this.#arena.subarray(size * i, size * (i + 1));
      datagrams.push(proofs.proveInto(views[i]!, proofs.keyOf(m), sealed, digest, now));
      peers.push(m.peer);
      if (datagrams.length === FANOUT_CHUNK) {
        udp.sendEach(datagrams, peers);
        datagrams.length = peers.length = 0;
      }
    }
    if (peers.length > 0) udp.sendEach(datagrams, peers);
    this.#lastBroadcastAt = now;
  }
}
