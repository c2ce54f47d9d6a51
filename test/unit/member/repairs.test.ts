// Which gaps a member nacks, how often and how many at once; and the same rule reaching the wire through the session.

import { describe, expect, test } from "bun:test";
import { Repairs } from "../../../src/core/member/repairs.ts";
import { Sequencer } from "../../../src/core/member/sequencer.ts";
import { LIMITS, TIMERS } from "../../../src/core/wire/protocol.ts";
import { member, message, SID } from "./fixture.ts";

const runs = (gaps: { from: number; to: number }[]) => gaps.map((g) => `${g.from}-${g.to}`);

describe("Repairs", () => {
  test("a new gap at once, then again every nackRetryMs until it is filled", () => {
    const stream = new Sequencer();
    stream.start(1, 0);
    stream.offer(message(1));
    stream.offer(message(4));
    const repairs = new Repairs();
    expect(runs(repairs.due(stream, 0))).toEqual(["2-3"]);
    expect(runs(repairs.due(stream, TIMERS.nackRetryMs - 1))).toEqual([]);
    expect(runs(repairs.due(stream, TIMERS.nackRetryMs))).toEqual(["2-3"]);
    stream.offer(message(6));
    expect(runs(repairs.due(stream, TIMERS.nackRetryMs + 1))).toEqual(["5-5"]); // the new one at once, the old one not yet
    stream.offer(message(2));
    stream.offer(message(3));
    stream.offer(message(5));
    expect(runs(repairs.due(stream, 10 * TIMERS.nackRetryMs))).toEqual([]);
  });

  test(`at most LIMITS.nacksAtOnce (${LIMITS.nacksAtOnce}) runs are looked at, the earliest first`, () => {
    const stream = new Sequencer();
    stream.start(1, 0);
    for (let seq = 2; seq <= 60; seq += 2) stream.offer(message(seq)); // 30 one-event gaps: 1, 3, 5, …
    const repairs = new Repairs();
    const first = repairs.due(stream, 0);
    expect(first).toHaveLength(LIMITS.nacksAtOnce);
    expect(first[0]).toEqual({ from: 1, to: 1 });
    expect(first.at(-1)).toEqual({ from: 31, to: 31 });
    expect(repairs.due(stream, 1)).toEqual([]); // the rest wait until earlier runs are filled
    for (let seq = 1; seq <= 7; seq += 2) stream.offer(message(seq));
    expect(runs(repairs.due(stream, 2))).toEqual(["33-33", "35-35", "37-37", "39-39"]);
  });

  test("a run is at most LIMITS.maxRepair long", () => {
    const stream = new Sequencer();
    stream.start(1, 0);
    stream.known(LIMITS.maxRepair + 10);
    expect(runs(new Repairs().due(stream, 0))).toEqual([`1-${LIMITS.maxRepair}`, `${LIMITS.maxRepair + 1}-${LIMITS.maxRepair + 10}`]);
  });
});

test("the session nacks on its loop, logs it at debug, and stops once the gap is filled", () => {
  const { sink, advance, receive, login } = member();
  login();
  receive(message(1), message(4));
  sink.take();
  advance(25);
  expect(sink.take()).toEqual([
    { kind: "log", level: "debug", text: "asking for events 2-3" },
    { kind: "send", msg: { type: "nack", sid: SID, from: 2, to: 3 }, to: 0 },
  ]);
  advance(TIMERS.nackRetryMs - 25);
  expect(sink.sentTypes()).toEqual([]);
  advance(25);
  expect(sink.sentTypes()).toEqual(["nack"]);
  receive(message(2), message(3));
  expect(sink.take().map((e) => e.kind === "show" && e.item.type === "message" && e.item.seq)).toEqual([2, 3, 4]);
  advance(TIMERS.nackRetryMs);
  expect(sink.sentTypes()).toEqual([]);
});
