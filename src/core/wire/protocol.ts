// The wire format: every datagram type, its limits, and the one encode and decode path. docs/PROTOCOL.md is its prose twin.

export const PROTOCOL_VERSION = 1;

/** Largest datagram either side sends or accepts: below every common path MTU, so nothing is fragmented. */
export const MAX_DATAGRAM_BYTES = 1200;
/** Bytes a sealed datagram adds to its frames (envelope.ts: marker, IV, tag). */
export const SEAL_OVERHEAD_BYTES = 1 + 12 + 16;
/** Largest run of frames in one datagram: what is left once a room with a passphrase has sealed it. */
export const MAX_PAYLOAD_BYTES = MAX_DATAGRAM_BYTES - SEAL_OVERHEAD_BYTES;
/** Largest message or announcement text, in bytes of UTF-8. */
export const MAX_TEXT_BYTES = 1000;
/** Longest name, in characters (code points). */
export const MAX_NAME_CHARS = 16;
/** Session ids are 128 random bits written as 32 lowercase hex digits. */
export const SESSION_ID_HEX_DIGITS = 32;
/** Largest request id: ids are unsigned 32-bit integers. */
export const MAX_ID = 0xffff_ffff;
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
  /** A nack without its repair is repeated this often. */
  nackRetryMs: 150,
} as const;

/** Defaults of the flood controls (docs/SECURITY.md explains each). */
export const ABUSE = {
  /** Default of `chat serve --rate`: messages per member per window... */
  rateCount: 5,
  /** ...of this many milliseconds. */
  rateWindowMs: 5000,
  /** Default of `chat serve --max-members`. */
  maxMembers: 1000,
  /** New logins one IP address may start in a burst... */
  loginBurst: 20,
  /** ...and then one per this many milliseconds (a classroom behind one NAT still gets in). */
  loginEveryMs: 1000,
  /** Datagrams one address and port may send in a burst, before any decoding... */
  datagramBurst: 2000,
  /** ...and then this many per second; beyond that they are dropped unread. */
  datagramsPerSecond: 1000,
  /** Addresses whose counters are kept at once; past this the fullest (idle) ones are forgotten. */
  trackedAddresses: 65_536,
  /** A kicked client (by its nonce) cannot log straight back in for this long. */
  kickMemoryMs: 60_000,
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
  /** Rooms one server holds at once: each has its own members, sequence and history (and file, with --data). */
  maxRooms: 100,
  /** Missing runs asked for at once. */
  nacksAtOnce: 16,
} as const;

/** The room a member joins, and an operator request concerns, when it names none. */
export const DEFAULT_ROOM = "lobby";

// ---- Messages a member or an operator sends to the server ----

/**
 * Anyone → server: the first datagram of a login (and of an admin request in a room with a passphrase). Sent in the
 * clear and padded with `pad` to KNOCK_BYTES, so the challenge it gets back is never the larger of the two.
 */
export interface Knock {
  type: "knock";
  pad?: string;
}
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
/** Member → server: still here (sent when the member has had nothing else to send for a heartbeat). */
export interface Ping {
  type: "ping";
  sid: string;
}
/** Member → server: please send room events `from`..`to` again (a gap in the sequence). */
export interface Nack {
  type: "nack";
  sid: string;
  from: number;
  to: number;
}
/** Member → server: leaving the room. */
export interface Bye {
  type: "bye";
  sid: string;
  id: number;
}
/** Member → server: the members' names, from the `from`th on (answered with `members`, as many as fit). */
export interface Names {
  type: "names";
  sid: string;
  id: number;
  from: number;
}
/**
 * Every operator request is signed: `mac` is HMAC-SHA256, keyed with the admin token, of the frame with `mac` set
 * to 64 zeros (admin-auth.ts). `ts` (ms since 1970) and the random `nonce` make a replayed or stale copy useless.
 */
