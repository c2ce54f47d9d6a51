// The room's state and rules, with no sockets and no clock: each request goes in with `now` and comes out as what to send to whom.

import { type KeyedLimiter, limiterFor, TokenBucket, type Rate } from "../limiter.ts";
import {
  ABUSE,
  checkName,
  decode,
  DEFAULT_ROOM,
  encode,
  encodeFrame,
  isEncoded,
  LIMITS,
  MAX_PAYLOAD_BYTES,
  nameKey,
  ProtocolError,
  textBytes,
  type Announce,
  type Bye,
  type Hello,
  type LeaveReason,
  type Nack,
  type Ping,
  type PrivateEvent,
  type RefusalReason,
  type Reply,
  type RoomEvent,
  type Say,
  type Welcome,
} from "../wire/protocol.ts";
import type { RoomStore, StoredEvent, StoredMember } from "./store.ts";

/** Where a member's datagrams come from, and where the server sends its replies and events. */
export interface Peer {
  address: string;
  port: number;
}

export interface Member {
  /** Session id: the secret a member proves itself with in every request. */
  readonly sid: string;
  /** As the member chose it (NFC-normalized). */
  readonly name: string;
  readonly peer: Peer;
  /** The hello's nonce, the same for a client's whole run: it ties says to their client across sessions and restarts. */
  readonly nonce: string;
  readonly joinedAt: number;
  /** When the server last heard from this member: silence past the peer timeout removes it. */
  lastSeen: number;
  /** The say id to relay next; undefined until the store or the first say's `base` tells. */
  nextId: number | undefined;
  /** Says that arrived ahead of `nextId`, held (unacknowledged) until the gap is filled. */
  readonly ahead: Map<number, Say>;
  /** The member's allowance of messages (`--rate`); undefined when messages are not limited. */
  readonly allowance: TokenBucket | undefined;
  /** A client of the original exercise's text protocol (`--classic`): no session, no reliability, no heartbeats. */
  readonly classic?: boolean;
}

/** Messages per member, or logins per address, in a window (limiter.ts). */
export type { Rate };

/** An event for the members, encoded once: the same datagram goes to every one of them. */
export interface Broadcast {
  readonly event: RoomEvent;
  readonly datagram: Uint8Array;
  /** The member who caused it and is not sent it (its own join, message or leave). */
  readonly except?: string;
  /** A private message: only member `to` (a session id) gets `datagram`; every other member gets `hidden`. */
  readonly only?: { readonly to: string; readonly hidden: Uint8Array };
}

/** What handling one request produced, all of it already in the store. */
export interface Outcome {
  /** Replies to the requester, in order. */
  readonly replies: readonly Reply[];
  /** Stored event datagrams for the requester alone: repairs and backlog. */
  readonly resend: readonly Uint8Array[];
  /** Events for the room, in order. */
  readonly broadcasts: readonly Broadcast[];
}

export interface RoomOptions {
  /** The room's name, in the form checkRoom gives (DEFAULT_ROOM when absent). */
  name?: string;
  store: RoomStore;
  /** Must return 128 random bits as 32 lowercase hex digits. */
  newSessionId: () => string;
  /** Messages replayed to a member who joins. */
  history: number;
  /** Members restored from the store count as heard from at this time. */
  now: number;
  /** Messages per member; undefined: unlimited. */
  rate: Rate | undefined;
  /** New logins per IP address; undefined: unlimited. Absent: ABUSE's default (20 at once, then one a second). */
  logins?: Rate | undefined;
  /** A hello that would make the room larger than this is refused ("room_full"). */
  maxMembers: number;
  /**
   * With several servers sharing the room (a cluster): the name as a member on another server holds it, if one
   * does. Such a member can be sent a private message; its events come from the shared log, not from this room.
   */
  elsewhere?: (name: string) => string | undefined;
}

const samePeer = (a: Peer, b: Peer) => a.port === b.port && a.address === b.address;
const peerKey = (p: Peer) => `${p.address}|${p.port}`;
const NOTHING: Outcome = { replies: [], resend: [], broadcasts: [] };

