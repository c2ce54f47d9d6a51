// chat's rows beside the reference rows of the same cell, from one run: the ratios the README quotes (no I/O).

import type { Row } from "./table.ts";

/** chat ÷ reference, two digits; "–" where either figure is missing or the reference's is zero. */
const ratio = (chat: number | null, ref: number | null) => (chat === null || ref === null || ref === 0 ? "–" : (chat / ref).toFixed(2));
const int = (n: number | null) => (n === null ? "–" : Math.round(n).toLocaleString("en-US"));
const ms = (n: number | null) => (n === null ? "–" : n < 10 ? n.toFixed(2) : n.toFixed(1));
const pct = (n: number | null) => (n === null ? "–" : `${n.toFixed(0)}%`);
const lost = (r: Row) => (r.expected === null || r.delivered === null ? "–" : int(r.expected - r.delivered));

/**
 * One line per cell and reference: chat's figure, the reference's, and chat ÷ reference for deliveries per second
 * (above 1: chat delivers more) and for p50 and p99 (below 1: chat is faster). Undefined when no cell has both a
 * chat row and a reference row.
 */
export function ratioTable(rows: readonly Row[]): string | undefined {
  const lines: string[] = [];
  for (const chat of rows.filter((r) => r.server === "chat" && r.ok)) {
    for (const ref of rows.filter((r) => r.scenario === chat.scenario && r.server !== "chat" && r.ok)) {
      lines.push(
        [
          chat.scenario,
          ref.server,
          `${int(chat.deliveriesPerSec)} / ${int(ref.deliveriesPerSec)}`,
          ratio(chat.deliveriesPerSec, ref.deliveriesPerSec),
          `${ms(chat.p50Ms)} / ${ms(ref.p50Ms)}`,
          ratio(chat.p50Ms, ref.p50Ms),
          `${ms(chat.p99Ms)} / ${ms(ref.p99Ms)}`,
          ratio(chat.p99Ms, ref.p99Ms),
          `${lost(chat)} / ${lost(ref)}`,
          `${pct(chat.serverCpuPct)} / ${pct(ref.serverCpuPct)}`,
          `${pct(chat.loadCpuPct)} / ${pct(ref.loadCpuPct)}`,
        ].join(" | "),
      );
    }
  }
  if (lines.length === 0) return undefined;
  return [
    "| cell | reference | deliveries/s, chat / ref | ratio | p50 ms, chat / ref | ratio | p99 ms, chat / ref | ratio | lost, chat / ref | server CPU, chat / ref | load CPU, chat / ref |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...lines.map((l) => `| ${l} |`),
  ].join("\n");
}
