// Small pieces of the load process: decoding each distinct datagram (or WebSocket text) once, timestamped message texts, latency percentiles.

import { decodeReplies, type Message, PROOF_BYTES, PROOF_MARK } from "../src/core/wire/protocol.ts";

/** Distinct datagrams remembered at once; the server sends the same bytes to every member soon after one another. */
const CACHE_ENTRIES = 8192;

/**
 * The real decoder, run once per distinct datagram. The server encodes each event once and sends the same bytes to
 * every member, so the other copies reuse the validated result: a full decode costs about 1.2 µs here, a lookup
 * about 0.2 µs, and this one process has to take in what the server sends to all of its members.
 */
export class FrameCache {
  readonly #utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  readonly #seen = new Map<string, readonly Message[]>();
  readonly #utf8Out = new TextEncoder();

  /**
   * Each member's copy comes behind a proof of its own (proof.ts); the load process does not check them (the
   * server's side of the proof is what is measured), it reads what follows, which is the same for every member.
   */
  frames(datagram: Uint8Array): readonly Message[] | undefined {
    const data = datagram[0] === PROOF_MARK ? datagram.subarray(PROOF_BYTES) : datagram;
    let key: string;
    try {
      key = this.#utf8.decode(data);
    } catch {
      return undefined; // not UTF-8: decode would refuse it too
    }
    return this.#seen.get(key) ?? this.#decode(key, data);
  }

  /**
   * A WebSocket message: the same frames as a datagram's rest, as text (no proof). Every browser member gets the
   * same text for an event, so they share one decode too; a text is never a datagram's key by accident, since both
   * keys are the frames' text and equal keys decode alike.
   */
  text(message: string): readonly Message[] | undefined {
    return this.#seen.get(message) ?? this.#decode(message, this.#utf8Out.encode(message));
  }

  #decode(key: string, data: Uint8Array): readonly Message[] | undefined {
    let frames: Message[];
    try {
      frames = decodeReplies(data);
    } catch {
      return undefined;
    }
    if (this.#seen.size >= CACHE_ENTRIES) this.#seen.clear();
    this.#seen.set(key, frames);
    return frames;
  }
}

/** A message text of exactly `bytes` ASCII bytes carrying its send time: `T<performance.now()> xxxx…`. */
export function stampedText(now: number, bytes: number): string {
  return `T${now.toFixed(3)} `.padEnd(bytes, "x");
}

/** The send time a stampedText carries, or NaN. */
export function sentAt(text: string): number {
  return text.charCodeAt(0) === 84 /* T */ ? Number.parseFloat(text.slice(1, text.indexOf(" "))) : Number.NaN;
}

/** Latency samples in ms, in a preallocated array (one per delivery; millions in the throughput run). */
export class Latencies {
  #samples: Float64Array;
  #count = 0;
  constructor(capacity: number) {
    this.#samples = new Float64Array(Math.max(16, capacity));
  }

  add(ms: number): void {
    if (this.#count === this.#samples.length) {
      const bigger = new Float64Array(this.#samples.length * 2);
      bigger.set(this.#samples);
      this.#samples = bigger;
    }
    this.#samples[this.#count++] = ms;
  }

  get count(): number {
    return this.#count;
  }

  /** These samples and `other`'s in one (the figures of both kinds of member together). */
  concat(other: Latencies): Latencies {
    const both = new Latencies(this.#count + other.#count);
    both.#samples.set(this.#samples.subarray(0, this.#count));
    both.#samples.set(other.#samples.subarray(0, other.#count), this.#count);
    both.#count = this.#count + other.#count;
    return both;
  }

  /** p50, p99 and max (nearest rank), or nulls without samples. */
  summary(): { p50: number | null; p99: number | null; max: number | null } {
    const n = this.#count;
    if (n === 0) return { p50: null, p99: null, max: null };
    const sorted = this.#samples.subarray(0, n).sort();
    const rank = (p: number) => sorted[Math.min(n, Math.max(1, Math.ceil(p * n))) - 1]!;
    return { p50: rank(0.5), p99: rank(0.99), max: sorted[n - 1]! };
  }
}

/** What one kind of receiver (UDP or WebSocket members) got: deliveries, when the last came, latencies. */
export class Tally {
  delivered = 0;
  lastDeliveryAt = Number.NaN;
  latencies = new Latencies(0);

  add(now: number, latencyMs: number): void {
    this.delivered++;
    this.lastDeliveryAt = now;
    this.latencies.add(latencyMs);
  }
}
