// The cluster's wire by fixtures: names of streams, subjects and keys, message ids, and the JSON of name holders and kick orders (golden bytes, exact errors).

import { describe, expect, test } from "bun:test";
import {
  decodeHolder,
  decodeKickOrder,
  encodeHolder,
  encodeKickOrder,
  epochOf,
  goneMessageId,
  type KickOrder,
  keyOf,
  parseKey,
  roomOfStream,
  type StoredHolder,
  sayMessageId,
  storingKey,
  streamConfig,
  streamOf,
  subjectOf,
} from "../../src/cluster/wire.ts";

const SERVER = "0123456789abcdef";
const NONCE = "00ff00ff00ff00ff";

describe("names of streams, subjects and keys carry the room's UTF-8 in hex", () => {
  test.each([
    ["lobby", "CHAT_ROOM_6c6f626279", "chat.room.6c6f626279"],
    ["小明", "CHAT_ROOM_e5b08fe6988e", "chat.room.e5b08fe6988e"],
  ])("%p", (room, stream, subject) => {
    expect(streamOf(room)).toBe(stream);
    expect(subjectOf(room)).toBe(subject);
    expect(roomOfStream(stream)).toBe(room);
  });
  test("a stream of something else is no room", () => {
    expect(roomOfStream("KV_chat_names")).toBeUndefined();
  });
  test("a names bucket key and back", () => {
    expect(keyOf("lobby", "alice")).toBe("6c6f626279.616c696365");
    expect(parseKey("6c6f626279.616c696365")).toEqual({ room: "lobby", nameKey: "alice" });
    expect(parseKey("6c6f626279")).toBeUndefined();
  });
  test("a room's stream keeps 100,000 events and remembers message ids for 2 minutes", () => {
    expect(streamConfig("ops")).toEqual({
      name: "CHAT_ROOM_6f7073",
      subjects: ["chat.room.6f7073"],
      max_msgs: 100_000,
      duplicate_window: 120e9,
    });
  });
  test("a room's epoch is 16 hex digits named after its stream and when it was made", () => {
    const epoch = epochOf("CHAT_ROOM_6f7073", "2026-12-01T00:00:00Z");
    expect(epoch).toMatch(/^[0-9a-f]{16}$/);
    expect(epochOf("CHAT_ROOM_6f7073", "2026-12-01T00:00:00Z")).toBe(epoch);
    expect(epochOf("CHAT_ROOM_6f7073", "2026-12-01T00:00:01Z")).not.toBe(epoch);
  });
});

test("message ids and the storing key", () => {
  expect(sayMessageId("lobby", NONCE, 7)).toBe(`lobby:${NONCE}:7`);
  expect(goneMessageId("lobby", "alice", 12)).toBe("gone:lobby:alice:12");
  expect(storingKey({ address: "10.0.0.1", port: 4000 }, 7)).toBe("10.0.0.1|4000|7");
});

const HOLDERS: Array<[string, StoredHolder, string]> = [
  ["a holder", { name: "alice", server: SERVER, nonce: NONCE }, `{"name":"alice","server":"${SERVER}","nonce":"${NONCE}"}`],
  ["a Chinese name", { name: "小明", server: SERVER, nonce: NONCE }, `{"name":"小明","server":"${SERVER}","nonce":"${NONCE}"}`],
];

const ORDERS: Array<[string, KickOrder, string]> = [
  ["a kick", { to: SERVER, room: "lobby", name: "bob" }, `{"to":"${SERVER}","room":"lobby","name":"bob"}`],
  ["a ban", { to: SERVER, room: "ops", name: "bob", banSeconds: 600 }, `{"to":"${SERVER}","room":"ops","name":"bob","banSeconds":600}`],
  [
    "a ban while it runs",
    { to: SERVER, room: "ops", name: "bob", banSeconds: 0 },
    `{"to":"${SERVER}","room":"ops","name":"bob","banSeconds":0}`,
  ],
];

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("each good row encodes to its golden bytes and decodes back", () => {
  for (const [name, holder, golden] of HOLDERS) {
    test(name, () => {
      expect(new TextDecoder().decode(encodeHolder(holder))).toBe(golden);
      expect(decodeHolder(utf8(golden), 3)).toEqual({ value: { ...holder, revision: 3 } });
    });
  }
  for (const [name, order, golden] of ORDERS) {
    test(name, () => {
      expect(encodeKickOrder(order)).toBe(golden);
      expect(decodeKickOrder(golden)).toEqual({ value: order });
    });
  }
  test("unknown fields are dropped (room to grow)", () => {
    expect(decodeKickOrder(`{"to":"${SERVER}","room":"a","name":"b","why":"spam"}`)).toEqual({
      value: { to: SERVER, room: "a", name: "b" },
    });
  });
});

const BAD_HOLDERS: Array<[string, string, string]> = [
  ["not JSON", "nope", "name holder: not JSON"],
  ["an array", "[]", "name holder: not a JSON object"],
  ["no name", `{"server":"${SERVER}","nonce":"${NONCE}"}`, 'name holder: missing field "name"'],
  ["an empty name", `{"name":"","server":"${SERVER}","nonce":"${NONCE}"}`, 'name holder: field "name": must not be empty'],
  [
    "a server id that is no id",
    `{"name":"a","server":"s1","nonce":"${NONCE}"}`,
    'name holder: field "server": expected 16 lowercase hex digits',
  ],
  [
    "a nonce too short",
    `{"name":"a","server":"${SERVER}","nonce":"ab"}`,
    'name holder: field "nonce": expected 16..32 lowercase hex digits',
  ],
];

const BAD_ORDERS: Array<[string, string, string]> = [
  ["not JSON", "{", "kick order: not JSON"],
  ["a string", '"kick"', "kick order: not a JSON object"],
  ["no server", `{"room":"a","name":"b"}`, 'kick order: missing field "to"'],
  ["no room", `{"to":"${SERVER}","name":"b"}`, 'kick order: missing field "room"'],
  ["a name that is a number", `{"to":"${SERVER}","room":"a","name":7}`, 'kick order: field "name": expected a string'],
  [
    "a negative ban",
    `{"to":"${SERVER}","room":"a","name":"b","banSeconds":-1}`,
    'kick order: field "banSeconds": expected an integer 0..4294967295',
  ],
  [
    "a ban as a string",
    `{"to":"${SERVER}","room":"a","name":"b","banSeconds":"600"}`,
    'kick order: field "banSeconds": expected an integer 0..4294967295',
  ],
];

describe("each bad row is refused with its exact error", () => {
  for (const [name, text, problem] of BAD_HOLDERS) {
    test(`holder: ${name}`, () => {
      expect(decodeHolder(utf8(text), 1)).toEqual({ problem });
    });
  }
  for (const [name, text, problem] of BAD_ORDERS) {
    test(`kick order: ${name}`, () => {
      expect(decodeKickOrder(text)).toEqual({ problem });
    });
  }
  test("encoding a bad value is a bug: it throws", () => {
    expect(() => encodeKickOrder({ to: "nobody", room: "a", name: "b" })).toThrow(
      'kick order: field "to": expected 16 lowercase hex digits',
    );
  });
});
