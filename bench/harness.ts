// Runs one scenario against a fresh `dist/chat serve`: the load process (or the admin command), the CPU window, its Rows.

import { join } from "node:path";
import { memoryMb } from "../test/helpers/procfs.ts";
import type { Reaper } from "../test/helpers/reaper.ts";
import { chatloadArgs, chatloadRow, loadBound, loadFor, onCore, parseChatload } from "./chatload.ts";
import { isMark, type KindResult, type LoadResult, loadArgs } from "./load-protocol.ts";
import { CpuWindow } from "./proc.ts";
import { type Server, spawnServe } from "./processes.ts";
import type { AdminScenario, ClusterScenario, LoadScenario, Scenario } from "./scenarios.ts";
import { emptyRow, type Row } from "./table.ts";

export interface Bench {
  /** The repository root. */
  readonly repo: string;
  /** The compiled binary. */
  readonly chat: string;
  readonly reaper: Reaper;
  /** Given to every server, so none writes a token file to the user's state directory; `chat admin` signs with it. */
  readonly token: string;
  readonly log: (line: string) => void;
  /** The built chatload, which drives the UDP cells; undefined: the JavaScript load drives them (no C compiler). */
  readonly chatload?: string | undefined;
  /** Server and load of a UDP cell on cores of their own (taskset, two cores or more). */
  readonly pin: boolean;
}

/** A load process that has not finished after this long is stopped and the scenario fails. */
const LOAD_TIMEOUT_MS = 300_000;
export const LISTENING = /listening on \S+:(\d+)/;
/** The page's address `chat serve` prints (with --port 0 its web port is any free one too). */
const WEB_LISTENING = /or in a browser: http:\/\/127\.0\.0\.1:(\d+)\//;
const NATS_LISTENING = /Listening for client connections on 127\.0\.0\.1:(\d+)/;

/**
 * The server of every scenario: the brief's command line, plus --history 0 (a fresh room has nothing to replay
 * anyway). `store`: a data directory, or { cluster: URL } for a server of a cluster.
 */
export const serveCommand = (bench: Bench, store: string | { cluster: string }, extra: string[] = []) => [
  bench.chat,
  "serve",
  ...extra,
  ...serveFlags(store),
  "--admin-token",
  bench.token,
];

/** serveCommand's flags after `serve`, but the admin token (bench:profile runs the server with them, from source). */
export const serveFlags = (store: string | { cluster: string }) => [
  "--host",
  "127.0.0.1",
  "--port",
  "0",
  ...(typeof store === "string" ? ["--data", store] : ["--cluster", store.cluster]),
  "--rate",
  "off",
  "--logins",
  "off",
  "--datagrams",
  "off",
  "--max-members",
  "10000",
  "--peer-timeout",
  "30",
  "--history",
  "0",
  "--quiet",
];

/** nats-server, where Debian puts it even when /usr/sbin is not on PATH. */
const natsServer = () => Bun.which("nats-server") ?? Bun.which("nats-server", { PATH: "/usr/sbin:/usr/local/sbin" });

/** Below this, /proc's 10 ms CPU ticks make a CPU % too coarse to read much into. */
const SHORT_WINDOW_S = 1;
function cpuNote(cpu: CpuWindow): string[] {
  const out: string[] = [];
  const machine = cpu.machinePercent;
  if (machine !== undefined) out.push(`machine ${machine.toFixed(0)}% busy (all ${navigator.hardwareConcurrency} cores)`);
  if (cpu.seconds !== undefined && cpu.seconds < SHORT_WINDOW_S) out.push(`CPU % over a ${cpu.seconds.toFixed(2)} s window (10 ms ticks)`);
  return out;
}

/**
 * Runs a scenario; never throws: a failure is a row with ok false and the reason in its note. One row, but for a
 * room of UDP and browser members with a sender: a row for each kind of receiver.
 */
export async function runScenario(s: Scenario, bench: Bench): Promise<Row[]> {
  if (s.kind === "cluster") return runCluster(s, bench);
  const dir = bench.reaper.tempDir("chat-bench-");
  let server: Server | undefined;
  try {
    // The UDP cells measure the server alone on a core (core 0), the load on the other; browser cells share both.
    const pinned = s.kind === "load" && s.load.web === 0 && bench.pin;
    server = await spawnServe(onCore(pinned, 0, serveCommand(bench, dir)), LISTENING, bench.reaper);
    bench.log(`${s.name}: server pid ${server.pid} on 127.0.0.1:${server.port}`);
    return s.kind === "load" ? await runLoad(s, [server], bench) : [await runAdmin(s, server, bench)];
  } catch (err) {
    return [{ ...emptyRow(s.name, "chat"), ok: false, note: err instanceof Error ? err.message : String(err) }];
  } finally {
    await server?.stop();
    bench.reaper.removeDir(dir);
  }
}

