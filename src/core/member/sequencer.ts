// A member's view of the room's event stream: hands events over in sequence order, exactly once, and says which ones are missing.

import { LIMITS, type RoomEvent } from "../wire/protocol.ts";

export interface Gap {
  from: number;
  to: number;
}

export class Sequencer {
  /** The next sequence number to hand over; undefined until the welcome says where to start. */
  #next: number | undefined;
  /** The highest sequence number known to exist (from events, ticks and welcomes). */
  #known = 0;
  /** Events that arrived ahead of #next. */
  readonly #held = new Map<number, RoomEvent>();
  /** Numbers of this member's own messages (from the acks): skipped, never shown, never asked for. */
  readonly #own = new Set<number>();

  get started(): boolean {
    return this.#next !== undefined;
  }
  get next(): number | undefined {
    return this.#next;
  }

  /** Starts (or restarts, forgetting everything held) at `next`; `known` is the last event the server has. */
  start(next: number, known: number): void {
    this.#next = next;
    this.#known = known;
    this.#held.clear();
    this.#own.clear();
  }

  /** The server has events up to `seq` (a tick, a later welcome): anything between is a gap to repair. */
  known(seq: number): void {
    this.#known = Math.max(this.#known, seq);
  }

  /** Takes an event; returns every event that can now be handed over, in order (none when it is a repeat). */
  offer(event: RoomEvent): RoomEvent[] {
    const next = this.#next;
    if (next === undefined || event.seq < next || this.#held.has(event.seq)) return [];
    if (event.seq - next >= LIMITS.receiveWindow) return []; // too far ahead to hold: it will be repaired in turn
    this.known(event.seq);
    this.#held.set(event.seq, event);
    return this.#drain();
  }

  /**
   * `seq` is this member's own message (from the ack of its say): skip it. Returns what that releases. It tells of no
   * gap: the ack goes out at once, while the events numbered before it may still be on their way, packed at the end
   * of the server's turn (PROTOCOL.md §5.4); only events and ticks say that numbers are missing.
   */
  own(seq: number): RoomEvent[] {
    if (this.#next === undefined || seq < this.#next) return [];
    this.#own.add(seq);
    return this.#drain();
  }

  /**
   * The server no longer has `from`..`to`: go past them. Events of the range this member holds already (they came
   * before the server let them go) are handed over all the same, in order. Returns what that releases.
   */
  skip(from: number, to: number): RoomEvent[] {
    if (this.#next === undefined || to < this.#next || from > this.#next) return [];
    const kept = [...this.#held.keys()].filter((seq) => seq <= to).sort((a, b) => a - b);
    const out = kept.map((seq) => this.#held.get(seq)!);
    for (const seq of kept) this.#held.delete(seq);
    for (const seq of this.#own) if (seq <= to) this.#own.delete(seq);
    this.#next = to + 1;
    return [...out, ...this.#drain()];
  }

  /** The runs of missing numbers, in order, each at most LIMITS.maxRepair long, at most `limit` of them. */
  gaps(limit: number): Gap[] {
    const next = this.#next;
    const out: Gap[] = [];
    if (next === undefined) return out;
    const present = (seq: number) => this.#held.has(seq) || this.#own.has(seq);
    for (let from = next; from <= this.#known && out.length < limit; ) {
      if (present(from)) {
        from++;
        continue;
      }
      let to = from;
      while (to < this.#known && to - from + 1 < LIMITS.maxRepair && !present(to + 1)) to++;
      out.push({ from, to });
      from = to + 1;
    }
    return out;
  }

  #drain(): RoomEvent[] {
    const out: RoomEvent[] = [];
    for (;;) {
      const next = this.#next!;
      const event = this.#held.get(next);
      if (event) {
        this.#held.delete(next);
        out.push(event);
      } else if (!this.#own.delete(next)) {
        return out;
      }
      this.#next = next + 1;
    }
  }
}
