// `bun run bench [--quick] [--reference]`: runs every scenario against a fresh compiled server; JSON lines and a markdown table.

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Reaper } from "../test/helpers/reaper.ts";
import { buildChatload, canPin } from "./chatload.ts";
import { type Bench, runScenario } from "./harness.ts";
import { STOP_GRACE_MS } from "./processes.ts";
import { ratioTable } from "./ratios.ts";
import { runReference } from "./reference.ts";
import { isReferenceCell, scenarios } from "./scenarios.ts";
import { emptyRow, markdownTable, type Row } from "./table.ts";

const USAGE = `usage: bun run bench [--quick] [--reference] [--only NAME,NAME]
  --quick      smaller numbers, under 15 s in all (what CI runs)
  --only       just these scenarios (their names as the table has them, comma-separated)
  --reference  also run the UDP cells against the C relay of bench/ref (or $CHAT_BENCH_REF) and, where it is
               installed, ngircd, with that folder's C load generator; a table of the ratios chat / reference
Progress goes to stderr; one JSON line per scenario and the table to stdout, and to bench/out/.`;

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: "boolean", default: false },
      reference: { type: "boolean", default: false },
      only: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const repo = resolve(import.meta.dir, "..");
  const reaper = new Reaper(STOP_GRACE_MS);
  // Ctrl-C (or a CI cancel): stop every server and load process we started, remove the temp dirs, then go.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping what was started`);
      void reaper.all().finally(() => process.exit(130));
    });
  }
  const startedAt = performance.now();
  const notes: string[] = [];
  const built = buildChatload(repo, reaper.tempDir("chat-bench-chatload-"));
  if ("why" in built) {
    const warning = `JavaScript load for the UDP cells (${built.why}): their figures are bounded by the load process, not the server`;
    log(`warning: ${warning}`);
    notes.push(warning);
  } else
    notes.push(
      `the UDP cells (${scenarios(values.quick)
        .filter(isReferenceCell)
        .map((s) => s.name)
        .join(", ")}) driven by bench/chatload.c; idle, web and cluster by the JavaScript load`,
    );
  const pin = canPin(Bun.which("taskset"), navigator.hardwareConcurrency);
  if (!pin) notes.push("taskset missing (or one core): server and load not pinned apart");
  const chatload = "bin" in built ? built.bin : undefined;
  const bench: Bench = { repo, chat: join(repo, "dist", "chat"), reaper, token: randomBytes(16).toString("hex"), log, chatload, pin };
  try {
    if (!existsSync(bench.chat)) build(repo);
    const rows: Row[] = [];
    const emit = (row: Row) => {
      rows.push(row);
      console.log(JSON.stringify(row));
      log(`${row.scenario} (${row.server}): ${row.ok ? "done" : `FAILED: ${row.note}`}`);
    };
    const all = scenarios(values.quick);
    const only = values.only?.split(",").map((n) => n.trim());
    const unknown = only?.filter((n) => !all.some((s) => s.name === n)) ?? [];
    if (unknown.length)
      throw new Error(
        `--only: no scenario named ${unknown.map((n) => JSON.stringify(n)).join(", ")} (${all.map((s) => s.name).join(", ")})`,
      );
    for (const s of all.filter((s) => !only || only.includes(s.name))) {
      log(`${s.name}: starting`);
      for (const row of await runScenario(s, bench)) emit(row);
    }
    if (values.reference) {
      try {
        const refNotes = await runReference(bench, values.quick, emit, only);
        notes.push(...refNotes);
        refNotes.forEach(log);
      } catch (err) {
        emit({ ...emptyRow("reference", "–"), ok: false, note: err instanceof Error ? err.message : String(err) });
      }
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const ratios = ratioTable(rows);
    const md = [
      `Benchmark of \`dist/chat serve\` (${values.quick ? "--quick" : "full"}${values.reference ? " + reference" : ""}; ${new Date().toISOString()}; ${seconds.toFixed(1)} s in all)`,
      "",
      markdownTable(rows),
      ...(ratios ? ["", "chat beside the references, cell by cell (one run; ratio = chat ÷ reference):", "", ratios] : []),
      ...(notes.length ? ["", ...notes.map((n) => `- ${n}`)] : []),
      "",
    ].join("\n");
    console.log(`\n${md}`);
    const out = join(repo, "bench", "out");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "results.jsonl"), `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    writeFileSync(join(out, "results.md"), md);
    log(`${seconds.toFixed(1)} s; results in bench/out/results.jsonl and bench/out/results.md`);
    return rows.every((r) => r.ok) ? 0 : 1;
  } finally {
    await reaper.all();
  }
}

/** `bun build.ts`, when the compiled binary is missing. Throws when the build fails. */
function build(repo: string): void {
  log("dist/chat is missing: bun build.ts");
  const r = Bun.spawnSync([process.execPath, "build.ts"], { cwd: repo, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`bun build.ts failed (exit code ${r.exitCode})`);
}

try {
  process.exitCode = await main();
} catch (err) {
  log(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