interface Signed {
  ts: number;
  nonce: string;
  mac: string;
}
/** Operator → server: broadcast `text` as the administrator to every member of `room`, or of every room without it. */
export interface Announce extends Signed {
  type: "announce";
  id: number;
  text: string;
  room?: string;
}
/** Operator → server: remove member `name` from `room`, or from every room (the others see reason "kicked"). */
export interface Kick extends Signed {
  type: "kick";
  id: number;
  name: string;
  room?: string;
}
/** Operator → server: remove member `name` (from `room`, or every room) and refuse its IP address for `seconds` (0: while this server runs). */
export interface Ban extends Signed {
  type: "ban";
  id: number;
  name: string;
  seconds: number;
  room?: string;
}
/** Operator → server: the members of `room` (DEFAULT_ROOM without it), from the `from`th on; padded like a knock, since the answer is larger. */
export interface Who extends Signed {
  type: "who";
  id: number;
  from: number;
  pad?: string;
  room?: string;
}

export type AdminRequest = Announce | Kick | Ban | Who;
export type Request = Knock | Hello | Say | Ping | Nack | Bye | Names | AdminRequest;

// ---- Messages the server sends ----

/**
 * Server → new member: you are in. `members` are the others present (as many as fit); `count` how many others there
 * are. `seq` is the room's last event; `backlog` the first event sent to you as history (0: none). `epoch` names the
 * room's history: a different one after a restart means the old sequence numbers mean nothing any more.
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
}
/** Server → knocker (or a hello with an expired cookie): the cookie to log in with; `salt` when the room has a passphrase. */
export interface Challenge {
  type: "challenge";
  cookie: string;
  salt?: string;
}
/** Server → operator or member: names of members `from`.. (as many as fit); `next` is where the next page starts, 0 at the end. */
export interface Members {
  type: "members";
  id: number;
  names: string[];
  total: number;
  next: number;
}
/** Server → sender: the request was not carried out, and why. `id` echoes the request's id where it had one. */
export interface Refused {
  type: "refused";
  reason: RefusalReason;
  id?: number;
}
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
/** Server → every member, when the room has been quiet for a heartbeat: the last event's number, so a lost tail shows. */
export interface Tick {
  type: "tick";
  seq: number;
  epoch: string;
  ts: number;
}
/** Server → member, answering a nack: events `from`..`to` are no longer kept and cannot be repaired. */
export interface Lost {
  type: "lost";
  from: number;
  to: number;
}
/** Server → member: a later say arrived, and is held, while say `id` is missing: send `id` again now (fast retransmit). */
export interface Waiting {
  type: "waiting";
  id: number;
}

/** Server → every member (the same bytes for all): something happened in the room. `seq` counts room events from 1. */
export interface JoinEvent {
  type: "join";
  seq: number;
  ts: number;
  name: string;
}
export interface MessageEvent {
  type: "message";
  seq: number;
  ts: number;
  from: string;
  text: string;
}
export interface LeaveEvent {
  type: "leave";
  seq: number;
  ts: number;
  name: string;
  reason: LeaveReason;
}
export interface AdminEvent {
  type: "admin";
  seq: number;
  ts: number;
  text: string;
}
/** A "/me" line: `from` does `text`. */
export interface ActionEvent {
  type: "action";
  seq: number;
  ts: number;
  from: string;
  text: string;
}
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
/** Stands for an event this member may not see (another pair's private message), so its number is not a gap. */
export interface HiddenEvent {
  type: "hidden";
  seq: number;
}

export type RoomEvent = JoinEvent | MessageEvent | LeaveEvent | AdminEvent | ActionEvent | PrivateEvent | HiddenEvent;
export type Reply = Challenge | Welcome | Members | Refused | Ack | Tick | Lost | Waiting | RoomEvent;
export type Message = Request | Reply;

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
  "too_many_rooms", // a hello for a new room when the server has LIMITS.maxRooms
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** A datagram that breaks this module's rules. `message` is one line that names the rule. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

// ---- Field rules: one table drives both encode (field order) and decode (validation) ----

type Check = (value: unknown) => string | undefined; // a reason, or undefined when the value is good
interface Field {
  check: Check;
  optional?: boolean;
}

const utf8 = new TextEncoder();
const byteLength = (s: string) => utf8.encode(s).length;

const string =
  (minBytes: number, maxBytes: number): Check =>
  (v) => {
    if (typeof v !== "string") return "expected a string";
    const n = byteLength(v);
    if (n < minBytes) return minBytes === 1 ? "must not be empty" : `${n} bytes (min ${minBytes})`;
    if (n > maxBytes) return `${n} bytes (max ${maxBytes})`;
    return undefined;
  };
