// `bun run bench:profile [CELL]`: one UDP cell against the server run from source under Bun's CPU profiler, and where its time went.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Reaper } from "../test/helpers/reaper.ts";
import { buildChatload, canPin, chatloadArgs, onCore, parseChatload } from "./chatload.ts";
import { LISTENING, serveFlags } from "./harness.ts";
import { STOP_GRACE_MS, spawnServe } from "./processes.ts";
import { isReferenceCell, type LoadScenario, scenarios } from "./scenarios.ts";

const USAGE = `usage: bun run bench:profile [--cell NAME] [--top N]
  --cell  the cell to profile (default throughput): ${scenarios(false)
    .filter(isReferenceCell)
    .map((s) => s.name)
    .join(", ")}
  --top   how many functions to list (default 25)
The server runs from source (bun --cpu-prof src/cli.ts serve, the bench's flags, --data in a temporary folder) on core 0, bench/chatload.c
on core 1; the profile is kept in bench/out/. Self time is what a function spent itself; total adds what it called.
Bun's profile has no idle entry: while the server waits for datagrams, its samples go to the last frame it ran, so
a light cell shows that frame high; the full-speed cells keep the server busy throughout.`;

/** A .cpuprofile (Chrome's format, as Bun writes it): the call tree's nodes, and which node each sample was in. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

/** Each function's self and total share of the samples' time, largest self first. */
export function shares(profile: CpuProfile): Array<{ name: string; self: number; total: number }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const nameOf = (id: number) => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url ? `${url.split("/").slice(-2).join("/")}:${lineNumber + 1}` : "native";
    return `${functionName || "(anonymous)"} ${where}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const t = profile.timeDeltas[i] ?? 0;
    all += t;
    self.set(nameOf(id), (self.get(nameOf(id)) ?? 0) + t);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = nameOf(at);
      if (seen.has(name)) continue;
      seen.add(name);
      total.set(name, (total.get(name) ?? 0) + t);
    }
  });
  return [...total.keys()]
    .map((name) => ({ name, self: (self.get(name) ?? 0) / all, total: (total.get(name) ?? 0) / all }))
    .sort((a, b) => b.self - a.self);
}

/**
 * The cell's traffic made three times as long and its drain short: the seconds the server waits (logging in, the
 * drain) would go to whichever frame ran last (see the usage), so the busy part should outweigh them.
 */
const profiled = (load: LoadScenario["load"]): LoadScenario["load"] => ({
  ...load,
  messages: load.messages * 3,
  seconds: load.seconds * 3,
  drainSeconds: 0.5,
});

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      cell: { type: "string", default: "throughput" },
      top: { type: "string", default: "25" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const cell = scenarios(false).find((s): s is LoadScenario => isReferenceCell(s) && s.name === values.cell);
  if (!cell) throw new Error(`--cell: no UDP cell named ${JSON.stringify(values.cell)} (see --help)`);
  const top = Number(values.top);
  if (!Number.isInteger(top) || top < 1) throw new Error(`--top: expected a whole number ≥ 1, got ${JSON.stringify(values.top)}`);

  const repo = resolve(import.meta.dir, "..");
  const reaper = new Reaper(STOP_GRACE_MS);
  try {
    const work = reaper.tempDir("chat-profile-");
    const built = buildChatload(repo, work);
    if ("why" in built) throw new Error(`chatload: ${built.why}`);
    const pin = canPin(Bun.which("taskset"), navigator.hardwareConcurrency);
    const data = join(work, "data");
    const profiles = join(work, "profile");
    const serve = [process.execPath, "--cpu-prof", `--cpu-prof-dir=${profiles}`, join(repo, "src", "cli.ts"), "serve"];
    const server = await spawnServe(onCore(pin, 0, [...serve, ...serveFlags(data)]), LISTENING, reaper);
    const load = reaper.track(
      Bun.spawn(onCore(pin, 1, [built.bin, ...chatloadArgs(profiled(cell.load), server.port, server.pid)]), {
        stdout: "pipe",
        stderr: "ignore",
      }),
    );
    const result = parseChatload(await new Response(load.stdout).text());
    await load.exited;
    server.child.kill("SIGINT"); // the profile is written as the server ends
    await server.child.exited;
    const file = readdirSync(profiles).find((f) => f.endsWith(".cpuprofile"));
    if (!file) throw new Error("the server wrote no profile");
    const out = join(repo, "bench", "out");
    mkdirSync(out, { recursive: true });
    const kept = join(out, `profile-${cell.name.replaceAll(" ", "-")}.cpuprofile`);
    const text = readFileSync(join(profiles, file), "utf8");
    writeFileSync(kept, text);
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(6);
    console.log(
      `${cell.name}: ${result.delivered.toLocaleString("en-US")} of ${result.expected.toLocaleString("en-US")} delivered, ` +
        `${Math.round(result.deliveries_per_s).toLocaleString("en-US")}/s, p99 ${(result.lat_p99_us / 1000).toFixed(2)} ms ` +
        "(three times the cell's traffic, from source, profiled)",
    );
    console.log("  self   total  function");
    for (const s of shares(JSON.parse(text) as CpuProfile).slice(0, top)) console.log(`${pct(s.self)} ${pct(s.total)}  ${s.name}`);
    console.log(`(the profile: ${kept}, for Chrome's DevTools or speedscope)`);
    return 0;
  } finally {
    await reaper.all();
  }
}

if (import.meta.main) {
  try {
    process.exitCode = await main();
  } catch (err) {
    process.stderr.write(`[profile] error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
