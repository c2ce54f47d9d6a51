// The wire format: every datagram type with its rule and who sends it, its limits, and the one encode and decode path. docs/PROTOCOL.md is its prose twin.

import {
  bool,
  byteLength,
  hex,
  jsonObject,
  listOf,
  object,
  oneOf,
  optional,
  type Rules,
  type RulesOf,
  read,
  string,
  uint,
  write,
} from "./fields.ts";
import { invisibleProblem, shapeProblem } from "./names.ts";

export const PROTOCOL_VERSION = 3;

/** Largest datagram either side sends or accepts: below every common path MTU, so nothing is fragmented. */
export const MAX_DATAGRAM_BYTES = 1200;
/** A sealed datagram (envelope.ts) is its first byte, SEALED_MARK, then a random IV, the ciphertext and the GCM tag. */
export const SEAL_IV_BYTES = 12;
export const SEAL_TAG_BYTES = 16;
/** Bytes a sealed datagram adds to its frames: the mark, the IV and the tag. */
export const SEAL_OVERHEAD_BYTES = 1 + SEAL_IV_BYTES + SEAL_TAG_BYTES;
/** First byte of a proven datagram (proof.ts): neither "{" nor SEALED_MARK, so the three kinds are told apart by it. */
export const PROOF_MARK = 0xc6;
/** A proof's tag: the first 16 bytes of an HMAC-SHA256. */
export const PROOF_TAG_BYTES = 16;
/** Bytes a proof adds in front of a datagram: the mark, an 8-byte counter and the tag. */
export const PROOF_BYTES = 1 + 8 + PROOF_TAG_BYTES;
/** Counters a receiver remembers below the highest it accepted: a datagram later than this many others is dropped as stale. */
export const PROOF_WINDOW = 128;
/** Largest run of frames in one datagram: what is left once it is sealed (with a passphrase) and proven (in a session). */
export const MAX_PAYLOAD_BYTES = MAX_DATAGRAM_BYTES - SEAL_OVERHEAD_BYTES - PROOF_BYTES;
/** Largest message or announcement text, in bytes of UTF-8. */
export const MAX_TEXT_BYTES = 1000;
/** Longest away reason (`/away REASON`), in bytes of UTF-8. */
export const MAX_AWAY_BYTES = 200;
/** Longest name, in characters (code points). */
export const MAX_NAME_CHARS = 16;
/** A name of MAX_NAME_CHARS characters is at most 4 bytes each in UTF-8: the bound the wire checks (checkName the rest). */
export const MAX_NAME_BYTES = MAX_NAME_CHARS * 4;
/** Largest request id: ids are unsigned 32-bit integers. */
export const MAX_ID = 0xffff_ffff;
/** Largest sequence number or timestamp: what a JSON number holds exactly. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;
/** Session ids are 128 random bits written as 32 lowercase hex digits. */
export const SESSION_ID_HEX_DIGITS = 32;
/** A login cookie (cookie.ts): 128 bits of a MAC. */
export const COOKIE_HEX_DIGITS = 32;
/** A room's key derivation salt (envelope.ts): 128 random bits. */
export const SALT_HEX_DIGITS = 32;
/** A room history's epoch: 64 bits. */
export const EPOCH_HEX_DIGITS = 16;
/** A hello's nonce, random per client run: 64 to 128 bits. */
export const HELLO_NONCE_HEX_DIGITS = { min: 16, max: 32 } as const;
/** An operator request's nonce, random per datagram: 128 bits. */
export const ADMIN_NONCE_HEX_DIGITS = 32;
/** An operator request's mac: HMAC-SHA256 (admin-auth.ts). */
export const MAC_HEX_DIGITS = 64;
/** A server run's id (random at every start), sent in every challenge and named by every signed operator request: 64 bits. */
export const SERVER_ID_HEX_DIGITS = 16;
/** A knock is padded to this size, so the server's challenge is never larger than the knock (no amplification). */
export const KNOCK_BYTES = 256;
/** Admin requests older (or newer) than this, by the server's clock, are refused as stale. */
export const ADMIN_WINDOW_MS = 30_000;
/** Frames inside one datagram are separated by this byte (LF). */
export const FRAME_SEPARATOR = "\n";

/** Port of `chat serve` and the address `chat join` and `chat admin` use when none is given. */
export const DEFAULT_PORT = 8888;
export const DEFAULT_SERVER = `127.0.0.1:${DEFAULT_PORT}`;

