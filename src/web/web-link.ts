// The WebSocket side of a room's fan-out: the events of one turn packed together, privates alone, the tick, probes and
// the goodbye, as text messages to every browser member (this protocol's frames, no proof and no seal: the
// connection is the session's).

import type { Broadcast, Member, Room } from "../core/room/room.ts";
import { encode, TIMERS } from "../core/wire/protocol.ts";
import type { MemberLink } from "../server/member-link.ts";
import { TurnBatch } from "../server/turn-batch.ts";
import type { WebSockets } from "./web-sockets.ts";

const text = new TextDecoder();
const PROBE = text.decode(encode({ type: "probe" }));
const STOPPING = text.decode(encode({ type: "stopping" }));

/**
 * A room's browser members, reached through their pages' sockets. As DatagramLink does, the events of one turn go
 * out together at its end, in as few messages as they fit in (each within a datagram's size, which the page's
 * decoder holds them to), and each message is made text once for all: a burst costs one send per browser, not one
 * per event per browser. A member whose page is away (reconnecting) misses them and asks again with a nack, as a
 * terminal member does after a lost datagram.
 */
export class WebLink implements MemberLink {
  readonly #batch: TurnBatch;
  #lastSentAt = 0;

  constructor(
    private readonly room: Room,
    private readonly sockets: WebSockets,
    private readonly now: () => number,
    /** Runs `flush` once every request already read has been handled (setImmediate). */
    later?: (flush: () => void) => void,
  ) {
    this.#batch = new TurnBatch((packet) => this.#toAll(text.decode(packet.bytes), packet.except), later);
  }

  deliver(b: Broadcast): void {
    if (this.room.browsers().length === 0) return;
    if (!b.only) return this.#batch.add(b.datagram, b.except);
    // A private message and its stand-in go out alone, after everything queued before them.
    this.flush();
    const addressee = this.room.memberOf(b.only.to);
    if (addressee) this.sockets.sendText(addressee.peer, text.decode(b.datagram));
    this.#toAll(text.decode(b.only.hidden), b.except, b.only.to);
  }

  flush(): void {
    this.#batch.flush();
  }

  idle(now: number, tick: () => Uint8Array): void {
    if (this.room.browsers().length === 0 || now - this.#lastSentAt < TIMERS.heartbeatMs) return;
    this.flush();
    this.#toAll(text.decode(tick()));
  }

  probe(member: Member): boolean {
    return this.sockets.has(member.peer) && this.sockets.sendText(member.peer, PROBE);
  }

  stopping(): void {
    this.#toAll(STOPPING);
  }

  removed(member: Member, reason: "kicked" | "banned"): boolean {
    if (!this.sockets.has(member.peer)) return false;
    this.sockets.sendText(member.peer, text.decode(encode({ type: "refused", reason })));
    return true;
  }

  #toAll(message: string, except?: string, alsoExcept?: string): void {
    for (const m of this.room.browsers()) if (m.sid !== except && m.sid !== alsoExcept) this.sockets.sendText(m.peer, message);
    this.#lastSentAt = this.now();
  }
}
