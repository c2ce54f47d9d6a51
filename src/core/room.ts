// The room's state and rules, with no sockets and no clock: each request goes in with `now` and comes out as what to send to whom.

import {
  checkName,
  encode,
  encodeFrame,
  MAX_DATAGRAM_BYTES,
  nameKey,
  ProtocolError,
  textBytes,
  type Announce,
  type Bye,
  type Hello,
  type LeaveReason,
  type RefusalReason,
  type Reply,
  type RoomEvent,
  type Say,
  type Welcome,
} from "./protocol.ts";

/** Where a member's datagrams come from, and where the server sends its replies and events. */
export interface Peer { address: string; port: number }

export interface Member {
  /** Session id: the secret a member proves itself with in every request. */
  readonly sid: string;
  /** As the member chose it (NFC-normalized). */
  readonly name: string;
  readonly peer: Peer;
  /** The hello's nonce: a repeated hello with the same one gets the same welcome instead of "name taken". */
  readonly nonce: string;
  readonly joinedAt: number;
}

/** An event for the members, encoded once: the same datagram goes to every one of them. */
export interface Broadcast {
  readonly event: RoomEvent;
  readonly datagram: Uint8Array;
  /** The member who caused it and is not sent it (its own join, message or leave). */
  readonly except?: string;
}

/** What handling one request produced: a reply to its sender, and events for the room, in order. */
export interface Outcome {
  readonly reply?: Reply;
  readonly broadcasts: readonly Broadcast[];
}

const samePeer = (a: Peer, b: Peer) => a.port === b.port && a.address === b.address;
const peerKey = (p: Peer) => `${p.address}|${p.port}`;

export class Room {
  readonly #bySid = new Map<string, Member>();
  readonly #byName = new Map<string, Member>();
  readonly #byPeer = new Map<string, Member>();
  #seq = 0;

  /** `newSessionId` must return 128 random bits as 32 lowercase hex digits. */
  constructor(private readonly newSessionId: () => string) {}

  get size(): number { return this.#bySid.size; }
  /** Sequence number of the last event the room produced (0 before the first). */
  get seq(): number { return this.#seq; }
  members(): IterableIterator<Member> { return this.#bySid.values(); }
  findByName(name: string): Member | undefined { return this.#byName.get(nameKey(name)); }

  /** The member a request speaks for, only when both the session id and the address match. */
  authenticate(sid: string, from: Peer): Member | undefined {
    const member = this.#bySid.get(sid);
    return member && samePeer(member.peer, from) ? member : undefined;
  }

  hello(msg: Hello, from: Peer, now: number): Outcome {
    const checked = checkName(msg.name);
    if ("problem" in checked) return refuse("bad_name");
    const holder = this.#byName.get(nameKey(checked.name));
    if (holder) {
      // The same client asking again (its welcome was lost): answer again, change nothing.
      if (holder.nonce === msg.nonce && samePeer(holder.peer, from)) return { reply: this.#welcome(holder, now), broadcasts: [] };
      return refuse("name_taken");
    }
    const broadcasts: Broadcast[] = [];
    // A new client on an address that still holds a session: the old client is gone, since its port is now someone else's.
    const stale = this.#byPeer.get(peerKey(from));
    if (stale) broadcasts.push(...this.remove(stale.sid, "quit", now));
    const member: Member = { sid: this.newSessionId(), name: checked.name, peer: { ...from }, nonce: msg.nonce, joinedAt: now };
    this.#bySid.set(member.sid, member);
    this.#byName.set(nameKey(member.name), member);
    this.#byPeer.set(peerKey(member.peer), member);
    broadcasts.push(this.#emit({ type: "join", seq: 0, ts: now, name: member.name }, member.sid));
    return { reply: this.#welcome(member, now), broadcasts };
  }

  say(msg: Say, from: Peer, now: number): Outcome {
    const member = this.authenticate(msg.sid, from);
    if (!member) return refuse("unknown_session", msg.id);
    const broadcast = this.#tryEmit({ type: "message", seq: 0, ts: now, from: member.name, text: msg.text }, member.sid);
    if (!broadcast) return refuse("too_long", msg.id);
    return { reply: { type: "ack", id: msg.id }, broadcasts: [broadcast] };
  }

  bye(msg: Bye, from: Peer, now: number): Outcome {
    const member = this.authenticate(msg.sid, from);
    // Already gone (a repeated bye whose first ack was lost): acknowledge again, nothing else happens.
    const broadcasts = member ? this.remove(member.sid, "quit", now) : [];
    return { reply: { type: "ack", id: msg.id }, broadcasts };
  }

  /** An administrator broadcast. The caller has already checked that the sender may make it. */
  announce(msg: Pick<Announce, "id" | "text">, now: number): Outcome {
    const broadcast = this.#tryEmit({ type: "admin", seq: 0, ts: now, text: msg.text });
    if (!broadcast) return refuse("too_long", msg.id);
    return { reply: { type: "ack", id: msg.id, count: this.size }, broadcasts: [broadcast] };
  }

  /** Takes a member out of the room; the others are told why. */
  remove(sid: string, reason: LeaveReason, now: number): Broadcast[] {
    const member = this.#bySid.get(sid);
    if (!member) return [];
    this.#bySid.delete(sid);
    this.#byName.delete(nameKey(member.name));
    this.#byPeer.delete(peerKey(member.peer));
    return [this.#emit({ type: "leave", seq: 0, ts: now, name: member.name, reason }, sid)];
  }

  /** The welcome for `member`, listing as many of the others as fit in one datagram. */
  #welcome(member: Member, now: number): Welcome {
    const others = [...this.#bySid.values()].filter((m) => m !== member).map((m) => m.name);
    const welcome: Welcome = { type: "welcome", sid: member.sid, name: member.name, members: [], count: others.length, seq: this.#seq, ts: now };
    let size = textBytes(encodeFrame(welcome));
    for (const name of others) {
      size += textBytes(JSON.stringify(name)) + 1; // the quoted name and a comma
      if (size > MAX_DATAGRAM_BYTES) break;
      welcome.members.push(name);
    }
    return welcome;
  }

  /** Numbers and encodes an event; undefined (and no number used up) when it does not fit in a datagram. */
  #tryEmit(event: RoomEvent, except?: string): Broadcast | undefined {
    const numbered = { ...event, seq: this.#seq + 1 };
    let datagram: Uint8Array;
    try {
      datagram = encode(numbered);
    } catch (err) {
      if (err instanceof ProtocolError) return undefined;
      throw err;
    }
    this.#seq = numbered.seq;
    return except === undefined ? { event: numbered, datagram } : { event: numbered, datagram, except };
  }

  /** For events whose fields are all bounded well below the datagram limit (join, leave). */
  #emit(event: RoomEvent, except?: string): Broadcast {
    const broadcast = this.#tryEmit(event, except);
    if (!broadcast) throw new Error(`${event.type} event does not fit in a datagram`);
    return broadcast;
  }
}

const refuse = (reason: RefusalReason, id?: number): Outcome => ({
  reply: id === undefined ? { type: "refused", reason } : { type: "refused", reason, id },
  broadcasts: [],
});
