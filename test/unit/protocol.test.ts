// The wire format by fixtures: each message encodes to its golden bytes, decodes back, and each malformed input fails with its exact error.

import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AdminGate, macOf } from "../../src/core/wire/admin-auth.ts";
import {
  ABUSE,
  ADMIN_WINDOW_MS,
  checkName,
  decode,
  decodeReplies,
  decodeRequests,
  EVENT_TYPES,
  encode,
  encodeFrame,
  fieldsOf,
  isAdminRequest,
  isEncoded,
  KNOCK_BYTES,
  LIMITS,
  MAX_DATAGRAM_BYTES,
  MESSAGE_TYPES,
  type Message,
  nameKey,
  PROTOCOL_VERSION,
  ProtocolError,
  packFrames,
  padded,
  REFUSAL_REASONS,
  REPLY_TYPES,
  REQUEST_TYPES,
  receivedFrame,
  senderOf,
  TIMERS,
} from "../../src/core/wire/protocol.ts";

const SID = "0123456789abcdef0123456789abcdef";
const TS = 1_795_000_000_000;
const EPOCH = "0a1b2c3d4e5f6789";
const COOKIE = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";
const NONCE = "4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e";
const MAC = "ab".repeat(32);
const SERVER = "5e4e5e4e5e4e5e4e";
const SIGNED = `"server":"${SERVER}","ts":${TS},"nonce":"${NONCE}","mac":"${MAC}"`;

