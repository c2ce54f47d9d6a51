// The live region at the foot of the terminal (pending lines, then prompt and input): where it wraps, and the bytes that draw and erase it.

import { graphemes, graphemeWidth } from "./width.ts";

/** Text as written (`painted`, which may hold SGR colour sequences) and as seen (`plain`: the same without them). */
export interface Styled {
  plain: string;
  painted: string;
}

/** What the live region shows, top to bottom. */
export interface Region {
  /** Lines to show above the input line, each starting a row of its own. */
  pending: ReadonlyArray<Styled>;
  prompt: Styled;
  /** The line being typed: printable characters only. */
  text: string;
  /** The edit cursor, as an index into `graphemes(text)` (0 to their count). */
  cursor: number;
}

/**
 * Rows `plain` takes when written from `startColumn`, and where the terminal's cursor is left: `endColumn`
 * equals `columns` when the last row is exactly full (the terminal is then waiting to wrap).
 */
export function measure(plain: string, columns: number, startColumn = 0): { rows: number; endRow: number; endColumn: number } {
  const { end } = flow(plain, plain, columns, { row: 0, column: startColumn });
  return { rows: end.row + 1, endRow: end.row, endColumn: end.column };
}

/**
 * The bytes that draw `region` with the terminal's cursor at column 0 of its first row and nothing below it,
 * leaving the cursor on the edit cursor; `cursorRow` is that row, counted from the region's first, for `erase`.
 * A region as tall as the screen (`rows`: its height) or taller is drawn as the rows around the edit cursor only, at
 * most `rows - 2` of them (a full last row makes the terminal wrap into one more): the terminal can only move its
 * cursor up within the screen, so a taller region could not be erased, and every redraw would push it into the
 * scrollback; and one row is left above it, since erasing from the screen's top-left corner is a clear of the whole
 * screen to tmux, which then pushes the screen into the scrollback (its scroll-on-clear).
 */
export function draw(region: Region, columns: number, rows = Number.POSITIVE_INFINITY): { output: string; cursorRow: number } {
  const whole = lay(region, columns, { top: 0, bottom: Number.POSITIVE_INFINITY });
  const height = Math.max(1, rows - 2);
  // The cursor on the window's last row (its tail, when the cursor is at the end), or the head when it is near there.
  const top = Math.max(0, Math.min(whole.absoluteCursorRow - height + 1, whole.rows - height));
  const { output, cursorRow } = whole.rows < rows ? whole : lay(region, columns, { top, bottom: top + height });
  return { output, cursorRow };
}

interface Window {
  /** The region's rows shown: from `top` to before `bottom`. */
  top: number;
  bottom: number;
}

/** `draw` of the rows of `region` within `window` only. `rows`: how many the whole region takes. */
function lay(
  region: Region,
  columns: number,
  window: Window,
): { output: string; cursorRow: number; rows: number; absoluteCursorRow: number } {
  let output = "";
  let at: Position = { row: 0, column: 0 };
  /** Where the terminal's cursor is, in rows from the window's top: what has been written so far leaves it there. */
  let shown: Position = { row: 0, column: 0 };
  const inside = (row: number) => row >= window.top && row < window.bottom;
  const write = (plain: string, painted: string) => {
    const written = flow(plain, painted, columns, at, window);
    output += written.output;
    at = written.end;
    if (written.shown) shown = written.shown;
  };
  for (const line of region.pending) {
    write(line.plain, line.painted);
    if (inside(at.row) && inside(at.row + 1)) {
      output += "\r\n";
      shown = { row: at.row + 1 - window.top, column: 0 };
    }
    at = { row: at.row + 1, column: 0 };
  }
  write(region.prompt.plain, region.prompt.painted);
  const text = graphemes(region.text);
  const before = text.slice(0, region.cursor).join("");
  write(before, before);
  // The edit cursor sits where the grapheme under it will be drawn, or where the next one typed would go.
  const cursor = placed(at, Math.max(1, graphemeWidth(text[region.cursor] ?? "")), columns);
  const after = text.slice(region.cursor).join("");
  write(after, after);
  // A full last row leaves the terminal waiting to wrap, where cursor movement differs between terminals: wrap now.
  if (shown.column >= columns) {
    output += "\r\n";
    shown = { row: shown.row + 1, column: 0 };
  }
  const target = { row: cursor.row - window.top, column: cursor.column };
  if (shown.row !== target.row || shown.column !== target.column) {
    if (shown.row > target.row) output += `\x1b[${shown.row - target.row}A`;
    output += "\r";
    if (target.column > 0) output += `\x1b[${target.column}C`;
  }
  const rows = Math.max(at.row + (at.column >= columns ? 1 : 0), cursor.row) + 1;
  return { output, cursorRow: target.row, rows, absoluteCursorRow: cursor.row };
}

/** The bytes that take the cursor from row `cursorRow` of a drawn region to its first row, column 0, and erase from there down. */
export function erase(cursorRow: number): string {
  return `\r${cursorRow > 0 ? `\x1b[${cursorRow}A` : ""}\x1b[J`;
}

interface Position {
  row: number;
  column: number;
}

/** Where a grapheme `width` columns wide goes from `at`: on the next row when it does not fit in this one. */
function placed(at: Position, width: number, columns: number): Position {
  return at.column > 0 && at.column + width > columns ? { row: at.row + 1, column: 0 } : at;
}

/**
 * `painted` as written from `at`, with spaces before each grapheme that does not fit in the rest of its row:
 * terminals differ on whether a wide character wraps or is cut at the margin, but all wrap after a full row.
 * Only graphemes on the rows of `window` are written (colour changes always are, so colours stay right); `shown` is
 * where the last of them leaves the terminal's cursor, in rows from the window's top.
 */
function flow(
  plain: string,
  painted: string,
  columns: number,
  at: Position,
  window: Window = { top: 0, bottom: Number.POSITIVE_INFINITY },
): { output: string; end: Position; shown?: Position } {
  if (painted.replace(SGR_ALL, "") !== plain) {
    throw new Error(`painted text ${JSON.stringify(painted)} is not ${JSON.stringify(plain)} with colours`);
  }
  const inside = (row: number) => row >= window.top && row < window.bottom;
  let output = "";
  let shown: Position | undefined;
  let rest = painted;
  for (const g of graphemes(plain)) {
    const width = graphemeWidth(g);
    const to = placed(at, width, columns);
    const end = skip(rest, g.length);
    if (inside(to.row)) {
      // Before the colour changes that lead up to the grapheme, so the filler keeps the colours of what went before.
      if (to.row > at.row && inside(at.row)) output += " ".repeat(Math.max(0, columns - at.column));
      output += rest.slice(0, end);
      shown = { row: to.row - window.top, column: to.column + width };
    } else {
      output += rest.slice(0, end).replace(SGR_TEXT, "$1");
    }
    rest = rest.slice(end);
    at = { row: to.row, column: to.column + width };
  }
  return { output: output + rest, end: at, ...(shown ? { shown } : {}) };
}

const SGR = /^\x1b\[[0-9;:]*m/;
const SGR_ALL = /\x1b\[[0-9;:]*m/g;
/** What is not a colour change: the text among them. */
const SGR_TEXT = /(\x1b\[[0-9;:]*m)|[\s\S]/g;

/** Index in `painted` just after its next `length` code units of text, colour changes among them included. */
function skip(painted: string, length: number): number {
  let i = 0;
  for (let left = length; left > 0; ) {
    const sgr = SGR.exec(painted.slice(i));
    if (sgr) {
      i += sgr[0].length;
    } else {
      i++;
      left--;
    }
  }
  return i;
}
