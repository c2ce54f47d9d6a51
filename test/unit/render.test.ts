// What members see: exact human lines in English and Chinese, exact JSON lines, colours, timestamps, mentions, and network text made harmless.

import { describe, expect, test } from "bun:test";
import type { Shown, View } from "../../src/core/screen/render.ts";
import {
  humanLine,
  jsonLine,
  langOf,
  membersJson,
  membersLine,
  NAME_COLORS,
  nameColor,
  ownLine,
  PRIVATE_COLOR,
  render,
  rings,
  sanitize,
} from "../../src/core/screen/render.ts";

const TS = 1_795_000_000_000;
const SID = "0".repeat(32);
const EPOCH = "feedfacefeedface";

const EN: View = { json: false, color: false, lang: "en" };
const ZH: View = { json: false, color: false, lang: "zh" };
const JSON_VIEW: View = { json: true, color: false, lang: "en" };
const COLOR: View = { ...EN, color: true };
const stripped = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

const CASES: Array<[Shown, string, string, string]> = [
  [
    { type: "welcome", sid: SID, name: "alice", members: ["bob", "carol"], count: 2, seq: 2, backlog: 0, epoch: EPOCH, ts: TS },
    "joined as alice; also here: bob, carol",
    "你以 alice 的身份进入聊天室，在线：bob、carol",
    `{"type":"welcome","name":"alice","members":["bob","carol"],"count":2,"seq":2,"ts":${TS}}`,
  ],
  [
    { type: "welcome", sid: SID, name: "alice", members: [], count: 0, seq: 1, backlog: 0, epoch: EPOCH, ts: TS },
    "joined as alice; nobody else is here yet",
    "你以 alice 的身份进入聊天室，目前只有你一人",
    `{"type":"welcome","name":"alice","members":[],"count":0,"seq":1,"ts":${TS}}`,
  ],
  [
    { type: "welcome", sid: SID, name: "alice", members: ["bob"], count: 3, seq: 4, backlog: 0, epoch: EPOCH, ts: TS },
    "joined as alice; also here: bob and 2 more",
    "你以 alice 的身份进入聊天室，在线：bob 等另外 2 人",
    `{"type":"welcome","name":"alice","members":["bob"],"count":3,"seq":4,"ts":${TS}}`,
  ],
  [{ type: "join", seq: 3, ts: TS, name: "dave" }, "dave joined", "dave 进入聊天室", `{"type":"join","seq":3,"ts":${TS},"name":"dave"}`],
  [
    { type: "message", seq: 4, ts: TS, from: "bob", text: "hi" },
    "bob: hi",
    "bob 说：hi",
    `{"type":"message","seq":4,"ts":${TS},"from":"bob","text":"hi"}`,
  ],
  [
    { type: "message", seq: 5, ts: TS, from: "小明", text: "你好 🌏" },
    "小明: 你好 🌏",
    "小明 说：你好 🌏",
    `{"type":"message","seq":5,"ts":${TS},"from":"小明","text":"你好 🌏"}`,
  ],
  [
    { type: "leave", seq: 6, ts: TS, name: "bob", reason: "quit" },
    "bob left",
    "bob 退出了聊天室",
    `{"type":"leave","seq":6,"ts":${TS},"name":"bob","reason":"quit"}`,
  ],
  [
    { type: "leave", seq: 7, ts: TS, name: "bob", reason: "timeout" },
    "bob left (timed out)",
    "bob 退出了聊天室（超时）",
    `{"type":"leave","seq":7,"ts":${TS},"name":"bob","reason":"timeout"}`,
  ],
  [
    { type: "leave", seq: 8, ts: TS, name: "bob", reason: "kicked" },
    "bob left (kicked)",
    "bob 退出了聊天室（被管理员移出）",
    `{"type":"leave","seq":8,"ts":${TS},"name":"bob","reason":"kicked"}`,
  ],
  [
    { type: "admin", seq: 9, ts: TS, text: "hello all" },
    "[admin] hello all",
    "管理员消息：hello all",
    `{"type":"admin","seq":9,"ts":${TS},"text":"hello all"}`,
  ],
  [
    { type: "action", seq: 10, ts: TS, from: "bob", text: "waves" },
    "* bob waves",
    "* bob waves",
    `{"type":"action","seq":10,"ts":${TS},"from":"bob","text":"waves"}`,
  ],
  [
    { type: "private", seq: 11, ts: TS, from: "bob", to: "alice", text: "psst" },
    "[private] bob: psst",
    "bob 悄悄对你说：psst",
    `{"type":"private","seq":11,"ts":${TS},"from":"bob","to":"alice","text":"psst"}`,
  ],
];

