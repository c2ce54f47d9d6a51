// The room's state and rules, with no sockets and no clock: each request goes in with `now` and comes out as what to send to whom.
// It composes its parts: who is in (roster.ts), who may come in (admission.ts, at the server's door: gate.ts), each
// member's says in order (say-order.ts), the numbered events and their commit (event-log.ts), and what is sent again
// (replay.ts).

import type { BanLength } from "../duration.ts";
import { type Rate, TokenBucket } from "../limiter.ts";
import {
  ABUSE,
  type Announce,
  type Away,
  type AwayMark,
  type Bye,
  checkName,
  DEFAULT_ROOM,
  type Hello,
  type LeaveReason,
  LIMITS,
  type Nack,
  type Nick,
  type Ping,
  type RefusalReason,
  type Reply,
  type RoomEvent,
  type Say,
  TIMERS,
  type Welcome,
} from "../wire/protocol.ts";
import { Admission } from "./admission.ts";
import { type Broadcast, EventLog } from "./event-log.ts";
import { DEFAULT_LOGINS, Gate, type Scope } from "./gate.ts";
import { livenessOf } from "./liveness.ts";
import { NAMES_THAT_MIGHT_FIT, repair, repairSpan, welcomePage } from "./replay.ts";
import { clientKey, type Member, type Peer, Roster, samePeer } from "./roster.ts";
import { type Allowance, SayOrder } from "./say-order.ts";
import type { RoomStore, StoredMember } from "./store.ts";

/** Messages per member, or logins per address, in a window (limiter.ts). */
export type { Allowance, Broadcast, Member, Peer, Rate };

/** What handling one request produced, all of it already in the store. */
export interface Outcome {
  /** Replies to the requester, in order. */
  readonly replies: readonly Reply[];
  /** Stored event datagrams for the requester alone: repairs and backlog. */
  readonly resend: readonly Uint8Array[];
  /** Events for the room, in order. */
  readonly broadcasts: readonly Broadcast[];
  /** Members to send a `probe` (are you still there?): the holder of a name a newcomer from its IP address asks for. */
  readonly probes?: readonly Member[];
}

/** What a sweep found: the leaves of the members removed, and the members to probe now. */
export interface Sweep {
  readonly broadcasts: Broadcast[];
  readonly probes: Member[];
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
  /** Each member's allowance of says (told in the welcome); undefined: unlimited. */
  rate: Allowance | undefined;
  /** The server's peer timeout (told in the welcome): a member silent this long is removed. Absent: TIMERS'. */
  peerTimeoutMs?: number;
  /** The ghost rule (admission.ts); absent: on. A cluster's room turns it off: its names are the cluster's. */
  ghosts?: boolean;
  /**
   * The server's door (gate.ts), the same for all its rooms: its bans, recent kicks and logins per IP address hold
   * in every room. Absent: the room has a door of its own, with `logins`.
   */
  gate?: Gate;
  /**
   * Without a `gate`: new logins per IP address; undefined: unlimited; absent: ABUSE's default (20 at once, then one
   * a second). With one, the gate's allowance counts and this is not read.
   */
  logins?: Rate | undefined;
  /** A hello that would make the room larger than this is refused ("room_full"). */
  maxMembers: number;
  /**
   * With several servers sharing the room (a cluster): the name as a member on another server holds it, if one
   * does. Such a member can be sent a private message; its events come from the shared log, not from this room.
   */
  elsewhere?: (name: string) => string | undefined;
}

const NOTHING: Outcome = { replies: [], resend: [], broadcasts: [] };

/**
 * One room's members and events. Its rules live in its parts; what is here composes them per request. It runs past
 * 250 lines because its API (the server's units, the cluster and the transport seam use it) has some thirty
 * members, a third of them one-line lookups handed to the roster; the sweep's probes and the welcome's limits
 * are here because both read the room's options, their rules are in liveness.ts and replay.ts.
 */
export class Room {
  readonly name: string;
  readonly #opts: RoomOptions;
  readonly #roster = new Roster();
  readonly #admission: Admission;
  readonly #log: EventLog;

  constructor(opts: RoomOptions) {
    this.name = opts.name ?? DEFAULT_ROOM;
    this.#opts = opts;
    // A door of its own makes no rooms: only the server's rooms (rooms.ts) ask it for new ones.
    const gate = opts.gate ?? new Gate("logins" in opts ? opts.logins : DEFAULT_LOGINS, undefined);
    const ghosts = opts.ghosts ?? true;
    this.#admission = new Admission(this.#roster, { room: this.name, gate, maxMembers: opts.maxMembers, ghosts });
    this.#log = new EventLog(opts.store);
    for (const m of opts.store.members()) this.#roster.add(this.#member(m, opts.now));
  }

