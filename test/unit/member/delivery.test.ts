// Every line reaches the room, or the user is told: pacing to the allowance, a bot's end of input, an outage, heartbeats, probes, the goodbye.

import { describe, expect, test } from "bun:test";
import { UNDELIVERED_AFTER_MS } from "../../../src/core/member/departure.ts";
import { Pacer } from "../../../src/core/member/pacer.ts";
import { type Message, type Request, type Say, TIMERS } from "../../../src/core/wire/protocol.ts";
import { challenge, member, message, refused, SID, SID2, welcome } from "./fixture.ts";

const says = (sent: Request[]) => sent.filter((m): m is Say => m.type === "say");
const texts = (sent: Request[]) => says(sent).map((s) => s.text);
const ack = (id: number, seq?: number): Message => (seq === undefined ? { type: "ack", id } : { type: "ack", id, seq });

describe("the allowance, kept by the member", () => {
  test("a burst at once, then one per refillMs, in the order said; the rest shown as queued", () => {
    const m = member();
    m.login({ burst: 3, refillMs: 1000 });
    for (let i = 1; i <= 5; i++) m.session.say({ text: `l${i}`, ref: i }, m.clock.now);
    const first = m.sink.take();
    expect(texts(first.flatMap((e) => (e.kind === "send" ? [e.msg] : [])))).toEqual(["l1", "l2", "l3"]);
    expect(first.filter((e) => e.kind === "pending")).toEqual([
      { kind: "pending", ref: 1, how: "sending" },
      { kind: "pending", ref: 2, how: "sending" },
      { kind: "pending", ref: 3, how: "sending" },
      { kind: "pending", ref: 4, how: "queued" },
      { kind: "pending", ref: 5, how: "queued" },
    ]);
    m.receive(ack(1, 1), ack(2, 2), ack(3, 3));
    m.sink.take();
    m.advance(999);
    expect(texts(m.sink.sent())).toEqual([]);
    m.advance(1);
    const fourth = m.sink.take();
    expect(texts(fourth.flatMap((e) => (e.kind === "send" ? [e.msg] : [])))).toEqual(["l4"]);
    expect(fourth.filter((e) => e.kind === "pending")).toEqual([{ kind: "pending", ref: 4, how: "sending" }]);
    m.receive(ack(4, 4));
    m.advance(999);
    expect(texts(m.sink.sent())).toEqual([]);
    m.advance(1);
    expect(says(m.sink.sent()).map((s) => [s.id, s.text])).toEqual([[5, "l5"]]);
  });

  test("a say waits for its token while the last one is unacknowledged: the server counts it at some moment until its ack", () => {
    const m = member();
    m.login({ burst: 1, refillMs: 1000 });
    m.session.say({ text: "a" }, m.clock.now);
    m.session.say({ text: "b" }, m.clock.now);
    expect(texts(m.sink.sent())).toEqual(["a"]);
    m.advance(1500); // a's ack is late (its first copy was lost): b does not go before it
    expect(texts(m.sink.sent())).toEqual(["a"]);
    m.receive(ack(1, 1));
    m.advance(999);
    expect(texts(m.sink.sent())).toEqual([]);
    m.advance(1);
    expect(texts(m.sink.sent())).toEqual(["b"]);
  });

  test("no allowance in the welcome: no limit", () => {
    const m = member();
    m.login();
    for (let i = 1; i <= 20; i++) m.session.say({ text: `l${i}` }, m.clock.now);
    expect(texts(m.sink.sent()).length).toBe(20);
  });

  test("refused for rate (an old server): queued again in order under new ids, then one a second; never reported", () => {
    const m = member();
    m.login();
    for (const text of ["a", "b", "c"]) m.session.say({ text }, m.clock.now);
    m.sink.take();
    m.receive(ack(1, 1), refused("rate_limited", 2), refused("rate_limited", 3));
    m.advance(999);
    expect(texts(m.sink.sent())).toEqual([]);
    m.advance(1);
    expect(says(m.sink.sent()).map((s) => [s.id, s.text])).toEqual([[4, "b"]]);
    m.receive(ack(4, 2));
    m.advance(1000);
    expect(says(m.sink.sent()).map((s) => [s.id, s.base, s.text])).toEqual([[5, 5, "c"]]);
    m.receive(ack(5, 3));
    m.session.leave(m.clock.now);
    m.receive(ack(6));
    expect(m.sink.take().filter((e) => e.kind === "end" || (e.kind === "log" && e.level === "error"))).toEqual([
      { kind: "end", how: "left" },
    ]);
  });

  test("a line waiting in the queue does not age: no give-up however long the allowance makes it wait", () => {
    const m = member();
    m.login({ burst: 1, refillMs: 20_000 });
    m.session.say({ text: "a", ref: 1 }, m.clock.now);
    m.session.say({ text: "b", ref: 2 }, m.clock.now);
    m.receive(ack(1, 1));
    m.sink.take();
    for (let t = 0; t < 19_000; t += 1000) {
      m.receive({ type: "tick", seq: 1, epoch: "e1", ts: 1 }); // the server is there all along
      m.advance(1000);
    }
    expect(m.sink.take().filter((e) => e.kind === "settled" || (e.kind === "send" && e.msg.type === "say"))).toEqual([]);
    m.advance(1000);
    expect(texts(m.sink.sent())).toEqual(["b"]);
  });

  test("the Pacer alone: a full bucket at each welcome, with what is in flight counted", () => {
    const p = new Pacer();
    p.reset({ burst: 2, refillMs: 100 }, 1, 0);
    expect(p.may(0)).toBe(true);
    p.sent();
    expect(p.may(0)).toBe(false);
    p.settled(true, 0);
    p.settled(true, 0);
    expect(p.may(99)).toBe(false);
    expect(p.may(100)).toBe(true);
    p.reset({}, 0, 0);
    expect(p.limited).toBe(false);
  });
});

