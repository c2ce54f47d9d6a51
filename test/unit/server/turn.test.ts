// The server's turn: what a turn's work waits for (every request read, or the limit of requests in one turn), and
// the order of its end (writes, answers, events).

import { beforeEach, describe, expect, test } from "bun:test";
import { Turn } from "../../../src/server/turn.ts";

let immediates: Array<() => void>;
let turn: Turn;
let ran: string[];
const runImmediates = () => {
  for (const run of immediates.splice(0)) run();
};

beforeEach(() => {
  immediates = [];
  ran = [];
  turn = new Turn(4, (run) => immediates.push(run));
});

describe("a turn", () => {
  test("ends when the loop has read everything waiting: what was held for it runs once, in order", () => {
    turn.at("events", () => ran.push("a"));
    turn.at("events", () => ran.push("b"));
    expect(immediates).toHaveLength(1); // one end scheduled for the turn, not one per holder
    expect(ran).toEqual([]);
    runImmediates();
    expect(ran).toEqual(["a", "b"]);
    runImmediates();
    expect(ran).toEqual(["a", "b"]);
  });

  test("ends after `limit` requests even while more keep arriving (Bun runs no setImmediate then)", () => {
    turn.at("events", () => ran.push("first"));
    for (let i = 0; i < 3; i++) turn.read();
    expect(ran).toEqual([]);
    turn.read();
    expect(ran).toEqual(["first"]);
    // The next turn counts from nothing, and holds its own.
    turn.at("events", () => ran.push("second"));
    for (let i = 0; i < 3; i++) turn.read();
    expect(ran).toEqual(["first"]);
    turn.read();
    expect(ran).toEqual(["first", "second"]);
  });

  test("the setImmediate of a turn ended by the limit ends whatever turn is open then, and nothing runs twice", () => {
    turn.at("events", () => ran.push("a"));
    for (let i = 0; i < 4; i++) turn.read();
    turn.at("events", () => ran.push("b"));
    runImmediates();
    expect(ran).toEqual(["a", "b"]);
    runImmediates();
    expect(ran).toEqual(["a", "b"]);
  });

  test("its end commits first, then sends the answers, then the events, whatever the order they were held in", () => {
    turn.at("events", () => ran.push("events"));
    turn.at("replies", () => ran.push("replies"));
    turn.at("store", () => ran.push("store"));
    turn.at("replies", () => ran.push("replies 2"));
    runImmediates();
    expect(ran).toEqual(["store", "replies", "replies 2", "events"]);
  });

  test("commitNow runs the writes held so far and nothing else; the end still sends the rest", () => {
    turn.at("store", () => ran.push("store"));
    turn.at("replies", () => ran.push("replies"));
    turn.commitNow();
    expect(ran).toEqual(["store"]);
    turn.commitNow();
    expect(ran).toEqual(["store"]);
    runImmediates();
    expect(ran).toEqual(["store", "replies"]);
  });

  test("requests read with nothing held end no turn of their own", () => {
    for (let i = 0; i < 10; i++) turn.read();
    expect(immediates).toHaveLength(0);
    turn.at("events", () => ran.push("a"));
    runImmediates();
    expect(ran).toEqual(["a"]);
  });
});
