// The fault-injection relay itself: it forwards faithfully, injects each fault at about its rate, and does so reproducibly.

import { afterEach, describe, expect, test } from "bun:test";
import { type Faults, LossyRelay, mulberry32 } from "../helpers/lossy-relay.ts";
import { local, openTestSocket, type UdpEndpoint } from "../helpers/socket.ts";
import { waitUntil } from "../helpers/wait.ts";

const NONE: Faults = { loss: 0, duplicate: 0, reorder: 0 };

interface Datagram {
  seq: number;
  bytes: Uint8Array;
  port: number;
}

/** A plain socket on 127.0.0.1 that records what it gets and, as a fake server, can echo it back. */
class Peer {
  readonly received: Datagram[] = [];

  private constructor(private readonly socket: UdpEndpoint) {}

  static async open(echo = false): Promise<Peer> {
    let peer: Peer | undefined;
    const socket: UdpEndpoint = await openTestSocket((data, from) => {
      peer?.received.push({ seq: seqOf(data), bytes: data.slice(), port: from.port });
      if (echo) socket.send(data, from);
    });
    peer = new Peer(socket);
    sockets.push(peer);
    return peer;
  }

  get port(): number {
    return this.socket.port;
  }

  /** openUdp's send retries the one send an ICMP error from a closed relay port spoils. */
  send(data: Uint8Array, port: number): void {
    this.socket.send(data, local(port));
  }

  seqs(): number[] {
    return this.received.map((d) => d.seq);
  }

  close(): void {
    this.socket.close();
  }
}

const sockets: Peer[] = [];
const relays: LossyRelay[] = [];

afterEach(() => {
  for (const r of relays.splice(0)) r.close();
  for (const s of sockets.splice(0)) s.close();
});

async function relayTo(server: Peer, seed: number, faults: Faults): Promise<LossyRelay> {
  const relay = await LossyRelay.start({ serverPort: server.port, seed, faults });
  relays.push(relay);
  return relay;
}

/** Bytes 0 and 255 ride along with the sequence number, to show binary data passes untouched. */
function datagram(seq: number): Uint8Array {
  const bytes = new Uint8Array([0, 0, 0, 0, 0, 255, 10, 13]);
  new DataView(bytes.buffer).setUint32(0, seq);
  return bytes;
}

function seqOf(bytes: Uint8Array): number {
  return bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0) : -1;
}

/** Every wait of this file: the relay and its peers share this process, so a short poll keeps the bursts quick. */
const settle = (check: () => boolean, what: string) => waitUntil(check, 2000, what, 1);

/**
 * Sends `count` datagrams in small bursts, waiting after each until `settled` holds.
 * Sender and receivers share this process, so one big burst would overflow a socket's receive buffer
 * before anyone reads it, and the kernel's drops would be mistaken for the relay's.
 */
async function pump(from: Peer, relay: LossyRelay, count: number, settled: (sent: number) => boolean): Promise<void> {
  const BURST = 50;
  for (let sent = 0; sent < count; ) {
    const end = Math.min(count, sent + BURST);
    for (; sent < end; sent++) from.send(datagram(sent), relay.port);
    const upTo = sent;
    await settle(() => settled(upTo), `the relay and its peers to settle after ${upTo} datagrams`);
  }
}

/** Settled: the relay has read every datagram and the server has everything the relay has sent so far. */
const serverCaughtUp = (relay: LossyRelay, server: Peer) => (sent: number) =>
  relay.stats.toServer.received === sent && server.received.length === relay.stats.toServer.forwarded + relay.stats.toServer.duplicated;

const isInOrder = (seqs: number[]) => seqs.every((s, i) => i === 0 || s > seqs[i - 1]!);

describe("mulberry32", () => {
  test("is reproducible from its seed and stays in [0, 1)", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(43)()).not.toBe(xs[0]!);
  });
});

