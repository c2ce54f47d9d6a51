// Which room a request is for: a knock is answered, a hello enters its room, a member's request finds its room by session id.

import { namesPage } from "../core/room/replay.ts";
import type { Outcome, Peer, Room } from "../core/room/room.ts";
import type { Cookies } from "../core/wire/cookie.ts";
import { proofKey } from "../core/wire/proof.ts";
import {
  type Away,
  type Bye,
  type Challenge,
  checkRoom,
  DEFAULT_ROOM,
  type Hello,
  MAX_PAYLOAD_BYTES,
  type Nack,
  type Names,
  type Nick,
  type Ping,
  type Request,
  type Say,
} from "../core/wire/protocol.ts";
import type { Log } from "../runtime/log.ts";
import type { BudgetedRequester } from "./answer.ts";
import type { Operator } from "./operator.ts";
import type { HostedRoom, Rooms } from "./rooms.ts";

type MemberRequest = Say | Ping | Nack | Bye | Names | Nick | Away;

export interface DispatchOptions {
  rooms: Rooms;
  cookies: Cookies;
  /** With a passphrase: the salt its key was made with, sent in every challenge. */
  salt?: string | undefined;
  operator: Operator;
  log: Log;
}

/**
 * Where the requests of this protocol's members go, whatever carried them: the UDP ingress calls handle() today,
 * and another transport (a WebSocket) would call it with a Requester of its own.
 */
export class Dispatch {
  constructor(private readonly opts: DispatchOptions) {}

  handle(msg: Request, answer: BudgetedRequester, now: number): void {
    const { cookies, rooms } = this.opts;
    switch (msg.type) {
      case "knock":
        return answer.reply(this.#challenge(answer.from, now));
      case "hello": {
        if (!cookies.check(msg.cookie, answer.from, now)) return answer.reply(this.#challenge(answer.from, now));
        answer.trust();
        // What answers a hello (its welcome and backlog, or its refusal) is proven with the key of the session it starts.
        answer.proveWith(proofKey(msg.nonce));
        const checked = checkRoom(msg.room ?? DEFAULT_ROOM);
        if ("problem" in checked) return answer.reply({ type: "refused", reason: "bad_room" });
        return void this.#enter(checked.name, msg, answer, now);
      }
      case "say":
      case "ping":
      case "nack":
      case "bye":
      case "names":
      case "nick":
      case "away": {
        // A session id belongs to one room; one that none knows gets the default room's "unknown_session".
        const h = rooms.roomOf(msg.sid) ?? rooms.lobby;
        return h && this.#member(h, msg, answer, now);
      }
      default:
        return this.opts.operator.handle(msg, answer, now);
    }
  }

  /** A fresh cookie, the salt (with a passphrase), and this server run's id, which an operator's requests must name. */
  #challenge(from: Peer, now: number): Challenge {
    const { cookies, salt, operator } = this.opts;
    const cookie = cookies.issue(from, now);
    return { type: "challenge", cookie, ...(salt ? { salt } : {}), server: operator.serverId };
  }

  /** A hello whose cookie was good, into room `name`, which is opened if it is new (in a cluster: its stream first). */
  async #enter(name: string, msg: Hello, answer: BudgetedRequester, now: number): Promise<void> {
    let h: HostedRoom | "too_many_rooms" | "too_many_new_rooms";
    try {
      h = await this.opts.rooms.enter(name, answer.from.address, now);
    } catch (err) {
      return this.opts.log.error(`cannot open room ${name}: ${(err as Error).message}`);
    }
    if (typeof h === "string") return answer.reply({ type: "refused", reason: h });
    // One address is in one room: a client that moved to another room has left the one it was in.
    for (const other of this.opts.rooms.all()) {
      const stale = other !== h ? other.room.memberAt(answer.from) : undefined;
      if (stale) void other.backend.submit({ broadcasts: other.room.remove(stale.sid, "quit", now) });
    }
    await h.backend.hello(msg, answer.from, answer);
  }

  #member({ room, backend }: HostedRoom, msg: MemberRequest, answer: BudgetedRequester, now: number): void {
    const from = answer.from;
    if (msg.type === "nack" || msg.type === "names") {
      // The numbers and the names are the room log's: the room only says whether the request is a member's.
      const member = room.authenticate(msg.sid, from);
      if (!member) return answer.reply({ type: "refused", reason: "unknown_session", ...(msg.type === "names" ? { id: msg.id } : {}) });
      member.lastSeen = now;
      if (msg.type === "nack") return void backend.repair(member, msg.from, msg.to, answer);
      answer.reply(namesPage(backend.names(), msg.id, msg.from, MAX_PAYLOAD_BYTES, room.aways()));
      // Its id came from the says' counter and will never be a say's: the says behind it go on (PROTOCOL.md §5.3).
      return void backend.submit(room.notSay(member, msg.id, now), answer);
    }
    // A rename moves the name among the cluster's names first, if there is a cluster: the backend's to do.
    if (msg.type === "nick") return void backend.rename(msg, from, answer);
    void backend.submit(this.#outcome(room, msg, from, now), answer);
  }

  #outcome(room: Room, msg: Exclude<MemberRequest, Nack | Names | Nick>, from: Peer, now: number): Outcome {
    switch (msg.type) {
      case "say":
        return room.say(msg, from, now);
      case "ping":
        return room.ping(msg, from, now);
      case "bye":
        return room.bye(msg, from, now);
      case "away":
        return room.away(msg, from, now);
    }
  }
}