describe("each event as a line", () => {
  for (const [item, en, zh, json] of CASES) {
    test(`${item.type}: English`, () => expect(render(item, EN)).toBe(en));
    test(`${item.type}: Chinese`, () => expect(render(item, ZH)).toBe(zh));
    test(`${item.type}: JSON, the same whatever the language`, () => {
      expect(render(item, JSON_VIEW)).toBe(json);
      expect(render(item, { ...JSON_VIEW, lang: "zh" })).toBe(json);
    });
  }
});

describe("the member's own lines and /who", () => {
  test("a message, an action and a private message as sent, and marked while unconfirmed", () => {
    expect(ownLine({ text: "hi" }, "alice", EN, TS, false)).toBe("alice: hi");
    expect(ownLine({ text: "hi" }, "alice", EN, TS, true)).toBe("alice: hi (sending…)");
    expect(ownLine({ text: "waves", me: true }, "alice", EN, TS, false)).toBe("* alice waves");
    expect(ownLine({ text: "psst", to: "bob" }, "alice", EN, TS, false)).toBe("[private to bob] psst");
    expect(ownLine({ text: "你好" }, "alice", ZH, TS, false)).toBe("alice 说：你好");
    expect(ownLine({ text: "psst", to: "bob" }, "alice", ZH, TS, true)).toBe("你悄悄对 bob 说：psst（发送中…）");
  });
  test("a line waiting for the room's allowance, or for the server to be back, has a mark of its own", () => {
    expect(ownLine({ text: "hi" }, "alice", EN, TS, "sending")).toBe("alice: hi (sending…)");
    expect(ownLine({ text: "hi" }, "alice", EN, TS, "queued")).toBe("alice: hi (queued)");
    expect(ownLine({ text: "hi" }, "alice", EN, TS, "waiting")).toBe("alice: hi (waiting for the server)");
    expect(ownLine({ text: "你好" }, "alice", ZH, TS, "queued")).toBe("alice 说：你好（排队中）");
    expect(ownLine({ text: "你好" }, "alice", ZH, TS, "waiting")).toBe("alice 说：你好（等待服务器）");
    expect(ownLine({ text: "hi" }, "alice", COLOR, TS, "queued")).toBe(
      `\x1b[2malice: hi (queued)\x1b[22m`.replace("alice", `\x1b[1;${nameColor("alice")}malice\x1b[22;39m`),
    );
  });
  test("the server's goodbye: one line, in each language, and its own JSON object", () => {
    const stopped: Shown = { type: "status", text: "server_stopped", ts: TS };
    expect(humanLine(stopped, EN)).toBe("the server stopped; waiting for it to come back…");
    expect(humanLine(stopped, ZH)).toBe("服务器已停止，正在等待它恢复…");
    expect(jsonLine(stopped, false, "lobby")).toBe(`{"type":"status","text":"server_stopped","ts":${TS},"room":"lobby"}`);
  });
  test("/ignore's answers: added, removed, the list (none too), in each language; JSON carries the list", () => {
    const added: Shown = { type: "ignoring", names: ["bob"], added: "bob", ts: TS };
    const removed: Shown = { type: "ignoring", names: [], removed: "bob", ts: TS };
    const list: Shown = { type: "ignoring", names: ["bob", "小明"], ts: TS };
    const none: Shown = { type: "ignoring", names: [], ts: TS };
    const clock = () => "12:34";
    expect([added, removed, list, none].map((i) => humanLine(i, { ...EN, clock }))).toEqual([
      "ignoring bob: you will not see their messages (/unignore bob undoes it)",
      "no longer ignoring bob",
      "ignoring (2): bob, 小明",
      "you are ignoring nobody",
    ]);
    expect([added, removed, list, none].map((i) => humanLine(i, ZH))).toEqual([
      "已屏蔽 bob：你将看不到 ta 的消息（/unignore bob 取消）",
      "已取消屏蔽 bob",
      "已屏蔽（2 人）：bob、小明",
      "你没有屏蔽任何人",
    ]);
    expect(jsonLine(added, false, "lobby")).toBe(`{"type":"ignoring","names":["bob"],"added":"bob","ts":${TS},"room":"lobby"}`);
  });
  test("a welcome after /join names the room it carries, not the view's", () => {
    const w: Shown = {
      type: "welcome",
      sid: SID,
      name: "alice",
      members: [],
      count: 0,
      seq: 0,
      backlog: 0,
      epoch: EPOCH,
      ts: TS,
      room: "ops",
    };
    expect(humanLine(w, { ...EN, room: "lobby" })).toBe("joined room ops as alice; nobody else is here yet");
    expect(humanLine({ ...w, room: "lobby" }, { ...EN, room: "ops" })).toBe("joined as alice; nobody else is here yet");
    expect(jsonLine(w, false, "lobby")).toBe(`{"type":"welcome","name":"alice","members":[],"count":0,"seq":0,"ts":${TS},"room":"ops"}`);
  });
  test("the members, for a person and for a program", () => {
    expect(membersLine(["alice", "bob"], EN)).toBe("here (2): alice, bob");
    expect(membersLine(["alice", "bob"], ZH)).toBe("在线（2 人）：alice、bob");
    expect(membersJson(["alice", "bob"])).toBe(`{"type":"members","names":["alice","bob"],"count":2}`);
  });
  test("the members with away marks: after each away name its reason, or only that it is away", () => {
    const away = [
      { name: "bob", reason: "lunch" },
      { name: "cat", reason: "" },
    ];
    expect(membersLine(["alice", "Bob", "cat"], EN, away)).toBe("here (3): alice, Bob (away: lunch), cat (away)");
    expect(membersLine(["alice", "bob", "cat"], ZH, away)).toBe("在线（3 人）：alice、bob（离开：lunch）、cat（离开）");
    expect(membersLine(["bob"], EN, [{ name: "bob", reason: "\x1b[2J" }])).toBe("here (1): bob (away: ␛[2J)");
    expect(membersJson(["alice", "bob"], "lobby", away.slice(0, 1))).toBe(
      `{"type":"members","names":["alice","bob"],"count":2,"away":[{"name":"bob","reason":"lunch"}],"room":"lobby"}`,
    );
  });
  test("a rename and an away notice: one line each, in each language, and their JSON objects", () => {
    const rename: Shown = { type: "rename", seq: 9, ts: TS, from: "alice", to: "ally" };
    expect(humanLine(rename, EN)).toBe("alice is now ally");
    expect(humanLine(rename, ZH)).toBe("alice 改名为 ally");
    expect(jsonLine(rename, false, "lobby")).toBe(`{"type":"rename","seq":9,"ts":${TS},"from":"alice","to":"ally","room":"lobby"}`);
    const notice: Shown = { type: "away_notice", name: "bob", reason: "lunch", ts: TS };
    expect(humanLine(notice, EN)).toBe("bob is away: lunch");
    expect(humanLine(notice, ZH)).toBe("bob 暂时离开：lunch");
    expect(humanLine({ ...notice, reason: "" }, EN)).toBe("bob is away");
    expect(jsonLine(notice, false, "lobby")).toBe(`{"type":"away_notice","name":"bob","reason":"lunch","ts":${TS},"room":"lobby"}`);
  });
});