const FIXTURES: Array<[string, Message, string]> = [
  ["knock", { type: "knock" }, `{"v":3,"type":"knock"}`],
  ["knock, padded", { type: "knock", pad: "   " }, `{"v":3,"type":"knock","pad":"   "}`],
  [
    "hello",
    { type: "hello", name: "alice", nonce: "00ff00ff00ff00ff", cookie: COOKIE },
    `{"v":3,"type":"hello","name":"alice","nonce":"00ff00ff00ff00ff","cookie":"${COOKIE}"}`,
  ],
  [
    "hello into a room",
    { type: "hello", name: "alice", nonce: "00ff00ff00ff00ff", cookie: COOKIE, room: "ops" },
    `{"v":3,"type":"hello","name":"alice","nonce":"00ff00ff00ff00ff","cookie":"${COOKIE}","room":"ops"}`,
  ],
  [
    "hello, Chinese name",
    { type: "hello", name: "小明", nonce: "0123456789abcdef", cookie: COOKIE },
    `{"v":3,"type":"hello","name":"小明","nonce":"0123456789abcdef","cookie":"${COOKIE}"}`,
  ],
  ["say", { type: "say", sid: SID, id: 7, base: 5, text: "hi" }, `{"v":3,"type":"say","sid":"${SID}","id":7,"base":5,"text":"hi"}`],
  [
    "say, Chinese and emoji",
    { type: "say", sid: SID, id: 8, base: 8, text: "你好，世界 🌏" },
    `{"v":3,"type":"say","sid":"${SID}","id":8,"base":8,"text":"你好，世界 🌏"}`,
  ],
  [
    "say, quotes and controls escaped",
    { type: "say", sid: SID, id: 9, base: 1, text: 'a "b"\n\u001b' },
    `{"v":3,"type":"say","sid":"${SID}","id":9,"base":1,"text":"a \\"b\\"\\n\\u001b"}`,
  ],
  [
    "say, private",
    { type: "say", sid: SID, id: 10, base: 10, text: "psst", to: "bob" },
    `{"v":3,"type":"say","sid":"${SID}","id":10,"base":10,"text":"psst","to":"bob"}`,
  ],
  [
    "say, action",
    { type: "say", sid: SID, id: 11, base: 10, text: "waves", me: true },
    `{"v":3,"type":"say","sid":"${SID}","id":11,"base":10,"text":"waves","me":true}`,
  ],
  ["names", { type: "names", sid: SID, id: 12, from: 0 }, `{"v":3,"type":"names","sid":"${SID}","id":12,"from":0}`],
  ["ping", { type: "ping", sid: SID }, `{"v":3,"type":"ping","sid":"${SID}"}`],
  ["nack", { type: "nack", sid: SID, from: 12, to: 15 }, `{"v":3,"type":"nack","sid":"${SID}","from":12,"to":15}`],
  ["bye", { type: "bye", sid: SID, id: 10 }, `{"v":3,"type":"bye","sid":"${SID}","id":10}`],
  [
    "announce",
    { type: "announce", id: 4294967295, text: "hello all", server: SERVER, ts: TS, nonce: NONCE, mac: MAC },
    `{"v":3,"type":"announce","id":4294967295,"text":"hello all",${SIGNED}}`,
  ],
  [
    "announce to one room",
    { type: "announce", id: 7, text: "ops only", room: "ops", server: SERVER, ts: TS, nonce: NONCE, mac: MAC },
    `{"v":3,"type":"announce","id":7,"text":"ops only","room":"ops",${SIGNED}}`,
  ],
  [
    "kick",
    { type: "kick", id: 2, name: "bob", server: SERVER, ts: TS, nonce: NONCE, mac: MAC },
    `{"v":3,"type":"kick","id":2,"name":"bob",${SIGNED}}`,
  ],
  [
    "ban",
    { type: "ban", id: 3, name: "bob", seconds: 600, server: SERVER, ts: TS, nonce: NONCE, mac: MAC },
    `{"v":3,"type":"ban","id":3,"name":"bob","seconds":600,${SIGNED}}`,
  ],
  [
    "who",
    { type: "who", id: 4, from: 0, server: SERVER, ts: TS, nonce: NONCE, mac: MAC, pad: " " },
    `{"v":3,"type":"who","id":4,"from":0,${SIGNED},"pad":" "}`,
  ],
  ["challenge", { type: "challenge", cookie: COOKIE }, `{"v":3,"type":"challenge","cookie":"${COOKIE}"}`],
  [
    "challenge with salt",
    { type: "challenge", cookie: COOKIE, salt: NONCE },
    `{"v":3,"type":"challenge","cookie":"${COOKIE}","salt":"${NONCE}"}`,
  ],
  [
    "challenge with the server's id",
    { type: "challenge", cookie: COOKIE, salt: NONCE, server: SERVER },
    `{"v":3,"type":"challenge","cookie":"${COOKIE}","salt":"${NONCE}","server":"${SERVER}"}`,
  ],
  [
    "members",
    { type: "members", id: 4, names: ["alice", "小明"], total: 3, next: 2 },
    `{"v":3,"type":"members","id":4,"names":["alice","小明"],"total":3,"next":2}`,
  ],
  [
    "welcome",
    { type: "welcome", sid: SID, name: "alice", members: ["bob", "carol"], count: 2, seq: 30, backlog: 12, epoch: EPOCH, ts: TS },
    `{"v":3,"type":"welcome","sid":"${SID}","name":"alice","members":["bob","carol"],"count":2,"seq":30,"backlog":12,"epoch":"${EPOCH}","ts":${TS}}`,
  ],
  [
    "welcome with the room's allowance and peer timeout",
    {
      type: "welcome",
      sid: SID,
      name: "alice",
      members: [],
      count: 0,
      seq: 1,
      backlog: 0,
      epoch: EPOCH,
      ts: TS,
      burst: 20,
      refillMs: 1000,
      timeoutMs: 15000,
    },
    `{"v":3,"type":"welcome","sid":"${SID}","name":"alice","members":[],"count":0,"seq":1,"backlog":0,"epoch":"${EPOCH}","ts":${TS},"burst":20,"refillMs":1000,"timeoutMs":15000}`,
  ],
  ["refused", { type: "refused", reason: "name_taken" }, `{"v":3,"type":"refused","reason":"name_taken"}`],
  ["refused with id", { type: "refused", reason: "unknown_session", id: 5 }, `{"v":3,"type":"refused","reason":"unknown_session","id":5}`],
  ["ack", { type: "ack", id: 5 }, `{"v":3,"type":"ack","id":5}`],
  ["ack with count", { type: "ack", id: 5, count: 3 }, `{"v":3,"type":"ack","id":5,"count":3}`],
  ["ack with seq", { type: "ack", id: 6, seq: 41 }, `{"v":3,"type":"ack","id":6,"seq":41}`],
  ["tick", { type: "tick", seq: 41, epoch: EPOCH, ts: TS }, `{"v":3,"type":"tick","seq":41,"epoch":"${EPOCH}","ts":${TS}}`],
  ["lost", { type: "lost", from: 1, to: 9 }, `{"v":3,"type":"lost","from":1,"to":9}`],
  ["waiting", { type: "waiting", id: 3 }, `{"v":3,"type":"waiting","id":3}`],
  ["probe", { type: "probe" }, `{"v":3,"type":"probe"}`],
  ["stopping", { type: "stopping" }, `{"v":3,"type":"stopping"}`],
  ["join", { type: "join", seq: 1, ts: TS, name: "dave" }, `{"v":3,"type":"join","seq":1,"ts":${TS},"name":"dave"}`],
  [
    "message",
    { type: "message", seq: 2, ts: TS, from: "bob", text: "hi" },
    `{"v":3,"type":"message","seq":2,"ts":${TS},"from":"bob","text":"hi"}`,
  ],
  [
    "leave",
    { type: "leave", seq: 3, ts: TS, name: "bob", reason: "quit" },
    `{"v":3,"type":"leave","seq":3,"ts":${TS},"name":"bob","reason":"quit"}`,
  ],
  [
    "admin",
    { type: "admin", seq: 4, ts: TS, text: "maintenance at 5" },
    `{"v":3,"type":"admin","seq":4,"ts":${TS},"text":"maintenance at 5"}`,
  ],
  [
    "action",
    { type: "action", seq: 5, ts: TS, from: "bob", text: "waves" },
    `{"v":3,"type":"action","seq":5,"ts":${TS},"from":"bob","text":"waves"}`,
  ],
  [
    "private",
    { type: "private", seq: 6, ts: TS, from: "bob", to: "小明", text: "psst" },
    `{"v":3,"type":"private","seq":6,"ts":${TS},"from":"bob","to":"小明","text":"psst"}`,
  ],
  ["hidden", { type: "hidden", seq: 7 }, `{"v":3,"type":"hidden","seq":7}`],
  [
    "rename",
    { type: "rename", seq: 8, ts: TS, from: "alice", to: "小明" },
    `{"v":3,"type":"rename","seq":8,"ts":${TS},"from":"alice","to":"小明"}`,
  ],
  ["nick", { type: "nick", sid: SID, id: 9, name: "ally" }, `{"v":3,"type":"nick","sid":"${SID}","id":9,"name":"ally"}`],
  ["away", { type: "away", sid: SID, id: 10, reason: "lunch" }, `{"v":3,"type":"away","sid":"${SID}","id":10,"reason":"lunch"}`],
  [
    "away without a reason given",
    { type: "away", sid: SID, id: 11, reason: "" },
    `{"v":3,"type":"away","sid":"${SID}","id":11,"reason":""}`,
  ],
  ["away without a reason: back", { type: "away", sid: SID, id: 12 }, `{"v":3,"type":"away","sid":"${SID}","id":12}`],
  [
    "members with away marks",
    { type: "members", id: 4, names: ["alice", "bob"], total: 2, next: 0, away: [{ name: "bob", reason: "lunch" }] },
    `{"v":3,"type":"members","id":4,"names":["alice","bob"],"total":2,"next":0,"away":[{"name":"bob","reason":"lunch"}]}`,
  ],
  ["away_notice", { type: "away_notice", name: "bob", reason: "lunch" }, `{"v":3,"type":"away_notice","name":"bob","reason":"lunch"}`],
];

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("each message type", () => {
  for (const [name, msg, golden] of FIXTURES) {
    test(`${name}: encodes to its golden bytes`, () => {
      expect(new TextDecoder().decode(encode(msg))).toBe(golden);
    });
    test(`${name}: decodes from its golden bytes`, () => {
      expect(decode(utf8(golden))).toEqual([msg]);
    });
    test(`${name}: round trip`, () => {
      expect(decode(encode(msg))).toEqual([msg]);
    });
    test(`${name}: decodes on the side it is sent to`, () => {
      const decodeHere: (d: Uint8Array) => Message[] = senderOf(msg.type) === "server" ? decodeReplies : decodeRequests;
      expect(decodeHere(utf8(golden))).toEqual([msg]);
    });
  }
});

