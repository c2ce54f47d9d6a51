// One result row per scenario (the JSON line) and the markdown table made of them.

/** A scenario's figures; null where a figure does not apply or could not be measured. */
export interface Row {
  scenario: string;
  /** What served it: "chat", or a reference of --reference (reference.ts: the C relay, ngircd). */
  server: string;
  /** False when something broke (the row's note says what); the bench then exits non-zero. */
  ok: boolean;
  members: number | null;
  sent: number | null;
  expected: number | null;
  delivered: number | null;
  lossPct: number | null;
  deliveriesPerSec: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** The sender's retries plus the receivers' nacks. */
  retransmissions: number | null;
  joinSeconds: number | null;
  /** Over the active window; 100 = one core. */
  serverCpuPct: number | null;
  serverPeakRssMb: number | null;
  /** The load generator's own CPU over the same window: near 100 means it, not the server, set the pace. */
  loadCpuPct: number | null;
  windowSeconds: number | null;
  note: string;
  /** The load generator's own result line, for whoever wants more than the table shows. */
  raw?: unknown;
}

export const emptyRow = (scenario: string, server: string): Row => ({
  scenario,
  server,
  ok: true,
  members: null,
  sent: null,
  expected: null,
  delivered: null,
  lossPct: null,
  deliveriesPerSec: null,
  p50Ms: null,
  p99Ms: null,
  maxMs: null,
  retransmissions: null,
  joinSeconds: null,
  serverCpuPct: null,
  serverPeakRssMb: null,
  loadCpuPct: null,
  windowSeconds: null,
  note: "",
});

const int = (n: number | null) => (n === null ? "–" : Math.round(n).toLocaleString("en-US"));
const fixed = (digits: number) => (n: number | null) => (n === null || Number.isNaN(n) ? "–" : n.toFixed(digits));
const ms = (n: number | null) => (n === null ? "–" : n < 10 ? n.toFixed(2) : n.toFixed(1));

const COLUMNS: Array<[title: string, cell: (r: Row) => string]> = [
  ["scenario", (r) => r.scenario],
  ["server", (r) => r.server],
  ["members", (r) => int(r.members)],
  ["sent", (r) => int(r.sent)],
  ["expected", (r) => int(r.expected)],
  ["delivered", (r) => int(r.delivered)],
  ["loss %", (r) => fixed(2)(r.lossPct)],
  ["deliveries/s", (r) => int(r.deliveriesPerSec)],
  ["p50 ms", (r) => ms(r.p50Ms)],
  ["p99 ms", (r) => ms(r.p99Ms)],
  ["max ms", (r) => ms(r.maxMs)],
  ["retrans", (r) => int(r.retransmissions)],
  ["join s", (r) => fixed(2)(r.joinSeconds)],
  ["server CPU %", (r) => fixed(0)(r.serverCpuPct)],
  ["server peak RSS MB", (r) => fixed(0)(r.serverPeakRssMb)],
  ["load CPU %", (r) => fixed(0)(r.loadCpuPct)],
  ["note", (r) => (r.ok ? r.note : `FAILED: ${r.note}`).replaceAll("|", "\\|").replaceAll("\n", " ")],
];

export function markdownTable(rows: readonly Row[]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(COLUMNS.map(([title]) => title)),
    line(COLUMNS.map(([title]) => (title === "scenario" || title === "server" || title === "note" ? "---" : "---:"))),
    ...rows.map((r) => line(COLUMNS.map(([, cell]) => cell(r)))),
  ].join("\n");
}
