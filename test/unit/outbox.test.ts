// A member's outgoing messages without sockets: window, retransmission timeout and backoff, fast retransmit, base, giving up.

import { describe, expect, test } from "bun:test";
import { Outbox } from "../../src/core/member/outbox.ts";
import { LIMITS, TIMERS } from "../../src/core/wire/protocol.ts";

const ids = (items: { id: number }[]) => items.map((i) => i.id);

describe("sending", () => {
  test("ids count up from 1; at most the window is in flight", () => {
    const box = new Outbox();
    for (let i = 0; i < LIMITS.sendWindow + 5; i++) box.add(`m${i}`, 0);
    const first = box.due(0);
    expect(first).toHaveLength(LIMITS.sendWindow);
    expect(first[0]!.id).toBe(1);
    expect(box.due(1)).toEqual([]); // nothing timed out, window full
    box.ack(1, 2);
    expect(ids(box.due(3))).toEqual([LIMITS.sendWindow + 1]);
  });

  test("base is the lowest unsettled id", () => {
    const box = new Outbox();
    box.add("a", 0);
    box.add("b", 0);
    box.due(0);
    expect(box.base).toBe(1);
    box.ack(1, 1);
    expect(box.base).toBe(2);
    box.ack(2, 1);
    expect(box.base).toBe(3); // nothing pending: the next id
  });
});

describe("retransmission", () => {
  test("before any measurement the timeout is the initial one, then it doubles per retry up to the maximum", () => {
    const box = new Outbox();
    box.add("a", 0);
    box.due(0);
    expect(box.due(TIMERS.initialRtoMs - 1)).toEqual([]);
    const retry = box.due(TIMERS.initialRtoMs);
    expect(retry[0]).toMatchObject({ id: 1, tries: 2, rto: TIMERS.initialRtoMs * 2 });
    let t = TIMERS.initialRtoMs;
    for (let i = 0; i < 10; i++) t += box.due(t + 10_000)[0]!.rto;
    expect(box.due(1e9)[0]!.rto).toBe(TIMERS.maxRtoMs);
  });

  test("the timeout follows the measured round trip, never below the minimum", () => {
    const box = new Outbox();
    for (let i = 0; i < 5; i++) {
      const item = box.add("x", i * 100);
      box.due(i * 100);
      box.ack(item.id, i * 100 + 2); // 2 ms round trips
    }
    expect(box.rto).toBe(TIMERS.minRtoMs);
  });

  test("a round trip measured at login sets the first message's timeout", () => {
    const box = new Outbox();
    box.measured(40);
    expect(box.rto).toBe(40 + 4 * 20);
    box.add("first", 0);
    expect(box.due(0)[0]!.rto).toBe(120);
    expect(ids(box.due(119))).toEqual([]);
    expect(ids(box.due(120))).toEqual([1]);
  });

  test("an ack after a retry gives no sample, nor does one for a message that may have waited behind a retry (Karn)", () => {
    const box = new Outbox();
    box.add("a", 0);
    box.add("b", 0);
    box.due(0);
    box.due(TIMERS.initialRtoMs); // both retried
    box.ack(1, 3000);
    box.ack(2, 3000);
    expect(box.rto).toBe(TIMERS.initialRtoMs); // still unmeasured
  });

  test("the server waiting for a message makes it due at once (fast retransmit)", () => {
    const box = new Outbox();
    box.add("a", 0);
    box.add("b", 0);
    box.due(0);
    box.hurry(1, 20); // just sent (less than a round trip ago, and nothing measured yet: the minimum): its copy may be on its way
    expect(box.due(20)).toEqual([]);
    box.hurry(1, TIMERS.minRtoMs + 1);
    expect(ids(box.due(TIMERS.minRtoMs + 1))).toEqual([1]);
  });

  test("waiting for an id that is no say here (a names' or a bye's, or one settled): the first say waiting goes, with its base", () => {
    const box = new Outbox();
    box.add("a", 0); // 1
    const names = box.allocate(); // 2: a /who
    box.add("b", 0); // 3
    box.due(0);
    box.ack(1, 10);
    expect(box.base).toBe(3); // the names id holds nothing back
    box.hurry(names, TIMERS.minRtoMs + 1);
    expect(ids(box.due(TIMERS.minRtoMs + 1))).toEqual([3]);
    box.hurry(names, TIMERS.minRtoMs + 2); // that copy may still be on its way
    expect(box.due(TIMERS.minRtoMs + 2)).toEqual([]);
  });

  test("waiting for an id above the base that is no say here: the say at the base goes, and its repeat's ack moves the base", () => {
    const box = new Outbox();
    box.add("a", 0); // 1, relayed by the server, its ack not here: base 1
    const names = box.allocate(); // 2
    box.add("b", 0); // 3
    box.due(0);
    box.hurry(names, TIMERS.minRtoMs + 50);
    expect(ids(box.due(TIMERS.minRtoMs + 50))).toEqual([1]); // none has timed out yet: only the hurried one
    box.ack(1, TIMERS.minRtoMs + 60);
    expect(box.base).toBe(3);
  });

  test("after logging in again everything in flight goes out again", () => {
    const box = new Outbox();
    box.add("a", 0);
    box.due(0);
    box.resendAll();
    expect(ids(box.due(1))).toEqual([1]);
  });
});

describe("giving up", () => {
  test("a message unconfirmed for the give-up time after its first send is removed and returned, and base moves past it", () => {
    const box = new Outbox();
    box.add("lost", 0);
    box.add("later", 0);
    box.add("unsent", 0);
    expect(box.due(1000).map((i) => i.text)).toEqual(["lost", "later", "unsent"].slice(0, 3));
    box.resendAll(); // logged in again at 5000: the clock of all three starts again from their next send
    expect(box.due(5000).length).toBe(3);
    expect(box.expire(5000 + TIMERS.giveUpMs - 1)).toEqual([]);
    expect(box.expire(5000 + TIMERS.giveUpMs).map((i) => i.text)).toEqual(["lost", "later", "unsent"]);
    expect(box.base).toBe(4);
  });

  test("a message never sent does not age, however long it waits", () => {
    const box = new Outbox();
    box.add("waits", 0);
    expect(box.expire(10 * TIMERS.giveUpMs)).toEqual([]);
    expect(box.size).toBe(1);
  });

  test("abandon empties the box", () => {
    const box = new Outbox();
    box.add("a", 0);
    expect(box.abandon().map((i) => i.text)).toEqual(["a"]);
    expect(box.size).toBe(0);
  });
});