test("every message type has a fixture row", () => {
  const covered = new Set(FIXTURES.map(([, msg]) => msg.type));
  expect(MESSAGE_TYPES.filter((t) => !covered.has(t))).toEqual([]);
});

const MALFORMED: Array<[string, Uint8Array | string, string]> = [
  ["empty datagram", "", "empty datagram"],
  [
    "over the size limit",
    `{"v":3,"type":"ack","id":1,"pad":"${"x".repeat(MAX_DATAGRAM_BYTES)}"}`,
    "datagram too large: 1236 bytes (max 1200)",
  ],
  ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), "not valid UTF-8"],
  ["not JSON", "hello", "not JSON"],
  ["JSON array", "[1,2]", "not a JSON object"],
  ["JSON null", "null", "not a JSON object"],
  ["no version", `{"type":"ack","id":1}`, 'missing "v" (protocol version)'],
  ["another version", `{"v":1,"type":"ack","id":1}`, "unsupported protocol version 1 (this is version 3)"],
  ["version as a string", `{"v":"1","type":"ack","id":1}`, 'unsupported protocol version "1" (this is version 3)'],
  ["unknown type", `{"v":3,"type":"shout"}`, 'unknown type "shout"'],
  ["type inherited from Object", `{"v":3,"type":"toString"}`, 'unknown type "toString"'],
  ["missing type", `{"v":3}`, "unknown type undefined"],
  ["missing field", `{"v":3,"type":"say","sid":"${SID}","id":1,"base":1}`, 'say: missing field "text"'],
  ["empty text", `{"v":3,"type":"say","sid":"${SID}","id":1,"base":1,"text":""}`, 'say: field "text": must not be empty'],
  [
    "text too long",
    `{"v":3,"type":"say","sid":"${SID}","id":1,"base":1,"text":"${"好".repeat(334)}"}`,
    'say: field "text": 1002 bytes (max 1000)',
  ],
  ["text not a string", `{"v":3,"type":"say","sid":"${SID}","id":1,"base":1,"text":42}`, 'say: field "text": expected a string'],
  ["say without base", `{"v":3,"type":"say","sid":"${SID}","id":1,"text":"x"}`, 'say: missing field "base"'],
  [
    "nack with a negative start",
    `{"v":3,"type":"nack","sid":"${SID}","from":-1,"to":3}`,
    'nack: field "from": expected an integer 0..9007199254740991',
  ],
  [
    "epoch of the wrong length",
    `{"v":3,"type":"tick","seq":1,"epoch":"abc","ts":1}`,
    'tick: field "epoch": expected 16 lowercase hex digits',
  ],
  ["short session id", `{"v":3,"type":"say","sid":"abc","id":1,"text":"x"}`, 'say: field "sid": expected 32 lowercase hex digits'],
  [
    "upper-case session id",
    `{"v":3,"type":"bye","sid":"${SID.toUpperCase()}","id":1}`,
    'bye: field "sid": expected 32 lowercase hex digits',
  ],
  ["negative id", `{"v":3,"type":"ack","id":-1}`, 'ack: field "id": expected an integer 0..4294967295'],
  ["fractional id", `{"v":3,"type":"ack","id":1.5}`, 'ack: field "id": expected an integer 0..4294967295'],
  ["id over 32 bits", `{"v":3,"type":"ack","id":4294967296}`, 'ack: field "id": expected an integer 0..4294967295'],
  [
    "bad nonce",
    `{"v":3,"type":"hello","name":"a","nonce":"xyz","cookie":"${COOKIE}"}`,
    'hello: field "nonce": expected 16..32 lowercase hex digits',
  ],
  [
    "name too long in bytes",
    `{"v":3,"type":"hello","name":"${"a".repeat(65)}","nonce":"0123456789abcdef","cookie":"${COOKIE}"}`,
    'hello: field "name": 65 bytes (max 64)',
  ],
  [
    "hello with an empty room",
    `{"v":3,"type":"hello","name":"a","nonce":"0123456789abcdef","cookie":"${COOKIE}","room":""}`,
    'hello: field "room": must not be empty',
  ],
  ["hello without a cookie", `{"v":3,"type":"hello","name":"a","nonce":"0123456789abcdef"}`, 'hello: missing field "cookie"'],
  ["unsigned announce", `{"v":3,"type":"announce","id":1,"text":"x"}`, 'announce: missing field "server"'],
  [
    "announce that names no server",
    `{"v":3,"type":"announce","id":1,"text":"x","ts":1,"nonce":"${NONCE}","mac":"${MAC}"}`,
    'announce: missing field "server"',
  ],
  [
    "announce for a server id of the wrong length",
    `{"v":3,"type":"announce","id":1,"text":"x","server":"abcd",${SIGNED.slice(SIGNED.indexOf('"ts"'))}}`,
    'announce: field "server": expected 16 lowercase hex digits',
  ],
  [
    "announce with a short mac",
    `{"v":3,"type":"announce","id":1,"text":"x","server":"${SERVER}","ts":1,"nonce":"${NONCE}","mac":"abcd"}`,
    'announce: field "mac": expected 64 lowercase hex digits',
  ],
  [
    "unknown leave reason",
    `{"v":3,"type":"leave","seq":1,"ts":1,"name":"a","reason":"bored"}`,
    'leave: field "reason": expected one of quit, timeout, kicked, banned',
  ],
  ["unknown refusal", `{"v":3,"type":"refused","reason":"nope"}`, `refused: field "reason": expected one of ${REFUSAL_REASONS.join(", ")}`],
  [
    "members not names",
    `{"v":3,"type":"welcome","sid":"${SID}","name":"a","members":[1],"count":1,"seq":0,"backlog":0,"epoch":"${EPOCH}","ts":1}`,
    'welcome: field "members": expected an array of names',
  ],
  ["me not a boolean", `{"v":3,"type":"say","sid":"${SID}","id":1,"base":1,"text":"x","me":1}`, 'say: field "me": expected true or false'],
  [
    "private to an empty name",
    `{"v":3,"type":"say","sid":"${SID}","id":1,"base":1,"text":"x","to":""}`,
    'say: field "to": must not be empty',
  ],
  ["second frame broken", `{"v":3,"type":"ack","id":1}\nnope`, "not JSON"],
  ["a field written twice", `{"v":${PROTOCOL_VERSION},"type":"ack","id":1,"id":2}`, "a key appears twice in one object"],
  ["a trailing LF (an empty last frame)", `{"v":${PROTOCOL_VERSION},"type":"ack","id":1}\n`, "not JSON"],
  ["a byte order mark", `\ufeff{"v":${PROTOCOL_VERSION},"type":"ack","id":1}`, "not JSON"],
  [
    "a timestamp past 2^53-1",
    `{"v":${PROTOCOL_VERSION},"type":"tick","seq":1,"epoch":"${EPOCH}","ts":9007199254740992}`,
    'tick: field "ts": expected an integer 0..9007199254740991',
  ],
  [
    "a message's from is a name, not a number",
    `{"v":${PROTOCOL_VERSION},"type":"message","seq":1,"ts":1,"from":7,"text":"x"}`,
    'message: field "from": expected a string',
  ],
  [
    "a nack's from is a number, not a name",
    `{"v":${PROTOCOL_VERSION},"type":"nack","sid":"${SID}","from":"a","to":1}`,
    'nack: field "from": expected an integer 0..9007199254740991',
  ],
];

