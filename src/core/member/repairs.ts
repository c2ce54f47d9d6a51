// Which gaps in a member's event stream to nack now: a new one at once, then again every TIMERS.nackRetryMs until it is filled.

import { LIMITS, TIMERS } from "../wire/protocol.ts";
import type { Gap, Sequencer } from "./sequencer.ts";

export class Repairs {
  /** Each missing run asked for (by its first number): its last number, and when it was last asked for. */
  readonly #asked = new Map<number, { to: number; at: number }>();

  /** The runs to ask for now (at most LIMITS.nacksAtOnce are looked at), marked as asked. */
  due(stream: Sequencer, now: number): Gap[] {
    const next = stream.next ?? 0;
    for (const from of this.#asked.keys()) if (from < next) this.#asked.delete(from);
    const gaps = stream.gaps(LIMITS.nacksAtOnce);
    let kept = 0;
    for (const gap of gaps) {
      const asked = this.#asked.get(gap.from);
      if (asked !== undefined && now - asked.at < TIMERS.nackRetryMs) continue;
      this.#asked.set(gap.from, { to: gap.to, at: now });
      gaps[kept++] = gap;
    }
    gaps.length = kept;
    return gaps;
  }

  /** Whether `from`..`to` lies inside a run this member asked for: the only `lost` it believes. */
  asked(from: number, to: number): boolean {
    for (const [first, run] of this.#asked) if (first <= from && to <= run.to) return true;
    return false;
  }

  /** Nothing is missing any more (or the stream restarted): forget what was asked. */
  clear(): void {
    this.#asked.clear();
  }
}