describe("language", () => {
  test("Chinese when the locale's language is zh, in POSIX order; C and POSIX name no language", () => {
    expect(langOf({})).toBe("en");
    expect(langOf({ LANG: "zh_CN.UTF-8" })).toBe("zh");
    expect(langOf({ LC_ALL: "zh_TW.UTF-8", LANG: "en_US.UTF-8" })).toBe("zh");
    expect(langOf({ LC_ALL: "en_US.UTF-8", LANG: "zh_CN.UTF-8" })).toBe("en");
    expect(langOf({ LC_ALL: "C.UTF-8", LANG: "zh_CN.UTF-8" })).toBe("zh");
    expect(langOf({ LANG: "C" })).toBe("en");
    expect(langOf({ LANG: "fr_FR.UTF-8" })).toBe("en");
  });
});

describe("colour", () => {
  test("is plain text when off: no escape byte at all", () => {
    for (const [item] of CASES) {
      expect(humanLine(item, EN)).not.toContain("\x1b");
      expect(humanLine(item, ZH)).not.toContain("\x1b");
    }
  });
  test("when on, the words are the same once the escape codes are removed", () => {
    for (const [item, en] of CASES) {
      const coloured = humanLine(item, COLOR);
      expect(coloured).toContain("\x1b[");
      expect(stripped(coloured)).toBe(en);
    }
  });
  test("each name keeps its colour (whatever its case), and names differ", () => {
    expect(nameColor("alice")).toBe(nameColor("ALICE"));
    expect(humanLine(CASES[4]![0], COLOR)).toStartWith(`\x1b[1;${nameColor("bob")}mbob\x1b[22;39m`);
    const colours = new Set(["alice", "bob", "carol", "dave", "eve", "frank", "小明", "grace"].map(nameColor));
    expect(colours.size).toBeGreaterThan(3);
  });
  test("the administrator's lines and the room's notices look different from messages", () => {
    const admin = humanLine({ type: "admin", seq: 1, ts: TS, text: "x" }, COLOR);
    const notice = humanLine({ type: "join", seq: 1, ts: TS, name: "x" }, COLOR);
    expect(admin).toStartWith("\x1b[1;33m");
    expect(notice).toStartWith("\x1b[2m");
  });
});