export class Room {
  readonly name: string;
  readonly #store: RoomStore;
  readonly #newSessionId: () => string;
  readonly #history: number;
  readonly #rate: Rate | undefined;
  readonly #maxMembers: number;
  readonly #elsewhere: ((name: string) => string | undefined) | undefined;
  /** New logins per IP address. */
  readonly #logins: KeyedLimiter | undefined;
  /** Banned IP addresses, until when (Infinity: while this server runs). */
  readonly #bans = new Map<string, number>();
  /** Clients (by nonce) just kicked, until when: their automatic rejoin is refused. */
  readonly #kicked = new Map<string, number>();
  readonly #bySid = new Map<string, Member>();
  readonly #byName = new Map<string, Member>();
  readonly #byPeer = new Map<string, Member>();
  /** peers() and classicPeers(), until the membership changes. */
  #peers: Peer[] | undefined;
  #classicPeers: Peer[] | undefined;
  #seq: number;
  /** Broadcasts made while handling the current request. */
  #pending: Broadcast[] = [];
  /** What the request being handled changed, written to the store in one commit when it is done. */
  #change = { events: [] as StoredEvent[], joined: [] as StoredMember[], left: [] as string[], delivered: [] as Array<[string, number]> };

  constructor(opts: RoomOptions) {
    this.name = opts.name ?? DEFAULT_ROOM;
    this.#store = opts.store;
    this.#newSessionId = opts.newSessionId;
    this.#history = opts.history;
    this.#rate = opts.rate;
    const logins = "logins" in opts ? opts.logins : { count: ABUSE.loginBurst, windowMs: ABUSE.loginBurst * ABUSE.loginEveryMs };
    this.#logins = limiterFor(logins, ABUSE.trackedAddresses);
    this.#maxMembers = opts.maxMembers;
    this.#elsewhere = opts.elsewhere;
    this.#seq = opts.store.lastSeq;
    for (const m of opts.store.members()) {
      const peer = { address: m.address, port: m.port };
      this.#add({
        ...m,
        peer,
        lastSeen: opts.now,
        nextId: this.#nextIdOf(m.nonce),
        ahead: new Map(),
        allowance: this.#allowance(opts.now),
      });
    }
  }

  get size(): number {
    return this.#bySid.size;
  }
  /** Sequence number of the last event the room produced (0 before the first). */
  get seq(): number {
    return this.#seq;
  }
  get epoch(): string {
    return this.#store.epoch;
  }
  members(): IterableIterator<Member> {
    return this.#bySid.values();
  }

  /** The addresses of the members that speak this protocol, in one array kept between membership changes. */
  peers(): readonly Peer[] {
    this.#peers ??= [...this.#bySid.values()].filter((m) => !m.classic).map((m) => m.peer);
    return this.#peers;
  }

  /** The addresses of the classic members (`--classic`), likewise kept. */
  classicPeers(): readonly Peer[] {
    this.#classicPeers ??= [...this.#bySid.values()].filter((m) => m.classic).map((m) => m.peer);
    return this.#classicPeers;
  }

  /** Where the member with session id `sid` is, if it is in the room. */
  peerOf(sid: string): Peer | undefined {
    return this.#bySid.get(sid)?.peer;
  }

  /** The member with session id `sid`, if it is in the room. */
  memberOf(sid: string): Member | undefined {
    return this.#bySid.get(sid);
  }

  /** The member holding `name` (compared without regard to case), if any. */
  memberNamed(name: string): Member | undefined {
    return this.#byName.get(nameKey(name));
  }

  /** The member whose datagrams come from `peer`, if any: only members are sent more than they send. */
  memberAt(peer: Peer): Member | undefined {
    return this.#byPeer.get(peerKey(peer));
  }

  /** The names of the members, in the order they joined. */
  names(): string[] {
    return [...this.#bySid.values()].map((m) => m.name);
  }

  /** The member a request speaks for, only when both the session id and the address match. */
  authenticate(sid: string, from: Peer): Member | undefined {
    const member = this.#bySid.get(sid);
    return member && samePeer(member.peer, from) ? member : undefined;
  }

  /**
   * A login. The caller has checked its cookie: the address is real. `quiet`: a member moving here from another
   * server of the cluster, already in the room for everyone else, so no join event.
   */
  hello(msg: Omit<Hello, "cookie">, from: Peer, now: number, quiet = false): Outcome {
    return this.#login(msg, from, now, false, quiet);
  }

  /**
   * A classic client's `L name` (`--classic`). Its address is not proven (the original protocol has no way to), and
   * the same client logging in again is recognized by its address. A refusal comes back as `refused`, like a hello's.
   */
  classicLogin(name: string, from: Peer, now: number): Outcome {
    return this.#login({ name, nonce: `classic ${from.address} ${from.port}` }, from, now, true);
  }

  /** A classic client's `C name text`: a message from the classic member at that address (its claimed name aside). */
  classicSay(text: string, from: Peer, now: number): Broadcast[] {
    const member = this.#byPeer.get(peerKey(from));
    if (!member?.classic) return [];
    member.lastSeen = now;
    if (member.allowance && !member.allowance.take(now)) return [];
    this.#tryEmit({ type: "message", seq: 0, ts: now, from: member.name, text }, member.sid);
    return this.#save();
  }

  /** A classic client's `Q name`: the classic member at that address leaves. Undefined when there is none. */
  classicQuit(from: Peer, now: number): Broadcast[] | undefined {
    const member = this.#byPeer.get(peerKey(from));
    if (!member?.classic) return undefined;
    this.#remove(member, "quit", now);
    return this.#save();
  }

  #login(msg: Omit<Hello, "cookie" | "type">, from: Peer, now: number, classic: boolean, quiet = false): Outcome {
    const checked = checkName(msg.name);
    if ("problem" in checked) return refuse("bad_name");
    if (until(this.#bans, from.address, now)) return refuse("banned");
    if (until(this.#kicked, msg.nonce, now)) return refuse("kicked");
    const holder = this.#byName.get(nameKey(checked.name));
    if (holder) {
      // The same client asking again (its welcome was lost, or it lost the server and came back): same welcome, no event.
      if (holder.nonce !== msg.nonce || !samePeer(holder.peer, from))
        return this.#mayLogIn(from, now) ? refuse("name_taken") : refuse("too_many_logins");
      holder.lastSeen = now;
      return this.#welcome(holder, now);
    }
    if (!this.#mayLogIn(from, now)) return refuse("too_many_logins");
    // A new client on an address that still holds a session: the old client is gone, since its port is now someone else's.
    const stale = this.#byPeer.get(peerKey(from));
    if (!stale && this.size >= this.#maxMembers) return refuse("room_full");
    if (stale) this.#remove(stale, "quit", now);
    const member: Member = {
      sid: this.#newSessionId(),
      name: checked.name,
      peer: { ...from },
      nonce: msg.nonce,
      joinedAt: now,
      lastSeen: now,
      nextId: this.#nextIdOf(msg.nonce),
      ahead: new Map(),
      allowance: this.#allowance(now),
      ...(classic ? { classic } : {}),
    };
    this.#add(member);
    this.#change.joined.push({ sid: member.sid, name: member.name, nonce: member.nonce, ...member.peer, joinedAt: now });
    if (!quiet) this.#emit({ type: "join", seq: 0, ts: now, name: member.name }, member.sid);
    return this.#welcome(member, now);
  }

  say(msg: Say, from: Peer, now: number): Outcome {
    const member = this.authenticate(msg.sid, from);
    if (!member) return refuse("unknown_session", msg.id);
    member.lastSeen = now;
    // Ids below `base` are settled at the member (acknowledged, or given up on): never wait for them.
    if (member.nextId === undefined || msg.base > member.nextId) {
      member.nextId = msg.base;
      for (const id of member.ahead.keys()) if (id < msg.base) member.ahead.delete(id);
    }
    // A repeat of a say already relayed (its ack was lost): acknowledge again, relay nothing.
    if (msg.id < member.nextId) return { ...NOTHING, replies: [{ type: "ack", id: msg.id }] };
    if (msg.id - member.nextId >= LIMITS.reorderWindow) return NOTHING; // too far ahead: the member will send it again
    member.ahead.set(msg.id, msg);
    if (msg.id > member.nextId) return { ...NOTHING, replies: [{ type: "waiting", id: member.nextId }] };
    // Relay in the member's order: this say and any held behind it, once the one before them is here.
    const replies: Reply[] = [];
    for (let next = member.ahead.get(member.nextId); next; next = member.ahead.get(member.nextId)) {
      member.ahead.delete(next.id);
      member.nextId = next.id + 1;
      // Over the rate, the message is settled as refused: the member stays, and its later messages are not held up.
      if (member.allowance && !member.allowance.take(now)) {
        replies.push({ type: "refused", reason: "rate_limited", id: next.id });
        continue;
      }
      replies.push(this.#relay(member, next, now));
    }
    if (replies.length > 0) this.#change.delivered.push([member.nonce, member.nextId - 1]);
    return { replies, resend: [], broadcasts: this.#save() };
  }

  /** One say, in its member's order: a message, an action, or a private message for a member present now. */
  #relay(member: Member, say: Say, now: number): Reply {
    let addressee: Member | undefined;
    let remote: string | undefined;
    if (say.to !== undefined) {
      addressee = this.#byName.get(nameKey(say.to));
      remote = addressee ? undefined : this.#elsewhere?.(say.to);
      if (!addressee && !remote) return { type: "refused", reason: "no_such_member", id: say.id };
    }
    const to = addressee?.name ?? remote;
    const event: RoomEvent =
      to !== undefined
        ? { type: "private", seq: 0, ts: now, from: member.name, to, text: say.text }
        : { type: say.me ? "action" : "message", seq: 0, ts: now, from: member.name, text: say.text };
    const b = this.#tryEmit(event, member.sid, addressee?.sid);
    return b ? { type: "ack", id: say.id, seq: b.event.seq } : { type: "refused", reason: "too_long", id: say.id };
  }

  /**
   * Takes back the relay of say `id` of member `sid` and of those after it, because the shared log of a cluster
   * did not take them: when the member repeats them (they were not acknowledged) they are relayed again.
   */
  unrelay(sid: string, id: number): void {
    const member = this.#bySid.get(sid);
    if (member?.nextId !== undefined && id < member.nextId) member.nextId = id;
  }

  /**
   * Takes back a login whose join a cluster's shared log did not store: the member is dropped with no event, so
   * its client's next hello (it got no welcome) is a new login, with its join.
   */
  forget(sid: string): void {
    const member = this.#bySid.get(sid);
    if (member) this.#drop(member);
    this.#save();
  }

  ping(msg: Ping, from: Peer, now: number): Outcome {
    const member = this.authenticate(msg.sid, from);
    if (!member) return refuse("unknown_session");
    member.lastSeen = now;
    return NOTHING;
  }

  /** Sends events `from`..`to` again from the store; what it no longer keeps is reported `lost`. */
  nack(msg: Nack, from: Peer, now: number): Outcome {
    const member = this.authenticate(msg.sid, from);
    if (!member) return refuse("unknown_session");
    member.lastSeen = now;
    const last = Math.min(msg.to, msg.from + LIMITS.maxRepair - 1, this.#seq);
    const resend: Uint8Array[] = [];
    const replies: Reply[] = [];
    let lostFrom = 0;
    for (let seq = Math.max(1, msg.from); seq <= last; seq++) {
      const datagram = this.#store.event(seq);
      if (datagram) resend.push(asSeenBy(member, datagram));
      if (!datagram && lostFrom === 0) lostFrom = seq;
      if (lostFrom !== 0 && (datagram || seq === last)) {
        replies.push({ type: "lost", from: lostFrom, to: datagram ? seq - 1 : seq });
        lostFrom = 0;
      }
    }
    return { replies, resend, broadcasts: [] };
  }

  bye(msg: Bye, from: Peer, now: number): Outcome {
    const member = this.authenticate(msg.sid, from);
    // Already gone (a repeated bye whose first ack was lost): acknowledge again, nothing else happens.
    if (member) this.#remove(member, "quit", now);
    return { replies: [{ type: "ack", id: msg.id }], resend: [], broadcasts: this.#save() };
  }

  /** An administrator broadcast. The caller has already checked that the sender may make it. */
  announce(msg: Pick<Announce, "id" | "text">, now: number): Outcome {
    const broadcast = this.#tryEmit({ type: "admin", seq: 0, ts: now, text: msg.text });
    if (!broadcast) return refuse("too_long", msg.id);
    return { replies: [{ type: "ack", id: msg.id, count: this.size }], resend: [], broadcasts: this.#save() };
  }

  /** Removes every member not heard from for longer than `timeoutMs`; the others are told "timeout". */
  sweep(now: number, timeoutMs: number): Broadcast[] {
    // Classic clients never send heartbeats (the original protocol has none): like the original, the room keeps them.
    for (const member of [...this.#bySid.values()])
      if (!member.classic && now - member.lastSeen > timeoutMs) this.#remove(member, "timeout", now);
    return this.#save();
  }

  /** Takes a member out of the room; the others are told why. */
  remove(sid: string, reason: LeaveReason, now: number): Broadcast[] {
    const member = this.#bySid.get(sid);
    if (member) this.#remove(member, reason, now);
    return this.#save();
  }

  /**
   * The operator removes `name` ("kicked"), and with `banFor` also refuses its IP address that long (Infinity: while
   * the server runs). Its client may not log straight back in by itself. Undefined when nobody has that name.
   */
  kick(name: string, now: number, banFor?: number): { kicked: Member; broadcasts: Broadcast[] } | undefined {
    const member = this.#byName.get(nameKey(name));
    if (!member) return undefined;
    this.#forgetExpired(now);
    if (banFor !== undefined) this.#bans.set(member.peer.address, now + banFor);
    this.#kicked.set(member.nonce, now + ABUSE.kickMemoryMs);
    this.#remove(member, banFor === undefined ? "kicked" : "banned", now);
    return { kicked: member, broadcasts: this.#save() };
  }

  /** The heartbeat of an idle room, the same bytes for every member: the last event's number. */
  tick(now: number): Uint8Array {
    return encode({ type: "tick", seq: this.#seq, epoch: this.#store.epoch, ts: now });
  }

  /** Takes one login from `from`'s address allowance; true when there was one (or logins are not limited). */
  #mayLogIn(from: Peer, now: number): boolean {
    return this.#logins?.take(from.address, now) ?? true;
  }

  #allowance(now: number): TokenBucket | undefined {
    return this.#rate && new TokenBucket(this.#rate.count, this.#rate.windowMs / this.#rate.count, now);
  }

  #forgetExpired(now: number): void {
    for (const map of [this.#bans, this.#kicked]) for (const [key, end] of map) if (end <= now) map.delete(key);
  }

  #add(member: Member): void {
    this.#peers = this.#classicPeers = undefined;
    this.#bySid.set(member.sid, member);
    this.#byName.set(nameKey(member.name), member);
    this.#byPeer.set(peerKey(member.peer), member);
  }

  #remove(member: Member, reason: LeaveReason, now: number): void {
    this.#drop(member);
    this.#emit({ type: "leave", seq: 0, ts: now, name: member.name, reason }, member.sid);
  }

  #drop(member: Member): void {
    this.#peers = this.#classicPeers = undefined;
    this.#bySid.delete(member.sid);
    this.#byName.delete(nameKey(member.name));
    this.#byPeer.delete(peerKey(member.peer));
    this.#change.left.push(member.sid);
  }

  #nextIdOf(nonce: string): number | undefined {
    const last = this.#store.lastId(nonce);
    return last === undefined ? undefined : last + 1;
  }

  /** The welcome for `member`, listing as many others as fit, and the backlog that follows it. Commits what changed. */
  #welcome(member: Member, now: number): Outcome {
    const broadcasts = this.#save();
    const ownJoin = broadcasts.find((b) => b.event.type === "join" && b.except === member.sid)?.event.seq;
    const before = ownJoin === undefined ? this.#seq : ownJoin - 1; // the backlog ends before the member's own join
    const backlog = this.#history > 0 ? this.#store.backlogStart(this.#history, LIMITS.backlogSpan) : 0;
    const resend: Uint8Array[] = [];
    if (backlog > 0) {
      for (let seq = backlog; seq <= before; seq++) {
        const datagram = this.#store.event(seq);
        if (datagram) resend.push(asSeenBy(member, datagram));
      }
    }
    const others = [...this.#bySid.values()].filter((m) => m !== member).map((m) => m.name);
    const welcome: Welcome = {
      type: "welcome",
      sid: member.sid,
      name: member.name,
      members: [],
      count: others.length,
      seq: this.#seq,
      backlog: resend.length > 0 ? backlog : 0,
      epoch: this.#store.epoch,
      ts: now,
    };
    let size = textBytes(encodeFrame(welcome));
    for (const name of others) {
      size += textBytes(JSON.stringify(name)) + 1; // the quoted name and a comma
      if (size > MAX_PAYLOAD_BYTES) break;
      welcome.members.push(name);
    }
    return { replies: [welcome], resend, broadcasts };
  }

  /** Numbers and encodes an event; undefined (and no number used up) when it does not fit in a datagram. */
  #tryEmit(event: RoomEvent, except?: string, to?: string): Broadcast | undefined {
    const numbered = { ...event, seq: this.#seq + 1 };
    let datagram: Uint8Array;
    try {
      datagram = encode(numbered);
    } catch (err) {
      if (err instanceof ProtocolError) return undefined;
      throw err;
    }
    this.#seq = numbered.seq;
    const only = to === undefined ? undefined : { to, hidden: encode({ type: "hidden", seq: numbered.seq }) };
    const broadcast: Broadcast = { event: numbered, datagram, ...(except === undefined ? {} : { except }), ...(only ? { only } : {}) };
    this.#pending.push(broadcast);
    this.#change.events.push({ seq: numbered.seq, type: numbered.type, datagram });
    return broadcast;
  }

  /** For events whose fields are all bounded well below the datagram limit (join, leave). */
  #emit(event: RoomEvent, except?: string): Broadcast {
    const broadcast = this.#tryEmit(event, except);
    if (!broadcast) throw new Error(`${event.type} event does not fit in a datagram`);
    return broadcast;
  }

  /** Writes the current request's changes to the store in one commit; returns its broadcasts. */
  #save(): Broadcast[] {
    const c = this.#change;
    if (c.events.length + c.joined.length + c.left.length + c.delivered.length > 0) this.#store.commit(c);
    this.#change = { events: [], joined: [], left: [], delivered: [] };
    const broadcasts = this.#pending;
    this.#pending = [];
    return broadcasts;
  }
}

/**
 * A stored event as `member` may see it: a private message only by its two parties, and only by the sessions that
 * were in the room when it was sent (a later member under the same name must not read it); `hidden` for anyone else.
 */
export function asSeenBy(member: Pick<Member, "name" | "joinedAt">, datagram: Uint8Array): Uint8Array {
  if (!isEncoded(datagram, "private")) return datagram;
  const event = decode(datagram)[0] as PrivateEvent;
  const party = [event.from, event.to].some((n) => nameKey(n) === nameKey(member.name));
  return party && member.joinedAt < event.ts ? datagram : encode({ type: "hidden", seq: event.seq });
}

/** True while `key` has an entry in `ends` that has not passed. */
const until = (ends: ReadonlyMap<string, number>, key: string, now: number) => (ends.get(key) ?? -Infinity) > now;

const refuse = (reason: RefusalReason, id?: number): Outcome => ({
  replies: [id === undefined ? { type: "refused", reason } : { type: "refused", reason, id }],
  resend: [],
  broadcasts: [],
});