describe("end of input: a bot finishes its work", () => {
  test("everything queued is sent, each acknowledged, then bye: left", () => {
    const m = member();
    m.login({ burst: 1, refillMs: 1000 });
    m.session.say({ text: "a" }, m.clock.now);
    m.session.say({ text: "b" }, m.clock.now);
    m.session.leave(m.clock.now);
    expect(m.sink.sentTypes()).toEqual(["say"]);
    m.receive(ack(1, 1));
    m.advance(1000);
    expect(m.sink.sentTypes()).toEqual(["say"]);
    m.receive(ack(2, 2));
    m.advance(25);
    expect(m.sink.sent()).toEqual([{ type: "bye", sid: SID, id: 3 }]);
    m.receive(ack(3));
    expect(m.sink.take()).toEqual([{ kind: "end", how: "left" }]);
  });

  test(`the server unreachable for ${UNDELIVERED_AFTER_MS / 1000} s after end of input: each line listed, undelivered`, () => {
    const m = member();
    m.login();
    m.session.say({ text: "first", ref: 1 }, m.clock.now);
    m.session.say({ text: "second", ref: 2 }, m.clock.now);
    m.session.leave(m.clock.now);
    m.advance(TIMERS.serverSilenceMs);
    expect(m.session.state).toBe("lost"); // it keeps trying to get back in, to deliver them
    m.advance(UNDELIVERED_AFTER_MS - TIMERS.serverSilenceMs - 1);
    expect(m.sink.take().some((e) => e.kind === "end" || e.kind === "settled")).toBe(false);
    m.advance(1);
    expect(m.sink.take()).toEqual([
      { kind: "log", level: "error", text: "no answer from 127.0.0.1:8001 for 30 s: leaving" },
      { kind: "log", level: "error", text: 'not delivered: "first"' },
      { kind: "settled", ref: 1, problem: 'not delivered: "first"' },
      { kind: "log", level: "error", text: 'not delivered: "second"' },
      { kind: "settled", ref: 2, problem: 'not delivered: "second"' },
      { kind: "end", how: "undelivered" },
    ]);
  });

  test("the server back within the bound: the lines are delivered and the bot leaves as usual", () => {
    const m = member();
    m.login();
    m.session.say({ text: "late" }, m.clock.now);
    m.session.leave(m.clock.now);
    m.advance(TIMERS.serverSilenceMs);
    m.advance(20_000);
    m.receive(challenge());
    m.receive(welcome({ sid: SID2 }));
    expect(m.session.state).toBe("leaving");
    m.sink.take();
    m.advance(25);
    expect(says(m.sink.sent()).map((s) => [s.sid, s.id, s.text])).toEqual([[SID2, 1, "late"]]);
    m.receive(ack(1, 1));
    m.advance(25);
    expect(m.sink.sentTypes()).toEqual(["bye"]);
    m.receive(ack(2));
    expect(m.sink.take().at(-1)).toEqual({ kind: "end", how: "left" });
  });

  test("a line refused for good (nobody by that name) makes the ending undelivered", () => {
    const m = member();
    m.login();
    m.session.say({ text: "psst", to: "bob" }, m.clock.now);
    m.receive(refused("no_such_member", 1));
    m.session.leave(m.clock.now);
    m.receive(ack(2));
    expect(m.sink.take().at(-1)).toEqual({ kind: "end", how: "undelivered" });
  });

  test("a line too long to send at all makes it undelivered too", () => {
    const m = member();
    m.login();
    m.session.say({ text: "x".repeat(2000) }, m.clock.now);
    m.session.leave(m.clock.now);
    m.receive(ack(1));
    expect(m.sink.take().at(-1)).toEqual({ kind: "end", how: "undelivered" });
  });
});

