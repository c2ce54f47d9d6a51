// The server's side of liveness, through its links: probes before a timeout, the ghost rule's probe, the goodbye on stop.

import { expect, test } from "bun:test";
import { Housekeeping } from "../../../src/server/housekeeping.ts";
import { enter, memoryRooms, NOW, nonce, RecordingUdp, recordingLog, recordingRequester } from "./fakes.ts";

const TIMEOUT = 5000;
const types = (udp: RecordingUdp) => udp.take().map((s) => [s.to.port, JSON.parse(s.text).type]);

test("housekeeping probes a silent member at 60% of the timeout and again every 500 ms; one that answers stays", async () => {
  const udp = new RecordingUdp();
  const { log } = recordingLog();
  let now = NOW;
  const rooms = await memoryRooms(udp, log, () => now);
  const housekeeping = new Housekeeping({ rooms, peerTimeoutMs: TIMEOUT, log }, NOW);
  const room = rooms.lobby!.room;
  const at = (port: number) => ({ address: "10.0.0.1", port });
  const alive = enter(room, "alive", at(1), NOW);
  enter(room, "dead", at(2), NOW);
  udp.take();
  for (now = NOW; now <= NOW + TIMEOUT + 250; now += 250) {
    housekeeping.turn(now);
    // the live one answers every probe at once, with a ping
    if (udp.sent.some((s) => s.to.port === 1 && s.text.includes('"probe"'))) room.ping({ type: "ping", sid: alive }, at(1), now);
    const probes = udp.sent.filter((s) => s.text.includes('"probe"')).map((s) => `${now - NOW} ${s.to.port}`);
    if (probes.length > 0) expect(probes.every((p) => Number(p.split(" ")[0]) >= TIMEOUT * 0.6)).toBe(true);
    if (now === NOW + 3000) expect(probes).toEqual(["3000 1", "3000 2"]);
    if (now === NOW + 3250) expect(probes).toEqual([]);
    if (now === NOW + 3500) expect(probes).toEqual(["3500 2"]); // the dead one again; the live one answered
    udp.take();
  }
  expect(room.names()).toEqual(["alive"]);
});

test("a killed member is probed, then removed at the timeout; the others see it time out", async () => {
  const udp = new RecordingUdp();
  const { log } = recordingLog();
  let now = NOW;
  const rooms = await memoryRooms(udp, log, () => now);
  const housekeeping = new Housekeeping({ rooms, peerTimeoutMs: TIMEOUT, log }, NOW);
  const room = rooms.lobby!.room;
  const talker = enter(room, "talker", { address: "10.0.0.1", port: 1 }, NOW);
  enter(room, "gone", { address: "10.0.0.2", port: 2 }, NOW);
  udp.take();
  const probed: number[] = [];
  for (now = NOW; now <= NOW + TIMEOUT + 250; now += 250) {
    room.ping({ type: "ping", sid: talker }, { address: "10.0.0.1", port: 1 }, now);
    housekeeping.turn(now);
    for (const s of udp.take()) {
      const msg = JSON.parse(s.text);
      if (msg.type === "probe") probed.push(now - NOW);
      if (msg.type === "leave") {
        expect(msg).toMatchObject({ name: "gone", reason: "timeout" });
        expect(now - NOW).toBe(TIMEOUT + 250); // the first turn past the timeout
      }
    }
  }
  expect(probed).toEqual([3000, 3500, 4000, 4500, 5000]);
  expect(room.names()).toEqual(["talker"]);
});

test("a hello for a name held from the same IP probes the holder through the room's link, and answers nothing yet", async () => {
  const udp = new RecordingUdp();
  const { log } = recordingLog();
  const rooms = await memoryRooms(udp, log);
  const { backend } = rooms.lobby!;
  const old = { address: "10.0.0.1", port: 1 };
  enter(rooms.lobby!.room, "dave", old, NOW);
  udp.take();
  const newcomer = recordingRequester({ address: "10.0.0.1", port: 2 });
  await backend.hello({ type: "hello", name: "dave", nonce: nonce(99) }, newcomer.from, newcomer);
  expect(newcomer.replies).toEqual([]);
  expect(types(udp)).toEqual([[1, "probe"]]);
});

test("stopping: every member of every room is told, after what was held back", async () => {
  const udp = new RecordingUdp();
  const { log } = recordingLog();
  const rooms = await memoryRooms(udp, log);
  enter(rooms.lobby!.room, "alice", { address: "10.0.0.1", port: 1 }, NOW);
  const ops = await rooms.enter("ops", "10.0.0.2", NOW);
  if (typeof ops === "string") throw new Error(`no room: ${ops}`);
  enter(ops.room, "bob", { address: "10.0.0.2", port: 2 }, NOW);
  enter(ops.room, "carol", { address: "10.0.0.3", port: 3 }, NOW);
  udp.take();
  rooms.stopping();
  expect(types(udp).sort()).toEqual([
    [1, "stopping"],
    [2, "stopping"],
    [3, "stopping"],
  ]);
});
