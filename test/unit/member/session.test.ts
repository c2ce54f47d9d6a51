// The member session without sockets: login, Karn, repeated welcomes, losing the server and coming back, leaving.

import { describe, expect, test } from "bun:test";
import { KNOCK_BYTES, padded, TIMERS } from "../../../src/core/wire/protocol.ts";
import { challenge, member, message, NONCE, SID, SID2, welcome } from "./fixture.ts";

const KNOCK = padded({ type: "knock" }, KNOCK_BYTES);
const COOKIE = "c".repeat(32);

describe("login", () => {
  test("knock → challenge → hello → welcome: in the room, the welcome shown, the parent told", () => {
    const { session, sink, receive } = member();
    session.begin(1000);
    expect(sink.take()).toEqual([
      { kind: "status", text: "joining 127.0.0.1:8001…" },
      { kind: "send", msg: KNOCK, to: 0 },
    ]);
    receive(challenge(COOKIE));
    expect(sink.take()).toEqual([{ kind: "send", msg: { type: "hello", name: "ann", nonce: NONCE, cookie: COOKIE }, to: 0 }]);
    const w = welcome({ name: "Ann", members: ["bob"], count: 1 });
    receive(w);
    expect(sink.take()).toEqual([
      { kind: "status", text: undefined },
      { kind: "show", item: w, history: false },
      { kind: "joined", name: "Ann" },
    ]);
    expect(session.state).toBe("in");
  });

  test("a room other than the default is named in the hello", () => {
    const { session, sink, receive } = member({ room: "den" });
    session.begin(1000);
    receive(challenge(COOKIE));
    expect(sink.sent().at(-1)).toEqual({ type: "hello", name: "ann", nonce: NONCE, cookie: COOKIE, room: "den" });
  });

  test("the knock is repeated every retryMs; with no answer within answerTimeoutMs the member ends", () => {
    const { session, sink, advance } = member();
    session.begin(1000);
    sink.take();
    advance(TIMERS.retryMs - 1);
    expect(sink.sentTypes()).toEqual([]);
    advance(1);
    expect(sink.sentTypes()).toEqual(["knock"]);
    advance(TIMERS.answerTimeoutMs - TIMERS.retryMs - 1);
    expect(sink.take().some((e) => e.kind === "end")).toBe(false);
    advance(1);
    expect(sink.take()).toEqual([
      { kind: "log", level: "error", text: "no answer from 127.0.0.1:8001 within 3 s: is `chat serve` running there?" },
      { kind: "end", how: "no_answer" },
    ]);
    expect(session.state).toBe("done");
  });

  test("events that overtake the welcome are shown after it; the backlog is history; the member's own join is not shown", () => {
    const { session, sink, receive } = member();
    session.begin(1000);
    receive(challenge());
    receive(message(7, "bob", "early"));
    sink.take();
    receive(welcome({ seq: 6, backlog: 5 }), message(5, "bob", "old"), message(6, "ann", "mine, before"));
    receive({ type: "join", seq: 7, ts: 1, name: "ann" }); // a repeat: 7 came early
    const shown = sink
      .take()
      .flatMap((e) => (e.kind === "show" ? [[e.item.type === "welcome" || !("seq" in e.item) ? e.item.type : e.item.seq, e.history]] : []));
    expect(shown).toEqual([
      ["welcome", false],
      [5, true],
      [6, true],
      ["status", true], // the end of history, once, before the live room
      [7, false],
    ]);
    receive({ type: "join", seq: 8, ts: 1, name: "ann" }, message(9, "ann"), message(10));
    expect(sink.take().map((e) => (e.kind === "show" && e.item.type !== "welcome" && "seq" in e.item ? e.item.seq : e.kind))).toEqual([10]);
  });

  test("a repeated welcome (for a repeated hello) changes nothing", () => {
    const { session, sink, receive, login } = member();
    login();
    receive(welcome());
    expect(sink.take()).toEqual([]);
    expect(session.state).toBe("in");
  });

  test("a second challenge while in the room is ignored", () => {
    const { sink, receive, login } = member();
    login();
    receive(challenge("d".repeat(32)));
    expect(sink.take()).toEqual([]);
  });
});

