// Display widths: ASCII, CJK, Hangul, emoji and their sequences, invisible marks, and agreement with Bun.stringWidth.

import { describe, expect, test } from "bun:test";
import { displayWidth, graphemes, graphemeWidth, truncateToWidth } from "../../src/core/screen/width.ts";

const WIDTHS: Array<[string, string, number]> = [
  ["ASCII", "hello, world", 12],
  ["empty", "", 0],
  ["Chinese", "你好", 4],
  ["fullwidth colon", "：", 2],
  ["ideographic space", "\u3000", 2],
  ["Japanese kana", "カタカナ", 8],
  ["Korean syllables", "한국어", 6],
  ["Hangul from jamo", "\u1100\u1161\u11a8", 2],
  ["emoji", "😀", 2],
  ["emoji with skin tone", "👍🏽", 2],
  ["flag", "🇨🇳", 2],
  ["ZWJ family", "👨‍👩‍👧", 2],
  ["pirate flag", "🏴‍☠️", 2],
  ["keycap", "1️⃣", 2],
  ["heart as text", "\u2764", 1],
  ["heart as emoji", "\u2764\ufe0f", 2],
  ["lone regional indicator", "🇨", 1],
  ["e and a combining acute", "e\u0301", 1],
  ["lone combining mark", "\u0301", 0],
  ["zero width space", "\u200b", 0],
  ["soft hyphen", "\u00ad", 0],
  ["word joiner", "\u2060", 0],
  ["mixed", "hi 你好 😀!", 11],
  ["name and message", "小明: 你好 🌏", 13],
];

describe("displayWidth", () => {
  for (const [what, text, width] of WIDTHS) test(what, () => expect(displayWidth(text)).toBe(width));

  test("control characters take no columns", () => {
    for (const c of ["\x00", "\x07", "\t", "\n", "\x1b", "\x7f", "\x85", "\x9f"]) expect(graphemeWidth(c)).toBe(0);
  });

  test("agrees with Bun.stringWidth wherever both follow Unicode", () => {
    const corpus = [
      ...WIDTHS.map(([, text]) => text),
      "Grüße",
      "naïve café",
      "日本語のテキスト",
      "ｆｕｌｌｗｉｄｔｈ",
      "𠀀𠀁",
      "👩🏾‍💻 coding",
      "🇯🇵🇰🇷🇺🇸",
      "a\u200db",
      "〈angle〉",
      "ㄅㄆㄇ",
      "ꀀꀁ",
      "＄１００",
      "￥５",
    ];
    for (const text of corpus) expect([text, displayWidth(text)]).toEqual([text, Bun.stringWidth(text)]);
  });

  test("every end of every wide range is wide, by Bun.stringWidth too", () => {
    const ends = [
      0x1100, 0x115f, 0x2e80, 0x303e, 0x3041, 0x3247, 0x3250, 0x4dbf, 0x4e00, 0x9fff, 0xa000, 0xa4c6, 0xa960, 0xa97c, 0xac00, 0xd7a3,
      0xf900, 0xfaff, 0xfe10, 0xfe19, 0xfe30, 0xfe6b, 0xff01, 0xff60, 0xffe0, 0xffe6, 0x17000, 0x1b000, 0x1f200, 0x20000, 0x2fa1d, 0x30000,
    ];
    for (const code of ends) {
      const c = String.fromCodePoint(code);
      expect([code.toString(16), graphemeWidth(c)]).toEqual([code.toString(16), 2]);
      expect([code.toString(16), Bun.stringWidth(c)]).toEqual([code.toString(16), 2]);
    }
    for (const code of [0x10ff, 0x303f, 0x3248, 0x2e30, 0xff61, 0xffe8]) expect(graphemeWidth(String.fromCodePoint(code))).toBe(1);
  });
});

describe("graphemes", () => {
  test("one per user-perceived character", () => {
    expect(graphemes("a你😀👍🏽🇨🇳👨‍👩‍👧e\u0301")).toEqual(["a", "你", "😀", "👍🏽", "🇨🇳", "👨‍👩‍👧", "e\u0301"]);
    expect(graphemes("")).toEqual([]);
  });
});

describe("truncateToWidth", () => {
  test("keeps whole graphemes that fit", () => {
    expect(truncateToWidth("hello", 3)).toBe("hel");
    expect(truncateToWidth("hello", 10)).toBe("hello");
    expect(truncateToWidth("你好吗", 5)).toBe("你好");
    expect(truncateToWidth("你好吗", 4)).toBe("你好");
    expect(truncateToWidth("a😀b", 2)).toBe("a");
    expect(truncateToWidth("👨‍👩‍👧x", 2)).toBe("👨‍👩‍👧");
    expect(truncateToWidth("e\u0301e\u0301", 1)).toBe("e\u0301");
    expect(truncateToWidth("abc", 0)).toBe("");
  });
});