describe("timestamps and mentions", () => {
  const clock = () => "09:05";
  test("HH:MM in front of each event when the view has a clock", () => {
    expect(humanLine(CASES[4]![0], { ...EN, clock })).toBe("09:05 bob: hi");
    expect(humanLine(CASES[3]![0], { ...ZH, clock })).toBe("09:05 dave 进入聊天室");
    expect(ownLine({ text: "hi" }, "alice", { ...EN, clock }, TS, false)).toBe("09:05 alice: hi");
  });
  test("a message naming the member is highlighted and rings; one that does not, or a longer word, does not", () => {
    const said = (text: string): Shown => ({ type: "message", seq: 1, ts: TS, from: "bob", text });
    expect(rings(said("hey Alice, look"), "alice")).toBe(true);
    expect(rings(said("张三你好"), "张三")).toBe(true);
    expect(rings(said("malice"), "alice")).toBe(false);
    expect(rings(said("hello"), "alice")).toBe(false);
    expect(rings(said("hi a-b.c!"), "A-B.c")).toBe(true);
    expect(rings(said("hi a-bxc"), "a-b.c")).toBe(false);
    expect(rings({ type: "private", seq: 1, ts: TS, from: "bob", to: "alice", text: "x" }, "alice")).toBe(true);
    expect(rings({ type: "join", seq: 1, ts: TS, name: "alice" }, "alice")).toBe(false);
    const line = humanLine(said("hey Alice, look"), { ...COLOR, self: "alice" });
    expect(line).toContain("\x1b[1;7mAlice\x1b[22;27m");
    expect(stripped(line)).toBe("bob: hey Alice, look");
  });
});

