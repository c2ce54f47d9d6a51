// What members see: exact human lines, exact JSON lines, and network text made harmless for a terminal.

import { describe, expect, test } from "bun:test";
import type { Shown } from "../src/core/render.ts";
import { humanLine, jsonLine, render, sanitize } from "../src/core/render.ts";

const TS = 1_795_000_000_000;
const SID = "0".repeat(32);
const EPOCH = "feedfacefeedface";

const CASES: Array<[Shown, string, string]> = [
  [
    { type: "welcome", sid: SID, name: "alice", members: ["bob", "carol"], count: 2, seq: 2, backlog: 0, epoch: EPOCH, ts: TS },
    "joined as alice; also here: bob, carol",
    `{"type":"welcome","name":"alice","members":["bob","carol"],"count":2,"seq":2,"ts":${TS}}`,
  ],
  [
    { type: "welcome", sid: SID, name: "alice", members: [], count: 0, seq: 1, backlog: 0, epoch: EPOCH, ts: TS },
    "joined as alice; nobody else is here yet",
    `{"type":"welcome","name":"alice","members":[],"count":0,"seq":1,"ts":${TS}}`,
  ],
  [
    { type: "welcome", sid: SID, name: "alice", members: ["bob"], count: 3, seq: 4, backlog: 0, epoch: EPOCH, ts: TS },
    "joined as alice; also here: bob and 2 more",
    `{"type":"welcome","name":"alice","members":["bob"],"count":3,"seq":4,"ts":${TS}}`,
  ],
  [{ type: "join", seq: 3, ts: TS, name: "dave" }, "dave joined", `{"type":"join","seq":3,"ts":${TS},"name":"dave"}`],
  [{ type: "message", seq: 4, ts: TS, from: "bob", text: "hi" }, "bob: hi", `{"type":"message","seq":4,"ts":${TS},"from":"bob","text":"hi"}`],
  [{ type: "message", seq: 5, ts: TS, from: "小明", text: "你好 🌏" }, "小明: 你好 🌏", `{"type":"message","seq":5,"ts":${TS},"from":"小明","text":"你好 🌏"}`],
  [{ type: "leave", seq: 6, ts: TS, name: "bob", reason: "quit" }, "bob left", `{"type":"leave","seq":6,"ts":${TS},"name":"bob","reason":"quit"}`],
  [{ type: "leave", seq: 7, ts: TS, name: "bob", reason: "timeout" }, "bob left (timed out)", `{"type":"leave","seq":7,"ts":${TS},"name":"bob","reason":"timeout"}`],
  [{ type: "leave", seq: 8, ts: TS, name: "bob", reason: "kicked" }, "bob left (kicked)", `{"type":"leave","seq":8,"ts":${TS},"name":"bob","reason":"kicked"}`],
  [{ type: "admin", seq: 9, ts: TS, text: "hello all" }, "[admin] hello all", `{"type":"admin","seq":9,"ts":${TS},"text":"hello all"}`],
];

describe("each event as a line", () => {
  for (const [item, human, json] of CASES) {
    test(`${item.type}: human`, () => expect(render(item, { json: false, color: false })).toBe(human));
    test(`${item.type}: JSON`, () => expect(render(item, { json: true, color: false })).toBe(json));
  }
});

describe("colour", () => {
  test("is plain text when off: no escape byte at all", () => {
    for (const [item] of CASES) expect(humanLine(item, false)).not.toContain("\x1b");
  });
  test("when on, the words are the same once the escape codes are removed", () => {
    for (const [item, human] of CASES) {
      const coloured = humanLine(item, true);
      expect(coloured).toContain("\x1b[");
      expect(coloured.replace(/\x1b\[[0-9;]*m/g, "")).toBe(human);
    }
  });
});

describe("terminal safety", () => {
  test("escape sequences are shown, not obeyed", () => {
    expect(sanitize("\x1b[2J\x1b]0;pwned\x07")).toBe("␛[2J␛]0;pwned␇");
  });
  test("a newline cannot fake a second line from someone else", () => {
    const line = humanLine({ type: "message", seq: 1, ts: TS, from: "eve", text: "hi\nbob: send me your password" }, false);
    expect(line).toBe("eve: hi␊bob: send me your password");
    expect(line).not.toContain("\n");
  });
  test("C1 controls become U+FFFD, DEL becomes ␡, bidi overrides are removed", () => {
    expect(sanitize("a\u009bb\u007fc\u202eevil\u2066d")).toBe("a\ufffdb␡cevild");
  });
  test("ordinary text, Chinese and emoji pass unchanged", () => {
    expect(sanitize("hello, 世界 🌏 café")).toBe("hello, 世界 🌏 café");
  });
  test("JSON lines escape every control, C1 and bidi character and stay one line", () => {
    const line = jsonLine({ type: "message", seq: 1, ts: TS, from: "eve", text: "a\nb\x1b\u009b\u202e" });
    expect(line).toBe(`{"type":"message","seq":1,"ts":${TS},"from":"eve","text":"a\\nb\\u001b\\u009b\\u202e"}`);
    expect(JSON.parse(line).text).toBe("a\nb\x1b\u009b\u202e");
  });
  test("the session id never appears in the transcript", () => {
    const welcome: Shown = { type: "welcome", sid: "deadbeef".repeat(4), name: "a", members: [], count: 0, seq: 1, backlog: 0, epoch: EPOCH, ts: TS };
    expect(jsonLine(welcome)).not.toContain("deadbeef");
    expect(jsonLine(welcome)).not.toContain(EPOCH);
    expect(humanLine(welcome, false)).not.toContain("deadbeef");
  });
});

describe("history (the backlog a member gets on joining)", () => {
  const event = { type: "message", seq: 4, ts: TS, from: "bob", text: "earlier" } as const;
  test("is marked in the human line", () => {
    expect(render(event, { json: false, color: false }, true)).toBe("[history] bob: earlier");
    expect(render({ type: "admin", seq: 5, ts: TS, text: "notice" }, { json: false, color: false }, true)).toBe("[history] [admin] notice");
  });
  test('carries "history":true in JSON, and only then', () => {
    expect(render(event, { json: true, color: false }, true)).toBe(`{"type":"message","seq":4,"ts":${TS},"from":"bob","text":"earlier","history":true}`);
    expect(render(event, { json: true, color: false })).not.toContain("history");
  });
});
