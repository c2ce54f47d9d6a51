// /join on the member's side: the old room left as a leave leaves it, the new one logged in to, what was typed meanwhile sent there.

import { describe, expect, test } from "bun:test";
import { KNOCK_BYTES, padded, TIMERS } from "../../../src/core/wire/protocol.ts";
import { challenge, member, message, NONCE, SID, SID2, welcome } from "./fixture.ts";

const COOKIE = "c".repeat(32);
const KNOCK = padded({ type: "knock" }, KNOCK_BYTES);

describe("/join ROOM", () => {
  test("says in flight delivered, bye to the old room, then a hello for the new one (same nonce); history shown, the room named", () => {
    const { session, sink, clock, receive, advance, login } = member();
    login();
    session.say({ text: "last in lobby", ref: 1 }, clock.now);
    sink.take();
    session.move("ops", clock.now);
    expect(session.state).toBe("leaving");
    session.say({ text: "first in ops", ref: 2 }, clock.now); // held for ops
    expect(sink.sentTypes()).toEqual([]);
    receive({ type: "ack", id: 1, seq: 1 });
    advance(25);
    expect(sink.sent()).toEqual([{ type: "bye", sid: SID, id: 2 }]);
    receive({ type: "ack", id: 2 });
    expect(session.state).toBe("joining");
    expect(session.room).toBe("ops");
    expect(sink.take().filter((e) => e.kind !== "settled")).toEqual([
      { kind: "status", text: "joining room ops…" },
      { kind: "send", msg: KNOCK, to: 0 },
    ]);
    receive(challenge(COOKIE));
    expect(sink.sent()).toEqual([{ type: "hello", name: "ann", nonce: NONCE, cookie: COOKIE, room: "ops" }]);
    const w = welcome({ sid: SID2, seq: 5, backlog: 5, epoch: "ops1" });
    receive(w, message(5, "carl", "old news"));
    const effects = sink.take();
    expect(effects.slice(0, 3)).toEqual([
      { kind: "status", text: undefined },
      { kind: "show", item: { ...w, room: "ops" }, history: false },
      { kind: "joined", name: "ann" },
    ]);
    // The held say goes to ops, under the new session, with an id after every earlier one.
    expect(effects.flatMap((e) => (e.kind === "send" && e.msg.type === "say" ? [e.msg] : []))).toEqual([
      { type: "say", sid: SID2, id: 3, base: 3, text: "first in ops" },
    ]);
    // ops's history: its one message, then the end-of-history line
    expect(effects.flatMap((e) => (e.kind === "show" && e.history ? [e.item.type === "status" ? e.item.text : e.item.type] : []))).toEqual([
      "message",
      "history_end",
    ]);
  });

  test("after the move, the new room's events are shown in its own numbering; the old room's are gone", () => {
    const { session, sink, clock, receive, login } = member();
    login({ seq: 40, epoch: "lobby1" });
    session.move("ops", clock.now);
    receive({ type: "ack", id: 1 }); // no says: the bye was the first id
    receive(challenge());
    receive(welcome({ sid: SID2, seq: 2, epoch: "ops1" }));
    sink.take();
    receive(message(3, "carl", "in ops"));
    expect(sink.take().flatMap((e) => (e.kind === "show" && e.item.type === "message" ? [e.item.text] : []))).toEqual(["in ops"]);
  });

  test("the same room: one line, nothing sent; while lost: not now", () => {
    const { session, sink, clock, advance, login } = member();
    login();
    session.move("lobby", clock.now);
    expect(sink.take()).toEqual([{ kind: "log", level: "info", text: "you are in room lobby already" }]);
    advance(TIMERS.heartbeatMs * 10);
    sink.take();
    session.move("ops", clock.now);
    expect(sink.take()).toEqual([{ kind: "log", level: "warn", text: "the server is away: /join once back in the room" }]);
  });

  test("refused by the new room (its name taken there): back to the old room, once; what was typed for the new one not delivered", () => {
    const { session, sink, clock, receive, login } = member();
    login();
    session.move("ops", clock.now);
    receive({ type: "ack", id: 1 });
    session.say({ text: "for ops", ref: 1 }, clock.now);
    receive(challenge(COOKIE));
    sink.take();
    receive({ type: "refused", reason: "name_taken" });
    const effects = sink.take();
    expect(effects.filter((e) => e.kind === "log" || e.kind === "settled")).toEqual([
      {
        kind: "log",
        level: "error",
        text: 'could not join room ops: the name "ann" is taken, or looks like the name of someone in the room: choose another; going back to room lobby',
      },
      { kind: "log", level: "error", text: 'not delivered: "for ops"' },
      { kind: "settled", ref: 1, problem: 'not delivered: "for ops"' },
    ]);
    expect(session.state).toBe("joining");
    expect(session.room).toBe("lobby");
    receive(challenge(COOKIE));
    expect(sink.sent()).toEqual([{ type: "hello", name: "ann", nonce: NONCE, cookie: COOKIE }]);
    receive({ type: "refused", reason: "name_taken" }); // refused at home too: the end
    expect(sink.take().at(-1)).toEqual({ kind: "end", how: "refused" });
  });

  test("a leave while moving (end of input): the move is finished, what was typed delivered in the new room, then the member leaves", () => {
    const { session, sink, clock, receive, advance, login } = member();
    login();
    session.move("ops", clock.now);
    session.say({ text: "for ops", ref: 1 }, clock.now);
    session.leave(clock.now);
    receive({ type: "ack", id: 1 });
    receive(challenge(COOKIE));
    receive(welcome({ sid: SID2, epoch: "ops1" }));
    expect(sink.sent().filter((m) => m.type === "say")).toEqual([{ type: "say", sid: SID2, id: 2, base: 2, text: "for ops" }]);
    expect(session.state).toBe("leaving");
    receive({ type: "ack", id: 2, seq: 2 });
    advance(25);
    expect(sink.sent()).toEqual([{ type: "bye", sid: SID2, id: 3 }]);
    receive({ type: "ack", id: 3 });
    expect(sink.take()).toEqual([{ kind: "end", how: "left" }]);
  });

  test("asked to leave twice while moving: no further; what was typed for the new room is reported undelivered", () => {
    const { session, sink, clock, receive, login } = member();
    login();
    session.move("ops", clock.now);
    session.say({ text: "for ops", ref: 1 }, clock.now);
    session.leave(clock.now);
    session.leave(clock.now);
    expect(sink.take()).toEqual([
      { kind: "send", msg: { type: "bye", sid: SID, id: 1 }, to: 0 },
      { kind: "log", level: "error", text: 'not delivered: "for ops"' },
      { kind: "settled", ref: 1, problem: 'not delivered: "for ops"' },
    ]);
    receive({ type: "ack", id: 1 });
    expect(sink.take()).toEqual([{ kind: "end", how: "undelivered" }]);
  });
});
