// Tab completion of the line being typed: the room's names and the command names, and the roster they come from (no I/O).

import { nameKey } from "../wire/protocol.ts";
import type { Shown } from "./render.ts";

/** What Tab could put in place of the word before the cursor: it starts at `start` (a code-unit index into it). */
export interface Completion {
  start: number;
  /** Whole replacements for the word, separator included, in the order repeated Tabs cycle through them. */
  options: readonly string[];
}

/** Given the text before the cursor, what Tab may complete there; undefined when nothing. */
export type Completer = (before: string) => Completion | undefined;

/** The member commands whose first argument is a member's name. */
export const NAME_COMMANDS: readonly string[] = ["/msg", "/ignore", "/unignore"];

export interface CompleterSource {
  /** The names to offer (the member's own left out by the caller), as the room spells them. */
  names(): readonly string[];
  /** Every command name, with its slash. */
  commands: readonly string[];
  /** Commands whose next word is a name. */
  nameCommands: readonly string[];
}

/**
 * The completion rules, as IRC clients have them: `/wh` → `/who `; after a name-taking command (`/msg b`) a name and a
 * space; a name alone at the start of a line becomes an address (`bob: `); a name anywhere else, a name and a space.
 * Matching ignores case (as names do in the room), and offers the names as the room spells them.
 */
export function completer(source: CompleterSource): Completer {
  return (before) => {
    const command = /^\/\S*$/.exec(before);
    if (command) return offer(0, before, source.commands, " ");
    const named = /^(\/\S+)(\s+)(\S*)$/.exec(before);
    if (named) {
      if (!source.nameCommands.includes(named[1]!.toLowerCase())) return undefined;
      return offer(named[1]!.length + named[2]!.length, named[3]!, source.names(), " ");
    }
    const word = /(\S*)$/.exec(before)!;
    const start = before.length - word[1]!.length;
    return offer(start, word[1]!, source.names(), start === 0 ? ": " : " ");
  };
}

function offer(start: number, prefix: string, candidates: readonly string[], after: string): Completion | undefined {
  const key = nameKey(prefix);
  const options = candidates
    .filter((c) => nameKey(c).startsWith(key))
    .sort((a, b) => (nameKey(a) < nameKey(b) ? -1 : nameKey(a) > nameKey(b) ? 1 : 0))
    .map((c) => c + after);
  return options.length === 0 ? undefined : { start, options };
}

/**
 * Who is in the room, as far as this member's terminal can tell: the welcome's list (which may name only the first
 * of a large room), then joins, leaves and renames as they are shown, and each /who answer in full.
 */
export class Roster {
  /** By name key: the name as the room spells it. */
  readonly #names = new Map<string, string>();
  /** The member's own name: never offered. */
  #self = "";

  set self(name: string) {
    this.#self = name;
  }

  /** Everyone else, as the room spells them. */
  names(): string[] {
    const self = nameKey(this.#self);
    return [...this.#names].filter(([key]) => key !== self).map(([, name]) => name);
  }

  /** The room's spelling of `name` (`BOB` → `bob`), when the roster knows it. */
  spelling(name: string): string | undefined {
    return this.#names.get(nameKey(name));
  }

  /** A complete list (the answer to /who). */
  replace(names: readonly string[]): void {
    this.#names.clear();
    for (const name of names) this.#names.set(nameKey(name), name);
  }

  /** An item as shown: history says nothing of who is here now. A `rename` ({from, to}) is taken when it comes. */
  apply(item: Shown, history: boolean): void {
    if (history) return;
    const e = item as { type: string; name?: unknown; from?: unknown; to?: unknown; members?: unknown };
    if (e.type === "welcome" && Array.isArray(e.members)) this.replace([...(e.members as string[]), String(e.name)]);
    else if (e.type === "join" && typeof e.name === "string") this.#names.set(nameKey(e.name), e.name);
    else if (e.type === "leave" && typeof e.name === "string") this.#names.delete(nameKey(e.name));
    else if (e.type === "rename" && typeof e.from === "string" && typeof e.to === "string") {
      this.#names.delete(nameKey(e.from));
      this.#names.set(nameKey(e.to), e.to);
      if (nameKey(e.from) === nameKey(this.#self)) this.#self = e.to;
    }
  }
}