describe("an outage: nothing typed is dropped", () => {
  test("typed while lost: shown as waiting, never given up on, sent once back in a fresh server (ids go on, base with them)", () => {
    const m = member();
    m.login();
    m.session.say({ text: "before" }, m.clock.now);
    m.receive(ack(1, 1));
    m.advance(TIMERS.serverSilenceMs);
    m.sink.take();
    m.session.say({ text: "while away", ref: 9 }, m.clock.now);
    expect(m.sink.take().filter((e) => e.kind !== "send")).toEqual([{ kind: "pending", ref: 9, how: "waiting" }]);
    for (let i = 0; i < 20; i++) m.advance(1000); // 20 s down: longer than the give-up
    expect(m.sink.take().filter((e) => e.kind !== "send")).toEqual([]);
    m.receive(challenge("f".repeat(32)));
    m.receive(welcome({ sid: SID2, epoch: "fresh" })); // :memory: — a new history, a session it never saw
    m.advance(25);
    const back = m.sink.take();
    expect(says(back.flatMap((e) => (e.kind === "send" ? [e.msg] : [])))).toEqual([
      { type: "say", sid: SID2, id: 2, base: 2, text: "while away" },
    ]);
    expect(back.filter((e) => e.kind === "pending")).toEqual([{ kind: "pending", ref: 9, how: "sending" }]);
    m.receive(ack(2, 1));
    expect(m.sink.take().filter((e) => e.kind === "settled")).toEqual([{ kind: "settled", ref: 9 }]);
    m.advance(5000);
    expect(texts(m.sink.sent())).toEqual([]);
  });

  test("in flight when the server died (--data: it stored it): sent again once, settled once, not shown again", () => {
    const m = member();
    m.login({ seq: 4 });
    m.session.say({ text: "hi", ref: 3 }, m.clock.now);
    m.advance(TIMERS.serverSilenceMs); // its ack was lost with the server
    m.receive(challenge("f".repeat(32)));
    m.receive(welcome({ sid: SID2, seq: 5 })); // the same history: 5 is our "hi", stored before the crash
    m.sink.take();
    m.advance(25);
    expect(texts(m.sink.sent())).toEqual(["hi"]);
    m.receive(ack(1)); // a repeat, acknowledged without a new event
    m.receive(message(5, "ann", "hi"), ack(1));
    const after = m.sink.take();
    expect(after.filter((e) => e.kind === "settled")).toEqual([{ kind: "settled", ref: 3 }]);
    expect(after.filter((e) => e.kind === "show")).toEqual([]);
  });

  test("a line the server, reachable, never acknowledges is still given up on after giveUpMs from its first send", () => {
    const m = member();
    m.login();
    m.session.say({ text: "stuck", ref: 1 }, m.clock.now);
    for (let t = 0; t < TIMERS.giveUpMs; t += 1000) {
      m.receive({ type: "tick", seq: 0, epoch: "e1", ts: 1 });
      m.advance(1000);
    }
    expect(m.sink.take().filter((e) => e.kind === "settled")).toEqual([
      { kind: "settled", ref: 1, problem: 'not delivered (the server did not confirm it): "stuck"' },
    ]);
  });
});

