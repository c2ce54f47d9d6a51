// The load process's pieces without sockets: its arguments with browser members, one decode per distinct text, latencies of both kinds together, the web scenarios' sizes.

import { describe, expect, test } from "bun:test";
import { loadArgs, parseLoadArgs } from "../../bench/load-protocol.ts";
import { FrameCache, Latencies, Tally } from "../../bench/load-tools.ts";
import { scenarios } from "../../bench/scenarios.ts";
import { proofKey, prove } from "../../src/core/wire/proof.ts";
import { ABUSE, encode, encodeFrame, type Message, packFrames } from "../../src/core/wire/protocol.ts";

const base = { ports: [4000], members: 100, mode: "rate" as const, messages: 0, rate: 1000, seconds: 1, textBytes: 100, drainSeconds: 3 };

describe("the load process's arguments", () => {
  test("browser members and the web ports go there and back", () => {
    const opts = { ...base, web: 50, webPorts: [4001, 4002] };
    expect(parseLoadArgs(loadArgs(opts))).toEqual(opts);
    const none = { ...base, web: 0, webPorts: [] };
    expect(parseLoadArgs(loadArgs(none))).toEqual(none);
  });

  test("more browsers than members, browsers without a web port, or past one address's WebSockets are refused", () => {
    const args = (web: number, webPorts: number[]) => loadArgs({ ...base, members: 5000, web, webPorts });
    expect(() => parseLoadArgs(loadArgs({ ...base, web: 101, webPorts: [4001] }))).toThrow("--web: 101 browser members of only 100");
    expect(() => parseLoadArgs(args(10, []))).toThrow("need --web-port");
    const limit = ABUSE.webConnectionsPerAddress;
    expect(parseLoadArgs(args(limit, [4001])).web).toBe(limit);
    expect(() => parseLoadArgs(args(limit + 1, [4001]))).toThrow(`at most ${limit} browser members per server`);
    expect(parseLoadArgs(args(limit + 1, [4001, 4002])).web).toBe(limit + 1);
  });
});

describe("FrameCache", () => {
  const ts = 1_795_000_000_000;
  const tick: Message = { type: "tick", seq: 7, epoch: "0a1b2c3d4e5f6789", ts };
  const said: Message = { type: "message", seq: 8, ts, from: "m0", text: "T1.000 xxxx" };
  const text = new TextDecoder().decode(packFrames([encodeFrame(tick), encodeFrame(said)]));

  test("a WebSocket text decodes to its frames, once for every member that gets the same text", () => {
    const cache = new FrameCache();
    const first = cache.text(text);
    expect(first?.map((m) => m.type)).toEqual(["tick", "message"]);
    expect(cache.text(text.slice(0, 10) + text.slice(10))).toBe(first!); // another string of the same text: not decoded again
  });

  test("a text that is not this protocol's frames is undefined, and so is a datagram that is not UTF-8", () => {
    const cache = new FrameCache();
    expect(cache.text("hello")).toBeUndefined();
    expect(cache.frames(new Uint8Array([0xff, 0xfe]))).toBeUndefined();
  });

  test("a proven datagram and a WebSocket text of the same frames read alike", () => {
    const cache = new FrameCache();
    const datagram = prove(proofKey("0123456789abcdef"), "server", 1, encode(tick));
    expect(cache.frames(datagram)).toEqual(cache.text(encodeFrame(tick))!);
  });
});

describe("latencies per kind of receiver", () => {
  test("each kind's samples apart, and both together for the run's figures", () => {
    const udp = new Tally();
    const web = new Tally();
    for (const ms of [1, 2, 3]) udp.add(10, ms);
    web.add(20, 100);
    expect([udp.delivered, web.delivered, udp.lastDeliveryAt, web.lastDeliveryAt]).toEqual([3, 1, 10, 20]);
    expect(udp.latencies.summary()).toEqual({ p50: 2, p99: 3, max: 3 });
    const both = udp.latencies.concat(web.latencies);
    expect(both.count).toBe(4);
    expect(both.summary()).toEqual({ p50: 2, p99: 100, max: 100 });
    expect(new Latencies(0).concat(new Latencies(0)).summary()).toEqual({ p50: null, p99: null, max: null });
  });
});

describe("the web scenarios", () => {
  const web = (quick: boolean) => scenarios(quick).filter((s) => s.name.startsWith("web"));

  test("browser and UDP members in one room with a sender, and idle browser members alone, in both sizes", () => {
    for (const quick of [true, false]) {
      const loads = web(quick).map((s) => (s.kind === "load" ? s.load : undefined));
      expect(loads.map((l) => l?.mode)).toEqual(["count", "rate", "idle"]);
      for (const room of loads.slice(0, 2)) expect(room && room.web > 0 && room.web < room.members).toBe(true);
      const idle = loads[2];
      expect(idle && idle.web === idle.members).toBe(true);
      for (const l of loads) expect(l!.web).toBeLessThanOrEqual(ABUSE.webConnectionsPerAddress);
    }
  });

  test("CI's quick run stays small; the full run idles 1,000 browser members", () => {
    for (const s of web(true)) if (s.kind === "load") expect(s.load.members * Math.max(1, s.load.seconds)).toBeLessThanOrEqual(1000);
    for (const s of web(true)) if (s.kind === "load") expect(s.load.messages).toBeLessThanOrEqual(2000);
    const idle = web(false).find((s) => s.name === "web idle");
    expect(idle?.kind === "load" && idle.load.web).toBe(1000);
  });
});
