// The line editor without a terminal: every binding, history with the draft kept, and grapheme-wise cursor moves.

import { describe, expect, test } from "bun:test";
import { HISTORY_LIMIT, type Key, LINE_LIMIT, LineEditor } from "../../src/core/screen/line-editor.ts";

// Keys as node:readline's emitKeypressEvents decodes them.
const ctrl = (name: string): Key => ({
  sequence: String.fromCharCode(name.charCodeAt(0) - 96),
  name,
  ctrl: true,
  meta: false,
  shift: false,
});
const meta = (name: string): Key => ({ sequence: `\x1b${name}`, name, ctrl: false, meta: true, shift: false });
const named = (name: string, sequence = ""): Key => ({ sequence, name, ctrl: false, meta: false, shift: false });
const LEFT = named("left", "\x1b[D");
const RIGHT = named("right", "\x1b[C");
const UP = named("up", "\x1b[A");
const DOWN = named("down", "\x1b[B");
const ENTER = named("return", "\r");
const BACKSPACE = named("backspace", "\x7f");

/** An editor holding `text` with the cursor `fromEnd` graphemes before its end. */
function editor(text: string, fromEnd = 0): LineEditor {
  const e = new LineEditor();
  e.insert(text);
  for (let i = 0; i < fromEnd; i++) e.key(LEFT);
  return e;
}

/** The editor as text with a `|` at the cursor. */
function shown(e: LineEditor): string {
  const g = [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(e.text)].map((s) => s.segment);
  g.splice(e.cursor, 0, "|");
  return g.join("");
}

function typed(e: LineEditor, text: string): void {
  for (const c of text) e.key({ sequence: c, name: /^[a-z]$/.test(c) ? c : undefined, ctrl: false, meta: false, shift: false });
}

describe("typing", () => {
  test("printable keys insert at the cursor", () => {
    const e = new LineEditor();
    typed(e, "hllo");
    expect(e.key(LEFT)).toEqual({ kind: "changed" });
    e.key(LEFT);
    e.key(LEFT);
    expect(e.key({ sequence: "e", name: "e" })).toEqual({ kind: "changed" });
    expect(shown(e)).toBe("he|llo");
  });

  test("shifted letters, spaces and non-Latin characters are typed too; TAB types a space", () => {
    const e = new LineEditor();
    e.key({ sequence: "H", name: "h", shift: true });
    e.key(named("space", " "));
    typed(e, "你😀");
    e.key(named("tab", "\t"));
    expect(shown(e)).toBe("H 你😀 |");
  });

  test("keys with no text, escape sequences readline could not name and unbound control keys do nothing", () => {
    const e = editor("abc", 1);
    for (const k of [
      named("f1", "\x1bOP"),
      named("escape", "\x1b"),
      { sequence: "\x1b[200~" },
      ctrl("t"),
      ctrl("z"),
      meta("x"),
      named("pageup", "\x1b[5~"),
      {},
    ]) {
      expect(e.key(k)).toEqual({ kind: "none" });
    }
    expect(shown(e)).toBe("ab|c");
  });

  test("a skin tone typed after its emoji joins it", () => {
    const e = new LineEditor();
    typed(e, "👍🏽");
    expect(shown(e)).toBe("👍🏽|");
    e.key(BACKSPACE);
    expect(e.text).toBe("");
  });
});

describe("insert (a paste)", () => {
  test("drops control characters and newlines, turns TAB into a space", () => {
    const e = editor("[]", 1);
    expect(e.insert("one\r\ntwo\tthree\x1b[31mred\x07\x7f\x85\x00")).toEqual({ kind: "changed" });
    expect(shown(e)).toBe("[onetwo three[31mred|]");
  });

  test("nothing left to insert changes nothing", () => {
    const e = editor("ab");
    expect(e.insert("\x1b\r\n")).toEqual({ kind: "none" });
    expect(e.insert("")).toEqual({ kind: "none" });
    expect(shown(e)).toBe("ab|");
  });
});

describe("Enter", () => {
  test("submits the whole line wherever the cursor is, and empties the editor", () => {
    const e = editor("hello world", 5);
    expect(e.key(ENTER)).toEqual({ kind: "submit", line: "hello world" });
    expect([e.text, e.cursor]).toEqual(["", 0]);
    expect(e.key(named("enter", "\n"))).toEqual({ kind: "submit", line: "" });
  });
});