  get size(): number {
    return this.#roster.size;
  }
  /** Sequence number of the last event the room produced (0 before the first). */
  get seq(): number {
    return this.#log.seq;
  }
  get epoch(): string {
    return this.#opts.store.epoch;
  }
  members(): IterableIterator<Member> {
    return this.#roster.members();
  }
  /** The addresses of the members that speak this protocol, in one array kept between membership changes. */
  peers(): readonly Peer[] {
    return this.#roster.peers();
  }
  /** The addresses of the classic members (`--classic`), likewise kept. */
  classicPeers(): readonly Peer[] {
    return this.#roster.classicPeers();
  }
  /** The members that speak this protocol by datagram, in one array kept between membership changes. */
  speakers(): readonly Member[] {
    return this.#roster.reached("datagram");
  }
  /** The members in a browser (a WebSocket each), likewise kept. */
  browsers(): readonly Member[] {
    return this.#roster.reached("web");
  }
  /** Where the member with session id `sid` is, if it is in the room. */
  peerOf(sid: string): Peer | undefined {
    return this.#roster.get(sid)?.peer;
  }
  /** The member with session id `sid`, if it is in the room. */
  memberOf(sid: string): Member | undefined {
    return this.#roster.get(sid);
  }
  /** The member holding `name` (compared without regard to case), if any. */
  memberNamed(name: string): Member | undefined {
    return this.#roster.named(name);
  }
  /** The member whose datagrams come from `peer`, if any: only members are sent more than they send. */
  memberAt(peer: Peer): Member | undefined {
    return this.#roster.at(peer);
  }
  /** The names of the members, in the order they joined. */
  names(): string[] {
    return this.#roster.names();
  }

  /** The members of this room (this server's, in a cluster) who are away, and why. */
  aways(): AwayMark[] {
    return [...this.#roster.members()].flatMap((m) => (m.away ? [{ name: m.name, reason: m.away.reason }] : []));
  }

  /** The member a request speaks for, only when both the session id and the address match. */
  authenticate(sid: string, from: Peer): Member | undefined {
    const member = this.#roster.get(sid);
    return member && samePeer(member.peer, from) ? member : undefined;
  }

  /** The member a request speaks for, now heard from. */
  #heard(sid: string, from: Peer, now: number): Member | undefined {
    const member = this.authenticate(sid, from);
    if (member) member.lastSeen = now;
    return member;
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
    const member = this.#roster.at(from);
    if (!member?.classic) return [];
    member.lastSeen = now;
    if (!member.says.allow(now)) return [];
    this.#log.tryEmit({ type: "message", seq: 0, ts: now, from: member.name, text }, member.sid);
    return this.#log.save();
  }

  /** A classic client's `Q name`: the classic member at that address leaves. Undefined when there is none. */
  classicQuit(from: Peer, now: number): Broadcast[] | undefined {
    const member = this.#roster.at(from);
    if (!member?.classic) return undefined;
    this.#remove(member, "quit", now);
    return this.#log.save();
  }

