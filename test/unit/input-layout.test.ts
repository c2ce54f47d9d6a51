// The live region's layout: measured rows, the exact bytes drawn and erased, and those bytes played on a model terminal.

import { describe, expect, test } from "bun:test";
import { draw, erase, measure, type Region } from "../../src/core/screen/input-layout.ts";
import { wrapRows, wrapStyled } from "../../src/core/screen/wrap.ts";

const SEGMENTER = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const split = (text: string) => Array.from(SEGMENTER.segment(text), (s) => s.segment);
const plain = (text: string) => ({ plain: text, painted: text });
const region = (text: string, cursor = split(text).length, prompt = "> "): Region => ({ pending: [], prompt: plain(prompt), text, cursor });

describe("measure", () => {
  test("ASCII", () => {
    expect(measure("", 10)).toEqual({ rows: 1, endRow: 0, endColumn: 0 });
    expect(measure("hello", 10)).toEqual({ rows: 1, endRow: 0, endColumn: 5 });
    expect(measure("hello world", 5)).toEqual({ rows: 3, endRow: 2, endColumn: 1 });
  });

  test("an exactly full row leaves the cursor at the margin, waiting to wrap, without a row of its own", () => {
    expect(measure("hello", 5)).toEqual({ rows: 1, endRow: 0, endColumn: 5 });
    expect(measure("helloworld", 5)).toEqual({ rows: 2, endRow: 1, endColumn: 5 });
    expect(measure("你好", 4)).toEqual({ rows: 1, endRow: 0, endColumn: 4 });
  });

  test("a wide character that does not fit goes to the next row, its cell left blank", () => {
    expect(measure("ab你好", 5)).toEqual({ rows: 2, endRow: 1, endColumn: 2 });
    expect(measure("a😀😀", 4)).toEqual({ rows: 2, endRow: 1, endColumn: 2 });
    expect(measure("👍🏽🇨🇳👨‍👩‍👧", 4)).toEqual({ rows: 2, endRow: 1, endColumn: 2 });
  });

  test("a terminal narrower than a wide character gets one per row, and no empty rows", () => {
    expect(measure("你好", 1)).toEqual({ rows: 2, endRow: 1, endColumn: 2 });
  });

  test("from a start column", () => {
    expect(measure("abc", 5, 3)).toEqual({ rows: 2, endRow: 1, endColumn: 1 });
    expect(measure("你", 5, 4)).toEqual({ rows: 2, endRow: 1, endColumn: 2 });
  });
});

describe("draw", () => {
  test("a short line with the cursor at its end", () => {
    expect(draw(region("hi"), 20)).toEqual({ output: "> hi", cursorRow: 0 });
  });

  test("the cursor inside the line: back to column 0, then right", () => {
    expect(draw(region("hello", 2), 20)).toEqual({ output: "> hello\r\x1b[4C", cursorRow: 0 });
    expect(draw(region("hello", 0, ""), 20)).toEqual({ output: "hello\r", cursorRow: 0 });
    expect(draw(region("你好吗", 1), 20)).toEqual({ output: "> 你好吗\r\x1b[4C", cursorRow: 0 });
  });

  test("a coloured prompt is written as painted and measured as plain", () => {
    const drawn = draw({ pending: [], prompt: { plain: "> ", painted: "\x1b[1m>\x1b[22m " }, text: "ab", cursor: 1 }, 20);
    expect(drawn).toEqual({ output: "\x1b[1m>\x1b[22m ab\r\x1b[3C", cursorRow: 0 });
  });

  test("a line exactly filling its row: the cursor at the end gets a row of its own", () => {
    expect(draw(region("abcdefgh"), 10)).toEqual({ output: "> abcdefgh\r\n", cursorRow: 1 });
    expect(draw(region("abcdefgh", 3), 10)).toEqual({ output: "> abcdefgh\r\n\x1b[1A\r\x1b[5C", cursorRow: 0 });
  });

  test("over several rows with the cursor on the first", () => {
    expect(draw(region("abcdefghij", 1), 5)).toEqual({ output: "> abcdefghij\x1b[2A\r\x1b[3C", cursorRow: 0 });
  });

  test("a wide character that does not fit is preceded by a space, and the cursor before it is on the next row", () => {
    expect(draw(region("ab你好", 4, ""), 5)).toEqual({ output: "ab你 好", cursorRow: 1 });
    expect(draw(region("ab你好", 3, ""), 5)).toEqual({ output: "ab你 好\r", cursorRow: 1 });
    expect(draw(region("ab你好", 2, ""), 5)).toEqual({ output: "ab你 好\x1b[1A\r\x1b[2C", cursorRow: 0 });
  });

  test("pending lines come first, each on rows of its own; padding goes before the colour change", () => {
    const pending = [
      { plain: "bob: 你好吗", painted: "\x1b[1mbob\x1b[22m: \x1b[33m你好吗\x1b[39m" },
      { plain: "", painted: "" },
      { plain: "alice left", painted: "\x1b[2malice left\x1b[22m" },
    ];
    expect(draw({ pending, prompt: plain("> "), text: "", cursor: 0 }, 6)).toEqual({
      output: "\x1b[1mbob\x1b[22m:  \x1b[33m你好吗\x1b[39m\r\n\r\n\x1b[2malice left\x1b[22m\r\n> ",
      cursorRow: 5,
    });
  });

  test("a painted text that is not its plain text with colours is refused", () => {
    const bad = { pending: [{ plain: "hello", painted: "\x1b[1mhullo\x1b[22m" }], prompt: plain("> "), text: "", cursor: 0 };
    expect(() => draw(bad, 20)).toThrow('painted text "\\u001b[1mhullo\\u001b[22m" is not "hello" with colours');
  });
});