/** Timers of every exchange, in milliseconds (docs/PROTOCOL.md §5 explains each). */
export const TIMERS = {
  /** A hello without an answer is sent again after this long; an announce backs off from half of it (admin-client.ts). */
  retryMs: 500,
  /** `chat join` and `chat admin` give up when the server has not answered for this long. */
  answerTimeoutMs: 3000,
  /** A bye is repeated this often until its ack arrives... */
  byeRetryMs: 200,
  /** ...or until this much time has passed. */
  byeTimeoutMs: 1000,
  /** Retransmission timeout of a say before any round trip was measured (ENet's first guess). */
  initialRtoMs: 500,
  /** Bounds of the measured retransmission timeout (RTT + 4·RTTVAR, doubled per retry). */
  minRtoMs: 100,
  maxRtoMs: 4000,
  /** A message the server has not acknowledged after this long is reported as not delivered. */
  giveUpMs: 10_000,
  /** A member with nothing else to send pings this often; an idle server sends a tick this often. */
  heartbeatMs: 2000,
  /** A member that has heard nothing from its server for this long says so and logs in again. */
  serverSilenceMs: 6000,
  /** While the server is lost, a hello goes out this often. */
  rejoinMs: 1000,
  /**
   * With several servers to choose from (a cluster): a member that has heard nothing for this long moves on at
   * once, and one whose login goes unanswered this long tries the next server.
   */
  failoverSilenceMs: 3000,
  failoverTryMs: 1500,
  /** Default of `chat serve --peer-timeout`: a member silent this long is removed ("timeout"). */
  peerTimeoutMs: 15_000,
  /** A member silent for this share of the peer timeout is sent a `probe`... */
  probeAtShare: 0.6,
  /** ...and again this often, until it answers or the peer timeout has passed. */
  probeEveryMs: 500,
  /** A name's holder, probed for a newcomer from its IP address and not heard from within this long, is a ghost. */
  ghostWaitMs: 1000,
  /** A contest for a name is forgotten this long after it began: a later newcomer makes the holder prove itself again. */
  nameContestMs: 3000,
  /** A nack without its repair is repeated this often. */
  nackRetryMs: 150,
  /** A login cookie is good in the period it was made in and the next one: 30 to 60 seconds. */
  cookiePeriodMs: 30_000,
} as const;

/** Defaults of the flood controls (docs/SECURITY.md explains each). */
export const ABUSE = {
  /** Default of `chat serve --rate`: messages per member per window, the sustained rate... */
  rateCount: 5,
  /** ...of this many milliseconds. */
  rateWindowMs: 5000,
  /** Default of `chat serve --burst`: messages a member may send at once (a pasted snippet), before the rate paces it. */
  rateBurst: 20,
  /** Default of `chat serve --max-members`. */
  maxMembers: 1000,
  /** New logins one IP address may start in a burst... */
  loginBurst: 20,
  /** ...and then one per this many milliseconds (a classroom behind one NAT still gets in). */
  loginEveryMs: 1000,
  /**
   * New rooms one IP address may make in a burst (a team opening its channels at once)... Empty rooms are closed
   * (5.13), so only rooms their members keep open count towards LIMITS.maxRooms: one address needs an hour and a half
   * of live sessions to fill it.
   */
  newRoomBurst: 10,
  /** ...and then one per this many milliseconds. */
  newRoomEveryMs: 60_000,
  /** Datagrams one address and port may send in a burst, before any decoding... */
  datagramBurst: 2000,
  /** ...and then this many per second; beyond that they are dropped unread. */
  datagramsPerSecond: 1000,
  /** Refused operator requests (bad token, stale, replayed) answered per IP address at once, then one a second. */
  adminRefusalBurst: 10,
  /** Addresses whose counters are kept at once; past this the fullest (idle) ones are forgotten. */
  trackedAddresses: 65_536,
  /** WebSockets one IP address may hold open at once (a classroom behind one NAT: a tab each). */
  webConnectionsPerAddress: 1024,
  /** A kicked client (by its nonce) cannot log straight back in for this long. */
  kickMemoryMs: 60_000,
  /** Renames (`/nick`) a member may make at once... */
  renameBurst: 3,
  /** ...and then one per this many milliseconds: a rename is a line for everyone, so it must not become a flood. */
  renameEveryMs: 30_000,
} as const;

/** Windows and bounds of the reliability machinery. */
export const LIMITS = {
  /** Messages a member has in flight (sent, not yet acknowledged) at once. */
  sendWindow: 32,
  /** Messages the server holds per member while an earlier one is missing. */
  reorderWindow: 64,
  /** Events one nack may ask for. */
  maxRepair: 64,
  /** Recent events the server keeps in memory for repairs (more come from the database, if any). */
  repairWindow: 4096,
  /** Events a member holds while an earlier one is missing. */
  receiveWindow: 4096,
  /** Default of `chat serve --history`: messages replayed to a member who joins. */
  history: 20,
  /** The backlog never reaches further back than this many events. */
  backlogSpan: 500,
  /**
   * Rooms one server holds open at once, the default one included: each has its own members, sequence and history
   * (and file, with --data). An empty room gives its place up (5.13: forgotten, or closed and reopened later).
   */
  maxRooms: 100,
  /** Missing runs asked for at once. */
  nacksAtOnce: 16,
  /** Events a room's durable log keeps (the database, the cluster's stream): repairs and backlog never reach further back. */
  keptEvents: 100_000,
} as const;

