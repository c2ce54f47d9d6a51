// The cluster's wire (docs/PROTOCOL.md §5.14): how streams, subjects and keys are named, the JSON the servers exchange through NATS, and its checks.

import { createHash } from "node:crypto";
import { type Checked, hex, jsonObject, optional, type RulesOf, read, string, uint, write } from "../core/wire/fields.ts";
import { EPOCH_HEX_DIGITS, HELLO_NONCE_HEX_DIGITS, LIMITS, MAX_ID, MAX_NAME_BYTES } from "../core/wire/protocol.ts";

/** Each room's log is the JetStream stream of this prefix and the room's name in hex. */
export const STREAM_PREFIX = "CHAT_ROOM_";
/** The key-value bucket of who holds which name. */
export const NAMES_BUCKET = "chat_names";
/** Core NATS subject of the servers' heartbeats (each a server's id). */
export const PRESENCE_SUBJECT = "chat.presence";
/** Core NATS subject of the kick and ban orders (KickOrder). */
export const CONTROL_SUBJECT = "chat.control";
/** Header of a log record: the session id of the member the event leaves out (its own join or message). */
export const EXCEPT_HEADER = "Chat-Except";
/** How long JetStream remembers a message id, so that a message sent again (after a failover) is stored once. */
export const DUPLICATE_WINDOW_NS = 2 * 60 * 1e9;
/** A server's id: 64 random bits. */
export const SERVER_ID_HEX_DIGITS = 16;

/** How long a server waits for the NATS server to answer its first connection. */
export const CONNECT_TIMEOUT_MS = 3000;
/**
 * A lost NATS server is tried again this often; an append not confirmed this soon counts as not stored (what is
 * published while the connection is down is dropped, and the sooner that is known, the sooner it is sent again).
 */
export const RECONNECT_WAIT_MS = 500;
export const PUBLISH_TIMEOUT_MS = 2000;

// ---- Names of streams, subjects and keys ----

/** Room names may hold any letter: streams, subjects and keys take [A-Za-z0-9_-] only, so they carry the UTF-8 in hex. */
export const hexOf = (text: string) => Buffer.from(text, "utf8").toString("hex");
export const textOf = (hex: string) => Buffer.from(hex, "hex").toString("utf8");

export const streamOf = (room: string) => STREAM_PREFIX + hexOf(room);
export const subjectOf = (room: string) => `chat.room.${hexOf(room)}`;
/** The room a stream is the log of, or undefined for another stream. */
export const roomOfStream = (stream: string) => (stream.startsWith(STREAM_PREFIX) ? textOf(stream.slice(STREAM_PREFIX.length)) : undefined);

/** The names bucket's key of a name (by its name key: NFC, lowercase) in a room. */
export const keyOf = (room: string, nameKey: string) => `${hexOf(room)}.${hexOf(nameKey)}`;
/** A names bucket key read back, or undefined for a key that is not one. */
export function parseKey(key: string): { room: string; nameKey: string } | undefined {
  const dot = key.indexOf(".");
  if (dot < 0) return undefined;
  return { room: textOf(key.slice(0, dot)), nameKey: textOf(key.slice(dot + 1)) };
}

/** A room's stream: its subject, how many events it keeps, and how long it remembers message ids. */
export const streamConfig = (room: string) => ({
  name: streamOf(room),
  subjects: [subjectOf(room)],
  max_msgs: LIMITS.keptEvents,
  duplicate_window: DUPLICATE_WINDOW_NS,
});

/** A room's epoch in a cluster: named after its stream and when that was made, so it is the same on every server. */
export const epochOf = (stream: string, created: string) =>
  createHash("sha256").update(`${stream} ${created}`).digest("hex").slice(0, EPOCH_HEX_DIGITS);

// ---- Message ids (Nats-Msg-Id): a message sent twice within the duplicate window is stored once ----

/** The event of member `nonce`'s say `sayId` in `room`: the same id from whichever server relays it. */
export const sayMessageId = (room: string, nonce: string, sayId: number) => `${room}:${nonce}:${sayId}`;
/** The `leave` (timeout) of a dead server's member, by its name key and the holder's revision: each survivor may append it. */
export const goneMessageId = (room: string, nameKey: string, revision: number) => `gone:${room}:${nameKey}:${revision}`;
/** Not on the wire: the key under which this server remembers a say it relayed until the log has stored it. */
export const storingKey = (peer: { address: string; port: number }, sayId: number) => `${peer.address}|${peer.port}|${sayId}`;

// ---- Name holders (the names bucket's values) ----

/** Who holds a name in a room, cluster-wide. */
export interface NameHolder {
  readonly name: string;
  /** The server whose member it is (its id). */
  readonly server: string;
  /** The member's client run (its hello's nonce): the same client moving to another server keeps its name. */
  readonly nonce: string;
  /** The bucket's revision of the key: a compare-and-set deletes or updates only what it read. */
  readonly revision: number;
}
/** What the bucket holds for a holder: `{"name":…,"server":…,"nonce":…}` (its revision is the bucket's). */
export type StoredHolder = Omit<NameHolder, "revision">;
const SERVER_ID = hex(SERVER_ID_HEX_DIGITS);
const NAME = string(1, MAX_NAME_BYTES);
const HOLDER: RulesOf<StoredHolder> = {
  name: NAME,
  server: SERVER_ID,
  nonce: hex(HELLO_NONCE_HEX_DIGITS.min, HELLO_NONCE_HEX_DIGITS.max),
};

export const encodeHolder = (holder: StoredHolder): Uint8Array => new TextEncoder().encode(encodeWith("name holder", HOLDER, holder));

export function decodeHolder(value: Uint8Array, revision: number): Checked<NameHolder> {
  const stored = decodeWith("name holder", HOLDER, new TextDecoder().decode(value));
  return "problem" in stored ? stored : { value: { ...stored.value, revision } };
}

// ---- Kick orders (core NATS, CONTROL_SUBJECT) ----

/** An operator's kick or ban, for the server that has the member. */
export interface KickOrder {
  /** The server that has the member (its id). */
  readonly to: string;
  readonly room: string;
  readonly name: string;
  /** A ban, this long (0: while that server runs); absent: a kick. */
  readonly banSeconds?: number;
}
const KICK_ORDER: RulesOf<KickOrder> = { to: SERVER_ID, room: NAME, name: NAME, banSeconds: optional(uint(MAX_ID)) };

/** `{"to":…,"room":…,"name":…,"banSeconds"?:…}`. */
export const encodeKickOrder = (order: KickOrder): string => encodeWith("kick order", KICK_ORDER, order);
export const decodeKickOrder = (text: string): Checked<KickOrder> => decodeWith("kick order", KICK_ORDER, text);

// ---- One encode and one decode path for the JSON above ----

/** JSON text of `value`, its fields in the rules' order. A value that breaks them is a bug here: it throws. */
function encodeWith<T>(what: string, rules: RulesOf<T>, value: T): string {
  const fields = write(rules, value);
  if ("problem" in fields) throw new Error(`${what}: ${fields.problem}`);
  return `{${fields.value.slice(1)}}`;
}

/** `text` as a `T`, or the first rule it breaks, named after `what` ("kick order: missing field \"room\""). */
function decodeWith<T>(what: string, rules: RulesOf<T>, text: string): Checked<T> {
  const parsed = jsonObject(text);
  const checked = "problem" in parsed ? parsed : read(rules, parsed.value);
  return "problem" in checked ? { problem: `${what}: ${checked.problem}` } : checked;
}