describe("deleting", () => {
  test("Backspace and Ctrl-H delete the grapheme before the cursor", () => {
    const e = editor("abcd", 1);
    expect(e.key(BACKSPACE)).toEqual({ kind: "changed" });
    expect(shown(e)).toBe("ab|d");
    e.key(ctrl("h"));
    expect(shown(e)).toBe("a|d");
    e.key(named("home"));
    expect(e.key(BACKSPACE)).toEqual({ kind: "none" });
  });

  test("Delete deletes the grapheme after the cursor", () => {
    const e = editor("abcd", 2);
    expect(e.key(named("delete", "\x1b[3~"))).toEqual({ kind: "changed" });
    expect(shown(e)).toBe("ab|d");
    e.key(named("end"));
    expect(e.key(named("delete", "\x1b[3~"))).toEqual({ kind: "none" });
  });

  test("Ctrl-D is end of input on an empty line, else deletes forward", () => {
    const e = editor("ab", 2);
    expect(e.key(ctrl("d"))).toEqual({ kind: "changed" });
    expect(shown(e)).toBe("|b");
    e.key(named("end"));
    expect(e.key(ctrl("d"))).toEqual({ kind: "none" });
    e.key(BACKSPACE);
    expect(e.key(ctrl("d"))).toEqual({ kind: "eof" });
  });

  test("Ctrl-U deletes to the start of the line, Ctrl-K to its end", () => {
    const u = editor("hello world", 5);
    expect(u.key(ctrl("u"))).toEqual({ kind: "changed" });
    expect(shown(u)).toBe("|world");
    expect(u.key(ctrl("u"))).toEqual({ kind: "none" });
    const k = editor("hello world", 5);
    expect(k.key(ctrl("k"))).toEqual({ kind: "changed" });
    expect(shown(k)).toBe("hello |");
    expect(k.key(ctrl("k"))).toEqual({ kind: "none" });
  });

  test("Ctrl-W and Meta-Backspace delete the word before the cursor, spaces first", () => {
    const e = editor("one two  three", 2);
    e.key(ctrl("w"));
    expect(shown(e)).toBe("one two  |ee");
    e.key(ctrl("w"));
    expect(shown(e)).toBe("one |ee");
    e.key({ sequence: "\x1b\x7f", name: "backspace", meta: true });
    expect(shown(e)).toBe("|ee");
    expect(e.key(ctrl("w"))).toEqual({ kind: "none" });
  });
});

describe("moving", () => {
  test("left and right, also Ctrl-B and Ctrl-F, one grapheme at a time, stopping at the ends", () => {
    const e = editor("ab");
    expect(e.key(RIGHT)).toEqual({ kind: "none" });
    e.key(ctrl("b"));
    expect(shown(e)).toBe("a|b");
    e.key(LEFT);
    expect(e.key(LEFT)).toEqual({ kind: "none" });
    e.key(ctrl("f"));
    expect(shown(e)).toBe("a|b");
  });

  test("Home, End, Ctrl-A, Ctrl-E", () => {
    const e = editor("abc", 1);
    e.key(named("home", "\x1b[H"));
    expect(e.cursor).toBe(0);
    expect(e.key(ctrl("a"))).toEqual({ kind: "none" });
    e.key(named("end", "\x1b[F"));
    expect(e.cursor).toBe(3);
    e.key(ctrl("a"));
    e.key(ctrl("e"));
    expect(e.cursor).toBe(3);
  });

  test("by word: Meta-B and Meta-F, and Ctrl or Meta with the arrows", () => {
    const e = editor("one  two three");
    e.key(meta("b"));
    expect(shown(e)).toBe("one  two |three");
    e.key({ sequence: "\x1b[1;5D", name: "left", ctrl: true });
    expect(shown(e)).toBe("one  |two three");
    e.key({ sequence: "\x1b\x1b[D", name: "left", meta: true });
    expect(shown(e)).toBe("|one  two three");
    expect(e.key(meta("b"))).toEqual({ kind: "none" });
    e.key(meta("f"));
    expect(shown(e)).toBe("one|  two three");
    e.key(meta("f"));
    expect(shown(e)).toBe("one  two| three");
    e.key({ sequence: "\x1b[1;5C", name: "right", ctrl: true });
    expect(shown(e)).toBe("one  two three|");
    expect(e.key({ sequence: "\x1b\x1b[C", name: "right", meta: true })).toEqual({ kind: "none" });
  });

  test("over Chinese, emoji, flags and combining marks, one step per grapheme", () => {
    const e = editor("a你😀b");
    e.key(LEFT);
    e.key(LEFT);
    expect(e.cursor).toBe(2);
    e.key(BACKSPACE);
    expect(shown(e)).toBe("a|😀b");
    e.insert("🇨🇳e\u0301👨‍👩‍👧");
    expect(shown(e)).toBe("a🇨🇳e\u0301👨‍👩‍👧|😀b");
    e.key(LEFT);
    e.key(BACKSPACE);
    expect(shown(e)).toBe("a🇨🇳|👨‍👩‍👧😀b");
    e.key(named("delete"));
    expect(shown(e)).toBe("a🇨🇳|😀b");
    e.key(LEFT);
    e.key(named("delete"));
    expect(shown(e)).toBe("a|😀b");
  });
});