const uint =
  (max: number): Check =>
  (v) =>
    typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max ? undefined : `expected an integer 0..${max}`;
const hex =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === "string" && v.length >= min && v.length <= max && /^[0-9a-f]+$/.test(v)
      ? undefined
      : min === max
        ? `expected ${min} lowercase hex digits`
        : `expected ${min}..${max} lowercase hex digits`;
const oneOf =
  (options: readonly string[]): Check =>
  (v) =>
    typeof v === "string" && options.includes(v) ? undefined : `expected one of ${options.join(", ")}`;
const bool: Check = (v) => (typeof v === "boolean" ? undefined : "expected true or false");
const nameList: Check = (v) => {
  if (!Array.isArray(v)) return "expected an array of names";
  for (const item of v) if (string(1, MAX_NAME_BYTES)(item)) return "expected an array of names";
  return undefined;
};

/** A name of MAX_NAME_CHARS characters is at most 4 bytes each in UTF-8. */
const MAX_NAME_BYTES = MAX_NAME_CHARS * 4;
const MAX_TS = Number.MAX_SAFE_INTEGER;

const f = (check: Check, optional = false): Field => ({ check, optional });
const SID = f(hex(SESSION_ID_HEX_DIGITS, SESSION_ID_HEX_DIGITS));
const ID = f(uint(MAX_ID));
const SEQ = f(uint(MAX_TS));
const TS = f(uint(MAX_TS));
const NAME = f(string(1, MAX_NAME_BYTES));
const TEXT = f(string(1, MAX_TEXT_BYTES));
const EPOCH = f(hex(16, 16));
const PAD = f(string(0, MAX_DATAGRAM_BYTES), true);
const NONCE = f(hex(32, 32));
const MAC = f(hex(64, 64));
const ROOM = f(string(1, MAX_NAME_BYTES), true);

type Schema = { [T in Message["type"]]: { [K in Exclude<keyof Extract<Message, { type: T }>, "type">]-?: Field } };

const SCHEMA: Schema = {
  knock: { pad: PAD },
  hello: { name: NAME, nonce: f(hex(16, 32)), cookie: f(hex(32, 32)), room: ROOM },
  say: { sid: SID, id: ID, base: ID, text: TEXT, to: f(string(1, MAX_NAME_BYTES), true), me: f(bool, true) },
  ping: { sid: SID },
  nack: { sid: SID, from: SEQ, to: SEQ },
  bye: { sid: SID, id: ID },
  names: { sid: SID, id: ID, from: f(uint(MAX_ID)) },
  announce: { id: ID, text: TEXT, room: ROOM, ts: TS, nonce: NONCE, mac: MAC },
  kick: { id: ID, name: NAME, room: ROOM, ts: TS, nonce: NONCE, mac: MAC },
  ban: { id: ID, name: NAME, seconds: f(uint(MAX_ID)), room: ROOM, ts: TS, nonce: NONCE, mac: MAC },
  who: { id: ID, from: f(uint(MAX_ID)), room: ROOM, ts: TS, nonce: NONCE, mac: MAC, pad: PAD },
  challenge: { cookie: f(hex(32, 32)), salt: f(hex(32, 32), true) },
  members: { id: ID, names: f(nameList), total: f(uint(MAX_ID)), next: f(uint(MAX_ID)) },
  welcome: { sid: SID, name: NAME, members: f(nameList), count: f(uint(MAX_ID)), seq: SEQ, backlog: SEQ, epoch: EPOCH, ts: TS },
  refused: { reason: f(oneOf(REFUSAL_REASONS)), id: f(uint(MAX_ID), true) },
  ack: { id: ID, seq: f(uint(MAX_TS), true), count: f(uint(MAX_ID), true) },
  tick: { seq: SEQ, epoch: EPOCH, ts: TS },
  lost: { from: SEQ, to: SEQ },
  waiting: { id: ID },
  join: { seq: SEQ, ts: TS, name: NAME },
  message: { seq: SEQ, ts: TS, from: NAME, text: TEXT },
  leave: { seq: SEQ, ts: TS, name: NAME, reason: f(oneOf(LEAVE_REASONS)) },
  admin: { seq: SEQ, ts: TS, text: TEXT },
  action: { seq: SEQ, ts: TS, from: NAME, text: TEXT },
  private: { seq: SEQ, ts: TS, from: NAME, to: NAME, text: TEXT },
  hidden: { seq: SEQ },
};