test("isEncoded tells a message's type from its encoded bytes alone", () => {
  for (const [, msg] of FIXTURES) {
    expect(isEncoded(encode(msg), msg.type)).toBe(true);
    expect(isEncoded(encode(msg), msg.type === "private" ? "message" : "private")).toBe(false);
  }
  expect(isEncoded(utf8(`{"v":3,"type":"privateer"}`), "private")).toBe(false);
});

describe("malformed input is refused with its exact error", () => {
  for (const [name, input, error] of MALFORMED) {
    test(name, () => {
      const bytes = typeof input === "string" ? utf8(input) : input;
      expect(() => decode(bytes)).toThrow(new ProtocolError(error));
    });
  }
});

/** A frame sent the wrong way fails at the door, before its fields are read: [name, who reads it, frame, exact error]. */
const WRONG_WAY: Array<[string, "server" | "client", string, string]> = [
  ["a welcome sent to the server", "server", `{"v":3,"type":"welcome"}`, "welcome: only the server sends this"],
  ["a challenge sent to the server", "server", `{"v":3,"type":"challenge","cookie":"${COOKIE}"}`, "challenge: only the server sends this"],
  ["an ack sent to the server", "server", `{"v":3,"type":"ack","id":1}`, "ack: only the server sends this"],
  ["a tick sent to the server", "server", `{"v":3,"type":"tick","seq":1,"epoch":"${EPOCH}","ts":1}`, "tick: only the server sends this"],
  ["a room event sent to the server", "server", `{"v":3,"type":"join","seq":1,"ts":1,"name":"a"}`, "join: only the server sends this"],
  ["a hidden sent to the server", "server", `{"v":3,"type":"hidden","seq":1}`, "hidden: only the server sends this"],
  ["a knock sent to a member", "client", `{"v":3,"type":"knock"}`, "knock: only a member or an operator sends this"],
  ["a hello sent to a member", "client", `{"v":3,"type":"hello"}`, "hello: only a member sends this"],
  ["a say sent to a member", "client", `{"v":3,"type":"say","sid":"${SID}","id":1,"base":1,"text":"x"}`, "say: only a member sends this"],
  ["a names sent to a member", "client", `{"v":3,"type":"names","sid":"${SID}","id":1,"from":0}`, "names: only a member sends this"],
  ["an announce sent to a member", "client", `{"v":3,"type":"announce","id":1}`, "announce: only an operator sends this"],
  ["a who sent to a member", "client", `{"v":3,"type":"who","id":1,"from":0}`, "who: only an operator sends this"],
  [
    "a request behind a reply",
    "client",
    `{"v":3,"type":"ack","id":1}\n{"v":3,"type":"bye","sid":"${SID}","id":1}`,
    "bye: only a member sends this",
  ],
  [
    "a malformed frame of the right way",
    "server",
    `{"v":3,"type":"ping","sid":"abc"}`,
    'ping: field "sid": expected 32 lowercase hex digits',
  ],
  ["the version is checked first", "client", `{"v":1,"type":"say"}`, "unsupported protocol version 1 (this is version 3)"],
];

