// A member's event stream without sockets: in order, exactly once, gaps named, own messages skipped, lost runs passed over.

import { describe, expect, test } from "bun:test";
import { Sequencer } from "../../src/core/member/sequencer.ts";
import type { RoomEvent } from "../../src/core/wire/protocol.ts";

const ev = (seq: number): RoomEvent => ({ type: "message", seq, ts: 1, from: "bob", text: `m${seq}` });
const seqs = (events: RoomEvent[]) => events.map((e) => e.seq);

describe("ordering", () => {
  test("nothing is handed over before the start is known", () => {
    const s = new Sequencer();
    expect(s.offer(ev(1))).toEqual([]);
    expect(s.started).toBe(false);
  });

  test("in-order events go straight through; repeats are dropped", () => {
    const s = new Sequencer();
    s.start(5, 4);
    expect(seqs(s.offer(ev(5)))).toEqual([5]);
    expect(seqs(s.offer(ev(6)))).toEqual([6]);
    expect(s.offer(ev(5))).toEqual([]);
    expect(s.offer(ev(4))).toEqual([]);
  });

  test("an event that overtook others is held until they arrive, then all come out in order, once", () => {
    const s = new Sequencer();
    s.start(1, 0);
    expect(s.offer(ev(3))).toEqual([]);
    expect(s.offer(ev(3))).toEqual([]);
    expect(s.gaps(8)).toEqual([{ from: 1, to: 2 }]);
    expect(seqs(s.offer(ev(2)))).toEqual([]);
    expect(seqs(s.offer(ev(1)))).toEqual([1, 2, 3]);
    expect(s.gaps(8)).toEqual([]);
  });
});

describe("gaps", () => {
  test("every missing run is named, each at most 64 long", () => {
    const s = new Sequencer();
    s.start(1, 0);
    s.offer(ev(3));
    s.offer(ev(6));
    s.known(200);
    expect(s.gaps(8)).toEqual([
      { from: 1, to: 2 },
      { from: 4, to: 5 },
      { from: 7, to: 70 },
      { from: 71, to: 134 },
      { from: 135, to: 198 },
      { from: 199, to: 200 },
    ]);
    expect(s.gaps(2)).toHaveLength(2);
  });

  test("a tick showing a later number reveals a lost tail", () => {
    const s = new Sequencer();
    s.start(1, 0);
    s.offer(ev(1));
    expect(s.gaps(8)).toEqual([]);
    s.known(3);
    expect(s.gaps(8)).toEqual([{ from: 2, to: 3 }]);
  });

  test("the member's own messages (from its acks) are skipped, not asked for", () => {
    const s = new Sequencer();
    s.start(1, 0);
    expect(seqs(s.offer(ev(2)))).toEqual([]);
    expect(seqs(s.own(1))).toEqual([2]);
    s.own(4);
    expect(s.gaps(8)).toEqual([]); // an ack tells of no gap: 3 may be on its way, packed behind the ack
    s.known(4); // a tick does
    expect(s.gaps(8)).toEqual([{ from: 3, to: 3 }]);
    expect(seqs(s.offer(ev(3)))).toEqual([3]);
    expect(s.next).toBe(5);
  });

  test("a run the server no longer has is passed over", () => {
    const s = new Sequencer();
    s.start(1, 0);
    s.offer(ev(5));
    expect(seqs(s.skip(1, 4))).toEqual([5]);
    expect(s.skip(1, 4)).toEqual([]);
  });

  test("events it holds inside a lost run are handed over all the same, in order, then what follows the run", () => {
    const s = new Sequencer();
    s.start(1, 0);
    s.offer(ev(4));
    s.offer(ev(2));
    s.offer(ev(9));
    s.own(3);
    expect(seqs(s.skip(1, 8))).toEqual([2, 4, 9]);
    expect(s.next).toBe(10);
    expect(s.gaps(8)).toEqual([]);
  });

  test("a lost run that starts past the next number, or ends before it, changes nothing (yet)", () => {
    const s = new Sequencer();
    s.start(5, 10);
    expect(s.skip(7, 8)).toEqual([]);
    expect(s.skip(1, 4)).toEqual([]);
    expect(s.next).toBe(5);
  });
});
