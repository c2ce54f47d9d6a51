// Honest names: each look-alike and blank name is refused with its problem, the names of one script join, and
// names that look alike share a skeleton (a second one is name_taken in a room).

import { describe, expect, test } from "bun:test";
import { Admission } from "../../src/core/room/admission.ts";
import { Gate } from "../../src/core/room/gate.ts";
import { type Member, Roster } from "../../src/core/room/roster.ts";
import { SayOrder } from "../../src/core/room/say-order.ts";
import { SCRIPTS } from "../../src/core/wire/names.ts";
import { checkName, checkRoom } from "../../src/core/wire/protocol.ts";
import { lookKey } from "../../src/core/wire/skeleton.ts";

const refused = (name: string, problem: string, what = "name") => ({ problem: `invalid ${what} ${JSON.stringify(name)}: ${problem}` });

describe("refused outright, with the problem", () => {
  test.each([
    ["alice\u034f", "it holds U+034F, which shows as nothing"],
    ["alice\ufe0f", "it holds U+FE0F, a variation selector, which shows as nothing"],
    ["alice\u{e0100}", "it holds U+E0100, a variation selector, which shows as nothing"],
    ["alice\u17b4", "it holds U+17B4, which shows as nothing"],
    ["\u3164", "it holds U+3164 (HANGUL FILLER), which shows as nothing"],
    ["\u3164\u3164\u3164", "it holds U+3164 (HANGUL FILLER), which shows as nothing"],
    ["\u115f", "it holds U+115F (HANGUL CHOSEONG FILLER), which shows as nothing"],
    ["a\u1160", "it holds U+1160 (HANGUL JUNGSEONG FILLER), which shows as nothing"],
    ["\uffa0b", "it holds U+FFA0 (HALFWIDTH HANGUL FILLER), which shows as nothing"],
    ["a\u200bb", "it holds U+200B, an invisible format character"],
    ["rtl\u202e", "it holds U+202E, an invisible format character"],
    ["bob\u00ad", "it holds U+00AD, an invisible format character"],
    ["\u0301\u0301", "it begins with a combining mark"],
    ["\u0301e", "it begins with a combining mark"],
    ["---", "it has no letter or digit"],
    ["_.", "it has no letter or digit"],
    ["\u0430lice", "it mixes scripts (Cyrl, Latn): use one"],
    ["p\u0430yp\u0430l", "it mixes scripts (Latn, Cyrl): use one"],
    ["abc\u0391", "it mixes scripts (Latn, Grek): use one"],
    ["\u0391\u0430", "it mixes scripts (Grek, Cyrl): use one"],
  ])("%p: %s", (name, problem) => {
    expect(checkName(name)).toEqual(refused(name, problem));
  });

  test("room names follow the same rule", () => {
    expect(checkRoom("ops\ufe0f")).toEqual(refused("ops\ufe0f", "it holds U+FE0F, a variation selector, which shows as nothing", "room"));
    expect(checkRoom("\u043eps")).toEqual(refused("\u043eps", "it mixes scripts (Cyrl, Latn): use one", "room"));
    expect(checkRoom("\u3164")).toEqual(refused("\u3164", "it holds U+3164 (HANGUL FILLER), which shows as nothing", "room"));
  });

  test("each filler is default-ignorable (so the rule refuses it even unnamed)", () => {
    for (const cp of [0x115f, 0x1160, 0x3164, 0xffa0])
      expect(/\p{Default_Ignorable_Code_Point}/u.test(String.fromCodePoint(cp))).toBe(true);
  });
});

