// Tab at the server's console: a command's name after "/", a member's name after a command that takes one (no I/O).

/** What Tab may put in place of the word before the cursor: each candidate whole, with the space that ends it. */
export interface Completion {
  /** The word before the cursor, which a candidate replaces. */
  readonly word: string;
  /** In the order repeated Tabs cycle through them. */
  readonly candidates: readonly string[];
}

/** What the console's line offers to complete: its commands, and which of them take a member's name first. */
export interface Completable {
  readonly commands: readonly string[];
  readonly takesName: readonly string[];
}

/** `/kick bo`: the command and, once a space follows it, the first argument so far. Anything after that: nothing. */
const COMMAND_LINE = /^(\/[^/\s]\S*|\/)(?:\s+(\S*))?$/u;

/**
 * The completion of `before` (the line up to the cursor), given `names` (the members'), or undefined when Tab has
 * nothing to offer: a plain line (a broadcast) completes nothing, so that Tab never changes what everyone will read.
 * Names match without regard to case, as the room tells names apart.
 */
export function complete(before: string, line: Completable, names: readonly string[]): Completion | undefined {
  const m = COMMAND_LINE.exec(before);
  if (!m) return undefined;
  const [, command = "", arg] = m;
  if (arg === undefined) return offer(command, line.commands);
  return line.takesName.includes(command) ? offer(arg, names) : undefined;
}

/** Whether completing `before` needs the members' names (which the server has, not the console). */
export function needsNames(before: string, line: Completable): boolean {
  const m = COMMAND_LINE.exec(before);
  return m?.[2] !== undefined && line.takesName.includes(m[1]!);
}

function offer(word: string, pool: readonly string[]): Completion | undefined {
  const folded = word.toLowerCase();
  const candidates = [...new Set(pool)]
    .filter((c) => c.toLowerCase().startsWith(folded))
    .sort((a, b) => a.localeCompare(b))
    .map((c) => `${c} `);
  return candidates.length === 0 ? undefined : { word, candidates };
}