describe("heartbeats and probes", () => {
  test("the welcome's timeoutMs: a ping every quarter of it when that is sooner than heartbeatMs", () => {
    const m = member();
    m.login({ timeoutMs: 5000 });
    m.advance(1249);
    expect(m.sink.sentTypes()).toEqual([]);
    m.advance(1);
    expect(m.sink.sentTypes()).toEqual(["ping"]);
  });

  test("a long timeout keeps heartbeatMs", () => {
    const m = member();
    m.login({ timeoutMs: 60_000 });
    m.advance(TIMERS.heartbeatMs - 1);
    expect(m.sink.sentTypes()).toEqual([]);
    m.advance(1);
    expect(m.sink.sentTypes()).toEqual(["ping"]);
  });

  test("a probe is answered with a ping at once", () => {
    const m = member();
    m.login();
    m.receive({ type: "probe" });
    expect(m.sink.sent()).toEqual([{ type: "ping", sid: SID }]);
  });
});

describe("the server's goodbye", () => {
  test("stopping: lost at once, one status shown, and no second line when the silence is noticed", () => {
    const m = member();
    m.login();
    m.receive({ type: "stopping" });
    expect(m.session.state).toBe("lost");
    const now = m.clock.now;
    expect(m.sink.take().filter((e) => e.kind !== "send" && !(e.kind === "log" && e.level === "debug"))).toEqual([
      { kind: "show", item: { type: "status", text: "server_stopped", ts: now }, history: false },
    ]);
    m.advance(TIMERS.serverSilenceMs * 2);
    expect(m.sink.take().filter((e) => e.kind === "show" || (e.kind === "log" && e.level !== "debug"))).toEqual([]);
  });

  test("back in after a goodbye, a later silence is said again, once", () => {
    const m = member();
    m.login();
    m.receive({ type: "stopping" });
    m.receive(challenge());
    m.receive(welcome({ sid: SID2 }));
    m.sink.take();
    m.advance(TIMERS.serverSilenceMs);
    expect(m.sink.take().filter((e) => e.kind === "log" && e.level === "warn").length).toBe(1);
  });
});

describe("the goodbye, repeated", () => {
  test("the first knock after a goodbye waits a rejoin period; a second goodbye soon after is not said again", () => {
    const m = member();
    m.login();
    m.receive({ type: "stopping" });
    m.advance(25);
    expect(m.sink.sentTypes()).toEqual([]); // the stopping server might still answer a knock at once
    m.advance(TIMERS.rejoinMs);
    expect(m.sink.sentTypes()).toEqual(["knock"]);
    m.receive(challenge()); // it answered anyway (it was slow to close)
    m.receive(welcome({ sid: SID2 }));
    m.receive({ type: "stopping" });
    expect(m.sink.take().filter((e) => e.kind === "show")).toEqual([]);
    expect(m.session.state).toBe("lost");
  });
});