describe("allowed", () => {
  test.each([
    "alice",
    "Bob_2",
    "小明",
    "Zoë",
    "Ünïcode",
    "ΑΒΓ",
    "алиса",
    "김철수",
    "山田タロウ",
    "Tokyo東京",
    "ㄅㄆ中文",
    "Seoul서울",
    "e\u0301",
    "x9",
  ])("%p joins", (name) => {
    expect(checkName(name)).toEqual({ name: name.normalize("NFC") });
  });
  test("Zoë typed in NFD is stored in NFC", () => {
    expect(checkName("Zoe\u0308")).toEqual({ name: "Zo\u00eb" });
  });
  test("the apostrophe was never allowed, and still is not (o'brien is spelled obrien or o.brien)", () => {
    expect(checkName("o'brien")).toEqual(refused("o'brien", 'use 1 to 16 letters, digits, "_", "." or "-"'));
    expect(checkName("o.brien")).toEqual({ name: "o.brien" });
  });
  test("Latin with kana and kanji (Japanese), with Hangul (Korean), with Bopomofo and Han: one writing system each", () => {
    expect(checkName("abcひらがな")).toEqual({ name: "abcひらがな" });
    expect(checkName("한국ㄅ")).toEqual(refused("한국ㄅ", "it mixes scripts (Hang, Bopo): use one"));
    expect(checkName("ひらがな한국")).toEqual(refused("ひらがな한국", "it mixes scripts (Hira, Hang): use one"));
  });
});

test("the list of scripts covers every letter, mark and digit this engine knows (none falls to 'unknown')", () => {
  expect(SCRIPTS.length).toBeGreaterThan(150);
  const known = new RegExp(`[${SCRIPTS.map(([code]) => `\\p{scx=${code}}`).join("")}\\p{scx=Zyyy}\\p{scx=Zinh}]`, "u");
  const missed: string[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    const ch = String.fromCodePoint(cp);
    if (/[\p{L}\p{M}\p{Nd}]/u.test(ch) && !known.test(ch)) missed.push(cp.toString(16));
  }
  expect(missed).toEqual([]);
});

describe("skeletons (confusables.txt)", () => {
  test.each([
    ["alice", "\u0430lice"],
    ["paypal", "p\u0430yp\u0430l"],
    ["m", "rn"],
    ["coco", "\u0441\u043e\u0441\u043e"],
    ["Alice", "ALICE"],
    ["zo\u00eb", "Zoe\u0308"],
    ["l1", "11"],
  ])("%p looks like %p", (a, b) => {
    expect(lookKey(a)).toBe(lookKey(b));
  });
  test.each([
    ["alice", "bob"],
    ["小明", "小朋"],
    ["zoe", "zoë"],
  ])("%p does not look like %p", (a, b) => {
    expect(lookKey(a)).not.toBe(lookKey(b));
  });
});

describe("in a room", () => {
  const NOW = 1_795_000_000_000;
  function member(name: string, port: number): Member {
    const nonce = String(port).padStart(16, "0");
    const says = new SayOrder(undefined, undefined, NOW);
    return { sid: nonce.padStart(32, "0"), name, peer: { address: `10.0.0.${port}`, port }, nonce, joinedAt: NOW, lastSeen: NOW, says };
  }
  function room(...names: string[]) {
    const roster = new Roster();
    for (const [i, n] of names.entries()) roster.add(member(n, i + 1));
    return { roster, admission: new Admission(roster, { room: "lobby", gate: new Gate(undefined, undefined), maxMembers: 1000 }) };
  }
  const from = { address: "10.0.0.99", port: 99 };

  test("a name of one script that looks like a member's is name_taken; others join", () => {
    const { admission } = room("coco", "m");
    expect(admission.admit({ name: "\u0441\u043e\u0441\u043e", nonce: "a".repeat(16) }, from, NOW)).toBe("name_taken");
    expect(admission.admit({ name: "rn", nonce: "b".repeat(16) }, from, NOW)).toBe("name_taken");
    expect(admission.admit({ name: "cocoa", nonce: "c".repeat(16) }, from, NOW)).toBe("ok");
  });
  test("a look-alike of mixed scripts is a bad name before it is a taken one", () => {
    const { admission } = room("alice");
    expect(admission.admit({ name: "\u0430lice", nonce: "a".repeat(16) }, from, NOW)).toBe("bad_name");
  });
  test("once the member leaves, its look-alike may join; with two sharing a skeleton, the other still holds it", () => {
    const { roster, admission } = room("rn", "m");
    roster.drop(roster.named("m")!);
    expect(roster.lookAlike("m")?.name).toBe("rn");
    roster.drop(roster.named("rn")!);
    expect(admission.admit({ name: "m", nonce: "a".repeat(16) }, from, NOW)).toBe("ok");
  });
});