describe("Karn: only an exchange sent once gives a round-trip sample", () => {
  /** Whether the first say is resent 100 ms after it went out: only with a measured (short) round trip. */
  const resentAfter100 = (m: ReturnType<typeof member>) => {
    m.session.say({ text: "hi" }, m.clock.now);
    expect(m.sink.sentTypes()).toEqual(["say"]);
    m.advance(TIMERS.minRtoMs);
    return m.sink.sentTypes().includes("say");
  };

  test("a welcome to the one hello sent: its round trip sets the timeout", () => {
    const m = member();
    m.session.begin(m.clock.now);
    m.receive(challenge());
    m.clock.now += 10;
    m.receive(welcome());
    m.sink.take();
    expect(resentAfter100(m)).toBe(true);
  });

  test("a welcome after a repeated hello: no sample, the initial timeout", () => {
    const m = member();
    m.session.begin(m.clock.now);
    m.receive(challenge());
    m.advance(TIMERS.retryMs); // the hello again
    m.clock.now += 10;
    m.receive(welcome());
    m.sink.take();
    expect(resentAfter100(m)).toBe(false);
    m.advance(TIMERS.initialRtoMs - TIMERS.minRtoMs);
    expect(m.sink.sentTypes()).toEqual(["say"]);
  });

  test("a retransmitted say's ack gives no sample either", () => {
    const m = member();
    m.session.begin(m.clock.now);
    m.receive(challenge());
    m.advance(TIMERS.retryMs);
    m.receive(welcome());
    m.session.say({ text: "a" }, m.clock.now);
    m.advance(TIMERS.initialRtoMs); // resent
    expect(m.sink.sent().filter((s) => s.type === "say")).toHaveLength(2);
    m.clock.now += 10;
    m.receive({ type: "ack", id: 1, seq: 1 });
    m.sink.take();
    expect(resentAfter100(m)).toBe(false);
  });
});

describe("losing the server and coming back", () => {
  test("a closed connection (a web page's WebSocket) is a loss at once: knocks again, same nonce, back as before", () => {
    const m = member();
    m.login({ seq: 3 });
    m.sink.take();
    m.session.disconnected(m.clock.now);
    expect(m.session.state).toBe("lost");
    expect(m.sink.take()).toEqual([
      { kind: "log", level: "warn", text: "lost the server 127.0.0.1:8001 (the connection closed); trying to join 127.0.0.1:8001 as ann…" },
    ]);
    m.session.disconnected(m.clock.now); // said once
    expect(m.sink.take()).toEqual([]);
    m.advance(25);
    expect(m.sink.sentTypes()).toEqual(["knock"]);
    m.receive(challenge());
    expect(m.sink.sent()).toEqual([{ type: "hello", name: "ann", nonce: NONCE, cookie: "c".repeat(32) }]);
    m.receive(welcome({ seq: 3 }));
    expect(m.session.state).toBe("in");
  });

  test("a closed connection before the welcome changes nothing: the login goes on knocking", () => {
    const { session, sink } = member();
    session.begin(1000);
    sink.take();
    session.disconnected(1000);
    expect(session.state).toBe("joining");
    expect(sink.take()).toEqual([]);
  });

  test("silence for serverSilenceMs: lost; knocks every rejoinMs; welcomed back under the same nonce; says in flight resent", () => {
    const { session, sink, advance, receive, login, clock } = member();
    login();
    session.say({ text: "hi", ref: 7 }, clock.now);
    sink.take();
    advance(TIMERS.serverSilenceMs);
    expect(sink.take()).toEqual([
      { kind: "log", level: "warn", text: "lost the server 127.0.0.1:8001 (nothing heard for 6 s); trying to join 127.0.0.1:8001 as ann…" },
      { kind: "pending", ref: 7, how: "waiting" },
    ]);
    expect(session.state).toBe("lost");
    advance(25);
    expect(sink.sent()).toEqual([padded({ type: "knock" }, KNOCK_BYTES)]);
    advance(TIMERS.rejoinMs - 1);
    expect(sink.sentTypes()).toEqual([]);
    advance(1);
    expect(sink.sentTypes()).toEqual(["knock"]);
    receive(challenge("e".repeat(32)));
    expect(sink.sent()).toEqual([{ type: "hello", name: "ann", nonce: NONCE, cookie: "e".repeat(32) }]);
    receive(welcome({ sid: SID2 }));
    expect(sink.take()).toEqual([
      { kind: "status", text: undefined },
      { kind: "log", level: "success", text: "back in the room as ann" },
      { kind: "pending", ref: 7, how: "sending" },
    ]);
    advance(25);
    expect(sink.sent()).toEqual([{ type: "say", sid: SID2, id: 1, base: 1, text: "hi" }]);
  });

  test("back with the same history: what was missed is asked for; with a new one, the member is told", () => {
    const m = member();
    m.login({ seq: 3 });
    m.session.portClosed(m.clock.now); // a lone server may be restarting: no hurry
    expect(m.session.state).toBe("in");
    m.advance(TIMERS.serverSilenceMs);
    m.receive(challenge());
    m.receive(welcome({ seq: 5 }));
    m.sink.take();
    m.advance(25);
    expect(m.sink.sent().filter((s) => s.type === "nack")).toEqual([{ type: "nack", sid: SID, from: 4, to: 5 }]);

    const n = member();
    n.login({ seq: 3 });
    n.advance(TIMERS.serverSilenceMs);
    n.receive(challenge());
    n.receive(welcome({ seq: 9, epoch: "e2" }));
    expect(n.sink.take().filter((e) => e.kind === "log")).toEqual([
      expect.objectContaining({ level: "warn" }),
      { kind: "log", level: "warn", text: "the server started a new room history: what was said while it was away cannot be shown" },
      { kind: "log", level: "success", text: "back in the room as ann" },
    ]);
    n.advance(25);
    expect(n.sink.sentTypes()).not.toContain("nack");
    n.receive(message(10));
    expect(n.sink.take()).toEqual([{ kind: "show", item: message(10), history: false }]);
  });

  test("unknown_session: the server forgot us, so log in again", () => {
    const { session, sink, receive, login } = member();
    login();
    receive({ type: "refused", reason: "unknown_session" });
    expect(sink.take()).toEqual([
      {
        kind: "log",
        level: "warn",
        text: "lost the server 127.0.0.1:8001 (the server no longer knows this session); trying to join 127.0.0.1:8001 as ann…",
      },
    ]);
    expect(session.state).toBe("lost");
  });

  test("a tick of this history makes a lost tail a gap; one of another history does not", () => {
    const { sink, receive, advance, login } = member();
    login();
    receive({ type: "tick", seq: 2, epoch: "other", ts: 1 });
    advance(25);
    expect(sink.sentTypes()).toEqual([]);
    receive({ type: "tick", seq: 2, epoch: "e1", ts: 1 });
    advance(25);
    expect(sink.sent()).toEqual([{ type: "nack", sid: SID, from: 1, to: 2 }]);
  });

  test("lost events are skipped and said so, once asked for; a lost not asked for changes nothing", () => {
    const { sink, receive, login, advance } = member();
    login();
    receive(message(3));
    receive({ type: "lost", from: 1, to: 2 }); // before the nack: not believed
    expect(sink.take()).toEqual([{ kind: "log", level: "debug", text: "ignored a lost 1-2 not asked for" }]);
    advance(25);
    expect(sink.sent()).toEqual([{ type: "nack", sid: SID, from: 1, to: 2 }]);
    sink.take();
    receive({ type: "lost", from: 1, to: 9 }); // past what was asked for
    receive({ type: "lost", from: 1, to: 2 });
    expect(sink.take()).toEqual([
      { kind: "log", level: "debug", text: "ignored a lost 1-9 not asked for" },
      { kind: "log", level: "warn", text: "events 1-2 are no longer kept by the server and cannot be shown" },
      { kind: "show", item: message(3), history: false },
    ]);
  });
});

