// The seam between the server's rooms and the protocols their members speak: each room reaches its members through
// one MemberLink per protocol (datagrams in fanout.ts, the classic lines in classic.ts), and nothing else sends events.

import type { Broadcast, Member, Peer, Room } from "../core/room/room.ts";

/**
 * How the members of one room that speak one protocol are reached. What such a member says comes back the other
 * way, through Dispatch.handle (or the classic handler) with a Requester for the answers; a new kind of member
 * (a WebSocket next) is a new MemberLink and a new caller of Dispatch, and the room logic stays as it is.
 */
export interface MemberLink {
  /**
   * One event of the room, in the room's order, for this link's members except `b.except`; with `b.only`, the
   * addressee gets `b.datagram` and the others `b.only.hidden`. A link may hold events back to batch them.
   */
  deliver(b: Broadcast): void;
  /** Sends at once what is held back (before a stop). */
  flush(): void;
  /** Housekeeping's turn: where the room has been quiet for a heartbeat, a link whose members expect one sends `tick()`. */
  idle(now: number, tick: () => Uint8Array): void;
  /** Tells `member`, if it is this link's, that the operator removed it, so its client stops instead of logging back in. */
  removed(member: Member, reason: "kicked" | "banned"): boolean;
  /** Asks `member`, if it is this link's and its protocol can be asked, whether it is still there (`probe`). */
  probe(member: Member): boolean;
  /** Tells this link's members that the server is stopping (`stopping`), where the protocol has a way to. */
  stopping(): void;
}

/** A protocol, as the server opens its rooms: the link of each new room. */
export type MemberTransport = (room: Room) => MemberLink;

/** What the links send datagrams with: UdpEndpoint (runtime/udp.ts) is one, a recording fake is another. */
export interface DatagramSocket {
  send(datagram: Uint8Array, to: Peer): unknown;
  sendToAll(datagram: Uint8Array, peers: readonly Peer[], except?: Peer): unknown;
  /** `datagrams[i]` to `peers[i]`, for each i. */
  sendEach(datagrams: readonly Uint8Array[], peers: readonly Peer[]): unknown;
}

/** Every protocol's link of one room, as one: each event goes to each link in turn. */
export class RoomLinks implements MemberLink {
  constructor(private readonly links: readonly MemberLink[]) {}

  deliver(b: Broadcast): void {
    for (const link of this.links) link.deliver(b);
  }

  flush(): void {
    for (const link of this.links) link.flush();
  }

  idle(now: number, tick: () => Uint8Array): void {
    for (const link of this.links) link.idle(now, tick);
  }

  removed(member: Member, reason: "kicked" | "banned"): boolean {
    return this.links.some((link) => link.removed(member, reason));
  }

  probe(member: Member): boolean {
    return this.links.some((link) => link.probe(member));
  }

  stopping(): void {
    for (const link of this.links) link.stopping();
  }
}

/** The address of the member an event leaves out (its own join, message or leave), if it is still in the room. */
export const exceptPeer = (room: Room, sid: string | undefined): Peer | undefined => (sid === undefined ? undefined : room.peerOf(sid));
