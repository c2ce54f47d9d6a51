// One member's says, let through in the order it sent them and at the room's rate: the server's mirror of the member's Sequencer.

import { TokenBucket } from "../limiter.ts";
import { LIMITS, type Say } from "../wire/protocol.ts";

/** What became of one say: a repeat of one relayed already, held (or dropped) until the gap before it is filled, or let through. */
export type SayTurn =
  | { readonly kind: "repeat" }
  | { readonly kind: "too_far" }
  /** Held: the member is told which id the server waits for. */
  | { readonly kind: "waiting"; readonly id: number }
  /** This say and those held behind it, in order; `allowed` false: over the rate, settled as refused. */
  | { readonly kind: "ready"; readonly says: ReadonlyArray<{ readonly say: Say; readonly allowed: boolean }> };

/**
 * A member's allowance of says (`--burst`, `--rate`): `burst` at once, then one more every `refillMs`. The welcome
 * tells the member both, so that it paces its says instead of being refused.
 */
export interface Allowance {
  readonly burst: number;
  readonly refillMs: number;
}

export class SayOrder {
  /** The say id to relay next; undefined until the store or the first say's `base` tells. */
  #nextId: number | undefined;
  /**
   * Says that arrived ahead of `#nextId`, held (unacknowledged) until the gap is filled; `undefined` for an id the
   * member spent on something that is not a say (a `names`, a `bye`): never waited for.
   */
  readonly #ahead = new Map<number, Say | undefined>();
  /** The member's allowance of messages (`--rate`); undefined when messages are not limited. */
  readonly #allowance: TokenBucket | undefined;

  /** `lastId`: the last say id the store has from this client, if any. */
  constructor(lastId: number | undefined, allowance: Allowance | undefined, now: number) {
    this.#nextId = lastId === undefined ? undefined : lastId + 1;
    this.#allowance = allowance && new TokenBucket(allowance.burst, allowance.refillMs, now);
  }

  /** The last say id let through (undefined before the first). */
  get lastId(): number | undefined {
    return this.#nextId === undefined ? undefined : this.#nextId - 1;
  }

  receive(say: Say, now: number): SayTurn {
    // Ids below `base` are settled at the member (acknowledged, or given up on): never wait for them.
    if (this.#nextId === undefined || say.base > this.#nextId) {
      this.#nextId = say.base;
      for (const id of this.#ahead.keys()) if (id < say.base) this.#ahead.delete(id);
    }
    if (say.id < this.#nextId) return { kind: "repeat" }; // its ack was lost
    if (say.id - this.#nextId >= LIMITS.reorderWindow) return { kind: "too_far" }; // the member sends it again later
    this.#ahead.set(say.id, say);
    if (say.id > this.#nextId) return { kind: "waiting", id: this.#nextId };
    return { kind: "ready", says: this.#release(now) };
  }

  /**
   * The member spent `id` on a request that is not a say (`names`; ids come from one counter): no say will ever
   * have it, so the says behind it are not held for it. Returns the says that lets through (none when it changes
   * nothing: an id already passed, one too far ahead, or before the first say told where the ids start).
   */
  notSay(id: number, now: number): ReadonlyArray<{ readonly say: Say; readonly allowed: boolean }> {
    if (this.#nextId === undefined || id < this.#nextId || id - this.#nextId >= LIMITS.reorderWindow) return [];
    if (!this.#ahead.has(id)) this.#ahead.set(id, undefined);
    return this.#release(now);
  }

  /** Lets through the says from `#nextId` on that are all there, in order, passing the ids that are not says. */
  #release(now: number): Array<{ say: Say; allowed: boolean }> {
    const says: Array<{ say: Say; allowed: boolean }> = [];
    for (let id = this.#nextId!; this.#ahead.has(id); id++) {
      const next = this.#ahead.get(id);
      this.#ahead.delete(id);
      this.#nextId = id + 1;
      // Over the rate, the message is settled as refused: the member stays, and its later messages are not held up.
      if (next) says.push({ say: next, allowed: this.allow(now) });
    }
    return says;
  }

  /** Takes one message from the allowance; true when there was one (or messages are not limited). */
  allow(now: number): boolean {
    return this.#allowance?.take(now) ?? true;
  }

  /** Takes back say `id` and those after it (a cluster's log did not store them): their repeats go through again. */
  takeBack(id: number): void {
    if (this.#nextId !== undefined && id < this.#nextId) this.#nextId = id;
  }
}
