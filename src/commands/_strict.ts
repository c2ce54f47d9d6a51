// Strict command lines: an unknown option or command, or a word too many, is refused in one line with the nearest valid spelling.
//
// citty parses non-strictly (util.parseArgs with strict: false): an unknown flag is accepted without a word and extra
// words go to `args._`. These checks read each command's own args definition, so a flag added there is known here at
// once; they walk the words as citty does (`--no-X` taken out first, a string option takes the next word whatever it
// is, everything after `--` is positional), so what they let through is exactly what citty then parses.

import type { ArgsDef } from "citty";

/**
 * Marks a positional that also takes every further word (`chat admin two words`): citty has no such kind, so the
 * definition says it by spreading this in. Without it, a command takes as many words as it has positionals.
 */
export const REST_OF_WORDS = { rest: true } as const;

/** What an option is: a switch, or one that takes a value. */
type Kind = "boolean" | "string";

/** A command's options by every spelling citty accepts (name, camelCase, kebab-case, aliases), and the spellings to suggest. */
interface Options {
  kinds: Map<string, Kind>;
  /** With their dashes, in the definition's order: `--server`, `-p`, `--no-json`, `--help`. */
  suggestions: string[];
}

/** citty's built-in --help, -h: valid on every command (the entry prints the usage before anything is parsed). */
const HELP_FLAGS = ["help", "h"];

function optionsOf(args: ArgsDef): Options {
  const kinds = new Map<string, Kind>();
  const suggestions: string[] = [];
  const negations: string[] = [];
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const kind: Kind = def.type === "boolean" ? "boolean" : "string";
    const alias = "alias" in def ? def.alias : undefined;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    for (const spelling of [name, camelCase(name), kebabCase(name), ...aliases]) kinds.set(spelling, kind);
    const shown = [name, ...aliases];
    suggestions.push(...shown.map(dashed));
    if (kind === "boolean") negations.push(...shown.filter((s) => s.length > 1).map((s) => `--no-${s}`));
  }
  for (const name of HELP_FLAGS) kinds.set(name, "boolean");
  suggestions.push(...negations, ...HELP_FLAGS.map(dashed));
  return { kinds, suggestions };
}

const dashed = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);
const camelCase = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const kebabCase = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The one line that refuses `words` (what follows the command's name), or undefined when citty may parse them.
 * `command` is how the line points to the help: `chat join`.
 */
export function commandLineProblem(words: readonly string[], args: ArgsDef, command: string): string | undefined {
  const options = optionsOf(args);
  const unknown = (word: string, typed: string) => unknownOption(word, typed, options.suggestions, command);
  const terminator = words.indexOf("--");
  const before = terminator === -1 ? words : words.slice(0, terminator);
  // citty takes every `--no-X` out before parsing (so it never is a value); only a switch can be negated.
  for (const word of before) {
    if (!word.startsWith("--no-")) continue;
    const spelled = word.split("=")[0]!;
    if (options.kinds.get(spelled.slice(5)) !== "boolean") return unknown(spelled, spelled.slice(2));
    if (spelled !== word) return `${spelled} takes no value`;
  }
  const rest = before.filter((w) => !w.startsWith("--no-"));
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    const taken = word.startsWith("--")
      ? longOption(word, rest[i + 1], options, unknown)
      : word.startsWith("-") && word.length > 1
        ? shortOptions(word, rest[i + 1], options, unknown)
        : { problem: undefined, consumed: 0, positional: word };
    if (taken.problem !== undefined) return taken.problem;
    if (taken.positional !== undefined) positionals.push(taken.positional);
    i += taken.consumed;
  }
  if (terminator !== -1) positionals.push(...words.slice(terminator + 1));
  const extra = positionals[positionalCount(args)];
  return extra === undefined ? undefined : `unexpected argument ${JSON.stringify(extra)} (see ${command} --help)`;
}

/** Whether `word` (`--verbose`, `--server=x`, `--no-json`, `-p`) spells one of the options `args` defines. */
export function isOptionOf(word: string, args: ArgsDef): boolean {
  const { kinds } = optionsOf(args);
  const name = word.replace(/^-{1,2}/, "").split("=")[0]!;
  return kinds.has(name) || (name.startsWith("no-") && kinds.get(name.slice(3)) === "boolean");
}

