// The original exercise's text protocol (`--classic`): its members' link (events as lines) and its three requests.

import type { Broadcast, Member, Peer, Room } from "../core/room/room.ts";
import { CLASSIC_REPLY, classicLine, parseClassic } from "../core/wire/classic.ts";
import { classicRefusal } from "../core/wire/refusals.ts";
import type { Log } from "../runtime/log.ts";
import { type DatagramSocket, exceptPeer, type MemberLink } from "./member-link.ts";
import type { RoomBackend } from "./room-backend.ts";

const TEXT = new TextEncoder();

/** How a room's classic members get its events: the original server's line, encoded once, one per datagram. */
export class ClassicLink implements MemberLink {
  constructor(
    private readonly room: Room,
    private readonly udp: DatagramSocket,
  ) {}

  deliver(b: Broadcast): void {
    const classic = this.room.classicPeers();
    if (classic.length === 0) return;
    const line = classicLine(b.event);
    if (line === undefined) return;
    const bytes = TEXT.encode(line);
    if (b.only) {
      const addressee = this.room.memberOf(b.only.to);
      if (addressee?.classic) this.udp.send(bytes, addressee.peer);
      return;
    }
    this.udp.sendToAll(bytes, classic, exceptPeer(this.room, b.except));
  }

  flush(): void {
    // nothing is held back: one line per event, at once
  }

  idle(): void {
    // classic clients know no heartbeat
  }

  removed(member: Member): boolean {
    if (!member.classic) return false;
    this.udp.send(TEXT.encode(CLASSIC_REPLY.exit), member.peer);
    return true;
  }

  probe(): boolean {
    return false; // the original protocol has no way to ask: a classic member is kept until it quits
  }

  stopping(): void {
    // the original protocol has no line for it: its clients learn nothing, as with the original server
  }
}

/**
 * A datagram of the original exercise's text protocol, for the room `backend` serves. Its clients prove nothing (no
 * cookie, no session): the member is whoever logged in from that address, and everything it gets is one line per datagram.
 */
export function classicRequest(backend: RoomBackend, data: Uint8Array, from: Peer, now: number, udp: DatagramSocket, log: Log): void {
  const { room } = backend;
  const request = parseClassic(data);
  if (!request) return log.debug(`dropped a malformed classic datagram from ${from.address}:${from.port}`);
  const answer = (text: string) => void udp.send(TEXT.encode(text), from);
  switch (request.kind) {
    case "login": {
      const outcome = room.classicLogin(request.name, from, now);
      const first = outcome.replies[0];
      if (first?.type === "refused") return answer(classicRefusal(first.reason));
      answer(CLASSIC_REPLY.ok);
      return void backend.submit({ broadcasts: outcome.broadcasts });
    }
    case "chat":
      return void backend.submit({ broadcasts: room.classicSay(request.text, from, now) });
    case "quit": {
      const left = room.classicQuit(from, now);
      if (!left) return;
      answer(CLASSIC_REPLY.exit);
      return void backend.submit({ broadcasts: left });
    }
  }
}
