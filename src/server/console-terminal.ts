// The server console in a terminal: the member's Terminal (prompt, line editor, lines printed above), with Tab completion in front of its keys.

import type { Styled } from "../core/screen/input-layout.ts";
import { type Key, LineEditor } from "../core/screen/line-editor.ts";
import { graphemes } from "../core/screen/width.ts";
import { Terminal, type TerminalEvents } from "../terminal/terminal.ts";
import { type Completable, type Completion, complete, needsNames } from "./console-complete.ts";

type KeyListener = (str: string | undefined, key: Key | undefined) => void;

const PROMPT = "admin> ";

/** The prompt, in the administrator's bold yellow (as members see its lines) unless NO_COLOR. */
export function consolePrompt(color: boolean): Styled {
  return { plain: PROMPT, painted: color ? "\x1b[1;33madmin\x1b[22;39m> " : PROMPT };
}

/** A Tab cycle under way: what the last Tab put in, and which candidate it was. */
interface Cycle {
  readonly completion: Completion;
  index: number;
  inserted: string;
}

/**
 * Wraps Terminal without changing it: Terminal reads its keys from stdin's keypress events, so start() moves its
 * listener behind ours. Ours takes Tab and hands every other key on, to Terminal and to a copy of its line editor
 * fed the same keys (the editor is deterministic, so the copy always holds the same text and cursor). A completion
 * is typed as keys too (backspaces, then the text), so Terminal's editor and the copy stay one.
 */
export class ConsoleTerminal {
  readonly #terminal: Terminal;
  readonly #copy = new LineEditor();
  readonly #line: Completable;
  readonly #names: () => Promise<readonly string[]>;
  #behind: KeyListener[] = [];
  #cycle: Cycle | undefined;
  /** Waiting for the names: another Tab meanwhile is dropped. */
  #asking = false;
  readonly #onKey: KeyListener = (str, key) => {
    if (key?.name === "tab" && !key.ctrl && !key.meta) return void this.#tab(key.shift === true);
    this.#cycle = undefined;
    this.#pass(str, key);
  };

  constructor(events: TerminalEvents, color: boolean, line: Completable, names: () => Promise<readonly string[]>) {
    this.#terminal = new Terminal(events, consolePrompt(color));
    this.#line = line;
    this.#names = names;
  }

  start(): void {
    const before = new Set(process.stdin.listeners("keypress"));
    this.#terminal.start();
    this.#behind = (process.stdin.listeners("keypress") as KeyListener[]).filter((l) => !before.has(l));
    // Should Terminal ever read its keys some other way, it keeps them all: no completion, but no lost keys either.
    if (this.#behind.length === 0) return;
    for (const listener of this.#behind) process.stdin.off("keypress", listener);
    process.stdin.on("keypress", this.#onKey);
  }

  stop(): void {
    process.stdin.off("keypress", this.#onKey);
    this.#terminal.stop();
  }

  /** A log line of the server's (it may span rows, and hold colours), above the prompt. */
  print(text: string): void {
    this.#terminal.print(text, "stderr");
  }

  #pass(str: string | undefined, key: Key | undefined): void {
    if (key) this.#copy.key({ ...key, sequence: key.sequence ?? str });
    else this.#copy.insert(str ?? "");
    for (const listener of this.#behind) listener(str, key);
  }

  /** Tab: the first candidate for the word before the cursor; Tab again, the next (Shift-Tab, the one before). */
  async #tab(back: boolean): Promise<void> {
    if (this.#cycle) {
      const { completion } = this.#cycle;
      const count = completion.candidates.length;
      this.#cycle.index = (this.#cycle.index + (back ? count - 1 : 1)) % count;
      this.#cycle.inserted = this.#replace(this.#cycle.inserted, completion.candidates[this.#cycle.index]!);
      return;
    }
    if (this.#asking) return;
    const before = () => graphemes(this.#copy.text).slice(0, this.#copy.cursor).join("");
    let names: readonly string[] = [];
    if (needsNames(before(), this.#line)) {
      this.#asking = true;
      names = await this.#names().finally(() => (this.#asking = false));
    }
    // Read again: keys typed while the names were on their way have moved the line on.
    const completion = complete(before(), this.#line, names);
    if (!completion) return;
    const index = back ? completion.candidates.length - 1 : 0;
    this.#cycle = { completion, index, inserted: this.#replace(completion.word, completion.candidates[index]!) };
  }

  /** Types over `old` (just before the cursor) with `text`, as keys; returns `text`. */
  #replace(old: string, text: string): string {
    for (let i = graphemes(old).length; i > 0; i--) this.#pass("\x7f", { name: "backspace", sequence: "\x7f" });
    this.#pass(text, undefined);
    return text;
  }
}
