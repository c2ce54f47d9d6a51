// The field rules every wire format is checked with: each combinator's exact problems, the readers, and the IPC messages expressed with them.

import { describe, expect, test } from "bun:test";
import {
  anyString,
  bool,
  check,
  type Field,
  finiteNumber,
  hex,
  jsonObject,
  listOf,
  object,
  oneOf,
  optional,
  read,
  string,
  uint,
  variant,
  write,
} from "../../src/core/wire/fields.ts";
import { checkFromConsole, checkFromReceiver, checkToReceiver, isFromConsole, isFromReceiver, isToReceiver } from "../../src/member/ipc.ts";

/** [rule, value, the problem or undefined for a good value]. */
const CASES: Array<[string, Field, unknown, string | undefined]> = [
  ["string", string(1, 4), "abcd", undefined],
  ["string", string(1, 4), "", "must not be empty"],
  ["string", string(2, 4), "a", "1 bytes (min 2)"],
  ["string", string(1, 4), "好好", "6 bytes (max 4)"],
  ["string", string(1, 4), 4, "expected a string"],
  ["anyString", anyString, "", undefined],
  ["anyString", anyString, null, "expected a string"],
  ["uint", uint(9), 9, undefined],
  ["uint", uint(9), 10, "expected an integer 0..9"],
  ["uint", uint(9), 1.5, "expected an integer 0..9"],
  ["uint", uint(9), "1", "expected an integer 0..9"],
  ["finiteNumber", finiteNumber, -1.5, undefined],
  ["finiteNumber", finiteNumber, Number.NaN, "expected a number"],
  ["hex", hex(4), "00ff", undefined],
  ["hex", hex(4), "00FF", "expected 4 lowercase hex digits"],
  ["hex", hex(2, 4), "abc", undefined],
  ["hex", hex(2, 4), "a", "expected 2..4 lowercase hex digits"],
  ["oneOf", oneOf(["a", "b"]), "b", undefined],
  ["oneOf", oneOf(["a", "b"]), "c", "expected one of a, b"],
  ["bool", bool, false, undefined],
  ["bool", bool, 0, "expected true or false"],
  ["listOf", listOf(string(1, 4), "names"), ["a", "b"], undefined],
  ["listOf", listOf(string(1, 4), "names"), ["a", ""], "expected an array of names"],
  ["listOf", listOf(string(1, 4), "names"), "a", "expected an array of names"],
  ["listOf, not empty", listOf(anyString, "servers", 1), [], "must not be empty"],
  ["listOf, at least 2", listOf(anyString, "servers", 2), ["a"], "expected at least 2 servers"],
  ["object", object<{ a: number; b?: string }>({ a: uint(9), b: optional(anyString) }), { a: 1 }, undefined],
  ["object", object<{ a: number }>({ a: uint(9) }), { a: 1, extra: true }, undefined],
  ["object", object<{ a: number }>({ a: uint(9) }), {}, 'missing field "a"'],
  ["object", object<{ a: number }>({ a: uint(9) }), { a: -1 }, 'field "a": expected an integer 0..9'],
  ["object", object<{ a: number }>({ a: uint(9) }), [1], "expected an object"],
];

describe("each combinator passes good values and names the rule a bad one breaks", () => {
  for (const [name, rule, value, problem] of CASES) {
    test(`${name}: ${JSON.stringify(value) ?? String(value)}`, () => {
      expect(rule.check(value)).toBe(problem);
    });
  }
});

type Shape = { kind: "dot"; x: number } | { kind: "line"; from: number; to: number; label?: string };
const SHAPE = variant<Shape, "kind">("kind", { dot: { x: uint(9) }, line: { from: uint(9), to: uint(9), label: optional(anyString) } });

describe("variant tells shapes apart by one field", () => {
  test.each([
    [{ kind: "dot", x: 1 }, undefined],
    [{ kind: "line", from: 1, to: 2, label: "l" }, undefined],
    [{ kind: "line", from: 1 }, 'line: missing field "to"'],
    [{ kind: "dot", x: "1" }, 'dot: field "x": expected an integer 0..9'],
    [{ kind: "toString" }, 'unknown kind "toString"'],
    [{ x: 1 }, "unknown kind undefined"],
    ["dot", "expected an object"],
  ])("%j", (value, problem) => {
    expect(SHAPE.check(value)).toBe(problem);
  });
});

