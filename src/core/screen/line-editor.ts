// The line being typed at the prompt: its text, its cursor, its history and what each key does to them (no I/O).

import type { Completer } from "./complete.ts";
import { graphemes } from "./width.ts";

/** A decoded key, as node:readline's `keypress` event gives it. */
export interface Key {
  sequence?: string | undefined;
  name?: string | undefined;
  ctrl?: boolean | undefined;
  meta?: boolean | undefined;
  shift?: boolean | undefined;
}

/**
 * What a key did. `none`: nothing visible changed; `changed`: the text or the cursor moved, so redraw the line;
 * `submit`: Enter, with the whole line (the editor is then empty); `eof`: Ctrl-D on an empty line;
 * `interrupt`: Ctrl-C on an empty line (on a line with text, Ctrl-C clears it, as a shell does: `changed`);
 * `redraw`: Ctrl-L, repaint everything.
 */
export type EditResult =
  | { kind: "none" }
  | { kind: "changed" }
  | { kind: "submit"; line: string }
  | { kind: "eof" }
  | { kind: "interrupt" }
  | { kind: "redraw" };

/**
 * The longest line the editor holds, in UTF-16 code units (ssh-chat's editor stops at 4096 too). A message is at
 * most 1000 bytes anyway; the cap keeps a huge paste from making every key redo work over megabytes.
 */
export const LINE_LIMIT = 4096;

/** Submitted lines kept for Up and Down; the oldest go first. */
export const HISTORY_LIMIT = 500;

// C0 and C1 controls, ESC and DEL: never part of a line (TAB is turned into a space first).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const SPACE = /^\s+$/u;

/** One line of input with emacs-style editing. The cursor counts grapheme clusters, never code units. */
export class LineEditor {
  #text = "";
  #cursor = 0;
  readonly #history: string[] = [];
  /** Which history entry is shown: `#history.length` is the draft, the line being written before Up. */
  #browsing = 0;
  #draft = "";
  /** What Tab completes; none: Tab types a space, as before there was completion. */
  completer: Completer | undefined;
  /** The completion a Tab just made, while the line is as that Tab left it: another Tab puts the next option there. */
  #cycle: { text: string; cursor: number; head: string; after: string; options: readonly string[]; index: number } | undefined;

  get text(): string {
    return this.#text;
  }

  /** Where the cursor is, as an index into `graphemes(text)`: 0 before the first, their count after the last. */
  get cursor(): number {
    return this.#cursor;
  }

  /** Empties the line and leaves history browsing (the history itself stays). */
  clear(): void {
    this.#set("", 0);
    this.#browsing = this.#history.length;
    this.#draft = "";
  }

  /** Inserts typed or pasted text at the cursor: TAB becomes a space, every other control character is dropped. */
  insert(s: string): EditResult {
    let clean = s.replaceAll("\t", " ").replace(CONTROL, "");
    if (this.#text.length + clean.length > LINE_LIMIT) {
      const room = LINE_LIMIT - this.#text.length;
      const chars = Array.from(clean);
      let taken = 0;
      let length = 0;
      while (taken < chars.length && length + chars[taken]!.length <= room) length += chars[taken++]!.length;
      clean = chars.slice(0, taken).join("");
    }
    return this.#edit(() => {
      const g = graphemes(this.#text);
      const before = g.slice(0, this.#cursor).join("") + clean;
      // Counted again on the new text: an inserted mark or skin tone may merge with its neighbour.
      this.#set(before + g.slice(this.#cursor).join(""), graphemes(before).length);
    });
  }

