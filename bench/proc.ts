// CPU use over a measured window (Linux only), for the server and load figures; the /proc readings are test/helpers/procfs.ts.

import { clockTicks, cpuSeconds, machineTicks } from "../test/helpers/procfs.ts";

/** CPU use of several processes over one window: `start()` and `stop()` bracket it; 100% is one core. */
export class CpuWindow {
  #startedAt: number | undefined;
  #stoppedAt: number | undefined;
  readonly #first = new Map<number, number | undefined>();
  readonly #last = new Map<number, number | undefined>();
  #machine: Array<{ busy: number; total: number } | undefined> = [];
  readonly #ticks = clockTicks();
  constructor(private readonly pids: readonly number[]) {}

  start(): void {
    this.#startedAt = performance.now();
    for (const pid of this.pids) this.#first.set(pid, cpuSeconds(pid, this.#ticks));
    this.#machine = [machineTicks()];
  }

  stop(): void {
    if (this.#startedAt === undefined || this.#stoppedAt !== undefined) return;
    for (const pid of this.pids) this.#last.set(pid, cpuSeconds(pid, this.#ticks));
    this.#machine.push(machineTicks());
    this.#stoppedAt = performance.now();
  }

  /** How busy the whole machine was over the window: 100 = every core busy (other users' work included). */
  get machinePercent(): number | undefined {
    const [a, b] = this.#machine;
    return a && b && b.total > a.total ? (100 * (b.busy - a.busy)) / (b.total - a.total) : undefined;
  }

  /** Seconds between start and stop; undefined when the window never opened and closed. */
  get seconds(): number | undefined {
    return this.#startedAt === undefined || this.#stoppedAt === undefined ? undefined : (this.#stoppedAt - this.#startedAt) / 1000;
  }

  /** CPU % of `pid` over the window (100 = one core busy all along). */
  percent(pid: number): number | undefined {
    const a = this.#first.get(pid);
    const b = this.#last.get(pid);
    const s = this.seconds;
    return a === undefined || b === undefined || !s ? undefined : (100 * (b - a)) / s;
  }
}