describe("erase", () => {
  test("back to the first row, column 0, and clear to the end of the screen", () => {
    expect(erase(0)).toBe("\r\x1b[J");
    expect(erase(2)).toBe("\r\x1b[2A\x1b[J");
  });
});

/**
 * Enough of xterm to play the drawn bytes: graphemes with their widths (by Bun.stringWidth, not the code under
 * test), the wait to wrap at the margin, CR, LF (down only), scrolling, CSI A, B, C, J and SGR (ignored).
 * A wide character meeting the margin is an error: the drawer is meant to pad first, as terminals differ there.
 */
class Terminal {
  /** Cells by row: a grapheme, " " when blank, "" for the right half of a wide one. */
  readonly cells: string[][];
  row = 0;
  column = 0;
  /** Rows pushed off the top: what a real terminal would have added to its scrollback. */
  scrolled = 0;

  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    this.cells = Array.from({ length: rows }, () => this.#blank());
  }

  write(bytes: string): void {
    for (let rest = bytes; rest !== ""; ) {
      const csi = /^\x1b\[([0-9;:]*)([@-~])/.exec(rest);
      if (csi) {
        this.#csi(csi[2]!, Number(csi[1]) || 1, csi[1] ?? "");
        rest = rest.slice(csi[0].length);
        continue;
      }
      // Controls one by one (CR LF is one grapheme), the rest a grapheme at a time.
      const c = rest[0]!;
      const g = /[\x00-\x1f\x7f-\x9f]/.test(c) ? c : split(rest)[0]!;
      rest = rest.slice(g.length);
      if (g === "\r") this.column = 0;
      else if (g === "\n") this.#lineFeed();
      else if (g === c && /[\x00-\x1f\x7f-\x9f]/.test(c)) throw new Error(`unexpected control ${JSON.stringify(c)}`);
      else this.#print(g);
    }
  }

  /** The screen's rows, trailing blanks and blank rows at the bottom left out. */
  screen(): string[] {
    const lines = this.cells.map((cells) => cells.join("").trimEnd());
    while (lines.at(-1) === "") lines.pop();
    return lines;
  }

  #print(g: string): void {
    const width = Bun.stringWidth(g);
    if (width === 0) {
      this.cells[this.row]![Math.max(0, this.column - 1)] += g;
      return;
    }
    if (this.column + width > this.columns) {
      if (this.column < this.columns) throw new Error(`${g} meets the margin at column ${this.column} unpadded`);
      this.column = 0;
      this.#lineFeed();
    }
    const cells = this.cells[this.row]!;
    cells[this.column] = g;
    if (width === 2) cells[this.column + 1] = "";
    this.column += width;
  }

  #lineFeed(): void {
    if (this.row === this.rows - 1) {
      this.scrolled++;
      this.cells.shift();
      this.cells.push(this.#blank());
    } else {
      this.row++;
    }
    this.column = Math.min(this.column, this.columns - 1);
  }

