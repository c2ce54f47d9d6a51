// Failover between the servers of a cluster, without sockets: which server, when to move on, round and round.

import { describe, expect, test } from "bun:test";
import { Servers } from "../../../src/core/member/servers.ts";
import { TIMERS } from "../../../src/core/wire/protocol.ts";
import { A, B, challenge, member, welcome } from "./fixture.ts";

/** The servers the knocks went to since the last take. */
const knockedAt = (m: ReturnType<typeof member>) =>
  m.sink.take().flatMap((e) => (e.kind === "send" && e.msg.type === "knock" ? [e.to] : []));

describe("Servers", () => {
  test("one server: slow to give up, never overdue", () => {
    const s = new Servers(1, 0);
    expect([s.several, s.silenceMs, s.rejoinEveryMs, s.loginDeadlineMs]).toEqual([
      false,
      TIMERS.serverSilenceMs,
      TIMERS.rejoinMs,
      TIMERS.answerTimeoutMs,
    ]);
    expect(s.overdue(1_000_000)).toBe(false);
  });

  test("several: quick to move on, round and round", () => {
    const s = new Servers(3, 0);
    expect([s.several, s.silenceMs, s.rejoinEveryMs, s.loginDeadlineMs]).toEqual([
      true,
      TIMERS.failoverSilenceMs,
      TIMERS.retryMs,
      3 * TIMERS.answerTimeoutMs,
    ]);
    expect(s.overdue(TIMERS.failoverTryMs - 1)).toBe(false);
    expect(s.overdue(TIMERS.failoverTryMs)).toBe(true);
    const visited = [s.at];
    for (let i = 0; i < 4; i++) {
      s.next(i);
      visited.push(s.at);
    }
    expect(visited).toEqual([0, 1, 2, 0, 1]);
    expect(s.overdue(3 + TIMERS.failoverTryMs - 1)).toBe(false);
  });
});

describe("a member with two servers", () => {
  test("joining: the next server after failoverTryMs without a welcome, round and round, until each had its answer timeout", () => {
    const m = member({ servers: [A, B] });
    m.session.begin(m.clock.now);
    expect(knockedAt(m)).toEqual([0]);
    m.advance(TIMERS.retryMs);
    expect(knockedAt(m)).toEqual([0]);
    m.advance(TIMERS.failoverTryMs - TIMERS.retryMs);
    expect(m.sink.take()).toEqual([
      { kind: "log", level: "info", text: "no answer from 127.0.0.1:8001: trying 127.0.0.1:8002…" },
      { kind: "status", text: "trying 127.0.0.1:8002…" },
      { kind: "send", msg: expect.objectContaining({ type: "knock" }), to: 1 },
    ]);
    m.advance(TIMERS.failoverTryMs);
    expect(m.sink.take().filter((e) => e.kind !== "send")).toEqual([
      { kind: "log", level: "info", text: "no answer from 127.0.0.1:8002: trying 127.0.0.1:8001…" },
      { kind: "status", text: "trying 127.0.0.1:8001…" },
    ]);
    expect(m.session.server).toBe(0);
    m.advance(2 * TIMERS.answerTimeoutMs - 2 * TIMERS.failoverTryMs);
    expect(m.sink.take().slice(-2)).toEqual([
      { kind: "log", level: "error", text: "no answer from 127.0.0.1:8001, 127.0.0.1:8002 within 6 s: is `chat serve` running there?" },
      { kind: "end", how: "no_answer" },
    ]);
  });

  test("a challenge from the first server, then silence: the next server starts from a knock", () => {
    const m = member({ servers: [A, B] });
    m.session.begin(m.clock.now);
    m.receive(challenge());
    m.sink.take();
    m.advance(TIMERS.failoverTryMs);
    expect(m.sink.sent().at(-1)).toMatchObject({ type: "knock" });
  });

  test("in the room: silence for failoverSilenceMs moves on at once; the new server is tried at retryMs, then the next", () => {
    const m = member({ servers: [A, B] });
    m.login();
    m.advance(TIMERS.failoverSilenceMs);
    expect(m.sink.take()).toEqual([
      { kind: "log", level: "warn", text: "lost the server 127.0.0.1:8001 (nothing heard for 3 s); trying to join 127.0.0.1:8002 as ann…" },
    ]);
    m.advance(25);
    expect(knockedAt(m)).toEqual([1]);
    m.advance(TIMERS.retryMs);
    expect(knockedAt(m)).toEqual([1]);
    m.advance(TIMERS.failoverTryMs - TIMERS.retryMs - 25);
    expect(m.sink.take().filter((e) => e.kind === "log")).toEqual([
      { kind: "log", level: "info", text: "no answer from 127.0.0.1:8002: trying 127.0.0.1:8001…" },
    ]);
    m.receive(challenge());
    m.receive(welcome({ sid: "d".repeat(32) }));
    expect(m.session.state).toBe("in");
    expect(
      m.sink
        .take()
        .filter((e) => e.kind === "send")
        .map((e) => e.kind === "send" && e.to),
    ).toEqual([0]);
  });

  test("the server's port closed (ICMP): lost at once, and on to the next", () => {
    const m = member({ servers: [A, B] });
    m.login();
    m.session.portClosed(m.clock.now);
    expect(m.session.state).toBe("lost");
    expect(m.session.server).toBe(1);
    m.session.portClosed(m.clock.now); // only once in the room
    expect(m.session.server).toBe(1);
  });
});
