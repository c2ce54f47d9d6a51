// A member's /nick, /away and /back without sockets: each request sent until answered, the rename taken from the event, the answers said.

import { expect, test } from "bun:test";
import { TIMERS } from "../../../src/core/wire/protocol.ts";
import { challenge, member, refused, SID, welcome } from "./fixture.ts";

test("/nick is sent until answered; the member's name changes on its rename event, and a later login is under it", () => {
  const { session, sink, clock, advance, receive, login } = member();
  login({ seq: 1 });
  session.nick("bea", clock.now);
  expect(sink.sent()).toEqual([{ type: "nick", sid: SID, id: 1, name: "bea" }]);
  advance(TIMERS.retryMs);
  expect(sink.sent()).toEqual([{ type: "nick", sid: SID, id: 1, name: "bea" }]);
  receive({ type: "ack", id: 1 });
  advance(TIMERS.retryMs);
  expect(sink.sentTypes()).not.toContain("nick");
  receive({ type: "rename", seq: 2, ts: 5, from: "ann", to: "bea" });
  expect(sink.take().filter((e) => e.kind !== "send")).toEqual([
    { kind: "show", item: { type: "rename", seq: 2, ts: 5, from: "ann", to: "bea" }, history: false },
    { kind: "renamed", name: "bea" },
  ]);
  // Its own later events are its own under the new name: a message from bea is not shown again.
  receive({ type: "message", seq: 3, ts: 6, from: "bea", text: "mine" });
  expect(sink.take().filter((e) => e.kind === "show")).toEqual([]);
  // Another member's rename is a line, and changes nothing of this member's.
  receive({ type: "rename", seq: 4, ts: 7, from: "bob", to: "rob" });
  expect(sink.take().filter((e) => e.kind === "renamed")).toEqual([]);
  receive({ type: "stopping" });
  advance(TIMERS.rejoinMs);
  receive(challenge());
  expect(sink.sent().filter((m) => m.type === "hello")).toMatchObject([{ type: "hello", name: "bea" }]);
  receive(welcome({ name: "bea", seq: 4 }));
  expect(sink.take().filter((e) => e.kind === "log")).toEqual([{ kind: "log", level: "success", text: "back in the room as bea" }]);
});

test("a refused /nick says why, with the usual line; the name stays", () => {
  const { session, sink, clock, receive, login } = member();
  login();
  session.nick("bob", clock.now);
  session.nick("b2", clock.now);
  sink.take();
  receive(refused("name_taken", 1), refused("rate_limited", 2));
  expect(sink.take()).toEqual([
    {
      kind: "log",
      level: "error",
      text: 'the name "bob" is taken, or looks like the name of someone in the room: choose another',
    },
    { kind: "log", level: "error", text: "not renamed: you are renaming faster than the room allows; wait a moment" },
  ]);
});

test("/away and /back: sent with and without a reason, each acknowledged in a line", () => {
  const { session, sink, clock, receive, login } = member();
  login();
  session.away("lunch", clock.now);
  session.away(undefined, clock.now);
  expect(sink.sent()).toEqual([
    { type: "away", sid: SID, id: 1, reason: "lunch" },
    { type: "away", sid: SID, id: 2 },
  ]);
  receive({ type: "ack", id: 1 }, { type: "ack", id: 2 });
  expect(sink.take()).toEqual([
    { kind: "log", level: "info", text: "you are marked away" },
    { kind: "log", level: "info", text: "you are back" },
  ]);
});

test("an unanswered /nick is given up after answerTimeoutMs, in a line", () => {
  const { session, sink, clock, advance, receive, login } = member();
  login();
  session.nick("bea", clock.now);
  for (let t = 0; t < TIMERS.answerTimeoutMs; t += TIMERS.retryMs) {
    advance(TIMERS.retryMs);
    receive({ type: "tick", seq: 0, epoch: "e1", ts: 1 });
  }
  expect(sink.take().filter((e) => e.kind === "log")).toEqual([
    { kind: "log", level: "error", text: "not renamed: the server did not answer" },
  ]);
});

test("an away notice is shown at the member's clock; /who pages' away marks reach the answer", () => {
  const { session, sink, clock, receive, login } = member();
  login();
  receive({ type: "away_notice", name: "bob", reason: "lunch" });
  expect(sink.take()).toEqual([
    { kind: "show", item: { type: "away_notice", name: "bob", reason: "lunch", ts: clock.now }, history: false },
  ]);
  session.who(clock.now);
  sink.take();
  receive({ type: "members", id: 1, names: ["ann", "bob"], total: 3, next: 2, away: [{ name: "bob", reason: "lunch" }] });
  receive({ type: "members", id: 1, names: ["cat"], total: 3, next: 0, away: [{ name: "cat", reason: "" }] });
  expect(sink.take().filter((e) => e.kind === "members")).toEqual([
    {
      kind: "members",
      names: ["ann", "bob", "cat"],
      away: [
        { name: "bob", reason: "lunch" },
        { name: "cat", reason: "" },
      ],
    },
  ]);
});