  #csi(final: string, n: number, params: string): void {
    const column = Math.min(this.column, this.columns - 1);
    switch (final) {
      case "A":
        [this.row, this.column] = [Math.max(0, this.row - n), column];
        break;
      case "B":
        [this.row, this.column] = [Math.min(this.rows - 1, this.row + n), column];
        break;
      case "C":
        this.column = Math.min(this.columns - 1, column + n);
        break;
      case "J":
        if (params !== "") throw new Error(`unexpected CSI ${params}J`);
        this.cells[this.row]!.fill(" ", column);
        for (let r = this.row + 1; r < this.rows; r++) this.cells[r] = this.#blank();
        break;
      case "m":
        break;
      default:
        throw new Error(`unexpected CSI ${params}${final}`);
    }
  }

  #blank(): string[] {
    return Array.from({ length: this.columns }, () => " ");
  }
}

/**
 * What the region should look like, stated the simple way: rows of graphemes filled left to right, a grapheme
 * that does not fit starting the next row; the cursor on the cell of the grapheme under it, or after the end.
 */
function expected(r: Region, columns: number): { screen: string[]; cursor: [number, number] } {
  const screen: string[] = [];
  let line = "";
  let column = 0;
  const newRow = () => {
    screen.push(line);
    line = "";
    column = 0;
  };
  const put = (g: string) => {
    const width = Bun.stringWidth(g);
    if (column + width > columns) newRow();
    line += g;
    column += width;
  };
  for (const p of r.pending) {
    split(p.plain).forEach(put);
    newRow();
  }
  split(r.prompt.plain).forEach(put);
  const text = split(r.text);
  let cursor: [number, number] = [0, 0];
  for (let i = 0; i <= text.length; i++) {
    if (i === r.cursor)
      cursor = column + Math.max(1, Bun.stringWidth(text[i] ?? "")) > columns ? [screen.length + 1, 0] : [screen.length, column];
    if (i < text.length) put(text[i]!);
  }
  newRow();
  const lines = screen.map((l) => l.trimEnd());
  while (lines.at(-1) === "") lines.pop();
  return { screen: lines, cursor };
}

/** Draws on a terminal holding `above` (then a new line), and checks the screen and the cursor. */
function play(r: Region, columns: number, above: string[] = []): Terminal {
  const term = new Terminal(columns, 80);
  for (const line of above) term.write(`${line}\r\n`);
  const { output, cursorRow } = draw(r, columns);
  term.write(output);
  const want = expected(r, columns);
  expect(term.screen()).toEqual([...above, ...want.screen]);
  expect([term.row, term.column]).toEqual([want.cursor[0] + above.length, want.cursor[1]]);
  expect(cursorRow).toBe(want.cursor[0]);
  return term;
}