  #login(msg: Pick<Hello, "name" | "nonce">, from: Peer, now: number, classic: boolean, quiet = false): Outcome {
    // A classic client cannot wait for a probe's outcome (it sends its `L` once): for it a held name stays taken.
    const verdict = this.#admission.admit(msg, from, now, !classic);
    const name = msg.name.normalize("NFC"); // as checkName, which admission applied, has it
    let holder = this.#roster.named(name);
    if (verdict === "probe") return holder ? { ...NOTHING, probes: [holder] } : NOTHING; // its next hello learns more
    if (verdict === "take_over") {
      // A ghost: its client stopped answering, as a timed-out member's does.
      if (holder) this.#remove(holder, "timeout", now);
      holder = undefined;
    } else if (verdict !== "ok") return refuse(verdict);
    if (holder) {
      // The same client asking again (its welcome was lost, or it lost the server and came back): same welcome, no event.
      holder.lastSeen = now;
      return this.#welcome(holder, now);
    }
    // A new client on an address that still holds a session: the old client is gone, since its port is now someone else's.
    const stale = this.#roster.at(from);
    if (stale) this.#remove(stale, "quit", now);
    const joined: StoredMember = {
      sid: this.#opts.newSessionId(),
      name,
      nonce: msg.nonce,
      address: from.address,
      port: from.port,
      joinedAt: now,
    };
    const member = this.#member(joined, now, classic);
    this.#roster.add(member);
    this.#log.joined(joined);
    if (!quiet) this.#log.emit({ type: "join", seq: 0, ts: now, name }, member.sid);
    return this.#welcome(member, now);
  }

  say(msg: Say, from: Peer, now: number): Outcome {
    const member = this.#heard(msg.sid, from, now);
    if (!member) return refuse("unknown_session", msg.id);
    const turn = member.says.receive(msg, now);
    if (turn.kind === "repeat") return { ...NOTHING, replies: [{ type: "ack", id: msg.id }] }; // relay nothing again
    if (turn.kind === "too_far") return NOTHING;
    if (turn.kind === "waiting") return { ...NOTHING, replies: [{ type: "waiting", id: turn.id }] };
    return this.#letThrough(member, turn.says, now);
  }

  /**
   * `member` spent request id `id` on something that is not a say (a `names`: its ids come from the says' counter),
   * so its later says are not held for it. The caller has authenticated the member. The outcome relays the says
   * that were held behind that id, if any.
   */
  notSay(member: Member, id: number, now: number): Outcome {
    const says = member.says.notSay(id, now);
    return says.length === 0 ? NOTHING : this.#letThrough(member, says, now);
  }

  /** Says let through in their member's order: each relayed (or refused for the rate), and acknowledged once stored. */
  #letThrough(member: Member, says: ReadonlyArray<{ readonly say: Say; readonly allowed: boolean }>, now: number): Outcome {
    const notices: Reply[] = [];
    const replies = says.map(
      ({ say, allowed }): Reply =>
        allowed ? this.#relay(member, say, now, notices) : { type: "refused", reason: "rate_limited", id: say.id },
    );
    replies.push(...notices);
    this.#log.delivered(clientKey({ ...member, address: member.peer.address }), member.says.lastId!);
    return { replies, resend: [], broadcasts: this.#log.save() };
  }

  /**
   * One say, in its member's order: a message, an action, or a private message for a member present now; one to an
   * away member adds to `notices` its away_notice, the first time in its away period that this sender writes to it.
   */
  #relay(member: Member, say: Say, now: number, notices: Reply[]): Reply {
    let addressee: Member | undefined;
    let remote: string | undefined;
    if (say.to !== undefined) {
      addressee = this.#roster.named(say.to);
      remote = addressee ? undefined : this.#opts.elsewhere?.(say.to);
      if (!addressee && !remote) return { type: "refused", reason: "no_such_member", id: say.id };
    }
    const to = addressee?.name ?? remote;
    const event: RoomEvent =
      to !== undefined
        ? { type: "private", seq: 0, ts: now, from: member.name, to, text: say.text }
        : { type: say.me ? "action" : "message", seq: 0, ts: now, from: member.name, text: say.text };
    const b = this.#log.tryEmit(event, member.sid, addressee?.sid);
    const away = addressee?.away;
    if (b && addressee && away && !away.told.has(member.sid)) {
      away.told.add(member.sid);
      notices.push({ type: "away_notice", name: addressee.name, reason: away.reason });
    }
    return b ? { type: "ack", id: say.id, seq: b.event.seq } : { type: "refused", reason: "too_long", id: say.id };
  }

  /**
   * `/nick`: the member is called `msg.name` from now on, by the rules of a login's name (admission.ts), at most
   * ABUSE.renameBurst at once and then one per ABUSE.renameEveryMs. Everyone, the member too, is sent `rename`;
   * earlier events keep the name they were said under (they are stored as sent). Its id is the says' (notSay).
   * `refusal`: a cluster's verdict (the name is held, or looks like one held, on another server), whatever the room's.
   */
  rename(msg: Nick, from: Peer, now: number, refusal?: RefusalReason): Outcome {
    const member = this.#heard(msg.sid, from, now);
    if (!member) return refuse("unknown_session", msg.id);
    const verdict = refusal ?? this.#renaming(member, msg.name, now);
    const reply: Reply = verdict === "ok" ? { type: "ack", id: msg.id } : { type: "refused", reason: verdict, id: msg.id };
    const name = msg.name.normalize("NFC");
    if (verdict === "ok" && name !== member.name) {
      const was = member.name;
      this.#roster.rename(member, name);
      const { sid, nonce, joinedAt, peer, says } = member;
      this.#log.joined({ sid, name, nonce, joinedAt, address: peer.address, port: peer.port }); // its row, under the new name
      // Its says' numbering goes on under the new name (clientKey), across a restart too.
      if (says.lastId !== undefined) this.#log.delivered(clientKey({ nonce, name, address: peer.address }), says.lastId);
      this.#log.emit({ type: "rename", seq: 0, ts: now, from: was, to: name });
    }
    const after = this.notSay(member, msg.id, now);
    return { replies: [reply, ...after.replies], resend: [], broadcasts: [...this.#log.save(), ...after.broadcasts] };
  }

  /** Whether `member` may be called `raw` now: "ok", or the refusal. */
  #renaming(member: Member, raw: string, now: number): "ok" | RefusalReason {
    const checked = checkName(raw);
    if ("problem" in checked) return "bad_name";
    const name = checked.name;
    if (name === member.name) return "ok"; // nothing changes: no event, no allowance spent
    const holder = this.#roster.named(name) ?? this.#roster.lookAlike(name);
    if ((holder && holder !== member) || this.#opts.elsewhere?.(name) !== undefined) return "name_taken";
    member.renames ??= new TokenBucket(ABUSE.renameBurst, ABUSE.renameEveryMs, now);
    return member.renames.take(now) ? "ok" : "rate_limited";
  }

  /** `/away REASON` (with a reason, perhaps empty) or `/back` (without): acknowledged, seen in /who, no event. */
  away(msg: Away, from: Peer, now: number): Outcome {
    const member = this.#heard(msg.sid, from, now);
    if (!member) return refuse("unknown_session", msg.id);
    // A new away period (even with the same reason) tells each sender once again.
    if (msg.reason === undefined) delete member.away;
    else member.away = { reason: msg.reason, told: new Set() };
    const after = this.notSay(member, msg.id, now);
    return { ...after, replies: [{ type: "ack", id: msg.id }, ...after.replies] };
  }

  /**
   * Takes back the relay of say `id` of member `sid` and of those after it, because the shared log of a cluster
   * did not take them: when the member repeats them (they were not acknowledged) they are relayed again.
   */
  unrelay(sid: string, id: number): void {
    this.#roster.get(sid)?.says.takeBack(id);
  }

  /**
   * Takes back a login whose join a cluster's shared log did not store: the member is dropped with no event, so
   * its client's next hello (it got no welcome) is a new login, with its join.
   */
  forget(sid: string): void {
    const member = this.#roster.get(sid);
    if (member) this.#drop(member);
    this.#log.save();
  }

  ping(msg: Ping, from: Peer, now: number): Outcome {
    const member = this.#heard(msg.sid, from, now);
    if (!member) return refuse("unknown_session");
    return NOTHING;
  }

  /** Sends events `from`..`to` again from the store; what it no longer keeps is reported `lost`. */
  nack(msg: Nack, from: Peer, now: number): Outcome {
    const member = this.#heard(msg.sid, from, now);
    if (!member) return refuse("unknown_session");
    const { resend, lost } = repair(repairSpan(msg.from, msg.to, this.#log.seq), (seq) => this.#opts.store.event(seq), member);
    return { replies: lost, resend, broadcasts: [] };
  }

  bye(msg: Bye, from: Peer, now: number): Outcome {
    const member = this.authenticate(msg.sid, from);
    // Already gone (a repeated bye whose first ack was lost): acknowledge again, nothing else happens.
    if (member) this.#remove(member, "quit", now);
    return { replies: [{ type: "ack", id: msg.id }], resend: [], broadcasts: this.#log.save() };
  }

  /** An administrator broadcast. The caller has already checked that the sender may make it. */
  announce(msg: Pick<Announce, "id" | "text">, now: number): Outcome {
    const broadcast = this.#log.tryEmit({ type: "admin", seq: 0, ts: now, text: msg.text });
    if (!broadcast) return refuse("too_long", msg.id);
    return { replies: [{ type: "ack", id: msg.id, count: this.size }], resend: [], broadcasts: this.#log.save() };
  }

  /**
   * Removes every member not heard from for longer than the peer timeout (the others are told "timeout"), and names
   * those silent long enough to be probed first (liveness.ts): a live one answers, and is kept.
   */
  sweep(now: number, timeoutMs = this.#timeoutMs): Sweep {
    const probes: Member[] = [];
    // Classic clients never send heartbeats (the original protocol has none): like the original, the room keeps them.
    for (const member of [...this.#roster.members()]) {
      if (member.classic) continue;
      const verdict = livenessOf(member, now, timeoutMs);
      if (verdict === "remove") this.#remove(member, "timeout", now);
      if (verdict === "probe") {
        member.probedAt = now;
        probes.push(member);
      }
    }
    return { broadcasts: this.#log.save(), probes };
  }

  get #timeoutMs(): number {
    return this.#opts.peerTimeoutMs ?? TIMERS.peerTimeoutMs;
  }

  /** What the welcome tells a member of the room's limits: its allowance of says, and the server's peer timeout. */
  limits(): Pick<Welcome, "burst" | "refillMs" | "timeoutMs"> {
    const { rate } = this.#opts;
    // Rounded up: a member that paces to it is never faster than the bucket refills.
    const allowance = rate ? { burst: rate.burst, refillMs: Math.ceil(rate.refillMs) } : {};
    return { ...allowance, timeoutMs: this.#timeoutMs };
  }

  /** Takes a member out of the room; the others are told why. */
  remove(sid: string, reason: LeaveReason, now: number): Broadcast[] {
    const member = this.#roster.get(sid);
    if (member) this.#remove(member, reason, now);
    return this.#log.save();
  }

  /**
   * The operator removes `name` ("kicked"), and with `banFor` also refuses its IP address that long (BAN_WHILE_RUNNING: while
   * the server runs). Its client may not log straight back in by itself. `scope` "server" (the default: the operator
   * named no room): the ban and the kick hold in every room sharing this room's gate, later ones too; "room": in this
   * one only. Undefined when nobody has that name.
   */
  kick(name: string, now: number, banFor?: BanLength, scope: Scope = "server"): { kicked: Member; broadcasts: Broadcast[] } | undefined {
    const member = this.#roster.named(name);
    if (!member) return undefined;
    this.#admission.kicked(member, now, banFor, scope);
    this.#remove(member, banFor === undefined ? "kicked" : "banned", now);
    return { kicked: member, broadcasts: this.#log.save() };
  }

  /** The heartbeat of an idle room, the same bytes for every member: the last event's number. */
  tick(now: number): Uint8Array {
    return this.#log.tick(now);
  }

  /** A member as the store has it, heard from `now`: its says go on after the last one the store has from its client. */
  #member(m: StoredMember, now: number, classic = false): Member {
    const { address, port, ...rest } = m;
    const says = new SayOrder(this.#opts.store.lastId(clientKey(m)), this.#opts.rate, now);
    return { ...rest, peer: { address, port }, lastSeen: now, says, ...(classic ? { classic } : {}) };
  }

  #remove(member: Member, reason: LeaveReason, now: number): void {
    this.#drop(member);
    this.#log.emit({ type: "leave", seq: 0, ts: now, name: member.name, reason }, member.sid);
  }

  #drop(member: Member): void {
    this.#roster.drop(member);
    this.#log.left(member.sid);
  }

  /** The welcome for `member`, listing as many others as fit, and the backlog that follows it. Commits what changed. */
  #welcome(member: Member, now: number): Outcome {
    const broadcasts = this.#log.save();
    // The first names only: a welcome of a room of thousands lists a few hundred, and a join costs no list of all.
    const others: string[] = [];
    for (const m of this.#roster.members()) {
      if (others.length === NAMES_THAT_MIGHT_FIT) break;
      if (m !== member) others.push(m.name);
    }
    const { welcome, resend } = welcomePage({
      member,
      others,
      count: this.#roster.size - 1, // `member` is one of them
      seq: this.#log.seq,
      epoch: this.#opts.store.epoch,
      ts: now,
      limits: this.limits(),
      backlog: {
        start: this.#opts.history > 0 ? this.#opts.store.backlogStart(this.#opts.history, LIMITS.backlogSpan) : 0,
        // Up to the last event, the member's own join included: every welcome's backlog ends at its `seq`, so a
        // client need not tell a new session's welcome (`seq` its join) from a repeated one (`seq` whatever came last).
        end: this.#log.seq,
      },
      eventAt: (seq) => this.#opts.store.event(seq),
    });
    return { replies: [welcome], resend, broadcasts };
  }
}

const refuse = (reason: RefusalReason, id?: number): Outcome => ({
  replies: [id === undefined ? { type: "refused", reason } : { type: "refused", reason, id }],
  resend: [],
  broadcasts: [],
});
