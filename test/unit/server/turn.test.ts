// The server's turn: what a turn's work waits for (every request read, or the limit of requests in one turn), and
// the order of its end (writes, answers, events).

import { beforeEach, describe, expect, test } from "bun:test";
import type { BudgetedRequester } from "../../../src/server/answer.ts";
import { afterWrites, heldAnswers, Turn } from "../../../src/server/turn.ts";
import { peer, RecordingUdp } from "./fakes.ts";

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

describe("what leaves the server waits for the turn's writes", () => {
  test("afterWrites: every way out of the socket commits the turn's writes first", () => {
    const udp = new RecordingUdp();
    const out = afterWrites(udp, turn);
    let writes = 0;
    const held = () => turn.at("store", () => writes++);
    held();
    out.send(new Uint8Array([1]), peer(1));
    expect(writes).toBe(1);
    held();
    out.sendEach([new Uint8Array([2])], [peer(2)]);
    expect(writes).toBe(2);
    held();
    out.sendToAll(new Uint8Array([3]), [peer(3)]);
    expect(writes).toBe(3);
    expect(udp.sent.map((s) => s.to.port)).toEqual([1, 2, 3]);
  });

  test("heldAnswers: a page's answers go at the turn's end, after its writes; the rest of the requester is its own", () => {
    const sent: string[] = [];
    let trusted = false;
    const answer: BudgetedRequester = {
      from: peer(7),
      reply: (msg) => sent.push(msg.type),
      send: () => sent.push("datagram"),
      trust: () => {
        trusted = true;
      },
      plainBudget: () => 42,
      proveWith: () => {},
    };
    const held = heldAnswers(answer, turn);
    turn.at("store", () => sent.push("written"));
    held.reply({ type: "ack", id: 1 });
    held.send(new Uint8Array([1]));
    expect(sent).toEqual([]);
    held.trust();
    expect(trusted).toBe(true);
    expect(held.plainBudget()).toBe(42);
    expect(held.from).toEqual(peer(7));
    runImmediates();
    expect(sent).toEqual(["written", "ack", "datagram"]);
  });
});
