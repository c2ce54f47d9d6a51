// Transcript lines cut into screen rows by chat itself, each continuation row indented, so no message can begin a row that reads as a line of its own.

import { graphemes, graphemeWidth } from "./width.ts";

/**
 * What starts every continuation row. Every line chat prints starts at column 0 with something other than a space (a
 * timestamp, a name, `*`, `[`, a word), so two columns of space mark a row as the rest of the line above, in any
 * language and with NO_COLOR, and nothing a message says can move its own text back to column 0.
 */
export const CONTINUATION = "  ";
const INDENT = CONTINUATION.length;

/** Splits around SGR sequences (the capture keeps them in the result, at odd indices). */
const SGR = /(\x1b\[[0-9;:]*m)/;

/**
 * `painted` (text that may hold SGR colour sequences, which take no columns) as rows of at most `columns` columns:
 * cut between grapheme clusters, a wide character that would cross the margin moved whole to the next row, and
 * every row after the first starting with CONTINUATION. One row when it fits; never an empty continuation row.
 */
export function wrapRows(painted: string, columns: number): string[] {
  // Too narrow a terminal for an indent and a wide character: leave the wrapping to the terminal.
  if (columns < INDENT + 2) return [painted];
  const rows: string[] = [];
  let row = "";
  let width = 0;
  for (const [index, piece] of painted.split(SGR).entries()) {
    if (index % 2 === 1) {
      row += piece;
      continue;
    }
    for (const g of graphemes(piece)) {
      const w = graphemeWidth(g);
      // Only before a character that takes columns: a row never ends on a mark that belongs to what follows.
      if (w > 0 && width + w > columns) {
        rows.push(row);
        row = CONTINUATION;
        width = INDENT;
      }
      row += g;
      width += w;
    }
  }
  rows.push(row);
  return rows;
}

const SGR_ALL = /\x1b\[[0-9;:]*m/g;

/**
 * A live-region line as the rows wrapRows makes of it, plain and painted alike. Should colours ever cut a grapheme
 * cluster so that the two wrap differently, the line is left whole (the terminal wraps it, unmarked: it is the
 * member's own line, not another's).
 */
export function wrapStyled(line: { plain: string; painted: string }, columns: number): Array<{ plain: string; painted: string }> {
  const plain = wrapRows(line.plain, columns);
  const painted = wrapRows(line.painted, columns);
  if (plain.length !== painted.length || plain.some((row, i) => painted[i]!.replace(SGR_ALL, "") !== row)) return [line];
  return plain.map((row, i) => ({ plain: row, painted: painted[i]! }));
}