describe("drawn on a model terminal", () => {
  test("the model itself: wide characters, the wait to wrap, LF keeps the column", () => {
    const term = new Terminal(4, 3);
    term.write("ab你\x1b[31mc\x1b[m\nd");
    expect(term.screen()).toEqual(["ab你", "c", " d"]);
    expect(() => new Terminal(4, 3).write("abc你")).toThrow("meets the margin");
  });

  test("ASCII, Chinese, emoji and flags, the cursor at the end or inside", () => {
    const text = "hi 你好 😀👍🏽🇨🇳 e\u0301 한국어 ok";
    for (const columns of [5, 6, 7, 80]) {
      for (let cursor = 0; cursor <= split(text).length; cursor++) play(region(text, cursor), columns);
    }
  });

  test("exactly full rows, with the cursor at the end or inside", () => {
    play(region("abcdefgh"), 10);
    play(region("abcdefgh", 8), 10);
    play(region("你好你好", 4, "你>"), 6);
    play(region("你好你好", 1, "你>"), 6);
  });

  test("coloured pending lines that wrap, above the input line", () => {
    const pending = [
      { plain: "bob: 你好吗 👋", painted: "\x1b[1mbob\x1b[22m: \x1b[33m你好吗\x1b[39m 👋" },
      { plain: "[admin] 服务器将重启", painted: "\x1b[1;33m[admin] 服务器将重启\x1b[22;39m" },
    ];
    play({ pending, prompt: { plain: "我> ", painted: "\x1b[1m我>\x1b[22m " }, text: "回复😀ok", cursor: 2 }, 7, ["above"]);
  });

  test("transcript lines and pending lines cut into rows by wrap.ts: the region lands below them, exact", () => {
    const columns = 12;
    const line = "09:05 bob: xx12:34 dave joined, 你好你好😀";
    const above = wrapRows(line, columns);
    expect(above).toEqual(["09:05 bob: x", "  x12:34 dav", "  e joined, ", "  你好你好😀"]);
    const pending = wrapStyled({ plain: "alice: 一二三四五 (sending…)", painted: "\x1b[2malice: 一二三四五 (sending…)\x1b[22m" }, columns);
    expect(pending.map((p) => p.plain)).toEqual(["alice: 一二", "  三四五 (se", "  nding…)"]);
    // The model terminal's screen has no trailing spaces.
    const shown = above.map((row) => row.trimEnd());
    const r: Region = { pending, prompt: plain("alice> "), text: "回复😀ok", cursor: 2 };
    const term = play(r, columns, shown);
    term.write(erase(draw(r, columns).cursorRow));
    expect(term.screen()).toEqual(shown);
  });

  test("erase leaves the screen as it was before the region, and a redraw lands in the same place", () => {
    const r: Region = {
      pending: [{ plain: "carol: 早上好", painted: "carol: 早上好" }],
      prompt: plain("> "),
      text: "abc你好😀",
      cursor: 4,
    };
    const term = play(r, 6, ["one", "two"]);
    term.write(erase(draw(r, 6).cursorRow));
    expect(term.screen()).toEqual(["one", "two"]);
    expect([term.row, term.column]).toEqual([2, 0]);
    play(r, 6, ["one", "two"]);
  });

  test("erase after drawing the region scrolled the screen", () => {
    const term = new Terminal(5, 5);
    term.write("x1\r\nx2\r\nx3\r\n");
    const r: Region = { pending: [plain("p1"), plain("p2")], prompt: plain("> "), text: "abcdef", cursor: 1 };
    const { output, cursorRow } = draw(r, 5);
    term.write(output);
    expect(term.screen()).toEqual(["x3", "p1", "p2", "> abc", "def"]);
    expect([term.row, term.column]).toEqual([3, 3]);
    term.write(erase(cursorRow));
    expect(term.screen()).toEqual(["x3"]);
  });

  test("a few hundred generated regions", () => {
    const alphabet = ["a", "b", " ", "x", "你", "好", "😀", "👍🏽", "🇨🇳", "e\u0301", "한", "ｘ", "："];
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const words = (max: number) => Array.from({ length: random(max + 1) }, () => alphabet[random(alphabet.length)]!);
    for (let i = 0; i < 300; i++) {
      const columns = 3 + random(10);
      const pending = Array.from({ length: random(3) }, () => {
        const g = words(20);
        const painted = `${g.map((c) => (random(4) === 0 ? `\x1b[3${random(8)}m${c}` : c)).join("")}\x1b[m`;
        return { plain: g.join(""), painted };
      });
      const text = words(30);
      const prompt = random(2) === 0 ? plain("> ") : { plain: "你>", painted: "\x1b[1m你>\x1b[m" };
      const r = { pending, prompt, text: text.join(""), cursor: random(text.length + 1) };
      const term = play(r, columns, ["up"]);
      term.write(erase(draw(r, columns).cursorRow));
      expect(term.screen()).toEqual(["up"]);
    }
  });
});

describe("a region taller than the screen", () => {
  test("shows the rows around the cursor, never more than the screen; printing above it scrolls only the lines printed", () => {
    const text = `${"abcdefghij".repeat(10)}你好`;
    for (const cursor of [0, 5, 50, 99, 100, 101, 102]) {
      const term = new Terminal(10, 5);
      const r = region(text, cursor);
      let { output, cursorRow } = draw(r, 10, 5);
      term.write(output);
      expect(term.scrolled).toBe(0);
      expect(cursorRow).toBe(term.row);
      expect(term.screen().length).toBeLessThanOrEqual(4); // a row to spare above it (see draw)
      // The terminal's cursor is on the grapheme under the edit cursor (a blank after the end).
      expect(term.cells[term.row]![term.column]).toBe(split(text)[cursor] ?? " ");
      for (const [i, line] of ["one", "two", "three"].entries()) {
        term.write(`${erase(cursorRow)}${line}\r\n`);
        ({ output, cursorRow } = draw(r, 10, 5));
        term.write(output);
        expect(term.scrolled).toBeLessThanOrEqual(i + 1);
        expect(term.cells[term.row]![term.column]).toBe(split(text)[cursor] ?? " ");
      }
    }
  });
  test("a region that fits is drawn whole, as without a height", () => {
    const r = region("hello world, this is long", 3);
    expect(draw(r, 10, 4)).toEqual(draw(r, 10));
  });
});