describe("readers", () => {
  const rules = { a: uint(9), b: optional(anyString) };
  test("check returns the value whole, typed, or the problem", () => {
    const value = { kind: "dot", x: 1, extra: true } as Shape;
    expect(check(SHAPE, value)).toEqual({ value });
    expect(check(SHAPE, { kind: "dot" })).toEqual({ problem: 'dot: missing field "x"' });
  });
  test("read keeps only the listed fields, in the rules' order, after what `into` holds", () => {
    const got = read<{ a: number; b?: string }>(rules, { b: "x", z: 1, a: 2 }, { type: "t" });
    expect(got).toEqual({ value: { type: "t", a: 2, b: "x" } as never });
    expect(Object.keys("value" in got ? got.value : {})).toEqual(["type", "a", "b"]);
    expect(read<{ a: number; b?: string }>(rules, { b: "x" })).toEqual({ problem: 'missing field "a"' });
  });
  test("write gives the JSON members in the rules' order, leaving out absent optional ones", () => {
    expect(write<{ a: number; b?: string }>(rules, { b: "x", a: 2 })).toEqual({ value: ',"a":2,"b":"x"' });
    expect(write<{ a: number; b?: string }>(rules, { a: 2 })).toEqual({ value: ',"a":2' });
    expect(write<{ a: number; b?: string }>(rules, { a: 10 })).toEqual({ problem: 'field "a": expected an integer 0..9' });
    expect(write<{ a: number; b?: string }>(rules, {} as { a: number })).toEqual({ problem: 'field "a": missing' });
  });
  test("jsonObject", () => {
    expect(jsonObject('{"a":1}')).toEqual({ value: { a: 1 } });
    expect(jsonObject("{")).toEqual({ problem: "not JSON" });
    expect(jsonObject("[]")).toEqual({ problem: "not a JSON object" });
    expect(jsonObject("null")).toEqual({ problem: "not a JSON object" });
  });
  test("jsonObject refuses a key written twice in one object, however it is spelled, at any depth", () => {
    const twice = { problem: "a key appears twice in one object" };
    expect(jsonObject('{"a":1,"a":2}')).toEqual(twice);
    expect(jsonObject('{"a":1, "\\u0061" :2}')).toEqual(twice); // the same key, escaped
    expect(jsonObject('{"o":{"k":1,"k":1}}')).toEqual(twice);
    expect(jsonObject('{"l":[{"k":1,"k":2}]}')).toEqual(twice);
    expect(jsonObject('{"__proto__":1,"__proto__":2}')).toEqual(twice);
  });
  test("jsonObject: the same key in two objects, and keys and colons inside strings, are no repeat", () => {
    expect(jsonObject('{"o":{"k":1},"p":{"k":2}}')).toEqual({ value: { o: { k: 1 }, p: { k: 2 } } });
    expect(jsonObject('{"a":"\\"a\\":","b":["a:","a" ]}')).toEqual({ value: { a: '"a":', b: ["a:", "a"] } });
    expect(jsonObject('{"a":1,"A":2}')).toEqual({ value: { a: 1, A: 2 } }); // keys are case-sensitive
    expect(jsonObject('{"a":"x\\\\","b":"\\\\\\"","a\\\\":1}')).toEqual({ value: { a: "x\\", b: '\\"', "a\\": 1 } });
    expect(jsonObject('{"a":"x\\\\","a":1}')).toEqual({ problem: "a key appears twice in one object" });
  });
  test("jsonObject takes RFC 8259 whitespace around and inside the object (a CR before a frame's LF is whitespace); no BOM", () => {
    expect(jsonObject(' {"a" : 1}\r\t')).toEqual({ value: { a: 1 } });
    expect(jsonObject("\ufeff{}")).toEqual({ problem: "not JSON" });
    expect(jsonObject("")).toEqual({ problem: "not JSON" });
  });
});

// ---- The IPC messages (src/member/ipc.ts), checked with these rules ----