describe("a frame sent the wrong way is refused with its exact error", () => {
  for (const [name, reader, frame, error] of WRONG_WAY) {
    test(name, () => {
      const decodeHere = reader === "server" ? decodeRequests : decodeReplies;
      expect(() => decodeHere(utf8(frame))).toThrow(new ProtocolError(error));
    });
  }
  test("the decoder of a malformed frame's side refuses it with decode's error (both do, before the type is known)", () => {
    for (const [, input, error] of MALFORMED) {
      const bytes = typeof input === "string" ? utf8(input) : input;
      const type = /"type":"(\w+)"/.exec(new TextDecoder().decode(bytes))?.[1];
      const known = MESSAGE_TYPES.find((t) => t === type);
      if (!known || senderOf(known) !== "server") expect(() => decodeRequests(bytes)).toThrow(new ProtocolError(error));
      if (!known || senderOf(known) === "server") expect(() => decodeReplies(bytes)).toThrow(new ProtocolError(error));
    }
  });
});

describe("framing", () => {
  test("several frames in one datagram decode in order", () => {
    const frames = [`{"v":3,"type":"ack","id":1}`, `{"v":3,"type":"join","seq":1,"ts":1,"name":"a"}`];
    expect(decode(packFrames(frames))).toEqual([
      { type: "ack", id: 1 },
      { type: "join", seq: 1, ts: 1, name: "a" },
    ]);
  });
  test("`v` is a JSON number: 3.0 and 3e0 are version 3 as 3 is (as every integer field is read)", () => {
    for (const v of [`${PROTOCOL_VERSION}.0`, `${PROTOCOL_VERSION}e0`, `${PROTOCOL_VERSION * 10}e-1`])
      expect(decode(utf8(`{"v":${v},"type":"ack","id":1.0,"seq":1e1}`))).toEqual([{ type: "ack", id: 1, seq: 10 }]);
  });
  test("whitespace around a frame is JSON's: frames separated by CR LF are read; a sender writes a bare LF", () => {
    const frame = `{"v":${PROTOCOL_VERSION},"type":"ack","id":1}`;
    expect(decode(utf8(`${frame}\r\n ${frame} `))).toEqual([
      { type: "ack", id: 1 },
      { type: "ack", id: 1 },
    ]);
  });
  test("the 1171-byte limit is the sender's: a receiver reads frames up to the datagram's 1200 bytes", () => {
    const frame = `{"v":${PROTOCOL_VERSION},"type":"ack","id":1,"pad":"`;
    const full = `${frame}${"x".repeat(MAX_DATAGRAM_BYTES - frame.length - 2)}"}`;
    expect(utf8(full).length).toBe(MAX_DATAGRAM_BYTES);
    expect(decode(utf8(full))).toEqual([{ type: "ack", id: 1 }]);
    expect(() => packFrames([full])).toThrow(ProtocolError);
  });
  test("a name's and a text's bytes are counted as UTF-8 of the decoded string, before JSON escaping", () => {
    const name = "\\u00e9".repeat(32); // 32 é: 64 bytes of UTF-8, 192 bytes escaped
    const hello = (n: string) =>
      utf8(`{"v":${PROTOCOL_VERSION},"type":"hello","name":"${n}","nonce":"0123456789abcdef","cookie":"${COOKIE}"}`);
    expect(decode(hello(name))).toMatchObject([{ name: "é".repeat(32) }]);
    expect(() => decode(hello(`${name}a`))).toThrow(new ProtocolError('hello: field "name": 65 bytes (max 64)'));
    const quotes = '\\"'.repeat(520); // 520 bytes once decoded, 1040 as written: over 1000 only when escaped
    expect(decode(utf8(`{"v":${PROTOCOL_VERSION},"type":"admin","seq":1,"ts":1,"text":"${quotes}"}`))).toMatchObject([
      { text: '"'.repeat(520) },
    ]);
  });
  test("a knock is padded so that its whole datagram is KNOCK_BYTES, more than any challenge the server sends", () => {
    expect(encode(padded({ type: "knock" }, KNOCK_BYTES)).length).toBe(KNOCK_BYTES);
    expect(encode({ type: "challenge", cookie: COOKIE, salt: NONCE }).length).toBeLessThan(KNOCK_BYTES);
  });
  test("unknown fields are ignored (room to grow)", () => {
    expect(decode(utf8(`{"v":3,"type":"ack","id":1,"future":true}`))).toEqual([{ type: "ack", id: 1 }]);
  });
  test("encode refuses a message that would not fit in a datagram", () => {
    const text = '"'.repeat(1000); // 1000 bytes of text, 2000 once escaped
    expect(() => encode({ type: "say", sid: SID, id: 1, base: 1, text })).toThrow(
      new ProtocolError("datagram too large: 2087 bytes (max 1146)"),
    );
  });
  test("encode refuses a field that breaks its rule", () => {
    expect(() => encode({ type: "ack", id: -1 })).toThrow(new ProtocolError('ack: field "id": expected an integer 0..4294967295'));
  });
});

