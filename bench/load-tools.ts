// Small pieces of the load process: decoding each distinct datagram once, timestamped message texts, latency percentiles.

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
    const hit = this.#seen.get(key);
    if (hit) return hit;
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

  /** p50, p99 and max (nearest rank), or nulls without samples. */
  summary(): { p50: number | null; p99: number | null; max: number | null } {
    const n = this.#count;
    if (n === 0) return { p50: null, p99: null, max: null };
    const sorted = this.#samples.subarray(0, n).sort();
    const rank = (p: number) => sorted[Math.min(n, Math.max(1, Math.ceil(p * n))) - 1]!;
    return { p50: rank(0.5), p99: rank(0.99), max: sorted[n - 1]! };
  }
}