/** The room a member joins, and an operator request concerns, when it names none. */
export const DEFAULT_ROOM = "lobby";

// ---- Field types (docs/PROTOCOL.md §3) ----

const SID = hex(SESSION_ID_HEX_DIGITS);
const ID = uint(MAX_ID);
const COUNT = uint(MAX_ID);
const SEQ = uint(MAX_SEQ);
const TS = uint(MAX_SEQ);
const NAME = string(1, MAX_NAME_BYTES);
const NAMES = listOf(NAME, "names");
const TEXT = string(1, MAX_TEXT_BYTES);
const EPOCH = hex(EPOCH_HEX_DIGITS);
const COOKIE = hex(COOKIE_HEX_DIGITS);
const SERVER_ID = hex(SERVER_ID_HEX_DIGITS);
const PAD = optional(string(0, MAX_DATAGRAM_BYTES));
const ROOM = optional(string(1, MAX_NAME_BYTES));
const REASON = string(0, MAX_AWAY_BYTES);

export const LEAVE_REASONS = ["quit", "timeout", "kicked", "banned"] as const;
export type LeaveReason = (typeof LEAVE_REASONS)[number];

export const REFUSAL_REASONS = [
  "name_taken", // another member has this name (names are compared without regard to case)
  "bad_name", // the name breaks the naming rule
  "unknown_session", // the session id is not (or no longer) in the room, or came from another address
  "bad_token", // an admin request whose mac is wrong: the operator does not hold this server's admin token
  "stale", // an admin request whose ts is more than ADMIN_WINDOW_MS away from the server's clock
  "replayed", // an admin request whose nonce the server has already seen
  "no_such_member", // kick, ban or private message to a name nobody in the room has
  "too_long", // the text is over MAX_TEXT_BYTES
  "rate_limited", // the member sent more messages than `--rate` allows; this one was dropped, the member stays
  "room_full", // the room has `--max-members` members
  "too_many_logins", // this IP address started too many logins lately
  "banned", // this IP address is banned
  "kicked", // to the member being kicked; and to its client's hello for a while after
  "passphrase_required", // the room has a passphrase and the datagram was not sealed
  "bad_passphrase", // a sealed datagram that does not open with the room's key: a wrong passphrase
  "bad_room", // the room name breaks the naming rule
  "no_such_room", // an operator request for a room the server does not have
  "too_many_rooms", // a hello for a new room when the server has LIMITS.maxRooms open, none of them empty
  "too_many_new_rooms", // a hello for a new room from an IP address that made too many lately (ABUSE.newRoomBurst)
  "version", // the frame's `v` is not this server's version (`version` says which it speaks): sent in the sender's version
  "wrong_server", // an admin request, rightly signed, whose `server` is another server's (or this one's before a restart)
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Who sends a message: a member, an operator (`chat admin`), either of the two, or the server. */
export type Sender = "member" | "operator" | "anyone" | "server";

/**
 * A message type's rule: who sends it, and each field's rule in wire order (encode writes them in this order, decode
 * checks them). `from` and `event` must agree with the unions below (Request, AdminRequest, RoomEvent): the
 * compiler holds each rule to them, so the sets derived from the rules (REQUEST_TYPES…) cannot drift from the types.
 */
type Rule<T extends Message> = {
  readonly from: T extends AdminRequest ? "operator" : T extends Request ? "member" | "anyone" : "server";
  readonly fields: RulesOf<Omit<T, "type">>;
} & (T extends RoomEvent ? { /** A room event: numbered in the room's sequence. */ readonly event: true } : { readonly event?: never });

// ---- Messages a member or an operator sends to the server ----

/**
 * Anyone → server: the first datagram of a login (and of an admin request in a room with a passphrase). Sent in the
 * clear and padded with `pad` to KNOCK_BYTES, so the challenge it gets back is never the larger of the two.
 */
export interface Knock {
  type: "knock";
  pad?: string;
}
const knockRule: Rule<Knock> = { from: "anyone", fields: { pad: PAD } };

/**
 * Member → server: log in under `name`. `nonce` is random per client run, so a repeated hello gets the same welcome.
 * `cookie` comes from the server's challenge and proves that the hello's address can receive. `room`: which room
 * (DEFAULT_ROOM when absent; compared without regard to case); a server makes a room when its first member arrives.
 */
export interface Hello {
  type: "hello";
  name: string;
  nonce: string;
  cookie: string;
  room?: string;
}
const helloRule: Rule<Hello> = {
  from: "member",
  fields: { name: NAME, nonce: hex(HELLO_NONCE_HEX_DIGITS.min, HELLO_NONCE_HEX_DIGITS.max), cookie: COOKIE, room: ROOM },
};

/**
 * Member → server: a line for the room. `id` counts up from 1 per client run (across sessions) and comes back in
 * the ack; `base` is the lowest id the member has neither seen acknowledged nor given up on (ids below it are settled).
 * With `to`, a private message for that member alone; with `me`, an action ("/me waves"). At most one of the two.
 */
export interface Say {
  type: "say";
  sid: string;
  id: number;
  base: number;
  text: string;
  to?: string;
  me?: boolean;
}
const sayRule: Rule<Say> = { from: "member", fields: { sid: SID, id: ID, base: ID, text: TEXT, to: optional(NAME), me: optional(bool) } };

/** Member → server: still here (sent when the member has had nothing else to send for a heartbeat). */
export interface Ping {
  type: "ping";
  sid: string;
}
const pingRule: Rule<Ping> = { from: "member", fields: { sid: SID } };

/** Member → server: please send room events `from`..`to` again (a gap in the sequence). */
export interface Nack {
  type: "nack";
  sid: string;
  from: number;
  to: number;
}
const nackRule: Rule<Nack> = { from: "member", fields: { sid: SID, from: SEQ, to: SEQ } };

/** Member → server: leaving the room. */
export interface Bye {
  type: "bye";
  sid: string;
  id: number;
}
const byeRule: Rule<Bye> = { from: "member", fields: { sid: SID, id: ID } };

/** Member → server: the members' names, from the `from`th on (answered with `members`, as many as fit). */
export interface Names {
  type: "names";
  sid: string;
  id: number;
  from: number;
}
const namesRule: Rule<Names> = { from: "member", fields: { sid: SID, id: ID, from: COUNT } };

/**
 * Every operator request is signed: `mac` is HMAC-SHA256, keyed with the admin token, of the frame's bytes as sent,
 * with the mac's digits written as MAC_HEX_DIGITS zeros (admin-auth.ts, PROTOCOL.md §5.8). `server` is the id of the
 * server run it is meant for (from its challenge), so that a copy is refused by any other server sharing the token;
 * `ts` (ms since 1970) and the random `nonce` make a replayed or stale copy useless at this one.
 */
interface Signed {
  server: string;
  ts: number;
  nonce: string;
  mac: string;
}
const SIGNED: RulesOf<Signed> = { server: SERVER_ID, ts: TS, nonce: hex(ADMIN_NONCE_HEX_DIGITS), mac: hex(MAC_HEX_DIGITS) };

/** Operator → server: broadcast `text` as the administrator to every member of `room`, or of every room without it. */
export interface Announce extends Signed {
  type: "announce";
  id: number;
  text: string;
  room?: string;
}
const announceRule: Rule<Announce> = { from: "operator", fields: { id: ID, text: TEXT, room: ROOM, ...SIGNED } };

/** Operator → server: remove member `name` from `room`, or from every room (the others see reason "kicked"). */
export interface Kick extends Signed {
  type: "kick";
  id: number;
  name: string;
  room?: string;
}
const kickRule: Rule<Kick> = { from: "operator", fields: { id: ID, name: NAME, room: ROOM, ...SIGNED } };

/** Operator → server: remove member `name` (from `room`, or every room) and refuse its IP address for `seconds` (0: while this server runs). */
export interface Ban extends Signed {
  type: "ban";
  id: number;
  name: string;
  seconds: number;
  room?: string;
}
const banRule: Rule<Ban> = { from: "operator", fields: { id: ID, name: NAME, seconds: uint(MAX_ID), room: ROOM, ...SIGNED } };

/** Operator → server: the members of `room` (DEFAULT_ROOM without it), from the `from`th on; padded like a knock, since the answer is larger. */
export interface Who extends Signed {
  type: "who";
  id: number;
  from: number;
  pad?: string;
  room?: string;
}
const whoRule: Rule<Who> = { from: "operator", fields: { id: ID, from: COUNT, room: ROOM, ...SIGNED, pad: PAD } };

/**
 * Member → server: from now on my name is `name`, under the rules of a login's (checkName, unique without regard
 * to case, no look-alike of a member's). Answered `ack` (then the room's `rename` event) or `refused` (name_taken,
 * bad_name, rate_limited: ABUSE.renameBurst at once, then one per ABUSE.renameEveryMs). `id` comes from the says' counter.
 */
export interface Nick {
  type: "nick";
  sid: string;
  id: number;
  name: string;
}
const nickRule: Rule<Nick> = { from: "member", fields: { sid: SID, id: ID, name: NAME } };

/**
 * Member → server: with `reason` (perhaps empty) I am away, for that reason; without it I am back. Answered `ack`.
 * `/who` pages mark who is away, and a private message to an away member draws an `away_notice` to its sender.
 */
export interface Away {
  type: "away";
  sid: string;
  id: number;
  reason?: string;
}
const awayRule: Rule<Away> = { from: "member", fields: { sid: SID, id: ID, reason: optional(REASON) } };

export type AdminRequest = Announce | Kick | Ban | Who;
export type Request = Knock | Hello | Say | Ping | Nack | Bye | Names | Nick | Away | AdminRequest;

// ---- Messages the server sends ----

/**
 * Server → new member: you are in. `members` are the others present (as many as fit); `count` how many others there
 * are. `seq` is the room's last event; `backlog` the first event sent to you as history (0: none). `epoch` names the
 * room's history: a different one after a restart means the old sequence numbers mean nothing any more.
 * The room's allowance, so that a member paces its says instead of being refused: `burst` says at once, then one
 * more every `refillMs` (both absent: no limit). `timeoutMs`: the server's peer timeout, which the member's heartbeats
 * must beat.
 */
export interface Welcome {
  type: "welcome";
  sid: string;
  name: string;
  members: string[];
  count: number;
  seq: number;
  backlog: number;
  epoch: string;
  ts: number;
  burst?: number;
  refillMs?: number;
  timeoutMs?: number;
}
const welcomeRule: Rule<Welcome> = {
  from: "server",
  fields: {
    sid: SID,
    name: NAME,
    members: NAMES,
    count: COUNT,
    seq: SEQ,
    backlog: SEQ,
    epoch: EPOCH,
    ts: TS,
    burst: optional(COUNT),
    refillMs: optional(COUNT),
    timeoutMs: optional(COUNT),
  },
};

/**
 * Server → knocker (or a hello with an expired cookie): the cookie to log in with; `salt` when the room has a
 * passphrase; `server`, this server run's id, which an operator's signed requests name.
 */
export interface Challenge {
  type: "challenge";
  cookie: string;
  salt?: string;
  server?: string;
}
const challengeRule: Rule<Challenge> = {
  from: "server",
  fields: { cookie: COOKIE, salt: optional(hex(SALT_HEX_DIGITS)), server: optional(SERVER_ID) },
};

/** A member who is away (`/away`), and why ("" when it gave no reason). */
export interface AwayMark {
  name: string;
  reason: string;
}

/**
 * Server → operator or member: names of members `from`.. (as many as fit); `next` is where the next page starts, 0 at
 * the end. `away`: those of this page's names that are away, each with its reason (absent: none is).
 */
export interface Members {
  type: "members";
  id: number;
  names: string[];
  total: number;
  next: number;
  away?: AwayMark[];
}
const membersRule: Rule<Members> = {
  from: "server",
  fields: {
    id: ID,
    names: NAMES,
    total: COUNT,
    next: COUNT,
    away: optional(listOf(object<AwayMark>({ name: NAME, reason: REASON }), "away marks")),
  },
};

/**
 * Server → member: the member `name` you sent a private message to is away, for `reason`. Sent once per away period
 * per sender, beside the say's ack; no event (the room does not see it), so not repaired if lost.
 */
export interface AwayNotice {
  type: "away_notice";
  name: string;
  reason: string;
}
const awayNoticeRule: Rule<AwayNotice> = { from: "server", fields: { name: NAME, reason: REASON } };

/**
 * Server → sender: the request was not carried out, and why. `id` echoes the request's id where it had one;
 * `version`, with reason "version", is the protocol version the server speaks.
 */
export interface Refused {
  type: "refused";
  reason: RefusalReason;
  id?: number;
  version?: number;
}
const refusedRule: Rule<Refused> = {
  from: "server",
  fields: { reason: oneOf(REFUSAL_REASONS), id: optional(ID), version: optional(uint(MAX_ID)) },
};

/**
 * Server → sender: the request with this id was carried out. For a say, `seq` is the event it became (absent when
 * acknowledging a repeat); for an announce, `count` is how many members it reached.
 */
export interface Ack {
  type: "ack";
  id: number;
  seq?: number;
  count?: number;
}
const ackRule: Rule<Ack> = { from: "server", fields: { id: ID, seq: optional(SEQ), count: optional(COUNT) } };

/** Server → every member, when the room has been quiet for a heartbeat: the last event's number, so a lost tail shows. */
export interface Tick {
  type: "tick";
  seq: number;
  epoch: string;
  ts: number;
}
const tickRule: Rule<Tick> = { from: "server", fields: { seq: SEQ, epoch: EPOCH, ts: TS } };

/** Server → member, answering a nack: events `from`..`to` are no longer kept and cannot be repaired. */
export interface Lost {
  type: "lost";
  from: number;
  to: number;
}
const lostRule: Rule<Lost> = { from: "server", fields: { from: SEQ, to: SEQ } };

/** Server → member: a later say arrived, and is held, while say `id` is missing: send `id` again now (fast retransmit). */
export interface Waiting {
  type: "waiting";
  id: number;
}
const waitingRule: Rule<Waiting> = { from: "server", fields: { id: ID } };

/**
 * Server → member: are you still there? Answer with a `ping` at once. Sent before a silent member is timed out, and
 * to the holder of a name that a newcomer from the same IP address asks for (a ghost answers nothing).
 */
export interface Probe {
  type: "probe";
}
const probeRule: Rule<Probe> = { from: "server", fields: {} };

/** Server → every member: this server is stopping. Its members say so at once and keep trying to get back in. */
export interface Stopping {
  type: "stopping";
}
const stoppingRule: Rule<Stopping> = { from: "server", fields: {} };

// Room events: server → every member (the same bytes for all), something happened in the room. `seq` counts room
// events from 1; `ts` is the server's clock.

/** Member `name` came in. */
export interface JoinEvent {
  type: "join";
  seq: number;
  ts: number;
  name: string;
}
const joinRule: Rule<JoinEvent> = { from: "server", event: true, fields: { seq: SEQ, ts: TS, name: NAME } };

/** `from` said `text` to the room. */
export interface MessageEvent {
  type: "message";
  seq: number;
  ts: number;
  from: string;
  text: string;
}
const messageRule: Rule<MessageEvent> = { from: "server", event: true, fields: { seq: SEQ, ts: TS, from: NAME, text: TEXT } };

/** Member `name` is gone, and why. */
export interface LeaveEvent {
  type: "leave";
  seq: number;
  ts: number;
  name: string;
  reason: LeaveReason;
}
const leaveRule: Rule<LeaveEvent> = { from: "server", event: true, fields: { seq: SEQ, ts: TS, name: NAME, reason: oneOf(LEAVE_REASONS) } };

/** The administrator's broadcast (an operator's announce). */
export interface AdminEvent {
  type: "admin";
  seq: number;
  ts: number;
  text: string;
}
const adminRule: Rule<AdminEvent> = { from: "server", event: true, fields: { seq: SEQ, ts: TS, text: TEXT } };

/** A "/me" line: `from` does `text`. */
export interface ActionEvent {
  type: "action";
  seq: number;
  ts: number;
  from: string;
  text: string;
}
const actionRule: Rule<ActionEvent> = { from: "server", event: true, fields: { seq: SEQ, ts: TS, from: NAME, text: TEXT } };

/**
 * A private message: sent only to `to` (the sender has its ack). It takes a number in the room's sequence like any
 * event, so every other member is sent a `hidden` in its place: the same number, nothing else.
 */
export interface PrivateEvent {
  type: "private";
  seq: number;
  ts: number;
  from: string;
  to: string;
  text: string;
}
const privateRule: Rule<PrivateEvent> = { from: "server", event: true, fields: { seq: SEQ, ts: TS, from: NAME, to: NAME, text: TEXT } };

/** Member `from` is now called `to` (its earlier events keep the name they were said under). */
export interface RenameEvent {
  type: "rename";
  seq: number;
  ts: number;
  from: string;
  to: string;
}
const renameRule: Rule<RenameEvent> = { from: "server", event: true, fields: { seq: SEQ, ts: TS, from: NAME, to: NAME } };

/** Stands for an event this member may not see (another pair's private message), so its number is not a gap. */
export interface HiddenEvent {
  type: "hidden";
  seq: number;
}
const hiddenRule: Rule<HiddenEvent> = { from: "server", event: true, fields: { seq: SEQ } };

export type RoomEvent = JoinEvent | MessageEvent | LeaveEvent | AdminEvent | ActionEvent | PrivateEvent | RenameEvent | HiddenEvent;
export type Reply = Challenge | Welcome | Members | Refused | Ack | Tick | Lost | Waiting | Probe | Stopping | AwayNotice | RoomEvent;
export type Message = Request | Reply;

/** Every message type's rule: the table encode and decode walk. Typed against Message, so every type has a row and every field a rule. */
const SCHEMA: { readonly [T in Message["type"]]: Rule<Extract<Message, { type: T }>> } = {
  knock: knockRule,
  hello: helloRule,
  say: sayRule,
  ping: pingRule,
  nack: nackRule,
  bye: byeRule,
  names: namesRule,
  nick: nickRule,
  away: awayRule,
  announce: announceRule,
  kick: kickRule,
  ban: banRule,
  who: whoRule,
  challenge: challengeRule,
  members: membersRule,
  welcome: welcomeRule,
  refused: refusedRule,
  ack: ackRule,
  tick: tickRule,
  lost: lostRule,
  waiting: waitingRule,
  probe: probeRule,
  stopping: stoppingRule,
  away_notice: awayNoticeRule,
  join: joinRule,
  message: messageRule,
  leave: leaveRule,
  admin: adminRule,
  action: actionRule,
  private: privateRule,
  rename: renameRule,
  hidden: hiddenRule,
};

const ruleOf = (type: Message["type"]): Rule<Message> => SCHEMA[type] as Rule<Message>;

/** Every message type, in the order of SCHEMA. */
export const MESSAGE_TYPES = Object.keys(SCHEMA) as readonly Message["type"][];
const typesWhere = (keep: (rule: Rule<Message>) => boolean): ReadonlySet<Message["type"]> =>
  new Set(MESSAGE_TYPES.filter((t) => keep(ruleOf(t))));

/** The types the server receives (sent by a member, an operator or anyone), the ones it sends, its room events, and the operator's requests. */
export const REQUEST_TYPES = typesWhere((r) => r.from !== "server");
export const REPLY_TYPES = typesWhere((r) => r.from === "server");
export const EVENT_TYPES = typesWhere((r) => r.event === true);
export const ADMIN_TYPES = typesWhere((r) => r.from === "operator");

/** Who sends messages of `type`. */
export const senderOf = (type: Message["type"]): Sender => SCHEMA[type].from;
/** The fields of messages of `type` in wire order, an optional one marked "?": as docs/PROTOCOL.md §4 lists them. */
export const fieldsOf = (type: Message["type"]): string[] =>
  Object.entries(ruleOf(type).fields as Rules).map(([key, field]) => (field.optional ? `${key}?` : key));

export const isRequest = (m: Message): m is Request => REQUEST_TYPES.has(m.type);
export const isReply = (m: Message): m is Reply => REPLY_TYPES.has(m.type);
export const isRoomEvent = (m: Message): m is RoomEvent => EVENT_TYPES.has(m.type);
export const isAdminRequest = (m: Message): m is AdminRequest => ADMIN_TYPES.has(m.type);

/** A datagram that breaks this module's rules. `message` is one line that names the rule. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/** A frame of another protocol version. `version`: that version, when it is one a refusal can be written in. */
export class VersionError extends ProtocolError {
  override name = "VersionError";
  constructor(
    message: string,
    readonly version: number | undefined,
  ) {
    super(message);
  }
}

/**
 * The one answer to a frame of another version `v`: a refusal written in that version's framing, the one shape
 * every version keeps, so that an older or newer client can say which version this server speaks.
 */
export const versionRefusal = (v: number): Uint8Array =>
  utf8.encode(`{"v":${v},"type":"refused","reason":"version","version":${PROTOCOL_VERSION}}`);

/** A version a refusal can name: a whole number from 1 up (JSON's 1.0 is 1). */
const versionOf = (v: unknown): number | undefined => (Number.isSafeInteger(v) && (v as number) >= 1 ? (v as number) : undefined);

// ---- Encode ----

const utf8 = new TextEncoder();

/** One frame as JSON text: `{"v":3,"type":...,<fields in schema order>}`. Throws ProtocolError on a bad field. */
export function encodeFrame(msg: Message): string {
  const fields = write(ruleOf(msg.type).fields, msg);
  if ("problem" in fields) throw new ProtocolError(`${msg.type}: ${fields.problem}`);
  return `{"v":${PROTOCOL_VERSION},"type":"${msg.type}"${fields.value}}`;
}

/** True when `datagram`, made by encode, holds a message of `type`: read from how encodeFrame starts, without decoding. */
export function isEncoded(datagram: Uint8Array, type: Message["type"]): boolean {
  const prefix = utf8.encode(`{"v":${PROTOCOL_VERSION},"type":"${type}"`);
  return datagram.length >= prefix.length && prefix.every((b, i) => datagram[i] === b);
}

/** A whole datagram holding one message. Throws ProtocolError when it would be over MAX_PAYLOAD_BYTES. */
export function encode(msg: Message): Uint8Array {
  return packFrames([encodeFrame(msg)]);
}

/**
 * A datagram holding several frames, LF-separated (how a sender batches). Throws when over MAX_PAYLOAD_BYTES, so
 * that the same datagram still fits once sealed.
 */
export function packFrames(frames: readonly string[]): Uint8Array {
  const bytes = utf8.encode(frames.join(FRAME_SEPARATOR));
  if (bytes.length > MAX_PAYLOAD_BYTES) {
    throw new ProtocolError(`datagram too large: ${bytes.length} bytes (max ${MAX_PAYLOAD_BYTES})`);
  }
  return bytes;
}

/** `msg` with its `pad` field filled so that it encodes to `bytes` bytes (a knock, a who: see KNOCK_BYTES). */
export function padded<T extends Knock | Who>(msg: T, bytes: number): T {
  const bare = byteLength(encodeFrame({ ...msg, pad: "" }));
  return { ...msg, pad: " ".repeat(Math.max(0, bytes - bare)) };
}

// ---- Decode ----

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Who reads a datagram: the server takes requests only; a member or an operator ("client") takes only what the server sends. */
export type Reader = "server" | "client";

/** Who sends a type, as a refusal names them. */
const SENDER_NAMES: Readonly<Record<Sender, string>> = {
  member: "a member",
  operator: "an operator",
  anyone: "a member or an operator",
  server: "the server",
};

/** The frames of a datagram, once its size and UTF-8 are checked. */
function framesOf(datagram: Uint8Array): string[] {
  if (datagram.length === 0) throw new ProtocolError("empty datagram");
  if (datagram.length > MAX_DATAGRAM_BYTES) {
    throw new ProtocolError(`datagram too large: ${datagram.length} bytes (max ${MAX_DATAGRAM_BYTES})`);
  }
  let text: string;
  try {
    text = strictUtf8.decode(datagram);
  } catch {
    throw new ProtocolError("not valid UTF-8");
  }
  return text.split(FRAME_SEPARATOR);
}

/** Every frame of a datagram, validated, whichever side sent it. Throws ProtocolError naming the first rule broken. */
export function decode(datagram: Uint8Array): Message[] {
  return framesOf(datagram).map((frame) => decodeFrame(frame));
}

/** What the server accepts: every frame of a datagram, validated, each a request (a frame only the server sends is refused). */
export function decodeRequests(datagram: Uint8Array): Request[] {
  // decodeFrame for the "server" reader refuses every type that is not a request.
  return framesOf(datagram).map((frame) => decodeFrame(frame, "server") as Request);
}

/** What a member or an operator accepts: every frame of a datagram, validated, each sent by the server (a request is refused). */
export function decodeReplies(datagram: Uint8Array): Reply[] {
  // decodeFrame for the "client" reader refuses every type the server does not send.
  return framesOf(datagram).map((frame) => decodeFrame(frame, "client") as Reply);
}

/** One frame (JSON text without LF), validated; for `reader`, only a type it may receive. */
export function decodeFrame(frame: string, reader?: Reader): Message {
  const parsed = jsonObject(frame);
  if ("problem" in parsed) throw new ProtocolError(parsed.problem);
  const obj = parsed.value;
  if (!("v" in obj)) throw new ProtocolError('missing "v" (protocol version)');
  if (obj.v !== PROTOCOL_VERSION) {
    // Another version's server refusing us in our framing (versionRefusal) is the one frame of it we can read.
    const theirs = versionOf(obj.version);
    if (reader === "client" && obj.type === "refused" && obj.reason === "version" && theirs !== undefined) {
      return { type: "refused", reason: "version", version: theirs };
    }
    const message = `unsupported protocol version ${JSON.stringify(obj.v)} (this is version ${PROTOCOL_VERSION})`;
    throw new VersionError(message, versionOf(obj.v));
  }
  const type = obj.type;
  if (typeof type !== "string" || !Object.hasOwn(SCHEMA, type)) {
    throw new ProtocolError(`unknown type ${JSON.stringify(type)}`);
  }
  const rule = ruleOf(type as Message["type"]);
  if ((reader === "server" && rule.from === "server") || (reader === "client" && rule.from !== "server")) {
    throw new ProtocolError(`${type}: only ${SENDER_NAMES[rule.from]} sends this`);
  }
  const msg = read(rule.fields, obj, { type });
  if ("problem" in msg) throw new ProtocolError(`${type}: ${msg.problem}`);
  if (rule.from === "operator") RECEIVED_FRAMES.set(msg.value as AdminRequest, frame);
  // read put `type` first and checked every other field against the rule of that type: the shapes agree.
  return msg.value as Message;
}

/**
 * The frame text each decoded operator request came from. Its mac covers those bytes as sent (PROTOCOL.md §5.8),
 * not a re-encoding: decoding drops unknown fields and forgets spacing, escapes and number forms a sender may use.
 * Weak, so a request forgotten by the server takes its text with it.
 */
const RECEIVED_FRAMES = new WeakMap<AdminRequest, string>();

/** The frame an operator request was decoded from (decodeFrame's input); undefined for one made in this process. */
export const receivedFrame = (msg: AdminRequest): string | undefined => RECEIVED_FRAMES.get(msg);

// ---- Names ----

/** Letters of any script (with their combining marks), decimal digits, "_", "." and "-". */
const NAME_PATTERN = /^[\p{L}\p{M}\p{Nd}_.-]+$/u;

export const NAME_RULE = `1 to ${MAX_NAME_CHARS} letters, digits, "_", "." or "-"`;

/** The form a name is stored and shown in (NFC), or a reason it is not allowed. */
export function checkName(raw: string, what: "name" | "room" = "name"): { name: string } | { problem: string } {
  const name = raw.normalize("NFC");
  const chars = [...name].length;
  const invisible = invisibleProblem(name);
  if (invisible) return { problem: `invalid ${what} ${JSON.stringify(raw)}: ${invisible}` };
  if (chars === 0 || chars > MAX_NAME_CHARS || !NAME_PATTERN.test(name)) {
    return { problem: `invalid ${what} ${JSON.stringify(raw)}: use ${NAME_RULE}` };
  }
  // Look-alikes and blanks the pattern lets through: marks alone, no letter or digit, mixed scripts.
  const wrong = shapeProblem(name);
  if (wrong) return { problem: `invalid ${what} ${JSON.stringify(raw)}: ${wrong}` };
  return { name };
}

/** Room names follow the rule of member names, without regard to case: a room is known by its lowercase (nameKey) form. */
export function checkRoom(raw: string): { name: string } | { problem: string } {
  const checked = checkName(raw, "room");
  return "problem" in checked ? checked : { name: nameKey(checked.name) };
}

/** Names are unique without regard to case: this is the key they are compared by. */
export const nameKey = (name: string) => name.normalize("NFC").toLowerCase();

/** Bytes of `text` in UTF-8 (the unit of MAX_TEXT_BYTES). */
export const textBytes = byteLength;
