// `--reference`: builds the C relay and load generator of the shared bench and runs its cells against relay_limit and `chat serve --classic`.

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { memoryMb } from "../test/helpers/procfs.ts";
import { freeUdpPort } from "../test/helpers/socket.ts";
import { type Bench, LISTENING, serveCommand } from "./harness.ts";
import { type Server, spawnServe } from "./processes.ts";
import { referenceCells } from "./scenarios.ts";
import { emptyRow, type Row } from "./table.ts";

const UDPLOAD_TIMEOUT_MS = 180_000;

/** What `udpload` prints (the fields used here; see udpload.c for all). */
interface Udpload {
  clients: number;
  msgs_sent: number;
  expected_deliveries: number;
  deliveries: number;
  loss_pct: number;
  deliveries_per_s: number;
  lat_p50_us: number;
  lat_p99_us: number;
  lat_max_us: number;
  login_s: number;
  server_cpu_pct: number;
  gen_cpu_pct: number;
  active_window_s: number;
  drain_timed_out: number;
  lost_at_server_sock: number;
  lost_at_client_socks: number;
}

/**
 * Runs every cell against each server that is available, handing each row to `emit` as it is done. Returns notes:
 * what was not available (no sources, no gcc, no --classic yet) is a note, not a failure.
 */
export async function runReference(bench: Bench, quick: boolean, emit: (row: Row) => void): Promise<string[]> {
  const notes: string[] = [];
  const source = resolve(bench.repo, process.env.CHAT_BENCH_REF ?? "../shared/bench");
  const missing = ["udpload.c", "relay_limit.c"].filter((f) => !existsSync(join(source, f)));
  if (missing.length) return [`reference skipped: ${missing.join(", ")} not found in ${source} (set CHAT_BENCH_REF)`];
  const gcc = Bun.which("gcc");
  if (!gcc) return ["reference skipped: gcc is not installed"];

  const out = bench.reaper.tempDir("chat-bench-ref-");
  try {
    for (const [name, libs] of [
      ["udpload", ["-lm"]],
      ["relay_limit", []],
    ] as const) {
      const cc = Bun.spawnSync([gcc, "-O2", "-Wall", "-o", join(out, name), join(source, `${name}.c`), ...libs], { stderr: "pipe" });
      if (cc.exitCode !== 0) throw new Error(`gcc ${name}.c failed: ${cc.stderr.toString().trim()}`);
    }
    // Server and generator on different cores, as the reference README asks (both would share them otherwise).
    const pin = Bun.which("taskset") && navigator.hardwareConcurrency >= 2;
    const onCore = (core: number, cmd: string[]) => (pin ? ["taskset", "-c", String(core), ...cmd] : cmd);
    if (!pin) notes.push("reference: taskset missing (or one core): server and udpload not pinned");

    const classic = hasClassic(bench);
    if (!classic) notes.push("reference: `chat serve --help` does not list --classic yet: the chat --classic rows were skipped");
    const servers: Array<{ label: string; start: (dataDir: string) => Promise<Server> }> = [
      {
        label: "relay_limit",
        start: async () => {
          const port = await freeUdpPort();
          const cmd = onCore(0, [join(out, "relay_limit"), "--host", "127.0.0.1", "--port", String(port)]);
          return spawnServe(cmd, /relay_limit: \S+:(\d+)/, bench.reaper);
        },
      },
    ];
    if (classic) {
      servers.push({
        label: "chat --classic",
        start: (dataDir) => spawnServe(onCore(0, serveCommand(bench, dataDir, ["--classic"])), LISTENING, bench.reaper),
      });
    }
    for (const cell of referenceCells(quick)) {
      for (const s of servers)
        emit(await runCell(`ref ${cell.name}`, s.label, s.start, onCore(1, [join(out, "udpload"), ...cell.args]), bench));
    }
    return notes;
  } finally {
    bench.reaper.removeDir(out);
  }
}

async function runCell(
  name: string,
  label: string,
  start: (dataDir: string) => Promise<Server>,
  udpload: string[],
  bench: Bench,
): Promise<Row> {
  const dir = bench.reaper.tempDir("chat-bench-");
  let server: Server | undefined;
  try {
    server = await start(dir);
    const cmd = [...udpload, "-p", String(server.port), "-S", String(server.pid)];
    bench.log(`${name} (${label}): ${cmd.join(" ")}`);
    const child = bench.reaper.track(Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" }));
    const output = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
    const timeout = new Promise<string>((r) =>
      setTimeout(() => r(`udpload gave no result within ${UDPLOAD_TIMEOUT_MS / 1000} s`), UDPLOAD_TIMEOUT_MS).unref(),
    );
    const outcome = await Promise.race([child.exited, server.died, timeout]);
    if (typeof outcome === "string") {
      await bench.reaper.stop(child);
      throw new Error(outcome || "the server exited during the run");
    }
    const [stdout, stderr] = await output;
    if (outcome !== 0) throw new Error(`udpload exited with code ${outcome}: ${stderr.trim().split("\n").slice(-3).join(" ")}`);
    const u = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as Udpload; // the C program's one JSON line
    return {
      ...emptyRow(name, label),
      members: u.clients,
      sent: u.msgs_sent,
      expected: u.expected_deliveries,
      delivered: u.deliveries,
      lossPct: u.loss_pct,
      deliveriesPerSec: u.deliveries_per_s,
      p50Ms: u.lat_p50_us < 0 ? null : u.lat_p50_us / 1000,
      p99Ms: u.lat_p99_us < 0 ? null : u.lat_p99_us / 1000,
      maxMs: u.lat_max_us < 0 ? null : u.lat_max_us / 1000,
      joinSeconds: u.login_s,
      serverCpuPct: u.server_cpu_pct < 0 ? null : u.server_cpu_pct,
      serverPeakRssMb: memoryMb(server.pid, "VmHWM") ?? null,
      loadCpuPct: u.gen_cpu_pct,
      windowSeconds: u.active_window_s,
      note: [
        "udpload (C); no reliability layer, so no retransmissions",
        `lost at the server socket ${u.lost_at_server_sock}, at the members' ${u.lost_at_client_socks}`,
        ...(u.drain_timed_out ? ["drain timed out"] : []),
        coresBusy(u),
      ]
        .filter(Boolean)
        .join("; "),
      raw: u,
    };
  } catch (err) {
    return { ...emptyRow(name, label), ok: false, note: err instanceof Error ? err.message : String(err) };
  } finally {
    await server?.stop();
    bench.reaper.removeDir(dir);
  }
}

/** udpload's per-core busy figures (cpu0_busy_pct, …): on a shared machine, how much else was running. */
function coresBusy(u: Udpload): string {
  const cores = Object.entries(u as unknown as Record<string, unknown>).flatMap(([k, v]) => {
    const m = /^cpu(\d+)_busy_pct$/.exec(k);
    return m && typeof v === "number" ? [`cpu${m[1]} ${v.toFixed(0)}%`] : [];
  });
  return cores.length ? `cores busy: ${cores.join(", ")}` : "";
}

/** True when this build of chat has `serve --classic` (the original exercise's text protocol). */
function hasClassic(bench: Bench): boolean {
  const help = Bun.spawnSync([bench.chat, "serve", "--help"], { env: { ...process.env, NO_COLOR: "1" } });
  return help.stdout.toString().includes("--classic");
}