const REQUEST_TYPES: ReadonlySet<string> = new Set<Request["type"]>([
  "knock",
  "hello",
  "say",
  "ping",
  "nack",
  "bye",
  "names",
  "announce",
  "kick",
  "ban",
  "who",
]);
const ADMIN_TYPES: ReadonlySet<string> = new Set<AdminRequest["type"]>(["announce", "kick", "ban", "who"]);
const EVENT_TYPES: ReadonlySet<string> = new Set<RoomEvent["type"]>(["join", "message", "leave", "admin", "action", "private", "hidden"]);

export const isRequest = (m: Message): m is Request => REQUEST_TYPES.has(m.type);
export const isRoomEvent = (m: Message): m is RoomEvent => EVENT_TYPES.has(m.type);
export const isAdminRequest = (m: Message): m is AdminRequest => ADMIN_TYPES.has(m.type);

// ---- Encode ----

/** One frame as JSON text: `{"v":1,"type":...,<fields in schema order>}`. Throws ProtocolError on a bad field. */
export function encodeFrame(msg: Message): string {
  const fields: Record<string, Field> = SCHEMA[msg.type];
  const values = msg as unknown as Record<string, unknown>;
  let out = `{"v":${PROTOCOL_VERSION},"type":"${msg.type}"`;
  for (const [key, field] of Object.entries(fields)) {
    const value = values[key];
    if (value === undefined && field.optional) continue;
    const problem = value === undefined ? "missing" : field.check(value);
    if (problem) throw new ProtocolError(`${msg.type}: field "${key}": ${problem}`);
    out += `,"${key}":${JSON.stringify(value)}`;
  }
  return `${out}}`;
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

/** Every frame of a datagram, validated. Throws ProtocolError naming the first rule broken. */
export function decode(datagram: Uint8Array): Message[] {
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
  return text.split(FRAME_SEPARATOR).map(decodeFrame);
}

/** One frame (JSON text without LF), validated. */
export function decodeFrame(frame: string): Message {
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame);
  } catch {
    throw new ProtocolError("not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ProtocolError("not a JSON object");
  const obj = parsed as Record<string, unknown>;
  if (!("v" in obj)) throw new ProtocolError('missing "v" (protocol version)');
  if (obj.v !== PROTOCOL_VERSION) {
    throw new ProtocolError(`unsupported protocol version ${JSON.stringify(obj.v)} (this is version ${PROTOCOL_VERSION})`);
  }
  const type = obj.type;
  if (typeof type !== "string" || !Object.hasOwn(SCHEMA, type)) {
    throw new ProtocolError(`unknown type ${JSON.stringify(type)}`);
  }
  const fields: Record<string, Field> = SCHEMA[type as Message["type"]];
  const msg: Record<string, unknown> = { type };
  for (const [key, field] of Object.entries(fields)) {
    const value = obj[key];
    if (value === undefined) {
      if (field.optional) continue;
      throw new ProtocolError(`${type}: missing field "${key}"`);
    }
    const problem = field.check(value);
    if (problem) throw new ProtocolError(`${type}: field "${key}": ${problem}`);
    msg[key] = value;
  }
  // Every field was checked against SCHEMA above, which is typed against Message: the shapes agree.
  return msg as unknown as Message;
}

// ---- Names ----

/** Letters of any script (with their combining marks), decimal digits, "_", "." and "-". */
const NAME_PATTERN = /^[\p{L}\p{M}\p{Nd}_.-]+$/u;

export const NAME_RULE = `1 to ${MAX_NAME_CHARS} letters, digits, "_", "." or "-"`;

/** The form a name is stored and shown in (NFC), or a reason it is not allowed. */
export function checkName(raw: string, what: "name" | "room" = "name"): { name: string } | { problem: string } {
  const name = raw.normalize("NFC");
  const chars = [...name].length;
  if (chars === 0 || chars > MAX_NAME_CHARS || !NAME_PATTERN.test(name)) {
    return { problem: `invalid ${what} ${JSON.stringify(raw)}: use ${NAME_RULE}` };
  }
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