describe("LossyRelay", () => {
  test("without faults, every datagram goes through and back in order, from the relay's own address", async () => {
    const server = await Peer.open(true);
    const member = await Peer.open();
    const relay = await relayTo(server, 1, NONE);
    expect(relay.address).toBe(`127.0.0.1:${relay.port}`);

    await pump(member, relay, 200, (sent) => member.received.length === sent);

    const expected = Array.from({ length: 200 }, (_, i) => i);
    expect(member.seqs()).toEqual(expected);
    expect(member.received.every((d, i) => d.port === relay.port && d.bytes.join() === datagram(i).join())).toBe(true);
    expect(server.seqs()).toEqual(expected);
    const sources = new Set(server.received.map((d) => d.port));
    expect(sources.size).toBe(1);
    expect(sources.has(member.port)).toBe(false);
    expect(sources.has(relay.port)).toBe(false);
    expect(relay.stats).toEqual({
      toServer: { received: 200, forwarded: 200, dropped: 0, duplicated: 0, reordered: 0 },
      toMember: { received: 200, forwarded: 200, dropped: 0, duplicated: 0, reordered: 0 },
    });
  });

  test("loss drops about its share, the counts add up, and the same seed drops the same datagrams", async () => {
    const run = async (seed: number) => {
      const server = await Peer.open();
      const member = await Peer.open();
      const relay = await relayTo(server, seed, { ...NONE, loss: 0.3 });
      await pump(member, relay, 1000, serverCaughtUp(relay, server));
      return { seqs: server.seqs(), stats: relay.stats.toServer };
    };

    const first = await run(7);
    expect(first.seqs.length).toBeGreaterThanOrEqual(600);
    expect(first.seqs.length).toBeLessThanOrEqual(800);
    expect(first.stats.received).toBe(1000);
    expect(first.stats.dropped + first.stats.forwarded).toBe(first.stats.received);
    expect(first.stats.forwarded).toBe(first.seqs.length);

    const again = await run(7);
    expect(again.seqs.length).toBe(first.seqs.length);
    expect(again.seqs).toEqual(first.seqs);

    const otherSeed = await run(8);
    expect(otherSeed.seqs).not.toEqual(first.seqs);
  });

  test("duplication delivers extra copies and loses nothing", async () => {
    const server = await Peer.open();
    const member = await Peer.open();
    const relay = await relayTo(server, 3, { ...NONE, duplicate: 0.5 });

    await pump(member, relay, 1000, serverCaughtUp(relay, server));

    expect(server.received.length).toBeGreaterThan(1000);
    expect(new Set(server.seqs()).size).toBe(1000);
    expect(relay.stats.toServer.duplicated).toBe(server.received.length - 1000);
    expect(relay.stats.toServer.forwarded).toBe(1000);
  });

  test("reordering delivers everything, but not in order", async () => {
    const server = await Peer.open();
    const member = await Peer.open();
    const relay = await relayTo(server, 5, { ...NONE, reorder: 0.3, reorderDelayMs: 5 });

    await pump(member, relay, 500, serverCaughtUp(relay, server));
    await settle(() => server.received.length === 500, "the held-back datagrams");

    const seqs = server.seqs();
    expect(new Set(seqs).size).toBe(500);
    expect(isInOrder(seqs)).toBe(false);
    expect(relay.stats.toServer.reordered).toBeGreaterThan(0);
    expect(relay.stats.toServer.forwarded).toBe(500);
  });

  test("two relays make two members look like two distinct addresses to the server", async () => {
    const server = await Peer.open(true);
    const alice = await Peer.open();
    const bob = await Peer.open();
    const viaAlice = await relayTo(server, 1, NONE);
    const viaBob = await relayTo(server, 1, NONE);

    alice.send(datagram(1), viaAlice.port);
    bob.send(datagram(2), viaBob.port);
    await settle(() => alice.received.length === 1 && bob.received.length === 1, "both echoes");

    expect(new Set(server.received.map((d) => d.port)).size).toBe(2);
    // Each echo found its way back to the member behind the relay it came through.
    expect(alice.seqs()).toEqual([1]);
    expect(bob.seqs()).toEqual([2]);
  });

  test("setFaults applies at once; close() is idempotent, stops forwarding and cancels what is in flight", async () => {
    const server = await Peer.open(true);
    const member = await Peer.open();
    const relay = await relayTo(server, 9, NONE);

    member.send(datagram(0), relay.port);
    await settle(() => member.received.length === 1, "the first echo");

    relay.setFaults({ ...NONE, loss: 1 });
    for (let i = 1; i <= 50; i++) member.send(datagram(i), relay.port);
    await settle(() => relay.stats.toServer.received === 51, "the relay to read the lossy burst");
    expect(relay.stats.toServer.dropped).toBe(50);
    expect(relay.stats.toServer.forwarded).toBe(1);

    // Back to no loss: a datagram sent after the lossy burst is the first to come back, so none of the burst leaked.
    relay.setFaults(NONE);
    member.send(datagram(100), relay.port);
    await settle(() => member.received.length === 2, "the echo after the lossy burst");
    expect(server.seqs()).toEqual([0, 100]);
    expect(member.seqs()).toEqual([0, 100]);

    // Put datagrams on timers, then close before they fire.
    const delayed: Faults = { ...NONE, delayMs: 30 };
    relay.setFaults(delayed);
    for (let i = 200; i < 210; i++) member.send(datagram(i), relay.port);
    await settle(() => relay.stats.toServer.received === 62, "the relay to read the delayed burst");
    expect(relay.stats.toServer.forwarded).toBe(2);
    relay.close();
    relay.close();
    member.send(datagram(300), relay.port); // to a closed port: nobody relays it

    // A twin relay (same seed, same faults, same traffic) holds its datagrams no longer than the closed one would have,
    // so once all of the twin's have arrived, any from the closed relay would have too.
    const twin = await relayTo(server, 9, NONE);
    for (let i = 0; i < 52; i++) member.send(datagram(1000 + i), twin.port); // the same number of PRNG draws as before
    await settle(() => server.received.length === 2 + 52, "the twin to catch up");
    twin.setFaults(delayed);
    for (let i = 200; i < 210; i++) member.send(datagram(i), twin.port);
    await settle(() => server.received.length === 2 + 52 + 10, "the twin's delayed datagrams");

    const twinPort = server.received.find((d) => d.seq === 1000)!.port;
    const late = server.received.filter((d) => d.seq >= 200 && d.seq <= 300);
    expect(late.map((d) => d.port)).toEqual(Array(10).fill(twinPort));
    expect(relay.stats.toServer.forwarded).toBe(2);
    expect(relay.stats.toServer.received).toBe(62);
  });
});