describe("names", () => {
  test.each(["alice", "Bob_2", "a.b-c", "小明", "Ünïcode", "x".repeat(16), "名".repeat(16)])("%p is allowed", (name) => {
    expect(checkName(name)).toEqual({ name });
  });
  test.each(["", "x".repeat(17), "has space", "semi;colon", "emoji🙂", "tab\t", "esc\u001b[31m"])("%p is refused", (name) => {
    expect(checkName(name)).toEqual({ problem: `invalid name ${JSON.stringify(name)}: use 1 to 16 letters, digits, "_", "." or "-"` });
  });
  test("an invisible character is refused with the problem that says which (test/unit/names.test.ts has the rest)", () => {
    expect(checkName("rtl\u202e")).toEqual({ problem: `invalid name "rtl\u202e": it holds U+202E, an invisible format character` });
  });
  test("names are compared without regard to case, after NFC", () => {
    expect(nameKey("Alice")).toBe(nameKey("ALICE"));
    expect(nameKey("e\u0301")).toBe(nameKey("\u00e9"));
  });
});

// ---- docs/PROTOCOL.md, the prose twin ----

const PROTOCOL_MD = readFileSync(join(import.meta.dir, "..", "..", "docs", "PROTOCOL.md"), "utf8");

/** The text of the section whose heading starts with `heading`, up to the next heading of its level or above. */
function section(heading: string): string {
  const start = PROTOCOL_MD.indexOf(`\n${heading}`);
  if (start < 0) throw new Error(`docs/PROTOCOL.md has no section ${heading}`);
  const level = heading.split(" ")[0]!;
  const rest = PROTOCOL_MD.slice(start + heading.length + 1);
  const end = rest.search(new RegExp(`\n#{1,${level.length}} `));
  return end < 0 ? rest : rest.slice(0, end);
}