/** What one word on the command line turned out to be: a problem, or how many of the next words it took as a value. */
interface Taken {
  problem: string | undefined;
  consumed: number;
  positional?: string;
}

type Unknown = (word: string, typed: string) => string;

/** `--name`, `--name=value`, `--name value`. */
function longOption(word: string, next: string | undefined, options: Options, unknown: Unknown): Taken {
  const eq = word.indexOf("=");
  const name = eq === -1 ? word.slice(2) : word.slice(2, eq);
  const kind = options.kinds.get(name);
  if (kind === undefined) return { problem: unknown(`--${name}`, name), consumed: 0 };
  if (kind === "boolean") {
    // citty reads `--json=anything` but "false" as true: only the two words that mean what they say are let through.
    const value = eq === -1 ? undefined : word.slice(eq + 1);
    const problem =
      value === undefined || value === "true" || value === "false" ? undefined : `--${name} takes no value: --${name} or --no-${name}`;
    return { problem, consumed: 0 };
  }
  if (eq !== -1) return { problem: undefined, consumed: 0 };
  return next === undefined ? { problem: `--${name} needs a value`, consumed: 0 } : { problem: undefined, consumed: 1 };
}

/** `-p`, `-p VALUE`, `-pVALUE`, `-ab` (switches grouped), as util.parseArgs reads them. */
function shortOptions(word: string, next: string | undefined, options: Options, unknown: Unknown): Taken {
  const letters = word.slice(1);
  for (let j = 0; j < letters.length; j++) {
    const letter = letters[j]!;
    const kind = options.kinds.get(letter);
    // `-sever` is most likely --sever typed with one dash: the whole word is what was meant.
    if (kind === undefined) return { problem: j === 0 ? unknown(word, letters) : unknown(`-${letter}`, letter), consumed: 0 };
    if (kind === "string") {
      if (j < letters.length - 1) return { problem: undefined, consumed: 0 };
      return next === undefined ? { problem: `-${letter} needs a value`, consumed: 0 } : { problem: undefined, consumed: 1 };
    }
  }
  return { problem: undefined, consumed: 0 };
}

/** How many words a command takes: one per positional, any number with a REST_OF_WORDS one. */
function positionalCount(args: ArgsDef): number {
  const positionals = Object.values(args).filter((def) => def.type === "positional");
  return positionals.some((def) => (def as { rest?: unknown }).rest === true) ? Number.POSITIVE_INFINITY : positionals.length;
}

function unknownOption(word: string, typed: string, suggestions: readonly string[], command: string): string {
  const near = nearest(typed, suggestions);
  return near === undefined ? `unknown option ${word} (see ${command} --help)` : `unknown option ${word}: did you mean ${near}?`;
}

/** The line that refuses an unknown command `name` among `commands` (`chat` is `root`). */
export function unknownCommand(name: string, commands: readonly string[], root: string): string {
  const near = nearest(name, commands);
  return near === undefined
    ? `unknown command ${JSON.stringify(name)} (see ${root} --help)`
    : `unknown command ${JSON.stringify(name)}: did you mean ${JSON.stringify(near)}?`;
}

/**
 * The candidate nearest to `typed` (compared without their dashes and without regard to case), or undefined when
 * none is close: within a third of the typed length in edits (at least one; none for a single letter, where every
 * letter is one edit from every other, so a one-letter alias is only suggested for its other case), else the only
 * candidate that `typed` (3 letters or more) begins.
 */
export function nearest(typed: string, candidates: readonly string[]): string | undefined {
  const bare = (s: string) => s.replace(/^-+/, "").toLowerCase();
  const wanted = bare(typed);
  const limit = wanted.length < 2 ? 0 : Math.max(1, Math.floor(wanted.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (bare(candidate).length === 1 && wanted.length > 1) continue; // `-h` is one edit from any two letters with an h
    const distance = editDistance(wanted, bare(candidate));
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  if (best) return best.candidate;
  const begun = wanted.length >= 3 ? candidates.filter((c) => bare(c).startsWith(wanted)) : [];
  return begun.length === 1 ? begun[0] : undefined;
}

/** Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`: the optimal string alignment distance. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