/** A nats-server with JetStream, `s.servers` chat servers on it, and the load spread over them. */
async function runCluster(s: ClusterScenario, bench: Bench): Promise<Row[]> {
  const nats = natsServer();
  if (!nats) return [{ ...emptyRow(s.name, "chat"), note: "not run: nats-server is not installed (apt-get install nats-server)" }];
  const dir = bench.reaper.tempDir("chat-bench-nats-");
  const servers: Server[] = [];
  try {
    const broker = await spawnServe([nats, "-js", "-a", "127.0.0.1", "-p", "-1", "-sd", dir], NATS_LISTENING, bench.reaper);
    servers.push(broker);
    const url = `nats://127.0.0.1:${broker.port}`;
    const chats: Server[] = [];
    for (let i = 0; i < s.servers; i++) chats.push(await spawnServe(serveCommand(bench, { cluster: url }), LISTENING, bench.reaper));
    servers.push(...chats);
    bench.log(
      `${s.name}: nats-server pid ${broker.pid} on ${url}; servers ${chats.map((c) => `${c.pid} on 127.0.0.1:${c.port}`).join(", ")}`,
    );
    const rows = await runLoad({ kind: "load", name: s.name, load: s.load }, chats, bench, broker);
    const split = `${s.servers} servers on one nats-server, members split evenly`;
    return rows.map((row) => ({ ...row, note: [split, row.note].filter(Boolean).join("; ") }));
  } catch (err) {
    return [{ ...emptyRow(s.name, "chat"), ok: false, note: err instanceof Error ? err.message : String(err) }];
  } finally {
    for (const server of servers.reverse()) await server.stop();
    bench.reaper.removeDir(dir);
  }
}

/**
 * The load process against `servers` (the members split between them): its row, or one per kind of receiver;
 * server CPU % adds up the servers' (and a cluster's nats-server, `broker`), peak RSS is the largest chat server's.
 */
async function runLoad(s: LoadScenario, servers: Server[], bench: Bench, broker?: Server): Promise<Row[]> {
  if (loadFor(s, servers.length, bench.chatload) === "chatload") return [await runChatload(s, servers[0]!, bench)];
  const watched = [...servers, ...(broker ? [broker] : [])];
  const pinned = bench.pin && s.load.web === 0 && !broker;
  const { r, cpu, load, rss } = await loadProcess(s, servers, watched, bench, pinned);
  const idle = s.load.mode === "idle";
  const row: Row = {
    ...emptyRow(s.name, "chat"),
    ok: r.joined === r.members && r.webClosed === 0,
    members: r.members,
    sent: idle ? null : r.sent,
    expected: idle ? null : r.expected,
    delivered: idle ? null : r.delivered,
    lossPct: idle ? null : r.lossPct,
    deliveriesPerSec: idle ? null : r.deliveriesPerSecond,
    p50Ms: r.p50,
    p99Ms: r.p99,
    maxMs: r.max,
    retransmissions: idle ? null : r.retries + r.nacks,
    joinSeconds: r.joinSeconds,
    serverCpuPct: sumOrNull(watched.map((v) => cpu!.percent(v.pid))),
    serverPeakRssMb: maxOrNull(servers.map((v) => memoryMb(v.pid, "VmHWM"))),
    loadCpuPct: cpu.percent(load.pid) ?? null,
    windowSeconds: idle ? (cpu.seconds ?? null) : r.windowSeconds,
    note: [
      loadNote(r, idle),
      ...(bench.chatload === undefined && s.load.web === 0 && !broker && !idle ? ["JavaScript load (no C compiler)"] : []),
      ...(pinned ? ["server on core 0 and load on core 1 (taskset)"] : []),
      ...optional(loadBound(cpu.percent(load.pid) ?? null, r.dropsAtMembers)),
      ...(idle && servers.length === 1 ? idleNote(r, cpu.percent(servers[0]!.pid), rss.empty, rss.end) : []),
      ...(broker ? [`server CPU includes nats-server's ${(cpu.percent(broker.pid) ?? 0).toFixed(0)}%`] : []),
      ...cpuNote(cpu),
    ].join("; "),
    raw: r,
  };
  return idle || r.web.members === 0 ? [row] : [kindRow(row, r, r.udp, "UDP"), kindRow(row, r, r.web, "browser")];
}

