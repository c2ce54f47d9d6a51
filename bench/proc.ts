// Reads CPU time, peak memory and UDP socket drops from /proc (Linux only), for the server and load figures.

import { readFileSync } from "node:fs";

let clockTicks: number | undefined;

/** Clock ticks per second of /proc times: asked once of getconf, 100 on every usual Linux. */
function clkTck(): number {
  if (clockTicks === undefined) {
    let n = Number.NaN;
    try {
      n = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim());
    } catch {
      // no getconf: the kernel's USER_HZ is 100 on every mainstream architecture
    }
    clockTicks = Number.isInteger(n) && n > 0 ? n : 100;
  }
  return clockTicks;
}

/** User plus system CPU seconds `pid` has used so far; undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 2 (comm) may hold spaces and parentheses: count fields from the last ")".
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(rest[11]) + Number(rest[12])) / clkTck(); // fields 14 (utime) and 15 (stime)
  } catch {
    return undefined;
  }
}

/** A `/proc/<pid>/status` field in kB (VmHWM: peak resident set; VmRSS: current), as MB; undefined when gone. */
export function memoryMb(pid: number, field: "VmHWM" | "VmRSS"): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Busy and total clock ticks of the whole machine, all cores (the first line of /proc/stat). */
function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/);
    const n = fields.map(Number);
    const total = n.reduce((a, b) => a + b, 0);
    return { busy: total - n[3]! - n[4]!, total }; // idle and iowait are fields 4 and 5
  } catch {
    return undefined;
  }
}

/** Datagrams the kernel dropped so far at each local UDP port on IPv4 (full receive buffer), from /proc/net/udp. */
export function udpDrops(): Map<number, number> {
  const drops = new Map<number, number>();
  try {
    for (const line of readFileSync("/proc/net/udp", "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 13) continue;
      const port = Number.parseInt(f[1]!.split(":")[1]!, 16);
      drops.set(port, (drops.get(port) ?? 0) + Number(f[f.length - 1]));
    }
  } catch {
    // not Linux: no figures
  }
  return drops;
}

/** CPU use of several processes over one window: `start()` and `stop()` bracket it; 100% is one core. */
export class CpuWindow {
  #startedAt: number | undefined;
  #stoppedAt: number | undefined;
  readonly #first = new Map<number, number | undefined>();
  readonly #last = new Map<number, number | undefined>();
  #machine: Array<{ busy: number; total: number } | undefined> = [];
  constructor(private readonly pids: readonly number[]) {}

  start(): void {
    this.#startedAt = performance.now();
    for (const pid of this.pids) this.#first.set(pid, cpuSeconds(pid));
    this.#machine = [machineTicks()];
  }

  stop(): void {
    if (this.#startedAt === undefined || this.#stoppedAt !== undefined) return;
    for (const pid of this.pids) this.#last.set(pid, cpuSeconds(pid));
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
