// The load process's members on real sockets against startServer in-process: a UDP member and a browser member (its WebSocket) log in, converse, and a refused WebSocket is said.

import { afterEach, expect, test } from "bun:test";
import { type Counters, countingLog, Member, type MemberHost, noCounters } from "../../bench/load-member.ts";
import { FrameCache } from "../../bench/load-tools.ts";
import { webWire } from "../../bench/load-wire.ts";
import type { RoomEvent } from "../../src/core/wire/protocol.ts";
import { type RunningServer, startServer } from "../../src/server/server.ts";
import { waitUntil } from "../helpers/wait.ts";
import { recordingLog } from "../unit/server/fakes.ts";

/** A load process of two members: it records what they are handed and acknowledges the sender's says. */
class Host implements MemberHost {
  readonly counters: Counters = noCounters();
  readonly lagging = new Set<Member>();
  readonly cache = new FrameCache();
  readonly welcomes = new Map<Member, number>();
  /** (receiver, text) of every message handed over. */
  readonly heard: Array<[string, string]> = [];
  frames = (d: Uint8Array) => this.cache.frames(d);
  textFrames = (t: string) => this.cache.text(t);
  welcomed(m: Member, seq: number): void {
    this.welcomes.set(m, seq);
  }
  delivered(m: Member, e: RoomEvent & { type: "message" }): void {
    this.heard.push([m.name, e.text]);
  }
  acked(m: Member, id: number, seq: number | undefined, now: number): void {
    if (m.outbox.ack(id, now) && seq !== undefined) m.own(seq, now);
  }
  waiting(): void {}
}

const open: Array<{ close(): void } | RunningServer> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await ("stop" in o ? o.stop() : o.close());
});

async function server(peerTimeoutMs = 30_000): Promise<RunningServer> {
  const s = await startServer({
    host: "127.0.0.1",
    port: 0,
    web: 0,
    token: "bench members",
    data: ":memory:",
    history: 0,
    peerTimeoutMs,
    rate: undefined,
    maxMembers: 10,
    log: recordingLog().log,
  });
  open.push(s);
  return s;
}

/** Opens `m`'s wire and logs it in (login resends only after TIMERS.retryMs, the client's rule; asked often, it answers the challenge at once). */
async function loggedIn(m: Member, host: Host): Promise<void> {
  await m.open(countingLog(host.counters));
  open.push(m);
  await waitUntil(
    () => {
      m.login(performance.now());
      return m.isIn || undefined;
    },
    5000,
    `${m.name}'s welcome`,
  );
}

test("a UDP member and a browser member of the load process get in and hear each other's messages", async () => {
  const s = await server();
  const host = new Host();
  const udp = new Member("m0", "00000000000000a0", host, { kind: "udp", port: s.port });
  const web = new Member("m1", "00000000000000a1", host, { kind: "web", port: s.webPort! });
  for (const m of [udp, web]) {
    await loggedIn(m, host);
  }
  expect(udp.udpPort).toBeGreaterThan(0);
  expect(web.udpPort).toBeUndefined();
  expect(web.isWeb && !udp.isWeb).toBe(true);
  const next = Math.max(...host.welcomes.values()) + 1; // after both joins, as the load process starts its streams
  for (const m of [udp, web]) m.startStream(next);

  for (const [from, text] of [
    [udp, "over UDP"],
    [web, "over a WebSocket"],
  ] as const) {
    from.outbox.add(text, performance.now());
    from.flush(performance.now());
    const to = from === udp ? web : udp;
    await waitUntil(() => host.heard.find(([name, t]) => name === to.name && t === text), 5000, `${text} at ${to.name}`);
  }
  expect(host.counters).toEqual(expect.objectContaining({ undecodable: 0, sendErrors: 0, webClosed: 0, refused: {} }));
});

test("a silent browser member answers the server's probes with a ping and stays in past the peer timeout", async () => {
  const s = await server(1000);
  const host = new Host();
  const web = new Member("m1", "00000000000000b1", host, { kind: "web", port: s.webPort! });
  await loggedIn(web, host);
  // No heartbeat is ever due here (heartbeat() is not called): only probes make it ping; the second is past 1 s.
  await waitUntil(() => host.counters.pings >= 2 || undefined, 5000, "two probes answered");
  expect(s.rooms().flatMap((r) => r.names)).toEqual(["m1"]);
});

test("a WebSocket the server will not upgrade rejects with the port", async () => {
  const s = await server();
  const refused = webWire(
    s.webPort!,
    "not hex",
    () => undefined,
    () => {},
    () => {},
  );
  await expect(refused).rejects.toThrow(`the WebSocket to 127.0.0.1:${s.webPort}/ws was refused`);
});
