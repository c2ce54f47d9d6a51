// Tab in the page's message box: the terminal's completion rules (complete.ts), cycling on repeated Tabs.

import { COMMANDS } from "../../core/screen/commands.ts";
import { completer, NAME_COMMANDS } from "../../core/screen/complete.ts";

/** What the box holds: its text and where the cursor is. */
export interface Box {
  value: string;
  cursor: number;
}

/**
 * Completes the word before the cursor, as the terminal does; the same Tab again (the box as the last Tab left it)
 * puts the next option there. Undefined: nothing to complete, and Tab keeps its usual job (the next control:
 * keyboard users move on with it).
 */
export class TabCompletion {
  readonly #complete;
  #last: { value: string; cursor: number; head: string; after: string; options: readonly string[]; index: number } | undefined;

  constructor(names: () => readonly string[]) {
    this.#complete = completer({ names, commands: COMMANDS.map((c) => c.name), nameCommands: NAME_COMMANDS });
  }

  tab(box: Box): Box | undefined {
    let cycle = this.#last;
    if (cycle && cycle.value === box.value && cycle.cursor === box.cursor) cycle.index = (cycle.index + 1) % cycle.options.length;
    else {
      const before = box.value.slice(0, box.cursor);
      const found = this.#complete(before);
      if (!found) return undefined;
      cycle = {
        value: "",
        cursor: 0,
        head: before.slice(0, found.start),
        after: box.value.slice(box.cursor),
        options: found.options,
        index: 0,
      };
    }
    const option = cycle.options[cycle.index]!;
    // Before text that already starts with a space, the option's own trailing space would double it.
    const inserted = /^\s/.test(cycle.after) ? option.trimEnd() : option;
    const head = cycle.head + inserted;
    const next = { value: head + cycle.after, cursor: head.length };
    this.#last = { ...cycle, ...next };
    return next;
  }
}