/** The rows of each table in `text` (header and rule lines left out), as their cells. */
function tables(text: string): string[][][] {
  const found: string[][][] = [];
  let current: string[][] | undefined;
  for (const line of text.split("\n")) {
    if (!line.startsWith("|")) {
      current = undefined;
      continue;
    }
    const cells = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    if (!current) {
      current = []; // this first line is the header
      found.push(current);
    } else if (!cells.every((c) => /^-+$/.test(c))) current.push(cells);
  }
  return found;
}

/** The first table of a §4 subsection: type → its fields as listed (backticks and spaces gone). */
function messageTable(heading: string): Map<string, string[]> {
  const rows = tables(section(heading))[0] ?? [];
  return new Map(
    rows.map(([type, fields]) => [type!.replaceAll("`", ""), fields!.trim() === "" ? [] : fields!.replaceAll("`", "").split(/,\s*/)]),
  );
}

describe("docs/PROTOCOL.md §4 lists exactly the messages of the schema, each with its fields in wire order", () => {
  const requests = messageTable("### Sent by a member or an operator (requests)");
  const replies = messageTable("### Sent by the server to one member (replies)");
  const toEveryMember = messageTable("### Sent by the server to every member");

  test("the requests' table: every type a member, an operator or anyone sends", () => {
    expect([...requests.keys()].sort()).toEqual([...REQUEST_TYPES].sort());
  });
  test("the two tables of what the server sends: every type the server sends, once", () => {
    expect([...replies.keys(), ...toEveryMember.keys()].sort()).toEqual([...REPLY_TYPES].sort());
  });
  test("every room event goes to every member (and so do the tick and the goodbye, which are none: they take no number)", () => {
    expect([...toEveryMember.keys()].sort()).toEqual([...EVENT_TYPES, "tick", "stopping"].sort());
  });
  test("each row lists its type's fields, in wire order, optional ones with ?", () => {
    for (const table of [requests, replies, toEveryMember]) {
      for (const [type, fields] of table) expect({ type, fields }).toEqual({ type, fields: fieldsOf(type as Message["type"]) });
    }
  });
  test("the reasons' table lists every refusal reason", () => {
    const reasons = tables(section("### Sent by the server to one member (replies)"))[1]!.map(([reason]) => reason!.replaceAll("`", ""));
    expect(reasons.sort()).toEqual([...REFUSAL_REASONS].sort());
  });
});

describe("docs/PROTOCOL.md §3 has a row for every field of every message", () => {
  const rows = tables(section("## 3. Field types"))[0]!;
  const named = rows.map(([fields]) => [...fields!.matchAll(/`(\w+)`/g)].map((m) => m[1]!));
  const fields = new Set(MESSAGE_TYPES.flatMap((t) => fieldsOf(t).map((f) => f.replace("?", ""))));
  test("every field of section 4 is named in the first column", () => {
    const listed = new Set(named.flat());
    expect([...fields].filter((f) => !listed.has(f))).toEqual([]);
  });
  test("the first column names only fields, and the message types a row is about", () => {
    const known = new Set<string>([...fields, ...MESSAGE_TYPES]);
    expect(named.flat().filter((word) => !known.has(word))).toEqual([]);
  });
  test("where a field is a name in some messages and a number in others, §3 says which", () => {
    // from: a name in message, action and private; a number in nack and lost, and in names and who
    const rowOf = (field: string, type: string) => rows.find(([f]) => f!.includes(`\`${field}\``) && f!.includes(`\`${type}\``));
    for (const type of ["message", "action", "private"]) expect(rowOf("from", type)?.[1]).toBe("string");
    for (const type of ["nack", "lost", "names", "who"]) expect(rowOf("from", type)?.[1]).toBe("number");
    for (const type of ["private", "say"]) expect(rowOf("to", type)?.[1]).toBe("string");
    for (const type of ["nack", "lost"]) expect(rowOf("to", type)?.[1]).toBe("number");
  });
});

