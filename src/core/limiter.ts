// Token buckets: the one mechanism behind every flood control (messages per member, logins per address, datagrams per sender).

/** `capacity` at once, then one more each `everyMs`. Time comes in from the caller, so the bucket is pure. */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly capacity: number,
    readonly everyMs: number,
    now: number,
  ) {
    this.#tokens = capacity;
    this.#at = now;
  }

  /** Takes a token if there is one. */
  take(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** True when the bucket has refilled completely: it then says nothing a new bucket would not. */
  full(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.capacity;
  }

  #refill(now: number): void {
    if (now > this.#at) {
      this.#tokens = Math.min(this.capacity, this.#tokens + (now - this.#at) / this.everyMs);
      this.#at = now;
    }
  }
}

/** One bucket per key (an address), in bounded memory: full buckets are dropped first, then the oldest. */
export class KeyedLimiter {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(
    readonly capacity: number,
    readonly everyMs: number,
    readonly maxKeys: number,
  ) {}

  get size(): number {
    return this.#buckets.size;
  }

  take(key: string, now: number): boolean {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.maxKeys) this.#prune(now);
      bucket = new TokenBucket(this.capacity, this.everyMs, now);
      this.#buckets.set(key, bucket);
    }
    return bucket.take(now);
  }

  #prune(now: number): void {
    for (const [key, bucket] of this.#buckets) if (bucket.full(now)) this.#buckets.delete(key);
    // Still full of busy keys (a flood from many addresses): forget the oldest half rather than grow.
    if (this.#buckets.size >= this.maxKeys) {
      let drop = Math.ceil(this.#buckets.size / 2);
      for (const key of this.#buckets.keys()) {
        if (drop-- <= 0) break;
        this.#buckets.delete(key);
      }
    }
  }
}

/** `count` per `windowMs`, as the flags say it (`--rate 5/5`): a burst of `count`, then one every windowMs/count. */
export interface Rate {
  count: number;
  windowMs: number;
}

/** A KeyedLimiter for `rate` (undefined: no limit), keeping at most `keys` keys. */
export const limiterFor = (rate: Rate | undefined, keys: number) => rate && new KeyedLimiter(rate.count, rate.windowMs / rate.count, keys);
