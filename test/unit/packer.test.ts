// Adaptive batching without sockets: a quiet room's event goes alone (its sender left out), a burst shares datagrams.

import { expect, test } from "bun:test";
import { Packer } from "../../src/core/room/packer.ts";
import { decode, encode, MAX_PAYLOAD_BYTES, type RoomEvent } from "../../src/core/wire/protocol.ts";

const event = (seq: number, text = "x".repeat(100)): RoomEvent => ({ type: "message", seq, ts: 1_795_000_000_000, from: "alice", text });

test("one event is one datagram, the same bytes, with its sender left out", () => {
  const packer = new Packer();
  const bytes = encode(event(1));
  packer.add(bytes, "s1");
  expect(packer.take()).toEqual([{ bytes, except: "s1" }]);
  expect(packer.pending).toBe(0);
  expect(packer.take()).toEqual([]);
});

test("a burst is packed in order into datagrams that each fit, and decode back to every event", () => {
  const packer = new Packer();
  for (let seq = 1; seq <= 100; seq++) packer.add(encode(event(seq)), `s${seq}`);
  const packets = packer.take();
  expect(packets.length).toBeGreaterThan(1);
  expect(packets.length).toBeLessThan(25);
  for (const p of packets) {
    expect(p.bytes.length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(p.except).toBeUndefined(); // several events: everyone gets all of them
  }
  const seqs = packets.flatMap((p) => decode(p.bytes)).map((m) => (m as RoomEvent).seq);
  expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
});

test("an event as large as a datagram goes alone; its neighbours are packed around it", () => {
  const packer = new Packer();
  const big = encode(event(2, "y".repeat(1000)));
  packer.add(encode(event(1)));
  packer.add(big);
  packer.add(encode(event(3)));
  const packets = packer.take();
  expect(packets.map((p) => decode(p.bytes).map((m) => (m as RoomEvent).seq))).toEqual([[1], [2], [3]]);
});