describe("docs/PROTOCOL.md §5.1 names the constant of each figure, and shows its value", () => {
  const CONSTANTS: Record<string, unknown> = { TIMERS, LIMITS, ABUSE, ADMIN_WINDOW_MS };
  const constantNamed = (name: string): unknown =>
    name.split(".").reduce<unknown>((v, key) => (v as Record<string, unknown>)?.[key], CONSTANTS);
  const rows = tables(section("### 5.1 Timers and windows"))[0]!;

  test("it has its rows", () => {
    expect(rows.length).toBeGreaterThan(20);
  });
  for (const [name, shown, meaning, constants] of rows) {
    test(name!, () => {
      const names = [...constants!.matchAll(/`([A-Z_]+(?:\.\w+)?)`/g)].map((m) => m[1]!);
      expect(names.length).toBeGreaterThan(0);
      for (const constant of names) {
        const value = constantNamed(constant);
        expect({ constant, type: typeof value }).toEqual({ constant, type: "number" });
        // A duration may be shown in seconds; a large count with thousands separators.
        const forms = [String(value), (value as number).toLocaleString("en-US")];
        if (/Ms$|_MS$/.test(constant)) forms.push(String((value as number) / 1000));
        const numbers: string[] = `${shown} ${meaning}`.match(/\d+(?:[,.]\d+)*/g) ?? [];
        expect({ constant, shown: forms.some((f) => numbers.includes(f)) }).toEqual({ constant, shown: true });
      }
    });
  }
});

describe("docs/PROTOCOL.md §5.8's worked example of a mac is what the code computes", () => {
  // The example's block: `label  value` lines, the bytes' hex continuing on indented lines.
  const block = /```\n((?: {2}token .*\n)[\s\S]*?) {2}```/.exec(section("### 5.8 Operator requests"))?.[1] ?? "";
  const fields = new Map<string, string>();
  let last = "";
  for (const line of block.split("\n").filter((l) => l.trim() !== "")) {
    const labelled = /^ {2}(\w+) +(.*)$/.exec(line);
    if (labelled) last = labelled[1]!;
    fields.set(last, labelled ? labelled[2]! : `${fields.get(last)} ${line.trim()}`);
  }
  const [token, frame, bytes, mac, sent] = ["token", "frame", "bytes", "mac", "sent"].map((k) => fields.get(k) ?? "");

  test("it has its five lines", () => {
    expect([...fields.keys()]).toEqual(["token", "frame", "bytes", "mac", "sent"]);
  });
  test("the bytes are the frame's UTF-8, and the frame is what encodeFrame (so sign(), so chat admin) writes, its mac's digits as zeros", () => {
    expect(bytes!.replaceAll(" ", "")).toBe(Buffer.from(frame!, "utf8").toString("hex"));
    const [msg] = decodeRequests(utf8(sent!));
    expect(encodeFrame({ ...msg!, mac: "0".repeat(64) } as Message)).toBe(frame!);
  });
  test("the mac is the HMAC-SHA256 of those bytes keyed with the token, and sent is the frame with it in place of the zeros", () => {
    expect(macOf(frame!, token!)).toBe(mac!);
    expect(
      createHmac("sha256", Buffer.from(token!, "utf8"))
        .update(Buffer.from(bytes!.replaceAll(" ", ""), "hex"))
        .digest("hex"),
    ).toBe(mac!);
    expect(sent).toBe(frame!.replace("0".repeat(64), mac!));
  });
  test("a server run with the example's id takes it at its ts; another server with the same token refuses it wrong_server", () => {
    const [msg] = decodeRequests(utf8(sent!));
    if (!msg || !isAdminRequest(msg)) throw new Error("the example is not an operator request");
    expect(new AdminGate(token!, msg.server).check(msg, msg.ts, receivedFrame(msg))).toBe("ok");
    expect(new AdminGate(token!).check(msg, msg.ts, receivedFrame(msg))).toBe("wrong_server");
    expect(new AdminGate("another token, as long").check(msg, msg.ts, receivedFrame(msg))).toBe("bad_token");
  });
});