const SERVERS = [{ host: "127.0.0.1", port: 8888 }];
const STDOUT = { to: "stdout", json: false, color: true, lang: "en" };
const TO_RECEIVER_SAMPLES: unknown[] = [
  { kind: "start", name: "a", room: "lobby", nonce: "00", servers: SERVERS, output: STDOUT },
  { kind: "start", name: "a", room: "lobby", nonce: "00", passphrase: "p", servers: SERVERS, output: { to: "parent" } },
  { kind: "start", name: "a", room: "lobby", nonce: "00", servers: [], output: STDOUT },
  { kind: "start", name: "a", room: "lobby", nonce: "00", servers: [{ host: "h" }], output: STDOUT },
  { kind: "start", name: "a", room: "lobby", nonce: "00", servers: SERVERS, output: { to: "stdout", json: false, color: true } },
  { kind: "start", name: "a", room: "lobby", nonce: "00", servers: SERVERS, output: { to: "file" } },
  { kind: "start", name: "a", room: 1, nonce: "00", servers: SERVERS, output: STDOUT },
  { kind: "start", name: "a", room: "lobby", nonce: "00", passphrase: 5, servers: SERVERS, output: STDOUT },
  { kind: "say", text: "hi" },
  { kind: "say", text: "hi", to: "bob", me: true, ref: 3 },
  { kind: "say", text: "hi", me: "yes" },
  { kind: "say" },
  { kind: "who" },
  { kind: "leave" },
  { kind: "dance" },
  "leave",
  null,
];
const FROM_RECEIVER_SAMPLES: unknown[] = [
  { kind: "joined", name: "a" },
  { kind: "joined" },
  { kind: "show", item: { type: "message", seq: 1 }, history: false },
  { kind: "show", item: { seq: 1 }, history: false },
  { kind: "show", item: { type: "join" } },
  { kind: "log", level: "warn", text: "x" },
  { kind: "log", level: "loud", text: "x" },
  { kind: "settled", ref: 1 },
  { kind: "settled", ref: 1, problem: "too long" },
  { kind: "settled", ref: "1" },
  { kind: "members", names: ["a", "b"] },
  { kind: "members", names: ["a", 2] },
  { kind: "status" },
  { kind: "status", text: "joining" },
  { kind: "status", text: 1 },
  { kind: "nope" },
  [],
];
const FROM_CONSOLE_SAMPLES: unknown[] = [{ kind: "line", text: "/who" }, { kind: "line" }, { kind: "key", text: "x" }, 3];

/** What the hand-written guards ipc.ts had before its rules accepted (true) or refused: the rules keep every verdict. */
const VERDICTS = JSON.parse(
  "[[true, true, false, false, false, false, false, false, true, true, false, false, true, true, false, false, false], [true, false, true, false, false, true, false, true, true, false, true, false, true, true, false, false, false], [true, false, false, false]]",
) as [boolean[], boolean[], boolean[]];

describe("the IPC messages are checked by rules that keep the verdicts of the old hand-written guards", () => {
  test.each(TO_RECEIVER_SAMPLES.map((v, i) => [v, VERDICTS[0][i]]))("to the receiver: %j", (v, ok) => {
    expect(isToReceiver(v)).toBe(ok!);
  });
  test.each(FROM_RECEIVER_SAMPLES.map((v, i) => [v, VERDICTS[1][i]]))("from the receiver: %j", (v, ok) => {
    expect(isFromReceiver(v)).toBe(ok!);
  });
  test.each(FROM_CONSOLE_SAMPLES.map((v, i) => [v, VERDICTS[2][i]]))("from the console: %j", (v, ok) => {
    expect(isFromConsole(v)).toBe(ok!);
  });
  test("and say which rule a bad one breaks", () => {
    expect(checkToReceiver(TO_RECEIVER_SAMPLES[2])).toEqual({ problem: 'start: field "servers": must not be empty' });
    expect(checkToReceiver(TO_RECEIVER_SAMPLES[4])).toEqual({ problem: 'start: field "output": stdout: missing field "lang"' });
    expect(checkFromReceiver({ kind: "log", level: "loud", text: "x" })).toEqual({
      problem: 'log: field "level": expected one of debug, info, success, warn, error',
    });
    expect(checkFromConsole({ kind: "key", text: "x" })).toEqual({ problem: 'field "kind": expected one of line' });
  });
});