describe("saying", () => {
  test("before the welcome nothing is sent; a say that could never be sent is refused here", () => {
    const { session, sink, clock, login } = member();
    session.say({ text: "hi", ref: 3 }, clock.now);
    expect(sink.take()).toEqual([
      { kind: "log", level: "error", text: "not in the room: message not sent" },
      { kind: "settled", ref: 3, problem: "not in the room: message not sent" },
    ]);
    login();
    session.say({ text: "x".repeat(1001), ref: 4 }, clock.now);
    const [logged, settled] = sink.take();
    expect(logged).toMatchObject({ kind: "log", level: "error" });
    expect(settled).toMatchObject({ kind: "settled", ref: 4 });
    expect(settled?.kind === "settled" && settled.problem?.startsWith("message not sent: ")).toBe(true);
  });

  test("a say goes out at once; its ack settles it and its number is skipped in the stream", () => {
    const { session, sink, clock, receive, login } = member();
    login();
    session.say({ text: "hi", ref: 1 }, clock.now);
    session.say({ text: "waves", me: true }, clock.now);
    session.say({ text: "psst", to: "bob", ref: 2 }, clock.now);
    expect(sink.sent()).toEqual([
      { type: "say", sid: SID, id: 1, base: 1, text: "hi" },
      { type: "say", sid: SID, id: 2, base: 1, text: "waves", me: true },
      { type: "say", sid: SID, id: 3, base: 1, text: "psst", to: "bob" },
    ]);
    receive({ type: "ack", id: 1, seq: 1 }, message(2));
    expect(sink.take()).toEqual([
      { kind: "settled", ref: 1 },
      { kind: "show", item: message(2), history: false },
    ]);
  });

  test("a say not confirmed within giveUpMs is reported, naming it", () => {
    const { session, sink, clock, advance, receive, login } = member();
    login();
    session.say({ text: "hi", ref: 5 }, clock.now);
    for (let t = 0; t < TIMERS.giveUpMs - 1000; t += 1000) {
      advance(1000);
      receive({ type: "tick", seq: 0, epoch: "e1", ts: 1 }); // the server is there, the say is not acknowledged
    }
    sink.take();
    advance(1000);
    const problem = 'not delivered (the server did not confirm it): "hi"';
    expect(sink.take().filter((e) => e.kind !== "send")).toEqual([
      { kind: "log", level: "error", text: problem },
      { kind: "settled", ref: 5, problem },
    ]);
  });

  test("waiting: the say the server waits for goes out again at once", () => {
    const { session, sink, clock, receive, login } = member();
    login();
    session.say({ text: "a" }, clock.now);
    sink.take();
    clock.now += TIMERS.minRtoMs;
    receive({ type: "waiting", id: 1 });
    expect(sink.sent()).toEqual([{ type: "say", sid: SID, id: 1, base: 1, text: "a" }]);
  });

  test("a heartbeat when nothing else went out for heartbeatMs", () => {
    const { sink, advance, receive, login } = member();
    login();
    advance(TIMERS.heartbeatMs - 1);
    expect(sink.sentTypes()).toEqual([]);
    advance(1);
    expect(sink.sent()).toEqual([{ type: "ping", sid: SID }]);
    receive({ type: "tick", seq: 0, epoch: "e1", ts: 1 });
    advance(TIMERS.heartbeatMs - 1);
    expect(sink.sentTypes()).toEqual([]);
  });
});

