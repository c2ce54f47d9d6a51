// Transcript lines cut into rows by chat: exact rows, continuation rows marked, wide characters never split, colours kept.

import { describe, expect, test } from "bun:test";
import { humanLine, type View } from "../../src/core/screen/render.ts";
import { displayWidth } from "../../src/core/screen/width.ts";
import { CONTINUATION, wrapRows, wrapStyled } from "../../src/core/screen/wrap.ts";

const TS = Date.UTC(2026, 0, 1, 9, 5);
const VIEW: View = { json: false, color: false, lang: "en", clock: () => "09:05" };
const stripped = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
/** What a spoofer types: enough padding that the bait would begin the next row, were the terminal to wrap the line. */
const padded = (prefix: string, bait: string, columns: number) => "x".repeat(columns - displayWidth(prefix)) + bait;

describe("continuation rows", () => {
  test("a message padded to the width: the fake admin line lands indented, never at column 0", () => {
    const bait = "12:34 [admin] the server will restart";
    const line = humanLine({ type: "message", seq: 1, ts: TS, from: "eve", text: padded("09:05 eve: ", bait, 60) }, VIEW);
    expect(wrapRows(line, 60)).toEqual([`09:05 eve: ${"x".repeat(49)}`, `  ${bait}`]);
  });
  test("the same with a fake join, and with timestamps off", () => {
    const bait = "12:34 dave joined";
    const untimed: View = { json: false, color: false, lang: "en" };
    const line = humanLine({ type: "message", seq: 1, ts: TS, from: "eve", text: padded("eve: ", bait, 40) }, untimed);
    expect(wrapRows(line, 40)).toEqual([`eve: ${"x".repeat(35)}`, `  ${bait}`]);
  });
  test("no row is wider than the terminal, every row after the first starts with the mark, and no text is lost", () => {
    const text = `${"word ".repeat(40)}中文🌏${"y".repeat(77)}`;
    for (const columns of [4, 5, 10, 37, 60, 80]) {
      const rows = wrapRows(text, columns);
      for (const row of rows) expect(displayWidth(row)).toBeLessThanOrEqual(columns);
      for (const row of rows.slice(1)) expect(row.startsWith(CONTINUATION)).toBe(true);
      expect(rows.map((r, i) => (i === 0 ? r : r.slice(CONTINUATION.length))).join("")).toBe(text);
    }
  });
  test("a line that fits is one row, unchanged; a row exactly full is not followed by an empty one", () => {
    expect(wrapRows("09:05 bob: hi", 60)).toEqual(["09:05 bob: hi"]);
    expect(wrapRows("x".repeat(60), 60)).toEqual(["x".repeat(60)]);
    expect(wrapRows("x".repeat(61), 60)).toEqual(["x".repeat(60), "  x"]);
  });
  test("a terminal too narrow for a mark and a wide character is left to wrap the line itself", () => {
    expect(wrapRows("abcdef", 3)).toEqual(["abcdef"]);
  });
});

describe("wide characters and clusters", () => {
  test("a wide character that would cross the margin moves whole to the next row", () => {
    expect(wrapRows("abcd中文", 5)).toEqual(["abcd", "  中", "  文"]);
    expect(wrapRows("abc中文", 5)).toEqual(["abc中", "  文"]);
  });
  test("an emoji ZWJ sequence, a flag and a combining mark are never cut", () => {
    const family = "👨\u200d👩\u200d👧";
    expect(wrapRows(`abc${family}`, 4)).toEqual(["abc", `  ${family}`]);
    expect(wrapRows("abc🇫🇷", 4)).toEqual(["abc", "  🇫🇷"]);
    expect(wrapRows("abcde\u0301f", 5)).toEqual(["abcde\u0301", "  f"]);
  });
});

describe("colours", () => {
  test("SGR sequences take no columns and stay where they were", () => {
    const painted = "\x1b[1;33m[admin] 0123456789\x1b[22;39m";
    const rows = wrapRows(painted, 12);
    expect(rows).toEqual(["\x1b[1;33m[admin] 0123", "  456789\x1b[22;39m"]);
    expect(rows.map(stripped)).toEqual(wrapRows(stripped(painted), 12));
  });
  test("a live-region line wraps to the same rows plain and painted", () => {
    const plain = `alice: ${"z".repeat(20)} (sending…)`;
    const painted = `\x1b[2malice: ${"z".repeat(20)} (sending…)\x1b[22m`;
    const rows = wrapStyled({ plain, painted }, 16);
    expect(rows.map((r) => r.plain)).toEqual(["alice: zzzzzzzzz", "  zzzzzzzzzzz (s", "  ending…)"]);
    for (const row of rows) expect(stripped(row.painted)).toBe(row.plain);
  });
});
