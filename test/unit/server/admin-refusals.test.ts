// Refusals of operator requests, answered per IP address whatever the port (a burst, then one a second); the right token is never held back.

import { beforeEach, describe, expect, test } from "bun:test";
import { AdminGate, sign } from "../../../src/core/wire/admin-auth.ts";
import { ABUSE, ADMIN_WINDOW_MS } from "../../../src/core/wire/protocol.ts";
import { AdminRefusals } from "../../../src/server/admin-refusals.ts";
import { Operator } from "../../../src/server/operator.ts";
import { Warnings } from "../../../src/server/report.ts";
import { memoryRooms, NOW, RecordingUdp, recordingLog, recordingRequester } from "./fakes.ts";

const TOKEN = "the operator's secret";
const SERVER = "5e4e5e4e5e4e5e4e";
const BURST = ABUSE.adminRefusalBurst;

describe("AdminRefusals, alone", () => {
  test("a burst per address, then one a second; another address has its own", () => {
    const refusals = new AdminRefusals();
    const answered = (address: string, now: number, tries: number) =>
      Array.from({ length: tries }, () => refusals.mayAnswer(address, now)).filter(Boolean).length;
    expect(answered("192.0.2.1", NOW, 100)).toBe(BURST);
    expect(answered("192.0.2.2", NOW, 100)).toBe(BURST);
    expect(answered("192.0.2.1", NOW + 999, 100)).toBe(0);
    expect(answered("192.0.2.1", NOW + 1000, 100)).toBe(1);
    expect(answered("192.0.2.1", NOW + 11_000, 100)).toBe(BURST);
  });

  test("its memory is bounded by the addresses it is given to keep", () => {
    const refusals = new AdminRefusals(undefined, 100);
    for (let i = 0; i < 10_000; i++) refusals.mayAnswer(`198.51.${i >> 8}.${i & 255}`, NOW);
    expect(refusals.tracked).toBeLessThanOrEqual(100);
  });
});

describe("the operator's door", () => {
  let operator: Operator;
  let debug: string[];

  beforeEach(async () => {
    const recorded = recordingLog();
    debug = recorded.lines;
    const rooms = await memoryRooms(new RecordingUdp(), recorded.log);
    operator = new Operator(new AdminGate(TOKEN, SERVER), rooms, new Warnings(recorded.log), recorded.log);
  });

  /** One announce signed with `token` (at `signedAt`) from 127.0.0.1:`port`, at `now`; its replies. */
  const send = (token: string, port: number, now = NOW, signedAt = now) => {
    const answer = recordingRequester({ address: "127.0.0.1", port });
    operator.handle(sign({ type: "announce", id: port, text: "hi" }, { token, server: SERVER }, signedAt), answer, now);
    return answer.replies;
  };

  test("wrong tokens from 64 ports of one address: the address's allowance of answers, not 64 of them", () => {
    let answered = 0;
    for (let round = 0; round < 10; round++) for (let port = 40_000; port < 40_064; port++) answered += send("a guess", port).length;
    expect(answered).toBe(BURST);
    expect(debug.filter((l) => l.includes("not answered")).length).toBe(640 - BURST);
    // a second later, one more
    expect(send("a guess", 40_000, NOW + 1000)).toEqual([{ type: "refused", reason: "bad_token", id: 40_000 }]);
    expect(send("a guess", 40_001, NOW + 1000)).toEqual([]);
  });

  test("stale and replayed requests draw on the same allowance as wrong tokens", () => {
    const copy = sign({ type: "announce", id: 1, text: "once" }, { token: TOKEN, server: SERVER }, NOW);
    const replay = (port: number) => {
      const answer = recordingRequester({ address: "127.0.0.1", port });
      operator.handle(copy, answer, NOW);
      return answer.replies;
    };
    expect(replay(50_000)).toEqual([{ type: "ack", id: 1, count: 0 }]);
    const half = BURST / 2;
    for (let i = 1; i <= half; i++) expect(replay(50_000 + i)).toEqual([{ type: "refused", reason: "replayed", id: 1 }]);
    for (let i = 0; i < BURST - half; i++) expect(send(TOKEN, 51_000 + i, NOW, NOW - ADMIN_WINDOW_MS - 1)).toHaveLength(1);
    expect(send(TOKEN, 51_100, NOW, NOW - ADMIN_WINDOW_MS - 1)).toEqual([]);
    expect(replay(50_100)).toEqual([]);
    expect(send("a guess", 51_101)).toEqual([]);
  });

  test("the right token is answered however many refusals its address has had", () => {
    for (let port = 40_000; port < 40_100; port++) send("a guess", port);
    expect(send(TOKEN, 41_000)).toEqual([{ type: "ack", id: 41_000, count: 0 }]);
    expect(send(TOKEN, 41_001)).toEqual([{ type: "ack", id: 41_001, count: 0 }]);
  });
});
