// The members this member has chosen not to hear (/ignore): kept for the client run, following renames, never told to anyone.

import type { Shown } from "../screen/render.ts";
import { nameKey } from "../wire/protocol.ts";

/**
 * A rename as the room tells it, `{type: "rename", from, to}`: checked by shape rather than by the wire's type, so
 * this file reads the event whether or not the protocol of this build has it (the merge of /nick brings it).
 */
export interface RenameLike {
  readonly type: string;
  readonly from?: unknown;
  readonly to?: unknown;
}

/** The new name `event` gives `name`, when it is a rename of that name; undefined otherwise. */
export function renamed(event: RenameLike, name: string): string | undefined {
  if (event.type !== "rename" || typeof event.from !== "string" || typeof event.to !== "string") return undefined;
  return nameKey(event.from) === nameKey(name) ? event.to : undefined;
}

export class Ignores {
  /** By nameKey (names are unique without regard to case), the name as it was typed or last renamed to. */
  readonly #names = new Map<string, string>();

  /** Starts ignoring `name`; false when it was already ignored. */
  add(name: string): boolean {
    const key = nameKey(name);
    if (this.#names.has(key)) return false;
    this.#names.set(key, name);
    return true;
  }

  /** Stops ignoring `name`; false when it was not ignored. */
  remove(name: string): boolean {
    return this.#names.delete(nameKey(name));
  }

  has(name: string): boolean {
    return this.#names.has(nameKey(name));
  }

  /** The ignored names, in the order they were ignored. */
  list(): string[] {
    return [...this.#names.values()];
  }

  /**
   * Whether the member does not see `item`: a message, an action or a private message from an ignored name. Joins,
   * leaves and renames still show: they tell who is in the room (as /who does) and what a name now stands for, and
   * a leave may be moderation (kicked, banned) worth knowing about; the administrator is never ignored.
   */
  hides(item: Shown): boolean {
    if (item.type !== "message" && item.type !== "action" && item.type !== "private") return false;
    return this.#names.size > 0 && this.#names.has(nameKey(item.from));
  }

  /**
   * An event of the room: a rename of an ignored member carries the ignore to its new name; any other event of an
   * ignored member lists it from then on as the room spells it (`/ignore BOB` lists `bob`).
   */
  follow(event: RenameLike & { readonly name?: unknown }): void {
    const to = typeof event.from === "string" ? renamed(event, event.from) : undefined;
    if (to !== undefined) {
      if (this.#names.delete(nameKey(event.from as string))) this.#names.set(nameKey(to), to);
      return;
    }
    const who = event.from ?? event.name;
    if (typeof who === "string" && this.#names.has(nameKey(who))) this.#names.set(nameKey(who), who);
  }
}
