// The WebSocket side of a room's fan-out: each event, tick, probe and goodbye as one text message to every browser
// member (this protocol's frames, no proof and no seal: the connection is the session's).

import type { Broadcast, Member, Room } from "../core/room/room.ts";
import { encode, TIMERS } from "../core/wire/protocol.ts";
import type { MemberLink } from "../server/member-link.ts";
import type { WebSockets } from "./web-sockets.ts";

const PROBE = encode({ type: "probe" });
const STOPPING = encode({ type: "stopping" });

/**
 * A room's browser members, reached through their pages' sockets. Events go out at once, one message each (a
 * WebSocket message costs what a datagram does not, so there is nothing to pack); a member whose page is away
 * (reconnecting) misses them and asks for them again with a nack, as a terminal member does after a lost datagram.
 */
export class WebLink implements MemberLink {
  #lastSentAt = 0;

  constructor(
    private readonly room: Room,
    private readonly sockets: WebSockets,
    private readonly now: () => number,
  ) {}

  deliver(b: Broadcast): void {
    if (!b.only) return this.#toAll(b.datagram, b.except);
    const addressee = this.room.memberOf(b.only.to);
    if (addressee) this.sockets.send(addressee.peer, b.datagram);
    this.#toAll(b.only.hidden, b.except, b.only.to);
  }

  flush(): void {}

  idle(now: number, tick: () => Uint8Array): void {
    if (this.room.browsers().length === 0 || now - this.#lastSentAt < TIMERS.heartbeatMs) return;
    this.#toAll(tick());
  }

  probe(member: Member): boolean {
    return this.sockets.has(member.peer) && this.sockets.send(member.peer, PROBE);
  }

  stopping(): void {
    this.#toAll(STOPPING);
  }

  removed(member: Member, reason: "kicked" | "banned"): boolean {
    if (!this.sockets.has(member.peer)) return false;
    this.sockets.send(member.peer, encode({ type: "refused", reason }));
    return true;
  }

  #toAll(datagram: Uint8Array, except?: string, alsoExcept?: string): void {
    for (const m of this.room.browsers()) if (m.sid !== except && m.sid !== alsoExcept) this.sockets.send(m.peer, datagram);
    this.#lastSentAt = this.now();
  }
}