  /**
   * What each key does, emacs-style, by readline's name for it with its modifier ("ctrl+a", "meta+b", "up").
   * A table, so that the bindings read as one list and a new key is one line.
   */
  readonly #keymap: Readonly<Record<string, () => EditResult>> = {
    // As in a shell: a half-typed line is thrown away first, so a reflex Ctrl-C does not leave the room with it.
    "ctrl+c": () => (this.#text === "" ? { kind: "interrupt" } : this.#edit(() => this.clear())),
    "ctrl+d": () => (this.#text === "" ? { kind: "eof" } : this.#edit(() => this.#deleteTo(this.#cursor + 1))),
    "ctrl+l": () => ({ kind: "redraw" }),
    "ctrl+a": () => this.#edit(() => this.#move(0)),
    "ctrl+e": () => this.#edit(() => this.#move(Infinity)),
    "ctrl+b": () => this.#edit(() => this.#move(this.#cursor - 1)),
    "ctrl+f": () => this.#edit(() => this.#move(this.#cursor + 1)),
    "ctrl+h": () => this.#edit(() => this.#deleteTo(this.#cursor - 1)),
    "ctrl+u": () => this.#edit(() => this.#deleteTo(0)),
    "ctrl+k": () => this.#edit(() => this.#deleteTo(Infinity)),
    "ctrl+w": () => this.#edit(() => this.#deleteTo(this.#wordStart())),
    "ctrl+p": () => this.#edit(() => this.#recall(this.#browsing - 1)),
    "ctrl+n": () => this.#edit(() => this.#recall(this.#browsing + 1)),
    "ctrl+left": () => this.#edit(() => this.#move(this.#wordStart())),
    "ctrl+right": () => this.#edit(() => this.#move(this.#wordEnd())),
    "meta+b": () => this.#edit(() => this.#move(this.#wordStart())),
    "meta+left": () => this.#edit(() => this.#move(this.#wordStart())),
    "meta+f": () => this.#edit(() => this.#move(this.#wordEnd())),
    "meta+right": () => this.#edit(() => this.#move(this.#wordEnd())),
    "meta+backspace": () => this.#edit(() => this.#deleteTo(this.#wordStart())),
    tab: () => this.#complete(),
    return: () => this.#submit(),
    enter: () => this.#submit(),
    backspace: () => this.#edit(() => this.#deleteTo(this.#cursor - 1)),
    delete: () => this.#edit(() => this.#deleteTo(this.#cursor + 1)),
    left: () => this.#edit(() => this.#move(this.#cursor - 1)),
    right: () => this.#edit(() => this.#move(this.#cursor + 1)),
    home: () => this.#edit(() => this.#move(0)),
    end: () => this.#edit(() => this.#move(Infinity)),
    up: () => this.#edit(() => this.#recall(this.#browsing - 1)),
    down: () => this.#edit(() => this.#recall(this.#browsing + 1)),
  };

  /** Applies one key. */
  key(k: Key): EditResult {
    const modifier = k.ctrl ? "ctrl+" : k.meta ? "meta+" : "";
    const chord = modifier + (k.name ?? "");
    if (chord !== "tab") this.#cycle = undefined;
    if (chord === "tab" && !this.completer) return this.insert(" ");
    if (Object.hasOwn(this.#keymap, chord)) return this.#keymap[chord]!();
    // An unbound Ctrl or Alt chord does nothing. Any other key whose sequence has no control character in it (TAB
    // aside) is typed text; function keys that readline could not name arrive as escape sequences and are ignored.
    if (modifier !== "") return { kind: "none" };
    const typed = (k.sequence ?? "").replaceAll("\t", " ");
    return typed !== "" && typed.replace(CONTROL, "") === typed ? this.insert(typed) : { kind: "none" };
  }

  /**
   * Tab: the word before the cursor completed to the first option; Tab again, with nothing typed between, to the
   * next (round and round). No option: nothing changes.
   */
  #complete(): EditResult {
    const g = graphemes(this.#text);
    let cycle = this.#cycle;
    if (cycle && cycle.text === this.#text && cycle.cursor === this.#cursor) {
      cycle.index = (cycle.index + 1) % cycle.options.length;
    } else {
      const before = g.slice(0, this.#cursor).join("");
      const found = this.completer?.(before);
      if (!found) return { kind: "none" };
      const after = g.slice(this.#cursor).join("");
      cycle = { text: "", cursor: 0, head: before.slice(0, found.start), after, options: found.options, index: 0 };
    }
    const option = cycle.options[cycle.index]!;
    // Text already after the cursor brings its own space: the option's would make two.
    const inserted = /^\s/.test(cycle.after) ? option.trimEnd() : option;
    const result = this.#edit(() => {
      const head = cycle.head + inserted;
      this.#set(head + cycle.after, graphemes(head).length);
    });
    this.#cycle = { ...cycle, text: this.#text, cursor: this.#cursor };
    return result;
  }

  #submit(): EditResult {
    const line = this.#text;
    if (line.trim() !== "" && line !== this.#history.at(-1)) {
      this.#history.push(line);
      if (this.#history.length > HISTORY_LIMIT) this.#history.shift();
    }
    this.clear();
    return { kind: "submit", line };
  }

  /** Runs one edit and says whether anything visible changed. */
  #edit(change: () => void): EditResult {
    const [text, cursor] = [this.#text, this.#cursor];
    change();
    return text === this.#text && cursor === this.#cursor ? { kind: "none" } : { kind: "changed" };
  }

  #set(text: string, cursor: number): void {
    this.#text = text;
    this.#cursor = cursor;
  }

  #move(to: number): void {
    this.#cursor = Math.max(0, Math.min(to, graphemes(this.#text).length));
  }

  /** Deletes the graphemes between the cursor and `to` (either side of it); the cursor ends at the gap. */
  #deleteTo(to: number): void {
    const g = graphemes(this.#text);
    const at = Math.max(0, Math.min(to, g.length));
    const [from, end] = at < this.#cursor ? [at, this.#cursor] : [this.#cursor, at];
    g.splice(from, end - from);
    this.#set(g.join(""), from);
  }

  /** Start of the word before the cursor: back over spaces, then over the rest. */
  #wordStart(): number {
    const g = graphemes(this.#text);
    let i = this.#cursor;
    while (i > 0 && SPACE.test(g[i - 1]!)) i--;
    while (i > 0 && !SPACE.test(g[i - 1]!)) i--;
    return i;
  }

  /** End of the word after the cursor: forward over spaces, then over the rest. */
  #wordEnd(): number {
    const g = graphemes(this.#text);
    let i = this.#cursor;
    while (i < g.length && SPACE.test(g[i]!)) i++;
    while (i < g.length && !SPACE.test(g[i]!)) i++;
    return i;
  }

  /** Shows history entry `index` (or the draft, one past the newest), cursor at its end; out of range does nothing. */
  #recall(index: number): void {
    if (index < 0 || index > this.#history.length || index === this.#browsing) return;
    if (this.#browsing === this.#history.length) this.#draft = this.#text;
    this.#browsing = index;
    const text = index === this.#history.length ? this.#draft : this.#history[index]!;
    this.#set(text, graphemes(text).length);
  }
}