/** chatload against `server` (on core 1 when pinned): its one JSON line as the row; it measures both CPUs itself. */
async function runChatload(s: LoadScenario, server: Server, bench: Bench): Promise<Row> {
  const cmd = onCore(bench.pin, 1, [bench.chatload!, ...chatloadArgs(s.load, server.port, server.pid)]);
  bench.log(`${s.name}: ${cmd.join(" ")}`);
  const child = bench.reaper.track(Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" }));
  const output = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  const timeout = new Promise<string>((r) => setTimeout(() => r(`no result within ${LOAD_TIMEOUT_MS / 1000} s`), LOAD_TIMEOUT_MS).unref());
  const outcome = await Promise.race([child.exited, server.died, timeout]);
  if (typeof outcome === "string") {
    await bench.reaper.stop(child);
    throw new Error(outcome || "the server exited during the run");
  }
  const [stdout, stderr] = await output;
  if (outcome !== 0) throw new Error(`chatload exited with code ${outcome}: ${stderr.trim().split("\n").slice(-3).join(" ")}`);
  return chatloadRow(s.name, parseChatload(stdout), bench.pin);
}

const optional = (s: string | undefined) => (s === undefined ? [] : [s]);

/**
 * The load process against `servers` (their web ports asked of their start lines when it has browser members), the
 * CPU window of `watched` and itself between its marks (on core 1 when `pinned`); its result line, and the first server's RSS before anyone
 * joined and at the window's end (what the members cost it).
 */
async function loadProcess(s: LoadScenario, servers: Server[], watched: Server[], bench: Bench, pinned: boolean) {
  let cpu: CpuWindow | undefined;
  const webPorts = s.load.web > 0 ? (await Promise.all(servers.map((v) => v.line(WEB_LISTENING)))).map((m) => Number(m[1])) : [];
  const rss = { empty: memoryMb(servers[0]!.pid, "VmRSS"), end: undefined as number | undefined };
  const args = loadArgs({ ...s.load, ports: servers.map((v) => v.port), webPorts });
  const load = bench.reaper.track(
    Bun.spawn(onCore(pinned, 1, [process.execPath, join(bench.repo, "bench", "load.ts"), ...args]), {
      cwd: bench.repo,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "inherit",
      serialization: "json",
      ipc(msg) {
        if (!isMark(msg) || !cpu) return;
        if (msg.at === "start") cpu.start();
        else {
          cpu.stop();
          rss.end = memoryMb(servers[0]!.pid, "VmRSS");
        }
      },
    }),
  );
  cpu = new CpuWindow([...watched.map((v) => v.pid), load.pid]);
  const stdout = new Response(load.stdout).text();
  const timeout = new Promise<string>((r) => setTimeout(() => r(`no result within ${LOAD_TIMEOUT_MS / 1000} s`), LOAD_TIMEOUT_MS).unref());
  const outcome = await Promise.race([load.exited, ...watched.map((v) => v.died), timeout]);
  if (typeof outcome === "string") {
    await bench.reaper.stop(load);
    throw new Error(outcome || "the server exited during the run");
  }
  if (outcome !== 0) throw new Error(`the load process exited with code ${outcome}`);
  const last = (await stdout).trim().split("\n").at(-1) ?? "";
  let r: LoadResult;
  try {
    r = JSON.parse(last) as LoadResult; // our own child's line, written by load.ts from the same LoadResult type
  } catch {
    throw new Error(`the load process printed no result line (got ${JSON.stringify(last.slice(0, 200))})`);
  }
  return { r, cpu, load, rss };
}

/** One kind of receiver's figures in the row of the whole run (server and load CPU, RSS and retransmissions are the run's). */
function kindRow(row: Row, r: LoadResult, k: KindResult, label: "UDP" | "browser"): Row {
  const sender = r.udp.members > r.udp.receivers ? "a UDP member" : "a browser member";
  const what = `deliveries to the ${k.receivers} ${label} members of ${r.members} (sender: ${sender}; CPU, RSS and retrans: the whole run)`;
  return {
    ...row,
    scenario: `${row.scenario}: to ${label} members`,
    expected: k.expected,
    delivered: k.delivered,
    lossPct: k.lossPct,
    deliveriesPerSec: k.deliveriesPerSecond,
    p50Ms: k.p50,
    p99Ms: k.p99,
    maxMs: k.max,
    windowSeconds: k.windowSeconds,
    note: [what, ...(k.incomplete ? [`${k.incomplete} of them still missing messages at the end of the drain`] : []), row.note].join("; "),
  };
}

/** What the idle members cost the server, per 1,000: its CPU over the window, and its RSS with them less its RSS empty. */
function idleNote(r: LoadResult, cpuPct: number | undefined, emptyMb: number | undefined, endMb: number | undefined): string[] {
  const kind = r.web.members === r.members ? "browser members" : r.web.members === 0 ? "UDP members" : "members";
  const per = 1000 / r.members;
  const out: string[] = [];
  if (cpuPct !== undefined) out.push(`${(cpuPct * per).toFixed(1)}% of a core per 1,000 ${kind}`);
  if (emptyMb !== undefined && endMb !== undefined)
    out.push(
      `RSS ${emptyMb.toFixed(0)} MB empty, ${endMb.toFixed(0)} MB with them: ${((endMb - emptyMb) * per).toFixed(1)} MB per 1,000 ${kind}`,
    );
  return out;
}

function loadNote(r: LoadResult, idle: boolean): string {
  const parts: string[] = [];
  if (r.joined !== r.members) parts.push(`only ${r.joined}/${r.members} members got in`);
  if (r.webClosed) parts.push(`the server closed ${r.webClosed} WebSockets`);
  if (idle) parts.push(`${r.pings} pings over the run`);
  else {
    parts.push(`${r.retries} retries + ${r.nacks} nacks`);
    if (r.gaveUp) parts.push(`${r.gaveUp} says given up`);
    if (r.incomplete) parts.push(`${r.incomplete} receivers still missing messages at the end of the drain`);
    if (r.lostEvents) parts.push(`${r.lostEvents} events reported lost by the server`);
  }
  if (r.dropsAtMembers || r.dropsAtServer)
    parts.push(`kernel dropped ${r.dropsAtMembers} datagrams at the members' sockets, ${r.dropsAtServer} at the server's`);
  const refused = Object.entries(r.refused);
  if (refused.length) parts.push(`refused: ${refused.map(([k, v]) => `${k}×${v}`).join(", ")}`);
  if (r.undecodable) parts.push(`${r.undecodable} undecodable datagrams`);
  if (r.sendErrors) parts.push(`${r.sendErrors} send errors`);
  return parts.join("; ");
}

async function runAdmin(s: AdminScenario, server: Server, bench: Bench): Promise<Row> {
  const cpu = new CpuWindow([server.pid]);
  const times: number[] = [];
  cpu.start();
  for (let i = 0; i < s.runs; i++) {
    const startedAt = performance.now();
    const child = bench.reaper.track(
      Bun.spawn([bench.chat, "admin", "bench", "--server", `127.0.0.1:${server.port}`, "--token", bench.token], {
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, NO_COLOR: "1" },
      }),
    );
    const [code, err] = await Promise.all([child.exited, new Response(child.stderr).text(), new Response(child.stdout).text()]);
    times.push(performance.now() - startedAt);
    if (code !== 0) throw new Error(`chat admin exited with code ${code}: ${err.trim()}`);
  }
  cpu.stop();
  const sorted = [...times].sort((a, b) => a - b);
  return {
    ...emptyRow(s.name, "chat"),
    members: 0,
    sent: s.runs,
    p50Ms: sorted[Math.floor(sorted.length / 2)]!,
    maxMs: sorted.at(-1)!,
    serverCpuPct: cpu.percent(server.pid) ?? null,
    serverPeakRssMb: memoryMb(server.pid, "VmHWM") ?? null,
    windowSeconds: cpu.seconds ?? null,
    note: [
      `\`chat admin "bench"\` wall time, process start to exit: p50 = median of ${s.runs} runs (${times.map((t) => t.toFixed(0)).join(", ")} ms)`,
      ...cpuNote(cpu),
    ].join("; "),
  };
}

const sumOrNull = (values: Array<number | undefined>) =>
  values.some((v) => v === undefined) ? null : values.reduce<number>((a, v) => a + v!, 0);
const maxOrNull = (values: Array<number | undefined>) => (values.some((v) => v === undefined) ? null : Math.max(...(values as number[])));
