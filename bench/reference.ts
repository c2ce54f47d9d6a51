// `--reference`: chat's UDP cells again against the C relay of the shared bench (the datagram ceiling) and, where it is installed, ngircd over TCP.

import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { memoryMb } from "../test/helpers/procfs.ts";
import { freeUdpPort } from "../test/helpers/socket.ts";
import { chatloadArgs, loadBound, onCore } from "./chatload.ts";
import type { Bench } from "./harness.ts";
import { type Server, spawnServe } from "./processes.ts";
import { isReferenceCell, type LoadScenario, scenarios } from "./scenarios.ts";
import { emptyRow, type Row } from "./table.ts";

const UDPLOAD_TIMEOUT_MS = 180_000;
export const RELAY = "relay_limit (C, UDP)";
export const NGIRCD = "ngircd (C, TCP)";

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

/** A reference server: how to start one for a cell (listening on 127.0.0.1), and what udpload needs to speak to it. */
interface Reference {
  label: string;
  start: () => Promise<Server>;
  /** udpload's flags for it: none for the relay's text protocol over UDP, -I for IRC over TCP. */
  flags: string[];
  note: string;
}

/**
 * Runs each of chat's UDP cells (same members, messages, rate and text size; `only`: those named) against every reference available,
 * handing each row to `emit`: the rows carry the cell's name, so ratios.ts sets them beside chat's. Returns notes:
 * what was not available (no sources, no gcc, no ngircd) is a note, not a failure.
 */
export async function runReference(bench: Bench, quick: boolean, emit: (row: Row) => void, only?: readonly string[]): Promise<string[]> {
  const notes: string[] = [];
  // The reference programs travel with the repository (bench/ref/, copied from the shared bench); CHAT_BENCH_REF
  // points at another copy (../shared/bench, say) to measure with that one instead.
  const source = resolve(bench.repo, process.env.CHAT_BENCH_REF ?? "bench/ref");
  const missing = ["udpload.c", "relay_limit.c"].filter((f) => !existsSync(join(source, f)));
  if (missing.length) return [`reference skipped: ${missing.join(", ")} not found in ${source} (set CHAT_BENCH_REF)`];
  const gcc = Bun.which("cc") ?? Bun.which("gcc");
  if (!gcc) return ["reference skipped: no C compiler (cc or gcc)"];

  const out = bench.reaper.tempDir("chat-bench-ref-");
  try {
    for (const [name, libs] of [
      ["udpload", ["-lm"]],
      ["relay_limit", []],
    ] as const) {
      const cc = Bun.spawnSync([gcc, "-O2", "-Wall", "-o", join(out, name), join(source, `${name}.c`), ...libs], { stderr: "pipe" });
      if (cc.exitCode !== 0) throw new Error(`${gcc} ${name}.c failed: ${cc.stderr.toString().trim()}`);
    }
    if (!bench.pin) notes.push("reference: taskset missing (or one core): servers and udpload not pinned apart");
    const references: Reference[] = [
      {
        label: RELAY,
        start: async () => {
          const cmd = [join(out, "relay_limit"), "--host", "127.0.0.1", "--port", String(await freeUdpPort())];
          return spawnServe(onCore(bench.pin, 0, cmd), /relay_limit: \S+:(\d+)/, bench.reaper);
        },
        flags: [],
        note: "udpload (C); one datagram per member per message, no reliability layer",
      },
    ];
    const ngircd = Bun.which("ngircd") ?? (existsSync("/usr/sbin/ngircd") ? "/usr/sbin/ngircd" : undefined);
    if (ngircd) references.push({ label: NGIRCD, start: () => startNgircd(ngircd, out, bench), flags: ["-I"], note: NGIRCD_NOTE });
    else notes.push("reference: ngircd is not installed (Debian: apt-get install ngircd): no ngircd rows");

    for (const cell of scenarios(quick)
      .filter(isReferenceCell)
      .filter((s) => !only || only.includes(s.name)))
      for (const ref of references) emit(await runCell(cell, ref, join(out, "udpload"), bench));
    return notes;
  } finally {
    bench.reaper.removeDir(out);
  }
}

const NGIRCD_NOTE = "udpload -I (C): NICK/USER, JOIN #room, PRIVMSG; penalties (flood control) off";

/**
 * ngircd on a free port of 127.0.0.1 with a configuration of its own: no limit of connections per address, and its
 * flood control off (MaxPenaltyTime 0), so that it relays as fast as it can, as chat does with --rate off.
 */
async function startNgircd(ngircd: string, dir: string, bench: Bench): Promise<Server> {
  const port = await freeTcpPort();
  const conf = join(dir, `ngircd-${port}.conf`);
  writeFileSync(
    conf,
    [
      "[Global]",
      "Name = bench.chat.local",
      "Info = chat bench reference",
      "Listen = 127.0.0.1",
      `Ports = ${port}`,
      "MotdPhrase = bench",
      "[Limits]",
      "MaxConnections = 0",
      "MaxConnectionsIP = 0",
      "MaxJoins = 0",
      "MaxPenaltyTime = 0",
      "PingTimeout = 300",
      "PongTimeout = 300",
      "[Options]",
      "DNS = no",
      "Ident = no",
      "PAM = no",
      "",
    ].join("\n"),
  );
  // -n: in the foreground, logging to stdout.
  return spawnServe(
    onCore(bench.pin, 0, [ngircd, "-n", "-f", conf]),
    /Now listening on \[127\.0\.0\.1\]:(\d+)/,
    bench.reaper,
    15_000,
    "stdout",
  );
}

/** A TCP port free on 127.0.0.1 a moment ago (ngircd takes its port from its configuration, not port 0). */
async function freeTcpPort(): Promise<number> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
}

async function runCell(cell: LoadScenario, ref: Reference, udpload: string, bench: Bench): Promise<Row> {
  let server: Server | undefined;
  try {
    server = await ref.start();
    const cmd = onCore(bench.pin, 1, [udpload, ...ref.flags, ...chatloadArgs(cell.load, server.port, server.pid)]);
    bench.log(`${cell.name} (${ref.label}): ${cmd.join(" ")}`);
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
    const ms = (us: number) => (us < 0 ? null : us / 1000);
    const bound = loadBound(u.gen_cpu_pct, u.lost_at_client_socks);
    return {
      ...emptyRow(cell.name, ref.label),
      members: u.clients,
      sent: u.msgs_sent,
      expected: u.expected_deliveries,
      delivered: u.deliveries,
      lossPct: u.loss_pct,
      deliveriesPerSec: u.deliveries_per_s,
      p50Ms: ms(u.lat_p50_us),
      p99Ms: ms(u.lat_p99_us),
      maxMs: ms(u.lat_max_us),
      joinSeconds: u.login_s,
      serverCpuPct: u.server_cpu_pct < 0 ? null : u.server_cpu_pct,
      serverPeakRssMb: memoryMb(server.pid, "VmHWM") ?? null,
      loadCpuPct: u.gen_cpu_pct,
      windowSeconds: u.active_window_s,
      note: [
        ref.note,
        ...(ref.flags.length ? [] : [`lost at the server's socket ${u.lost_at_server_sock}, at the members' ${u.lost_at_client_socks}`]),
        ...(u.drain_timed_out ? ["drain timed out"] : []),
        ...(bound ? [bound] : []),
      ].join("; "),
      raw: u,
    };
  } catch (err) {
    return { ...emptyRow(cell.name, ref.label), ok: false, note: err instanceof Error ? err.message : String(err) };
  } finally {
    await server?.stop();
  }
}
