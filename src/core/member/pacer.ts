// The room's allowance as the member keeps it: a token bucket that lets a say go only when the server will take it.

import { ABUSE } from "../wire/protocol.ts";

/** What an old server that announces no allowance is assumed to allow once it refuses a say for rate: its default. */
const FALLBACK = { burst: 1, refillMs: ABUSE.rateWindowMs / ABUSE.rateCount } as const;

/**
 * `burst` says at once, then one more each `refillMs` (the welcome's allowance; none: no limit). Unlike the
 * server's TokenBucket, a say is charged when its ack arrives, not when it is sent: the server took its token at
 * some moment between the two, and a bucket that takes later never holds more than one that took earlier. Says
 * sent and not yet settled are counted against the allowance meanwhile. So a delayed or retransmitted say can
 * never make the server see the member as faster than it allows.
 */
export class Pacer {
  #burst: number | undefined;
  #refillMs = 0;
  #tokens = 0;
  #at = 0;
  /** Says let go and not yet acknowledged or refused. */
  #inFlight = 0;

  get limited(): boolean {
    return this.#burst !== undefined;
  }

  /** A welcome: its allowance (absent: no limit), a full bucket, and `inFlight` says about to go to this session. */
  reset(allowance: { burst?: number; refillMs?: number }, inFlight: number, now: number): void {
    const { burst, refillMs } = allowance;
    const valid = burst !== undefined && refillMs !== undefined && burst >= 1;
    this.#burst = valid ? burst : undefined;
    this.#refillMs = valid ? refillMs : 0;
    this.#tokens = this.#burst ?? 0;
    this.#at = now;
    this.#inFlight = inFlight;
  }

  /** Whether one more say may go now. */
  may(now: number): boolean {
    if (this.#burst === undefined) return true;
    return this.#level(now) - this.#inFlight >= 1;
  }

  /** A say was let go. */
  sent(): void {
    this.#inFlight++;
  }

  /** A say let go is settled: acknowledged or given up on (`charged`: the server may have counted it), or refused. */
  settled(charged: boolean, now: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (!charged || this.#burst === undefined) return;
    this.#tokens = this.#level(now) - 1;
    this.#at = now;
  }

  /** The server refused a say for rate: nothing more until a token is there again, at its default if it named none. */
  refusedForRate(now: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (this.#burst === undefined) {
      this.#burst = FALLBACK.burst;
      this.#refillMs = FALLBACK.refillMs;
    }
    this.#tokens = Math.min(0, this.#level(now));
    this.#at = now;
  }

  #level(now: number): number {
    if (this.#burst === undefined) return Number.POSITIVE_INFINITY;
    const refilled = this.#refillMs > 0 ? Math.max(0, now - this.#at) / this.#refillMs : this.#burst;
    return Math.min(this.#burst, this.#tokens + refilled);
  }
}