describe("terminal safety", () => {
  test("escape sequences are shown, not obeyed", () => {
    expect(sanitize("\x1b[2J\x1b]0;pwned\x07")).toBe("␛[2J␛]0;pwned␇");
  });
  test("a newline cannot fake a second line from someone else", () => {
    const line = humanLine({ type: "message", seq: 1, ts: TS, from: "eve", text: "hi\nbob: send me your password" }, EN);
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
  test.each([
    ["ZWSP", "\u200b"],
    ["WJ", "\u2060"],
    ["BOM", "\ufeff"],
    ["LRM", "\u200e"],
    ["RLM", "\u200f"],
    ["ALM", "\u061c"],
    ["LRE", "\u202a"],
    ["RLO", "\u202e"],
    ["PDF", "\u202c"],
    ["LRI", "\u2066"],
    ["FSI", "\u2068"],
    ["PDI", "\u2069"],
    ["soft hyphen", "\u00ad"],
    ["Mongolian vowel separator", "\u180e"],
    ["invisible times", "\u2062"],
    ["interlinear annotation anchor", "\ufff9"],
    ["a lone tag", "\u{e0041}"],
    ["a musical format character", "\u{1d173}"],
    ["a ZWJ between spaces", "\u200d"],
    ["a ZWNJ between spaces", "\u200c"],
  ])("the invisible format character %s is removed from names, messages and admin text", (_, c) => {
    expect(sanitize(`a ${c}b${c} c`)).toBe("a b c");
    expect(humanLine({ type: "message", seq: 1, ts: TS, from: `al${c}ice`, text: `hi${c} there` }, EN)).toBe("alice: hi there");
    expect(humanLine({ type: "admin", seq: 1, ts: TS, text: `${c}restart${c}` }, EN)).toBe("[admin] restart");
    expect(humanLine({ type: "join", seq: 1, ts: TS, name: `${c}dave` }, EN)).toBe("dave joined");
  });
  test("every code point of general category Cf outside the kept joiners and tags is removed", () => {
    for (let code = 0; code <= 0x10ffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const c = String.fromCodePoint(code);
      if (!/\p{Cf}/u.test(c)) continue;
      expect([code, sanitize(`x ${c} y`)]).toEqual([code, "x  y"]);
    }
  });
  test("U+2028 and U+2029 are shown as ␤: a line break cannot come through, nor vanish unseen", () => {
    expect(sanitize("one\u2028two\u2029three")).toBe("one␤two␤three");
  });
  test("ZWJ inside emoji sequences, ZWJ/ZWNJ between letters and subdivision-flag tags are kept", () => {
    for (const text of [
      "👩\u200d💻",
      "👨\u200d👩\u200d👧\u200d👦",
      "❤\ufe0f\u200d🔥",
      "👍🏽\u200d",
      "🏴\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}",
      "क्\u200dष",
      "می\u200cخواهم",
    ]) {
      const kept = text === "👍🏽\u200d" ? "👍🏽" : text;
      expect(sanitize(text)).toBe(kept);
    }
  });
  test("JSON lines carry the text exactly as sent, invisible characters and separators escaped, emoji raw", () => {
    const text = "a\u200bb\u2028c\u2029d\ufeff\u061c👩\u200d💻\u{1d173}";
    const line = jsonLine({ type: "message", seq: 1, ts: TS, from: "e\u200bve", text });
    expect(line).toBe(
      `{"type":"message","seq":1,"ts":${TS},"from":"e\\u200bve","text":"a\\u200bb\\u2028c\\u2029d\\ufeff\\u061c👩\u200d💻\\ud834\\udd73"}`,
    );
    expect(JSON.parse(line)).toMatchObject({ from: "e\u200bve", text });
  });
  test("the session id never appears in the transcript", () => {
    const welcome: Shown = {
      type: "welcome",
      sid: "deadbeef".repeat(4),
      name: "a",
      members: [],
      count: 0,
      seq: 1,
      backlog: 0,
      epoch: EPOCH,
      ts: TS,
    };
    expect(jsonLine(welcome)).not.toContain("deadbeef");
    expect(jsonLine(welcome)).not.toContain(EPOCH);
    expect(humanLine(welcome, EN)).not.toContain("deadbeef");
  });
});

describe("history (the backlog a member gets on joining)", () => {
  const event = { type: "message", seq: 4, ts: TS, from: "bob", text: "earlier" } as const;
  test("is marked in the human line", () => {
    expect(render(event, EN, true)).toBe("[history] bob: earlier");
    expect(render({ type: "admin", seq: 5, ts: TS, text: "notice" }, EN, true)).toBe("[history] [admin] notice");
  });
  test("carries its time first, like a live line, when times are shown; the end of history is one line of its own", () => {
    const clocked: View = { ...EN, clock: () => "12:34" };
    expect(render(event, clocked, true)).toBe("12:34 [history] bob: earlier");
    expect(render(event, clocked)).toBe("12:34 bob: earlier");
    const end = { type: "status", text: "history_end", ts: TS } as const;
    expect(render(end, clocked, true)).toBe("── end of history ──");
    expect(render(end, { ...COLOR, clock: () => "12:34" }, true)).toBe("\x1b[2m── end of history ──\x1b[22m");
  });
  test("the private-message colour is no name's colour", () => {
    expect(NAME_COLORS).not.toContain(PRIVATE_COLOR as never);
    expect(NAME_COLORS).not.toContain((PRIVATE_COLOR + 60) as never); // its bright shade either
    expect(humanLine({ type: "private", seq: 1, ts: TS, from: "carol", to: "bob", text: "x" }, COLOR)).toContain(`\x1b[${PRIVATE_COLOR}m`);
  });
  test('carries "history":true in JSON, and only then', () => {
    expect(render(event, JSON_VIEW, true)).toBe(`{"type":"message","seq":4,"ts":${TS},"from":"bob","text":"earlier","history":true}`);
    expect(render(event, JSON_VIEW)).not.toContain("history");
  });
});
