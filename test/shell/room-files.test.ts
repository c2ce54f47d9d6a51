// The rooms of a server with --data, on real SQLite files: an emptied room without history leaves no file, one with
// history keeps its file and reopens with its epoch and backlog, and a restart opens only the rooms with members.

import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LIMITS } from "../../src/core/wire/protocol.ts";
import { DatagramLink } from "../../src/server/fanout.ts";
import { ServerProofs } from "../../src/server/proofs.ts";
import { type HostedRoom, Rooms } from "../../src/server/rooms.ts";
import { enter, NOW, peer, RecordingUdp, recordingLog } from "../unit/server/fakes.ts";

const PORT = 4000;
const dirs: string[] = [];
const opened: Rooms[] = [];
afterEach(() => {
  for (const r of opened.splice(0)) r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A server's rooms on `dir`, started (a restart is another one on the same dir, the first closed). */
async function roomsOn(dir: string, newRooms?: { count: number; windowMs: number }): Promise<Rooms> {
  const udp = new RecordingUdp();
  const rooms = new Rooms({
    data: dir,
    port: PORT,
    history: 20,
    rate: undefined,
    maxMembers: 1000,
    ...(newRooms ? { newRooms } : {}),
    transports: [(room) => new DatagramLink({ room, udp, seal: (b) => b, proofs: new ServerProofs(), now: () => NOW, later: (f) => f() })],
    now: () => NOW,
    log: recordingLog().log,
  });
  await rooms.start();
  opened.push(rooms);
  return rooms;
}

function folder(): string {
  const d = mkdtempSync(join(tmpdir(), "chat-room-files-"));
  dirs.push(d);
  return d;
}

async function open(rooms: Rooms, name: string, address = "10.0.0.1"): Promise<HostedRoom> {
  const h = await rooms.enter(name, address, NOW);
  if (typeof h === "string") throw new Error(`no room ${name}: ${h}`);
  return h;
}

/** `name` comes into `h`, maybe says `text`, and leaves. */
function visit(h: HostedRoom, name: string, port: number, text?: string): void {
  const sid = enter(h.room, name, peer(port));
  if (text) h.room.say({ type: "say", sid, id: 1, base: 1, text }, peer(port), NOW);
  h.room.bye({ type: "bye", sid, id: 2 }, peer(port), NOW);
}

const files = (dir: string) => readdirSync(dir).sort();

test("an emptied room in which nothing was said leaves no file; one with a message keeps it, and so does the lobby", async () => {
  const dir = folder();
  const rooms = await roomsOn(dir);
  visit(await open(rooms, "throwaway"), "ann", 1);
  visit(await open(rooms, "talk"), "bob", 2, "worth keeping");
  visit(rooms.lobby!, "cat", 3);
  expect(files(dir)).toContain(`room-${PORT}-throwaway.db`);
  rooms.vacate();
  expect(files(dir).filter((f) => f.endsWith(".db"))).toEqual([`room-${PORT}-talk.db`, `room-${PORT}.db`]);
  expect(files(dir).some((f) => f.includes("throwaway"))).toBe(false); // its -wal and -shm too
});

test("a restart opens only the rooms with members; a closed room reopens with its epoch and backlog, and is no new room", async () => {
  const dir = folder();
  const first = await roomsOn(dir);
  const talk = await open(first, "talk");
  visit(talk, "bob", 2, "worth keeping");
  const epoch = talk.room.epoch;
  enter((await open(first, "busy")).room, "dee", peer(4));
  first.close();
  opened.splice(0);

  // One new room per address, to show that reopening "talk" takes none.
  const again = await roomsOn(dir, { count: 1, windowMs: 3_600_000 });
  expect(again.all().map((h) => h.room.name)).toEqual(["lobby", "busy"]);
  expect(again.get("busy")!.room.names()).toEqual(["dee"]);
  const reopened = await open(again, "talk", "10.0.0.9");
  expect(reopened.room.epoch).toBe(epoch);
  const welcome = reopened.room.hello({ type: "hello", name: "eve", nonce: "e".repeat(16) }, peer(5), NOW).replies[0];
  expect(welcome).toMatchObject({ type: "welcome", epoch });
  expect(welcome?.type === "welcome" && welcome.backlog).toBeGreaterThan(0);
  expect((await open(again, "fresh", "10.0.0.9")).room.name).toBe("fresh");
  expect(await again.enter("fresher", "10.0.0.9", NOW)).toBe("too_many_new_rooms");
});

test(`at ${LIMITS.maxRooms} rooms, an empty room with history is closed for a new one, its file kept`, async () => {
  const dir = folder();
  const rooms = await roomsOn(dir);
  visit(await open(rooms, "talk"), "bob", 2, "worth keeping");
  for (let i = 1; i < LIMITS.maxRooms - 1; i++) enter((await open(rooms, `room${i}`, `10.0.1.${i}`)).room, `m${i}`, peer(100 + i));
  expect(rooms.all().length).toBe(LIMITS.maxRooms);
  enter((await open(rooms, "fresh", "10.0.0.2")).room, "newcomer", peer(2));
  expect(rooms.get("talk")).toBeUndefined();
  expect(files(dir)).toContain(`room-${PORT}-talk.db`);
  expect(await rooms.enter("talk", "10.0.0.3", NOW)).toBe("too_many_rooms"); // none empty now
});
