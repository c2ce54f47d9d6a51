// A member's /who without sockets: pages asked for in turn, each taken once, retried, given up on, refused.

import { expect, test } from "bun:test";
import { type Members, TIMERS } from "../../../src/core/wire/protocol.ts";
import { member, refused, SID } from "./fixture.ts";

const page = (id: number, names: string[], next: number): Members => ({ type: "members", id, names, total: 3, next });

test("pages are asked for one after the other; a repeated page is taken once; the last gives every name", () => {
  const { session, sink, clock, receive, login } = member();
  login();
  session.who(clock.now);
  expect(sink.sent()).toEqual([{ type: "names", sid: SID, id: 1, from: 0 }]);
  session.who(clock.now); // asked again while under way: the same /who
  expect(sink.sent()).toEqual([]);
  receive(page(1, ["ann", "bob"], 2));
  expect(sink.sent()).toEqual([{ type: "names", sid: SID, id: 1, from: 2 }]);
  receive(page(1, ["ann", "bob"], 2), page(7, ["eve"], 0));
  expect(sink.take()).toEqual([]);
  receive(page(1, ["cat"], 0));
  expect(sink.take()).toEqual([{ kind: "members", names: ["ann", "bob", "cat"] }]);
  session.who(clock.now);
  expect(sink.sent()).toEqual([{ type: "names", sid: SID, id: 2, from: 0 }]);
});

test("asked again every retryMs; given up once the server has not answered within answerTimeoutMs", () => {
  const { session, sink, clock, advance, receive, login } = member();
  login();
  session.who(clock.now);
  sink.take();
  advance(TIMERS.retryMs - 1);
  expect(sink.sentTypes()).toEqual([]);
  advance(1);
  expect(sink.sent()).toEqual([{ type: "names", sid: SID, id: 1, from: 0 }]);
  for (let t = TIMERS.retryMs; t < TIMERS.answerTimeoutMs - TIMERS.retryMs; t += TIMERS.retryMs) {
    advance(TIMERS.retryMs);
    receive({ type: "tick", seq: 0, epoch: "e1", ts: 1 });
  }
  sink.take();
  advance(TIMERS.retryMs);
  expect(sink.take()).toContainEqual({ kind: "log", level: "error", text: "could not list the members: the server did not answer" });
  advance(TIMERS.retryMs);
  expect(sink.sentTypes()).not.toContain("names");
});

test("a refused /who is said so; before the welcome there is no /who", () => {
  const m = member();
  m.session.who(m.clock.now);
  expect(m.sink.take()).toEqual([]);
  m.login();
  m.session.who(m.clock.now);
  m.sink.take();
  m.receive(refused("rate_limited", 1));
  expect(m.sink.take()).toEqual([
    {
      kind: "log",
      level: "error",
      text: "could not list the members: message not sent: you are sending faster than the room allows; wait a moment",
    },
  ]);
});
