// A member's messages on their way to the server: numbering, a send window, retransmission on a measured timeout with backoff, and giving up.

import { LIMITS, TIMERS } from "../wire/protocol.ts";

/** What a member says: a line for the room, an action (`me`), or a private message (`to`). */
export interface Utterance {
  readonly text: string;
  readonly to?: string;
  readonly me?: boolean;
}

export interface Outgoing extends Utterance {
  readonly id: number;
  /** The caller's own name for it, to match what becomes of it (the terminal's pending line). */
  readonly ref?: number;
  readonly queuedAt: number;
  /** When it was last sent; undefined until it first goes out. */
  sentAt: number | undefined;
  /** When it first went out to the current session: the give-up is counted from then, never while it waits. */
  firstSentAt: number | undefined;
  /** Its current timeout: the measured one when first sent, doubled at every retry. */
  rto: number;
  tries: number;
}

export class Outbox {
  /** Ids count up for the client's whole run, across sessions, so the server can recognize a repeat even after a restart. */
  #nextId = 1;
  /** Waiting for an ack, in id order (a Map keeps insertion order). */
  readonly #items = new Map<number, Outgoing>();
  /** Smoothed round-trip time and its variation (RFC 6298), undefined before the first sample. */
  #srtt: number | undefined;
  #rttvar = 0;
  /** When a message last went out again: messages sent before then may have been held behind it at the server. */
  #lastRetryAt = -Infinity;

  get size(): number {
    return this.#items.size;
  }

  /** The lowest id neither acknowledged nor given up on: everything below it is settled. */
  get base(): number {
    const first = this.#items.keys().next();
    return first.done ? this.#nextId : first.value;
  }

  /** The retransmission timeout for a first send: RTT + 4·RTTVAR, within bounds. */
  get rto(): number {
    if (this.#srtt === undefined) return TIMERS.initialRtoMs;
    return Math.min(TIMERS.maxRtoMs, Math.max(TIMERS.minRtoMs, this.#srtt + 4 * this.#rttvar));
  }

  /** A fresh id for something that is not a message (a bye), so it can never be mistaken for one. */
  allocate(): number {
    return this.#nextId++;
  }

  add(what: string | (Utterance & { ref?: number }), now: number): Outgoing {
    const said = typeof what === "string" ? { text: what } : what;
    const item: Outgoing = { ...said, id: this.#nextId++, queuedAt: now, sentAt: undefined, firstSentAt: undefined, rto: 0, tries: 0 };
    this.#items.set(item.id, item);
    return item;
  }

  /**
   * What to send now, in id order: messages never sent (while fewer than the window are in flight), and messages
   * whose timeout has passed (each then waits twice as long). Marks them sent.
   */
  due(now: number): Outgoing[] {
    const out: Outgoing[] = [];
    let inWindow = 0;
    for (const item of this.#items.values()) {
      if (++inWindow > LIMITS.sendWindow) break;
      if (item.sentAt === undefined) {
        item.rto = this.rto;
      } else if (now - item.sentAt >= item.rto) {
        item.rto = Math.min(item.rto * 2, TIMERS.maxRtoMs);
        this.#lastRetryAt = now;
      } else {
        continue;
      }
      item.sentAt = now;
      item.firstSentAt ??= now;
      item.tries++;
      out.push(item);
    }
    return out;
  }

  /**
   * The server says it is waiting for `id` (a later one overtook it): make it due now, unless it went out so
   * recently that this copy may still be on its way (less than a round trip ago, or 100 ms before any round trip
   * was measured). An id that is no say waiting here (settled, or spent on a `names` or `bye`): the first say
   * waiting goes instead. Its `base` tells the server to stop waiting for that id, or, when it is below that id
   * (its ack is on its way, or lost), the server's answer to its repeat is the ack that moves the base.
   */
  hurry(id: number, now: number): void {
    const item = this.#items.get(id) ?? this.#items.values().next().value;
    if (!item || item.sentAt === undefined) return;
    if (now - item.sentAt < (this.#srtt ?? TIMERS.minRtoMs)) return;
    item.sentAt = -Infinity;
    item.rto = Math.max(TIMERS.minRtoMs, item.rto / 2); // undo the doubling that due() is about to apply
    this.#lastRetryAt = now;
  }

  /**
   * Everything in flight goes out again at the next `due` (after logging in again under a new session), and the
   * give-up starts again from then: the time spent away from the room does not count against a message.
   */
  resendAll(): void {
    for (const item of this.#items.values()) {
      if (item.sentAt !== undefined) item.sentAt = -Infinity;
      item.firstSentAt = undefined;
    }
  }

  /** Every message waiting, in id order. */
  values(): IterableIterator<Outgoing> {
    return this.#items.values();
  }

  /**
   * The server has it. Only a message sent once gives a round-trip sample (Karn: a retry's ack is ambiguous), and
   * only one sent after the last retry: an earlier one may have waited at the server for the retried one.
   */
  ack(id: number, now: number): Outgoing | undefined {
    const item = this.#items.get(id);
    if (!item) return undefined;
    this.#items.delete(id);
    if (item.tries === 1 && item.sentAt !== undefined && item.sentAt > this.#lastRetryAt) this.#sample(now - item.sentAt);
    return item;
  }

  /**
   * A round trip measured elsewhere: the login (a hello sent once and its welcome), like TCP's SYN. Without it the
   * first message waits the initial 500 ms before its first retry, which a lossy or flooded path makes likely.
   */
  measured(rtt: number): void {
    this.#sample(rtt);
  }

  /** Settled without an ack (the server refused it). */
  drop(id: number): Outgoing | undefined {
    const item = this.#items.get(id);
    this.#items.delete(id);
    return item;
  }

  /**
   * Messages sent to a server that has not acknowledged them TIMERS.giveUpMs after their first send: removed and
   * returned, to be reported. One that waits for the window, or for the member to be back in, does not age.
   */
  expire(now: number): Outgoing[] {
    const out: Outgoing[] = [];
    for (const item of this.#items.values()) {
      if (item.firstSentAt !== undefined && now - item.firstSentAt >= TIMERS.giveUpMs) out.push(item);
    }
    for (const item of out) this.#items.delete(item.id);
    return out;
  }

  /** Everything still waiting, removed (the member is leaving without waiting longer). */
  abandon(): Outgoing[] {
    const out = [...this.#items.values()];
    this.#items.clear();
    return out;
  }

  #sample(rtt: number): void {
    if (this.#srtt === undefined) {
      this.#srtt = rtt;
      this.#rttvar = rtt / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rtt);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rtt;
    }
  }
}
