// `--help` that fits: citty's usage wrapped at the terminal's width between words, with one example per command.

import { displayWidth } from "../core/screen/width.ts";

/** One example for each command's help (and the root's), shown under its options. */
export const EXAMPLES: Readonly<Record<string, string>> = {
  chat: "chat serve    (then, in another terminal: chat join alice)",
  serve: "chat serve --port 8888 --data ./rooms --history 50",
  join: "chat join alice --server 192.168.1.20:8888 --room ops",
  admin: 'chat admin "lunch in 5 minutes" --server 127.0.0.1:8888',
};

const SGR = /\x1b\[[0-9;:]*m/g;
const visible = (s: string) => displayWidth(s.replace(SGR, ""));

/** The width to wrap help at: the terminal's, or 80 columns when stdout is not a terminal. */
export function helpWidth(stdout: { isTTY?: boolean; columns?: number } = process.stdout): number {
  return stdout.isTTY && stdout.columns ? Math.max(stdout.columns, 20) : 80;
}

/**
 * citty's usage text made to fit `width` columns: its rows padded to the widest (which a narrower terminal wraps into
 * rows of blanks) are trimmed, and a row too wide is broken between words, each continuation under the start of the
 * description it continues (a word longer than a row is left whole: never broken in two). `example` is added last.
 */
export function fitHelp(usage: string, width: number, example?: string): string {
  const lines = usage.split("\n").map((line) => line.trimEnd());
  while (lines.at(-1) === "") lines.pop();
  if (example !== undefined) lines.push("", "EXAMPLE", "", `  ${example}`);
  return `${lines.flatMap((line) => wrapWords(line, width)).join("\n")}\n`;
}

/** One line as rows of at most `width` columns, broken at spaces; continuation rows hang under its description. */
function wrapWords(line: string, width: number): string[] {
  if (visible(line) <= width) return [line];
  // A table row ("  --room=<room>    The room…") continues under its description; other text under its own indent.
  const head = /^(\s*\S+ {2,})/.exec(line.replace(SGR, ""))?.[1] ?? /^\s*/.exec(line)![0];
  const indent = displayWidth(head) <= width / 2 ? displayWidth(head) : 4;
  const lead = leadOf(line, head.length);
  const words = line.slice(lead.length).split(" ");
  const rows: string[] = [];
  let row = lead;
  let used = visible(lead);
  for (const word of words) {
    const w = visible(word);
    const fresh = row === lead;
    if (!fresh && used + 1 + w > width) {
      rows.push(row);
      row = " ".repeat(indent) + word;
      used = indent + w;
    } else {
      row += (fresh ? "" : " ") + word;
      used += (fresh ? 0 : 1) + w;
    }
  }
  rows.push(row);
  return rows;
}

/** The start of `line` holding its first `plainLength` visible characters, with the colour codes among them. */
function leadOf(line: string, plainLength: number): string {
  let i = 0;
  for (let seen = 0; seen < plainLength && i < line.length; ) {
    const sgr = /^\x1b\[[0-9;:]*m/.exec(line.slice(i));
    if (sgr) i += sgr[0].length;
    else {
      i++;
      seen++;
    }
  }
  // Colour codes right after the lead belong to it (the colour of the description starts there).
  for (let sgr = /^\x1b\[[0-9;:]*m/.exec(line.slice(i)); sgr; sgr = /^\x1b\[[0-9;:]*m/.exec(line.slice(i))) i += sgr[0].length;
  return line.slice(0, i);
}
