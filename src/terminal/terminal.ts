// The interactive terminal of `chat join`: raw keys into the line editor, and every other line printed above the line being typed.

import { writeSync } from "node:fs";
import { emitKeypressEvents } from "node:readline";
import type { Completer } from "../core/screen/complete.ts";
import { draw, erase, type Region, type Styled } from "../core/screen/input-layout.ts";
import { type Key, LineEditor } from "../core/screen/line-editor.ts";
import { wrapRows, wrapStyled } from "../core/screen/wrap.ts";

export interface TerminalEvents {
  /** Enter: the whole line (the editor is empty again). */
  submit(line: string): void;
  /** Ctrl-C. */
  interrupt(): void;
  /** Ctrl-D on an empty line. */
  eof(): void;
}

const STDOUT = 1;
const STDERR = 2;
const BELL = "\x07";

/**
 * Owns the terminal while `chat join` runs in one: stdin in raw mode, and at the foot of the screen a live region
 * (lines still pending, then the prompt and the line being typed) that is erased, written above of, and redrawn, so
 * that what arrives never breaks what is being typed. Writes are synchronous, so stdout and stderr stay in order.
 */
export class Terminal {
  readonly #editor = new LineEditor();
  readonly #events: TerminalEvents;
  #prompt: Styled;
  #pending: Styled[] = [];
  /** Row of the terminal's cursor within the live region as last drawn; undefined while nothing is drawn. */
  #cursorRow: number | undefined;
  /** The width the live region was last drawn at: its pending lines were cut into rows that wide. */
  #drawnColumns = 80;
  /**
   * Set once the terminal has gone away (its window closed, its ssh session dropped): nothing more is written to it.
   * Per Terminal, although the terminal is the process's: another Terminal would find out at its own first write.
   */
  #hungUp = false;
  readonly #onKey = (str: string | undefined, key: Key | undefined) => this.#key(str, key);
  /**
   * A resized terminal re-wraps what it shows (xterm aside, most do: VTE, iTerm2, kitty, tmux, Windows Terminal), so
   * the cursor's row within the region is where the region's layout at the new width puts it.
   */
  readonly #onResize = () => {
    // Pending lines were cut into rows at the old width (hard line ends, which no terminal rejoins): those rows, re-wrapped.
    if (this.#cursorRow !== undefined) this.#cursorRow = draw(this.#region(this.#drawnColumns), this.#columns(), this.#rows()).cursorRow;
    this.#redraw();
  };
  /** However the process ends, even by a bug, the terminal is not left in raw mode (where typing shows nothing). */
  readonly #onExit = () => {
    if (process.stdin.isRaw && !this.#hungUp) process.stdin.setRawMode(false);
  };
  /** The terminal went away (its window closed): as good as Ctrl-D. */
  readonly #onGone = () => this.#events.eof();

  constructor(events: TerminalEvents, prompt: Styled) {
    this.#events = events;
    this.#prompt = prompt;
  }

  start(): void {
    emitKeypressEvents(process.stdin);
    process.stdin.setRawMode(true);
    process.stdin.on("keypress", this.#onKey);
    process.stdin.on("end", this.#onGone);
    process.stdin.on("error", this.#onGone);
    process.stdout.on("resize", this.#onResize);
    process.on("exit", this.#onExit);
    process.stdin.resume();
    this.#redraw();
  }

  /** Gives the terminal back as it was: the live region erased, cooked mode, stdin released. */
  stop(): void {
    if (this.#cursorRow === undefined) return;
    this.#write(STDOUT, erase(this.#cursorRow));
    this.#cursorRow = undefined;
    process.stdin.off("keypress", this.#onKey);
    process.stdin.off("end", this.#onGone);
    process.stdin.off("error", this.#onGone);
    process.stdout.off("resize", this.#onResize);
    process.off("exit", this.#onExit);
    if (!this.#hungUp) process.stdin.setRawMode(false);
    process.stdin.pause();
  }

  /** A line above the live region: the transcript on stdout, a diagnostic on stderr. */
  print(line: string, channel: "stdout" | "stderr" = "stdout", bell = false): void {
    // Wrapped here, at today's width, with each continuation row marked: see wrap.ts. A terminal does not reflow
    // what it has printed, so a resize changes only the lines after it.
    const rows = line.split("\n").flatMap((part) => wrapRows(part, this.#columns()));
    if (this.#cursorRow === undefined) return void this.#write(channel === "stdout" ? STDOUT : STDERR, `${rows.join("\n")}\n`);
    this.#write(STDOUT, erase(this.#cursorRow));
    // A line ends with CR LF: the terminal is in raw mode, where a bare LF only moves down.
    this.#write(channel === "stdout" ? STDOUT : STDERR, `${rows.join("\r\n") + (bell ? BELL : "")}\r\n`);
    this.#cursorRow = 0;
    this.#redraw();
  }

  /** The lines shown between the transcript and the prompt (messages not yet confirmed). */
  setPending(lines: Styled[]): void {
    this.#pending = lines;
    this.#redraw();
  }

  /** What Tab completes in the line being typed (none: Tab types a space). */
  setCompleter(completer: Completer | undefined): void {
    this.#editor.completer = completer;
  }

  setPrompt(prompt: Styled): void {
    this.#prompt = prompt;
    this.#redraw();
  }

  #key(str: string | undefined, key: Key | undefined): void {
    const result = key ? this.#editor.key({ ...key, sequence: key.sequence ?? str }) : this.#editor.insert(str ?? "");
    switch (result.kind) {
      case "none":
        return;
      case "changed":
      case "redraw":
        return this.#redraw();
      case "submit":
        this.#redraw();
        return this.#events.submit(result.line);
      case "interrupt":
        return this.#events.interrupt();
      case "eof":
        return this.#events.eof();
    }
  }

  /**
   * All of `text` to a file descriptor, now. A terminal that is momentarily full (EAGAIN) is tried again; one that has
   * hung up (EIO) is given up on, quietly: SIGHUP is on its way, and with it the polite leave.
   */
  #write(fd: number, text: string): void {
    let bytes = Buffer.from(text);
    while (bytes.length > 0 && !this.#hungUp) {
      try {
        bytes = bytes.subarray(writeSync(fd, bytes));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EIO" || code === "EPIPE" || code === "ENXIO") this.#hungUp = true;
        else if (code !== "EAGAIN") throw err;
      }
    }
  }

  /** The region with its pending lines cut into rows `columns` wide (by default, the terminal's width now). */
  #region(columns = this.#columns()): Region {
    const pending = this.#pending.flatMap((line) => wrapStyled(line, columns));
    return { pending, prompt: this.#prompt, text: this.#editor.text, cursor: this.#editor.cursor };
  }

  #columns(): number {
    return Math.max(process.stdout.columns || 80, 2);
  }

  /** The screen's height: the live region is never drawn taller (see draw). */
  #rows(): number {
    return Math.max(process.stdout.rows || 24, 2);
  }

  #redraw(): void {
    if (this.#cursorRow === undefined && !process.stdin.isRaw) return;
    const columns = this.#columns();
    const { output, cursorRow } = draw(this.#region(columns), columns, this.#rows());
    this.#drawnColumns = columns;
    this.#write(STDOUT, (this.#cursorRow === undefined ? "" : erase(this.#cursorRow)) + output);
    this.#cursorRow = cursorRow;
  }
}
