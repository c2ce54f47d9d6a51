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
 */
export function draw(region: Region, columns: number): { output: string; cursorRow: number } {
  let output = "";
  let at: Position = { row: 0, column: 0 };
  const write = (plain: string, painted: string) => {
    const written = flow(plain, painted, columns, at);
    output += written.output;
    at = written.end;
  };
  for (const line of region.pending) {
    write(line.plain, line.painted);
    output += "\r\n";
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
  if (at.column >= columns) {
    output += "\r\n";
    at = { row: at.row + 1, column: 0 };
  }
  if (at.row !== cursor.row || at.column !== cursor.column) {
    if (at.row > cursor.row) output += `\x1b[${at.row - cursor.row}A`;
    output += "\r";
    if (cursor.column > 0) output += `\x1b[${cursor.column}C`;
  }
  return { output, cursorRow: cursor.row };
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
 */
function flow(plain: string, painted: string, columns: number, at: Position): { output: string; end: Position } {
  if (painted.replace(SGR_ALL, "") !== plain) {
    throw new Error(`painted text ${JSON.stringify(painted)} is not ${JSON.stringify(plain)} with colours`);
  }
  let output = "";
  let rest = painted;
  for (const g of graphemes(plain)) {
    const width = graphemeWidth(g);
    const to = placed(at, width, columns);
    // Before the colour changes that lead up to the grapheme, so the filler keeps the colours of what went before.
    if (to.row > at.row) output += " ".repeat(Math.max(0, columns - at.column));
    const end = skip(rest, g.length);
    output += rest.slice(0, end);
    rest = rest.slice(end);
    at = { row: to.row, column: to.column + width };
  }
  return { output: output + rest, end: at };
}

const SGR = /^\x1b\[[0-9;:]*m/;
const SGR_ALL = /\x1b\[[0-9;:]*m/g;

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
