// Whether this process is in its terminal's foreground: the one place that asks the system (/proc, else ps).

import { readFileSync } from "node:fs";

/**
 * True when this process's group is the foreground group of its controlling terminal. A background job (`chat serve &`)
 * that changed the terminal's mode would be stopped by SIGTTOU, and with it its whole process group. When it cannot
 * tell, it says no: plain lines then, as from a pipe, which work anywhere. Windows has no background jobs.
 */
export function inForeground(): boolean {
  if (process.platform === "win32") return true;
  const groups = fromProc() ?? fromPs();
  return groups !== undefined && groups.pgrp === groups.tpgid;
}

/** Linux: /proc/self/stat, whose fields after "(comm)" are state, ppid, pgrp, session, tty_nr, tpgid. */
function fromProc(): { pgrp: number; tpgid: number } | undefined {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const [, , pgrp, , , tpgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pgrp: Number(pgrp), tpgid: Number(tpgid) };
  } catch {
    return undefined; // no /proc (macOS, the BSDs): ps knows
  }
}

/** Elsewhere: ps, which every Unix has (`tpgid` and `pgid` are POSIX-wide keywords). */
function fromPs(): { pgrp: number; tpgid: number } | undefined {
  try {
    const ps = Bun.spawnSync(["ps", "-o", "pgid=", "-o", "tpgid=", "-p", String(process.pid)], { stdin: "ignore", stderr: "ignore" });
    const [pgrp, tpgid] = ps.stdout.toString().trim().split(/\s+/).map(Number);
    return ps.exitCode === 0 && Number.isInteger(pgrp) && Number.isInteger(tpgid) ? { pgrp: pgrp!, tpgid: tpgid! } : undefined;
  } catch {
    return undefined; // no ps either: say no
  }
}
