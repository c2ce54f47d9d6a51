// The benchmark's ratio table: chat's row beside each reference row of the same cell, chat ÷ reference; which cells --reference runs.

import { describe, expect, test } from "bun:test";
import { ratioTable } from "../../bench/ratios.ts";
import { isReferenceCell, scenarios } from "../../bench/scenarios.ts";
import { emptyRow, type Row } from "../../bench/table.ts";

const row = (scenario: string, server: string, figures: Partial<Row>): Row => ({ ...emptyRow(scenario, server), ...figures });

describe("the ratio table", () => {
  const chat = row("throughput", "chat", {
    expected: 1000,
    delivered: 1000,
    deliveriesPerSec: 900_000,
    p50Ms: 6,
    p99Ms: 18,
    serverCpuPct: 94,
    loadCpuPct: 45,
  });
  const relay = row("throughput", "relay_limit (C, UDP)", {
    expected: 1000,
    delivered: 500,
    deliveriesPerSec: 400_000,
    p50Ms: 90,
    p99Ms: 180,
    serverCpuPct: 75,
    loadCpuPct: 78,
  });

  test("a line per cell and reference: both figures and chat ÷ reference for deliveries/s, p50 and p99", () => {
    const lines = ratioTable([chat, relay, row("latency", "chat", { deliveriesPerSec: 1 })])!.split("\n");
    expect(lines).toHaveLength(3); // the heading, its rule, one line: latency has no reference row
    expect(lines[2]).toBe(
      "| throughput | relay_limit (C, UDP) | 900,000 / 400,000 | 2.25 | 6.00 / 90.0 | 0.07 | 18.0 / 180.0 | 0.10 | 0 / 500 | 94% / 75% | 45% / 78% |",
    );
  });

  test("a failed row is left out, and with nothing to set beside chat there is no table", () => {
    expect(ratioTable([chat, { ...relay, ok: false }])).toBeUndefined();
    expect(ratioTable([chat])).toBeUndefined();
  });

  test("a figure missing on either side, or a reference figure of zero, gives no ratio", () => {
    const line = ratioTable([chat, { ...relay, p50Ms: null, p99Ms: 0 }])!.split("\n")[2]!;
    expect(line).toContain("| 6.00 / – | – |");
    expect(line).toContain("| 18.0 / 0.00 | – |");
  });
});

test("--reference runs the cells of UDP members with traffic, the ones chatload drives", () => {
  for (const quick of [true, false])
    expect(
      scenarios(quick)
        .filter(isReferenceCell)
        .map((s) => s.name),
    ).toEqual(["throughput", "latency", "scale", "scale busy"]);
});