describe("history", () => {
  function withHistory(...lines: string[]): LineEditor {
    const e = new LineEditor();
    for (const line of lines) {
      e.insert(line);
      e.key(ENTER);
    }
    return e;
  }

  test("Up and Down (also Ctrl-P and Ctrl-N) walk it, and past the newest the draft comes back", () => {
    const e = withHistory("first", "second");
    e.insert("draft");
    e.key(LEFT);
    expect(e.key(UP)).toEqual({ kind: "changed" });
    expect(shown(e)).toBe("second|");
    e.key(ctrl("p"));
    expect(shown(e)).toBe("first|");
    expect(e.key(UP)).toEqual({ kind: "none" });
    e.key(DOWN);
    expect(shown(e)).toBe("second|");
    e.key(ctrl("n"));
    expect(shown(e)).toBe("draft|");
    expect(e.key(DOWN)).toEqual({ kind: "none" });
  });

  test("nothing to walk in an empty history", () => {
    const e = editor("x");
    expect(e.key(UP)).toEqual({ kind: "none" });
    expect(e.key(DOWN)).toEqual({ kind: "none" });
    expect(shown(e)).toBe("x|");
  });

  test("a recalled line can be edited and sent; the history starts again from the newest", () => {
    const e = withHistory("hello");
    e.key(UP);
    e.insert("!");
    expect(e.key(ENTER)).toEqual({ kind: "submit", line: "hello!" });
    e.key(UP);
    expect(e.text).toBe("hello!");
    e.key(UP);
    expect(e.text).toBe("hello");
  });

  test("blank lines and repeats of the newest entry are not kept", () => {
    const e = withHistory("a", "b", "b", "", "   ", "a");
    const seen: string[] = [];
    while (e.key(UP).kind === "changed") seen.push(e.text);
    expect(seen).toEqual(["a", "b", "a"]);
  });

  test(`only the newest ${HISTORY_LIMIT} lines are kept`, () => {
    const e = withHistory(...Array.from({ length: HISTORY_LIMIT + 2 }, (_, i) => `line ${i}`));
    let count = 0;
    while (e.key(UP).kind === "changed") count++;
    expect(count).toBe(HISTORY_LIMIT);
    expect(e.text).toBe("line 2");
  });

  test("clear() empties the line and forgets the draft, not the history", () => {
    const e = withHistory("kept");
    e.insert("draft");
    e.key(UP);
    e.clear();
    expect([e.text, e.cursor]).toEqual(["", 0]);
    expect(e.key(DOWN)).toEqual({ kind: "none" });
    e.key(UP);
    expect(e.text).toBe("kept");
    e.key(DOWN);
    expect(e.text).toBe("");
  });
});

describe("signals to the shell", () => {
  test("Ctrl-C clears a line with text and stays; on an empty line it interrupts; Ctrl-L asks for a redraw", () => {
    const e = editor("half typed", 3);
    expect(e.key(ctrl("l"))).toEqual({ kind: "redraw" });
    expect(shown(e)).toBe("half ty|ped");
    expect(e.key(ctrl("c"))).toEqual({ kind: "changed" });
    expect(shown(e)).toBe("|");
    expect(e.key(ctrl("c"))).toEqual({ kind: "interrupt" });
    expect(shown(e)).toBe("|");
  });
});

test("a huge paste stops at LINE_LIMIT, never splitting a character", () => {
  const editor = new LineEditor();
  expect(editor.insert(`${"a".repeat(LINE_LIMIT - 1)}😀😀`)).toEqual({ kind: "changed" });
  expect(editor.text).toBe("a".repeat(LINE_LIMIT - 1));
  expect(editor.insert("b")).toEqual({ kind: "changed" });
  expect(editor.insert("c")).toEqual({ kind: "none" });
  expect(editor.text.length).toBe(LINE_LIMIT);
});
