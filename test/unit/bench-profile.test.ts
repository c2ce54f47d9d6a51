// The profile's summary: each function's own time and the time of what it called, from a .cpuprofile's samples.

import { expect, test } from "bun:test";
import { shares } from "../../bench/profile.ts";

const frame = (functionName: string, lineNumber = 0) => ({ functionName, url: `/repo/src/server/${functionName}.ts`, lineNumber });

test("self time is a function's own samples; total adds its callees', a recursive one counted once per sample", () => {
  // root → turn → fanout → sendMany, and turn → turn (recursion) → fanout
  const profile = {
    nodes: [
      { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, children: [2] },
      { id: 2, callFrame: frame("turn", 9), children: [3, 5] },
      { id: 3, callFrame: frame("fanout"), children: [4] },
      { id: 4, callFrame: { functionName: "sendMany", url: "", lineNumber: -1 } },
      { id: 5, callFrame: frame("turn", 9), children: [6] },
      { id: 6, callFrame: frame("fanout") },
    ],
    samples: [4, 4, 3, 2, 6],
    timeDeltas: [10, 10, 10, 10, 10],
  };
  const byName = new Map(shares(profile).map((s) => [s.name, s]));
  expect(byName.get("sendMany native")).toEqual({ name: "sendMany native", self: 0.4, total: 0.4 });
  expect(byName.get("fanout server/fanout.ts:1")).toEqual({ name: "fanout server/fanout.ts:1", self: 0.4, total: 0.8 });
  expect(byName.get("turn server/turn.ts:10")).toEqual({ name: "turn server/turn.ts:10", self: 0.2, total: 1 });
  expect(shares(profile)[0]!.self).toBe(0.4); // largest self first
});
