// Readings of /proc (Linux only), for the tests and the bench: the process table, zombies, CPU time, memory, UDP drops.

import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** R, S, Z (zombie: exited, not reaped yet), ... */
  state: string;
  cmdline: string;
}

/**
 * The fields of /proc/PID/stat after the command name, so that index 0 is field 3 (the state); undefined when the
 * process is gone. The name in parentheses may itself hold spaces or parentheses: split after the last ")".
 */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat
      .slice(stat.lastIndexOf(")") + 2)
      .trim()
      .split(" ");
  } catch {
    return undefined; // gone (or going) between listing and reading
  }
}

export function readProc(pid: number): ProcInfo | undefined {
  const fields = statFields(pid);
  if (!fields) return undefined;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return undefined; // gone since its stat was read
  }
  return { pid, ppid: Number(fields[1]), state: fields[0]!, cmdline };
}

function allProcs(): ProcInfo[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readProc(Number(d)))
    .filter((p): p is ProcInfo => p !== undefined);
}

/** Every live descendant of `pid` (children, their children, ...). */
export function descendants(pid: number): ProcInfo[] {
  const procs = allProcs();
  const found: ProcInfo[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const p of procs) {
      if (p.ppid === parent) {
        found.push(p);
        queue.push(p.pid);
      }
    }
  }
  return found;
}

/** True once `pid` no longer exists; a zombie (exited, not reaped) still counts as there. */
export const isGone = (pid: number) => readProc(pid) === undefined;

export const processState = (pid: number) => readProc(pid)?.state;

/**
 * The wait status of a process that has exited but is not reaped yet (a zombie), from the last field of its
 * /proc stat (Linux 3.5+): for a parent that may be slow to collect it. Undefined while it runs, or once it is gone.
 */
export function zombieStatus(pid: number): { code: number } | { signal: number } | undefined {
  const fields = statFields(pid);
  if (fields?.[0] !== "Z") return undefined;
  const status = Number(fields.at(-1));
  return (status & 0x7f) === 0 ? { code: (status >> 8) & 0xff } : { signal: status & 0x7f };
}

/**
 * Clock ticks per second of /proc times, asked of getconf on each call (only the bench's CPU windows ask, twice a
 * window); 100, the kernel's USER_HZ on every mainstream architecture, without getconf.
 */
export function clockTicks(): number {
  let n = Number.NaN;
  try {
    n = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim());
  } catch {
    // no getconf: the usual figure below
  }
  return Number.isInteger(n) && n > 0 ? n : 100;
}

/** User plus system CPU seconds `pid` has used so far; undefined when it is gone. `ticks`: clockTicks(), asked once. */
export function cpuSeconds(pid: number, ticks: number): number | undefined {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / ticks : undefined; // fields 14 (utime) and 15 (stime)
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
export function machineTicks(): { busy: number; total: number } | undefined {
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

/**
 * The local ports of the UDP sockets `pid` holds (IPv4 and IPv6): its fds' socket inodes looked up in
 * /proc/net/udp{,6}. What a spoofer on the machine finds by sweeping, found here at once.
 */
export function udpPortsOf(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const target = readlinkOr(`/proc/${pid}/fd/${fd}`);
      const m = target && /^socket:\[(\d+)\]$/.exec(target);
      if (m) inodes.add(m[1]!);
    }
  } catch {
    return []; // gone
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/udp", "/proc/net/udp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue; // no IPv6 on this machine
    }
    for (const row of text.split("\n").slice(1)) {
      const cols = row.trim().split(/\s+/);
      // local_address is "HEXADDR:HEXPORT"; the inode is the tenth column
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.push(Number.parseInt(cols[1]!.split(":")[1]!, 16));
    }
  }
  return ports;
}

function readlinkOr(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined; // closed between listing and reading
  }
}
