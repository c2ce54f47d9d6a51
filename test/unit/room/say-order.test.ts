// One member's says, without a room: the order they are let through in, what is held, and the rate.

import { describe, expect, test } from "bun:test";
import { SayOrder } from "../../../src/core/room/say-order.ts";
import { LIMITS } from "../../../src/core/wire/protocol.ts";

const NOW = 1_795_000_000_000;
const SID = "a".repeat(32);
const say = (id: number, base = 1) => ({ type: "say", sid: SID, id, base, text: `m${id}` }) as const;
/** The ids let through by a "ready" turn, with those over the rate marked. */
const through = (turn: ReturnType<SayOrder["receive"]>) =>
  turn.kind === "ready" ? turn.says.map(({ say, allowed }) => (allowed ? say.id : `refused ${say.id}`)) : turn;

describe("order", () => {
  test("a new client's first say sets where its ids start (its base)", () => {
    const order = new SayOrder(undefined, undefined, NOW);
    expect(order.lastId).toBeUndefined();
    expect(through(order.receive(say(5, 5), NOW))).toEqual([5]);
    expect(order.lastId).toBe(5);
  });

  test("held while one is missing, then let through together, in order, once", () => {
    const order = new SayOrder(undefined, undefined, NOW);
    expect(order.receive(say(3), NOW)).toEqual({ kind: "waiting", id: 1 });
    expect(order.receive(say(2), NOW)).toEqual({ kind: "waiting", id: 1 });
    expect(through(order.receive(say(1), NOW))).toEqual([1, 2, 3]);
    expect(order.receive(say(2), NOW)).toEqual({ kind: "repeat" });
  });

  test("a client the store knows goes on after its last id; earlier ones are repeats", () => {
    const order = new SayOrder(41, undefined, NOW);
    expect(order.receive(say(41), NOW)).toEqual({ kind: "repeat" });
    expect(through(order.receive(say(42), NOW))).toEqual([42]);
  });

  test("a base past what is held gives up on the ids below it, and drops those held below it", () => {
    const order = new SayOrder(undefined, undefined, NOW);
    expect(order.receive(say(3), NOW).kind).toBe("waiting"); // 1 and 2 missing
    expect(through(order.receive(say(5, 4), NOW))).toEqual({ kind: "waiting", id: 4 });
    expect(through(order.receive(say(4, 4), NOW))).toEqual([4, 5]);
    expect(order.receive(say(3, 4), NOW)).toEqual({ kind: "repeat" });
  });

  test("an id spent on a names request is not waited for: the says behind it go on, whichever came first", () => {
    const names = new SayOrder(undefined, undefined, NOW);
    expect(through(names.receive(say(1), NOW))).toEqual([1]);
    expect(names.notSay(2, NOW)).toEqual([]); // nothing was held behind it
    expect(through(names.receive(say(3), NOW))).toEqual([3]); // base 1, as a say sent before the ack of 1 has it
    const overtaken = new SayOrder(undefined, undefined, NOW);
    overtaken.receive(say(1), NOW);
    expect(overtaken.receive(say(3), NOW)).toEqual({ kind: "waiting", id: 2 });
    expect(overtaken.notSay(2, NOW).map(({ say }) => say.id)).toEqual([3]);
    expect(overtaken.lastId).toBe(3);
  });

  test("a names id marked ahead of a missing say is passed once that say comes; two in a row too", () => {
    const order = new SayOrder(undefined, undefined, NOW);
    order.receive(say(1), NOW);
    expect(order.notSay(3, NOW)).toEqual([]); // 2 is missing
    expect(order.notSay(4, NOW)).toEqual([]);
    expect(order.receive(say(5), NOW)).toEqual({ kind: "waiting", id: 2 });
    expect(through(order.receive(say(2), NOW))).toEqual([2, 5]);
    expect(order.lastId).toBe(5);
  });

  test("a names id changes nothing before the first say, once passed, or a reorder window ahead", () => {
    const order = new SayOrder(undefined, undefined, NOW);
    expect(order.notSay(1, NOW)).toEqual([]);
    expect(order.lastId).toBeUndefined(); // the first say's base tells where the ids start
    order.receive(say(2, 2), NOW);
    expect(order.notSay(1, NOW)).toEqual([]);
    expect(order.notSay(3 + LIMITS.reorderWindow, NOW)).toEqual([]);
    expect(order.lastId).toBe(2);
    expect(through(order.receive(say(3, 2), NOW))).toEqual([3]);
  });

  test("a say a reorder window or more ahead is not held", () => {
    const order = new SayOrder(0, undefined, NOW);
    expect(order.receive(say(1 + LIMITS.reorderWindow), NOW)).toEqual({ kind: "too_far" });
    expect(order.receive(say(LIMITS.reorderWindow), NOW)).toEqual({ kind: "waiting", id: 1 });
  });

  test("taken back (the log did not store it): the says from there go through again; a later id changes nothing", () => {
    const order = new SayOrder(undefined, undefined, NOW);
    order.receive(say(1), NOW);
    order.receive(say(2), NOW);
    order.takeBack(5);
    expect(order.lastId).toBe(2);
    order.takeBack(2);
    expect(order.lastId).toBe(1);
    expect(through(order.receive(say(2), NOW))).toEqual([2]);
  });
});

describe("rate", () => {
  test("taken in the member's order: over it, a say is refused and those after it are not held up", () => {
    const order = new SayOrder(undefined, { burst: 2, refillMs: 1000 }, NOW);
    order.receive(say(3), NOW);
    order.receive(say(2), NOW);
    expect(through(order.receive(say(1), NOW))).toEqual([1, 2, "refused 3"]);
    expect(through(order.receive(say(4), NOW + 999))).toEqual(["refused 4"]);
    expect(through(order.receive(say(5), NOW + 1000))).toEqual([5]);
  });

  test("allow() draws on the same allowance (a classic client's messages); no rate: always", () => {
    const order = new SayOrder(undefined, { burst: 1, refillMs: 1000 }, NOW);
    expect(order.allow(NOW)).toBe(true);
    expect(through(order.receive(say(1), NOW))).toEqual(["refused 1"]);
    expect(new SayOrder(undefined, undefined, NOW).allow(NOW)).toBe(true);
  });
});
