// Which of a cluster's servers a member talks to, and when to move on to the next (nats.js's `Servers`, for a member).

import { TIMERS } from "../wire/protocol.ts";

export class Servers {
  /** Which one this member talks to now (an index into the list it was given). */
  #at = 0;
  /** Since when it has tried this one without a welcome. */
  #tryingSince: number;

  constructor(
    readonly count: number,
    now: number,
  ) {
    this.#tryingSince = now;
  }

  get at(): number {
    return this.#at;
  }

  /** A cluster to choose from: failover is quick, since there is somewhere to go. */
  get several(): boolean {
    return this.count > 1;
  }

  /** A member that has heard nothing for this long has lost its server. */
  get silenceMs(): number {
    return this.several ? TIMERS.failoverSilenceMs : TIMERS.serverSilenceMs;
  }

  /** While lost, a hello goes out this often: a lone server may be restarting, so it is not hurried. */
  get rejoinEveryMs(): number {
    return this.several ? TIMERS.retryMs : TIMERS.rejoinMs;
  }

  /** A first login gives up after each server has had the answer timeout to itself. */
  get loginDeadlineMs(): number {
    return TIMERS.answerTimeoutMs * this.count;
  }

  /** The next one, round and round, after the one that is gone or did not answer. */
  next(now: number): void {
    this.#at = (this.#at + 1) % this.count;
    this.#tryingSince = now;
  }

  /** With several servers: this one has had failoverTryMs without a welcome. */
  overdue(now: number): boolean {
    return this.several && now - this.#tryingSince >= TIMERS.failoverTryMs;
  }
}
