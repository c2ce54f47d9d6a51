// Tab completion without a terminal: what each place in a line completes, cycling, wide characters, and the roster.

import { describe, expect, test } from "bun:test";
import { COMMANDS } from "../../src/core/screen/commands.ts";
import { completer, NAME_COMMANDS, Roster } from "../../src/core/screen/complete.ts";
import { type Key, LineEditor } from "../../src/core/screen/line-editor.ts";

const TAB: Key = { sequence: "\t", name: "tab", ctrl: false, meta: false, shift: false };
const LEFT: Key = { sequence: "\x1b[D", name: "left", ctrl: false, meta: false, shift: false };
const NAMES = ["bob", "Bea", "小明", "carol"];
const complete = completer({ names: () => NAMES, commands: COMMANDS.map((c) => c.name), nameCommands: NAME_COMMANDS });

/** The editor's text with `|` at the cursor, after typing `typed` and pressing Tab `tabs` times. */
function tabbed(typed: string, tabs = 1, left = 0): string {
  const e = new LineEditor();
  e.completer = complete;
  e.insert(typed);
  for (let i = 0; i < left; i++) e.key(LEFT);
  for (let i = 0; i < tabs; i++) e.key(TAB);
  const g = Array.from(new Intl.Segmenter().segment(e.text), (s) => s.segment);
  return `${g.slice(0, e.cursor).join("")}|${g.slice(e.cursor).join("")}`;
}

describe("what Tab completes", () => {
  test("a name after /msg, /ignore and /unignore, with a space; without regard to case, as the room spells it", () => {
    expect(tabbed("/msg bo")).toBe("/msg bob |");
    expect(tabbed("/msg BO")).toBe("/msg bob |");
    expect(tabbed("/ignore car")).toBe("/ignore carol |");
    expect(tabbed("/UNIGNORE c")).toBe("/UNIGNORE carol |");
  });
  test("a name at the start of a line becomes an address; elsewhere in a line, a name and a space", () => {
    expect(tabbed("bo")).toBe("bob: |");
    expect(tabbed("hi ca")).toBe("hi carol |");
  });
  test("command names after /", () => {
    expect(tabbed("/wh")).toBe("/who |");
    expect(tabbed("/ti")).toBe("/timestamp |");
  });
  test("repeated Tab cycles through the options in order, round and round", () => {
    expect(tabbed("/msg b", 1)).toBe("/msg Bea |");
    expect(tabbed("/msg b", 2)).toBe("/msg bob |");
    expect(tabbed("/msg b", 3)).toBe("/msg Bea |");
    expect(tabbed("b", 2)).toBe("bob: |");
  });
  test("wide characters: 小 completes to 小明, the cursor after the whole name", () => {
    expect(tabbed("小")).toBe("小明: |");
    expect(tabbed("/msg 小")).toBe("/msg 小明 |");
  });
  test("in the middle of a line: the text after the cursor stays, with one space between", () => {
    expect(tabbed("/msg b hello", 1, 6)).toBe("/msg Bea| hello");
  });
  test("nothing to complete: nothing changes, and no space is typed", () => {
    expect(tabbed("/who x")).toBe("/who x|");
    expect(tabbed("zz")).toBe("zz|");
    expect(tabbed("/zz")).toBe("/zz|");
  });
  test("without a completer Tab types a space, as it did", () => {
    const e = new LineEditor();
    e.insert("a");
    e.key(TAB);
    expect(e.text).toBe("a ");
  });
});

describe("the roster", () => {
  test("the welcome's members, then joins, leaves and renames; history changes nothing; the member itself is never offered", () => {
    const roster = new Roster();
    roster.self = "alice";
    roster.apply({ type: "welcome", name: "alice", members: ["bob", "小明"], count: 2, seq: 1, ts: 1 } as never, false);
    expect(roster.names().sort()).toEqual(["bob", "小明"]);
    roster.apply({ type: "join", seq: 2, ts: 1, name: "Carol" }, false);
    roster.apply({ type: "leave", seq: 3, ts: 1, name: "BOB", reason: "quit" }, false);
    roster.apply({ type: "join", seq: 1, ts: 1, name: "old" }, true);
    roster.apply({ type: "rename", from: "carol", to: "caz" } as never, false);
    expect(roster.names().sort()).toEqual(["caz", "小明"]);
    expect(roster.spelling("CAZ")).toBe("caz");
    expect(roster.spelling("nobody")).toBeUndefined();
    roster.replace(["alice", "dave"]);
    expect(roster.names()).toEqual(["dave"]);
  });
});