describe("leaving", () => {
  test("politely: waits for the says in flight, then bye until acknowledged", () => {
    const { session, sink, clock, advance, receive, login } = member();
    login();
    session.say({ text: "hi", ref: 1 }, clock.now);
    sink.take();
    session.leave(clock.now);
    expect(session.state).toBe("leaving");
    expect(sink.sentTypes()).toEqual([]);
    receive({ type: "ack", id: 1, seq: 1 });
    expect(sink.take()).toEqual([{ kind: "settled", ref: 1 }]);
    advance(25);
    expect(sink.sent()).toEqual([{ type: "bye", sid: SID, id: 2 }]);
    advance(TIMERS.byeRetryMs - 25);
    expect(sink.sentTypes()).toEqual([]);
    advance(25);
    expect(sink.sent()).toEqual([{ type: "bye", sid: SID, id: 2 }]);
    receive({ type: "ack", id: 2 });
    expect(sink.take()).toEqual([{ kind: "end", how: "left" }]);
    expect(session.state).toBe("done");
  });

  test("the bye is given up on after byeTimeoutMs", () => {
    const { session, sink, clock, advance, login } = member();
    login();
    session.leave(clock.now);
    expect(sink.sentTypes()).toEqual(["bye"]);
    advance(TIMERS.byeTimeoutMs - 1);
    expect(sink.take().some((e) => e.kind === "end")).toBe(false);
    advance(1);
    expect(sink.take()).toEqual([{ kind: "end", how: "left" }]);
  });

  test("asked twice, it stops waiting: the says in flight are reported and the bye goes out", () => {
    const { session, sink, clock, login } = member();
    login();
    session.say({ text: "hi", ref: 4 }, clock.now);
    session.leave(clock.now);
    sink.take();
    session.leave(clock.now);
    const problem = 'not delivered: "hi"';
    expect(sink.take()).toEqual([
      { kind: "log", level: "error", text: problem },
      { kind: "settled", ref: 4, problem },
      { kind: "send", msg: { type: "bye", sid: SID, id: 2 }, to: 0 },
    ]);
  });

  test("the server lost while leaving with nothing to deliver: the member just goes", () => {
    const { session, sink, clock, advance, login, receive } = member();
    login();
    session.say({ text: "hi" }, clock.now);
    receive({ type: "ack", id: 1, seq: 1 });
    session.leave(clock.now);
    sink.take();
    advance(TIMERS.serverSilenceMs);
    expect(sink.take().at(-1)).toEqual({ kind: "end", how: "left" });
  });

  test("abandoned (the parent died): two byes with one id, and gone", () => {
    const { session, sink, clock, login } = member();
    login();
    session.abandon(clock.now);
    expect(sink.take()).toEqual([
      { kind: "send", msg: { type: "bye", sid: SID, id: 1 }, to: 0 },
      { kind: "send", msg: { type: "bye", sid: SID, id: 1 }, to: 0 },
      { kind: "end", how: "left" },
    ]);
    session.leave(clock.now);
    session.tick(clock.now + 10_000);
    expect(sink.take()).toEqual([]);
  });

  test("leaving before the welcome (or while lost) ends at once, without a bye", () => {
    const { session, sink, clock } = member();
    session.begin(clock.now);
    sink.take();
    session.leave(clock.now);
    expect(sink.take()).toEqual([{ kind: "end", how: "left" }]);
  });
});
