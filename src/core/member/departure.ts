// A member's way out: asked to leave, it waits for its lines to be delivered (bounded while the server is away),
// then says bye until the server acknowledges it or the bye's time is up.

import { type Bye, TIMERS } from "../wire/protocol.ts";

/**
 * A member leaving with lines still to deliver (a bot at the end of its input) waits for a server that is
 * unreachable this long, counted from the end of input or from the last datagram heard, whichever is later; then
 * it lists what was not delivered and leaves. Long enough for a server's restart, short enough for a CI job.
 */
export const UNDELIVERED_AFTER_MS = 30_000;

export class Departure {
  /** When the member was asked to leave; it then leaves once its says are settled. */
  #askedAt: number | undefined;
  /** Once set, the bye exchange is under way. */
  #bye: { id: number; startedAt: number; lastSent: number } | undefined;

  get asked(): boolean {
    return this.#askedAt !== undefined;
  }

  get saying(): boolean {
    return this.#bye !== undefined;
  }

  /** Asked to leave; true when it was asked before (a second Ctrl-C: stop waiting). */
  ask(now: number): boolean {
    const again = this.#askedAt !== undefined;
    this.#askedAt ??= now;
    return again;
  }

  /** While the server is away: true once it has been away too long to wait any more for the lines. */
  overdue(now: number, lastHeard: number): boolean {
    return this.#askedAt !== undefined && now - Math.max(this.#askedAt, lastHeard) >= UNDELIVERED_AFTER_MS;
  }

  /** The bye to send now; "over" when its time is up (it went out, and the server may simply be gone). */
  bye(sid: string, allocate: () => number, now: number): Bye | "over" | undefined {
    if (!this.#bye) this.#bye = { id: allocate(), startedAt: now, lastSent: Number.NEGATIVE_INFINITY };
    if (now - this.#bye.startedAt >= TIMERS.byeTimeoutMs) return "over";
    if (now - this.#bye.lastSent < TIMERS.byeRetryMs) return undefined;
    this.#bye.lastSent = now;
    return { type: "bye", sid, id: this.#bye.id };
  }

  /** True when `id` acknowledges the bye. */
  acked(id: number): boolean {
    return this.#bye !== undefined && id === this.#bye.id;
  }

  /** The server was lost: a bye under way starts again with the next server. */
  lost(): void {
    this.#bye = undefined;
  }
}
