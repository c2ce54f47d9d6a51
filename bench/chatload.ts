// The compiled load generator (bench/chatload.c) in the harness: building it once, which cells it drives, its arguments, its JSON line as a Row.

import { join } from "node:path";
import { isUdpTraffic, type LoadScenario } from "./scenarios.ts";
import { emptyRow, type Row } from "./table.ts";

/** Load CPU at or above this (100 = one core) means the load process, not the server, may have set the pace. */
export const LOAD_BOUND_CPU_PCT = 90;

/** What chatload prints (the fields used here; see the head of chatload.c for all). Latencies in µs, -1 when none. */
export interface ChatloadResult {
  members: number;
  joined: number;
  sent: number;
  acked: number;
  expected: number;
  delivered: number;
  loss_pct: number;
  deliveries_per_s: number;
  window_s: number;
  lat_p50_us: number;
  lat_p99_us: number;
  lat_max_us: number;
  read_lat_p99_us: number;
  retransmissions: number;
  nacks: number;
  gave_up: number;
  incomplete_receivers: number;
  undecodable: number;
  drops_at_members: number;
  drops_at_server: number;
  join_s: number;
  load_cpu_pct: number;
  server_cpu_pct: number;
  server_peak_rss_mb: number;
  deadline_hit: boolean;
}

/**
 * The load process of a scenario: chatload when it was built and the cell is UDP members only, on one server, with
 * traffic (chatload has no idle mode); the JavaScript load otherwise (browser members, a cluster, idle).
 */
export function loadFor(s: LoadScenario, servers: number, chatload: string | undefined): "chatload" | "js" {
  return chatload !== undefined && isUdpTraffic(s.load) && servers === 1 ? "chatload" : "js";
}

/** chatload's command line for a cell against 127.0.0.1:`port` (one sender, as the JavaScript load); -S: it reads the server's CPU. */
export function chatloadArgs(load: LoadScenario["load"], port: number, serverPid: number): string[] {
  const common = ["-p", String(port), "-n", String(load.members), "-s", "1", "-b", String(load.textBytes)];
  const traffic = load.mode === "count" ? ["-m", String(load.messages), "-r", "0"] : ["-r", String(load.rate), "-d", String(load.seconds)];
  return [...common, ...traffic, "-D", String(load.drainSeconds), "-S", String(serverPid)];
}

/** Why the load process may have been the bottleneck of a row, or undefined when it was not. */
export function loadBound(loadCpuPct: number | null, dropsAtLoad: number | null): string | undefined {
  const why: string[] = [];
  if (loadCpuPct !== null && loadCpuPct >= LOAD_BOUND_CPU_PCT) why.push(`load CPU ${loadCpuPct.toFixed(0)}% ≥ ${LOAD_BOUND_CPU_PCT}%`);
  if (dropsAtLoad) why.push(`${dropsAtLoad} datagrams dropped at the load's sockets`);
  return why.length ? `LOAD-BOUND (${why.join(", ")}): the figures are the load process's limit, not the server's` : undefined;
}

const msOrNull = (us: number) => (us < 0 ? null : us / 1000);

/** A chatload result line as the scenario's row; `pinned`: server and chatload ran on cores of their own. */
export function chatloadRow(scenario: string, c: ChatloadResult, pinned: boolean): Row {
  const bound = loadBound(c.load_cpu_pct, c.drops_at_members);
  const note = [
    `chatload (C)${pinned ? ", server on core 0 and load on core 1 (taskset)" : ", not pinned"}`,
    "latency to the kernel's arrival stamp",
    ...(c.read_lat_p99_us >= 0 ? [`p99 to chatload's read ${(c.read_lat_p99_us / 1000).toFixed(2)} ms`] : []),
    ...(c.joined !== c.members ? [`only ${c.joined}/${c.members} members got in`] : []),
    ...(c.incomplete_receivers ? [`${c.incomplete_receivers} receivers still missing messages at the end of the drain`] : []),
    ...(c.gave_up ? [`${c.gave_up} says given up`] : []),
    ...(c.undecodable ? [`${c.undecodable} undecodable datagrams`] : []),
    `kernel drops: ${c.drops_at_server} at the server's socket, ${c.drops_at_members} at the members'`,
    ...(c.deadline_hit ? ["a phase hit its time bound"] : []),
    ...(bound ? [bound] : []),
  ];
  return {
    ...emptyRow(scenario, "chat"),
    ok: c.joined === c.members && c.undecodable === 0,
    members: c.members,
    sent: c.sent,
    expected: c.expected,
    delivered: c.delivered,
    lossPct: c.loss_pct,
    deliveriesPerSec: c.deliveries_per_s,
    p50Ms: msOrNull(c.lat_p50_us),
    p99Ms: msOrNull(c.lat_p99_us),
    maxMs: msOrNull(c.lat_max_us),
    retransmissions: c.retransmissions + c.nacks,
    joinSeconds: c.join_s,
    serverCpuPct: c.server_cpu_pct < 0 ? null : c.server_cpu_pct,
    serverPeakRssMb: c.server_peak_rss_mb < 0 ? null : c.server_peak_rss_mb,
    loadCpuPct: c.load_cpu_pct,
    windowSeconds: c.window_s,
    note: note.join("; "),
    raw: c,
  };
}

/** chatload's last stdout line as its result; throws naming what came instead. */
export function parseChatload(stdout: string): ChatloadResult {
  const last = stdout.trim().split("\n").at(-1) ?? "";
  let r: unknown;
  try {
    r = JSON.parse(last);
  } catch {
    throw new Error(`chatload printed no result line (got ${JSON.stringify(last.slice(0, 200))})`);
  }
  const c = r as Partial<ChatloadResult> & { tool?: string };
  if (c.tool !== "chatload" || typeof c.delivered !== "number" || typeof c.load_cpu_pct !== "number")
    throw new Error(`chatload's result line lacks its fields (got ${JSON.stringify(last.slice(0, 200))})`);
  return c as ChatloadResult;
}

/** Compiles bench/chatload.c into `outDir` with `cc` (by default cc or gcc on PATH): its path, or why not (no compiler, or what it said). */
export function buildChatload(repo: string, outDir: string, cc = Bun.which("cc") ?? Bun.which("gcc")): { bin: string } | { why: string } {
  if (!cc) return { why: "no C compiler (cc or gcc) on PATH" };
  const bin = join(outDir, "chatload");
  const r = Bun.spawnSync([cc, "-O2", "-o", bin, join(repo, "bench", "chatload.c"), "-lm"], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode === 0) return { bin };
  const said = r.stderr.toString().trim().split("\n").slice(-3).join(" ");
  return { why: `${cc} bench/chatload.c failed (exit code ${r.exitCode})${said ? `: ${said}` : ""}` };
}

/** Server and load on cores of their own: where taskset exists and there are two cores or more. */
export const canPin = (taskset: string | null, cores: number) => taskset !== null && cores >= 2;
export const onCore = (pin: boolean, core: number, cmd: string[]) => (pin ? ["taskset", "-c", String(core), ...cmd] : cmd);
