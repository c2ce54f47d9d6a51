// How often one IP address hears "refused" from the operator's door: a burst, then one a second, whichever ports it sends from.

import { type KeyedLimiter, limiterFor, type Rate } from "../core/limiter.ts";
import { ABUSE } from "../core/wire/protocol.ts";

/** The default allowance: ABUSE.adminRefusalBurst refusals at once, then one a second. */
export const REFUSAL_ALLOWANCE: Rate = { count: ABUSE.adminRefusalBurst, windowMs: ABUSE.adminRefusalBurst * 1000 };

/**
 * Refusals of operator requests (bad token, wrong server, stale, replayed) answered per IP address. Ingress's allowance counts each
 * address and port apart, so a host guessing the token from 64 ports had 64 allowances and tens of thousands of
 * answers a second; here the ports of one address share one bucket. Only refusals are counted: a request with the
 * right token never meets this, so a guesser cannot slow the operator down. Memory is bounded (ABUSE.trackedAddresses).
 */
export class AdminRefusals {
  readonly #limiter: KeyedLimiter;

  constructor(rate: Rate = REFUSAL_ALLOWANCE, keys: number = ABUSE.trackedAddresses) {
    this.#limiter = limiterFor(rate, keys)!;
  }

  /** Whether a refusal may be sent to `address` now (and counts it); false: the request goes unanswered. */
  mayAnswer(address: string, now: number): boolean {
    return this.#limiter.take(address, now);
  }

  /** Addresses counted at the moment (bounded). */
  get tracked(): number {
    return this.#limiter.size;
  }
}
