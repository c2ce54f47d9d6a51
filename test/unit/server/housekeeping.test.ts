// Housekeeping's turn: silent members removed, a quiet room ticked, an empty lobby left alone, an emptied room forgotten.

import { expect, test } from "bun:test";
import { TIMERS } from "../../../src/core/wire/protocol.ts";
import { Housekeeping } from "../../../src/server/housekeeping.ts";
import { enter, memoryRooms, NOW, peer, RecordingUdp, recordingLog } from "./fakes.ts";

test("a turn removes the members silent past the timeout, tells the others, and ticks a room quiet for a heartbeat", async () => {
  const udp = new RecordingUdp();
  const { log } = recordingLog();
  let now = NOW;
  const rooms = await memoryRooms(udp, log, () => now);
  const housekeeping = new Housekeeping({ rooms, peerTimeoutMs: 10_000, log }, NOW);
  housekeeping.turn(NOW); // nobody in: nothing to send
  expect(udp.sent).toEqual([]);

  const room = rooms.lobby!.room;
  enter(room, "silent", peer(1), NOW);
  enter(room, "talker", peer(2), NOW);
  room.memberAt(peer(2))!.lastSeen = NOW + 10_000;
  now = NOW + 10_001;
  housekeeping.turn(now);
  const sent = udp.take().map((s) => [s.to.port, JSON.parse(s.text)]);
  expect(sent).toContainEqual([2, expect.objectContaining({ type: "leave", name: "silent", reason: "timeout" })]);
  expect(room.names()).toEqual(["talker"]);

  // the leave went out at `now`: the room is quiet for a heartbeat only after that
  housekeeping.turn(now + TIMERS.heartbeatMs - 1);
  expect(udp.take()).toEqual([]);
  housekeeping.turn(now + TIMERS.heartbeatMs);
  expect(udp.take().map((s) => [s.to.port, JSON.parse(s.text).type])).toEqual([[2, "tick"]]);
});

test("a room its last member timed out of is forgotten in the same turn, if nothing was said in it; the lobby stays", async () => {
  const udp = new RecordingUdp();
  const { log } = recordingLog();
  const rooms = await memoryRooms(udp, log);
  const housekeeping = new Housekeeping({ rooms, peerTimeoutMs: 10_000, log }, NOW);
  const ops = await rooms.enter("ops", peer(1).address, NOW);
  if (typeof ops === "string") throw new Error(`no room: ${ops}`);
  enter(ops.room, "silent", peer(1), NOW);
  enter(rooms.lobby!.room, "also", peer(2), NOW);
  housekeeping.turn(NOW + 1000);
  expect(rooms.all().map((h) => h.room.name)).toEqual(["lobby", "ops"]);
  housekeeping.turn(NOW + 10_001);
  expect(rooms.all().map((h) => h.room.name)).toEqual(["lobby"]);
  expect(rooms.lobby!.room.size).toBe(0);
});
