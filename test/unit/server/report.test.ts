// The console's lines for joins, leaves and admin broadcasts: the same words as a member's terminal and the README.

import { expect, test } from "bun:test";
import { createConsola, LogLevels } from "consola";
import type { RoomEvent } from "../../../src/core/wire/protocol.ts";
import { reportEvent } from "../../../src/server/report.ts";

test("a leave reads as the README has it: (timed out), (kicked), (banned), nothing for a quit", () => {
  const lines: string[] = [];
  const log = createConsola({ level: LogLevels.info, reporters: [{ log: (e) => void lines.push(e.args.join(" ")) }] });
  const leave = (reason: "quit" | "timeout" | "kicked" | "banned"): RoomEvent => ({ type: "leave", seq: 1, ts: 1, name: "bob", reason });
  for (const reason of ["quit", "timeout", "kicked", "banned"] as const)
    reportEvent(log, "lobby", () => 2, { event: leave(reason), datagram: new Uint8Array() });
  reportEvent(log, "ops", () => 1, { event: leave("timeout"), datagram: new Uint8Array() });
  expect(lines).toEqual([
    "bob left (2 in the room)",
    "bob left (timed out) (2 in the room)",
    "bob left (kicked) (2 in the room)",
    "bob left (banned) (2 in the room)",
    "bob left (timed out) (1 in room ops)",
  ]);
});
