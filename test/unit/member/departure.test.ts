// A member's way out, without a session: asked once or twice, the wait bounded while the server is away, the bye.

import { describe, expect, test } from "bun:test";
import { Departure, UNDELIVERED_AFTER_MS } from "../../../src/core/member/departure.ts";
import { TIMERS } from "../../../src/core/wire/protocol.ts";

const NOW = 1_000_000;
const SID = "ab".repeat(16);

describe("a departure", () => {
  test("is asked once; a second ask says so (stop waiting)", () => {
    const d = new Departure();
    expect(d.asked).toBe(false);
    expect(d.ask(NOW)).toBe(false);
    expect(d.asked).toBe(true);
    expect(d.ask(NOW + 5)).toBe(true);
  });

  test("waits for an absent server UNDELIVERED_AFTER_MS from the ask or the last datagram heard, whichever is later", () => {
    const d = new Departure();
    expect(d.overdue(NOW + UNDELIVERED_AFTER_MS * 2, NOW)).toBe(false); // not asked to leave: never overdue
    d.ask(NOW);
    expect(d.overdue(NOW + UNDELIVERED_AFTER_MS - 1, NOW - 5000)).toBe(false);
    expect(d.overdue(NOW + UNDELIVERED_AFTER_MS, NOW - 5000)).toBe(true);
    expect(d.overdue(NOW + UNDELIVERED_AFTER_MS, NOW + 10)).toBe(false); // heard after the ask: counted from then
  });

  test("says bye every byeRetryMs with one id until acked, and is over after byeTimeoutMs", () => {
    const d = new Departure();
    let ids = 7;
    const allocate = () => ids++;
    expect(d.bye(SID, allocate, NOW)).toEqual({ type: "bye", sid: SID, id: 7 });
    expect(d.saying).toBe(true);
    expect(d.bye(SID, allocate, NOW + TIMERS.byeRetryMs - 1)).toBeUndefined();
    expect(d.bye(SID, allocate, NOW + TIMERS.byeRetryMs)).toEqual({ type: "bye", sid: SID, id: 7 });
    expect(d.acked(8)).toBe(false);
    expect(d.acked(7)).toBe(true);
    expect(d.bye(SID, allocate, NOW + TIMERS.byeTimeoutMs)).toBe("over");
  });

  test("a lost server starts the bye again, with a new id, at the next server", () => {
    const d = new Departure();
    let ids = 1;
    d.bye(SID, () => ids++, NOW);
    d.lost();
    expect(d.saying).toBe(false);
    expect(d.acked(1)).toBe(false);
    expect(d.bye(SID, () => ids++, NOW + 10)).toEqual({ type: "bye", sid: SID, id: 2 });
  });
});
