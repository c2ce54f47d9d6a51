// The rooms and the dispatch to them: a hello opens its room up to the limit, one address is in one room, a member's
// request finds its room by session id, and a stranger's in the default room is unknown there; empty rooms forgotten
// or closed, and new rooms per address limited.

import { beforeEach, describe, expect, test } from "bun:test";
import type { Peer } from "../../../src/core/room/room.ts";
import { AdminGate } from "../../../src/core/wire/admin-auth.ts";
import { Cookies } from "../../../src/core/wire/cookie.ts";
import { ABUSE, DEFAULT_ROOM, LIMITS, type Reply } from "../../../src/core/wire/protocol.ts";
import { Dispatch } from "../../../src/server/dispatch.ts";
import { Operator } from "../../../src/server/operator.ts";
import { Warnings } from "../../../src/server/report.ts";
import type { Rooms } from "../../../src/server/rooms.ts";
import { memoryRooms, NOW, nonce, peer, RecordingUdp, recordingLog, recordingRequester } from "./fakes.ts";

let udp: RecordingUdp;
let rooms: Rooms;
let dispatch: Dispatch;
const cookies = new Cookies(new Uint8Array(32).fill(7));
const SERVER = "5e4e5e4e5e4e5e4e";

beforeEach(async () => {
  udp = new RecordingUdp();
  const { log } = recordingLog();
  rooms = await memoryRooms(udp, log);
  const operator = new Operator(new AdminGate("t", SERVER), rooms, new Warnings(log));
  dispatch = new Dispatch({ rooms, cookies, operator, log });
});

/** A hello with a good cookie from `at`, into `room`; resolves with the first reply once the room has answered. */
async function hello(name: string, at: number, room?: string): Promise<Reply | undefined> {
  const answer = recordingRequester(peer(at), 0);
  const cookie = cookies.issue(peer(at), NOW);
  dispatch.handle({ type: "hello", name, nonce: nonce(at), cookie, ...(room ? { room } : {}) }, answer, NOW);
  for (let i = 0; i < 10 && answer.replies.length === 0; i++) await Promise.resolve();
  expect(answer.trusted()).toBe(true);
  return answer.replies[0];
}

describe("rooms", () => {
  test("the default room is open from the start, and a knock is answered with a challenge (cookie, server id) within a stranger's budget", () => {
    expect(rooms.all().map((h) => h.room.name)).toEqual([DEFAULT_ROOM]);
    const answer = recordingRequester(peer(1), 0);
    dispatch.handle({ type: "knock" }, answer, NOW);
    expect(answer.replies).toEqual([{ type: "challenge", cookie: cookies.issue(peer(1), NOW), server: SERVER }]);
  });

  test("a hello with a bad cookie gets a new challenge, and nobody is let in", () => {
    const answer = recordingRequester(peer(1), 0);
    dispatch.handle({ type: "hello", name: "alice", nonce: nonce(1), cookie: "f".repeat(32) }, answer, NOW);
    expect(answer.replies.map((r) => r.type)).toEqual(["challenge"]);
    expect(answer.trusted()).toBe(false);
    expect(rooms.lobby!.room.size).toBe(0);
  });

  test("a hello opens its room; at LIMITS.maxRooms a new one is refused too_many_rooms, an open one still lets in", async () => {
    for (let i = 1; i < LIMITS.maxRooms; i++) expect((await hello(`m${i}`, i, `room${i}`))?.type).toBe("welcome");
    expect(rooms.all().length).toBe(LIMITS.maxRooms);
    expect(await hello("late", 1000, "one-too-many")).toEqual({ type: "refused", reason: "too_many_rooms" });
    expect(rooms.get("one-too-many")).toBeUndefined();
    expect((await hello("late", 1000, "room1"))?.type).toBe("welcome");
    expect(await hello("bad", 1001, "no spaces here")).toEqual({ type: "refused", reason: "bad_room" });
  });

  test("one address is in one room: a client that moves to another room has left the one it was in", async () => {
    expect((await hello("alice", 1))?.type).toBe("welcome");
    expect((await hello("watcher", 2))?.type).toBe("welcome");
    expect((await hello("alice", 1, "kitchen"))?.type).toBe("welcome");
    expect(rooms.lobby!.room.names()).toEqual(["watcher"]);
    expect(rooms.get("kitchen")!.room.names()).toEqual(["alice"]);
    expect(rooms.isMember(peer(1))).toBe(true);
    expect(udp.to(peer(2)).map((t) => JSON.parse(t))).toContainEqual(
      expect.objectContaining({ type: "leave", name: "alice", reason: "quit" }),
    );
  });

  test("a member's request finds its room by session id; an unknown session is the default room's unknown_session", async () => {
    const welcome = await hello("alice", 1, "kitchen");
    if (welcome?.type !== "welcome") throw new Error("not welcomed");
    expect(rooms.roomOf(welcome.sid)?.room.name).toBe("kitchen");
    const names = recordingRequester(peer(1));
    dispatch.handle({ type: "names", sid: welcome.sid, id: 3, from: 0 }, names, NOW);
    expect(names.replies).toEqual([{ type: "members", id: 3, names: ["alice"], total: 1, next: 0 }]);
    const stranger = recordingRequester(peer(9), 0);
    dispatch.handle({ type: "names", sid: "0".repeat(32), id: 4, from: 0 }, stranger, NOW);
    expect(stranger.replies).toEqual([{ type: "refused", reason: "unknown_session", id: 4 }]);
    // the right session from the wrong address is no member either
    const thief = recordingRequester(peer(9), 0);
    dispatch.handle({ type: "names", sid: welcome.sid, id: 5, from: 0 }, thief, NOW);
    expect(thief.replies).toEqual([{ type: "refused", reason: "unknown_session", id: 5 }]);
  });
});

describe("empty rooms and new rooms (5.13)", () => {
  /** A hello from `from` (any address and port) into `room` at `now`; resolves with the first reply. */
  async function helloFrom(name: string, from: Peer, room?: string, now = NOW): Promise<Reply | undefined> {
    const answer = recordingRequester(from, 0);
    const cookie = cookies.issue(from, now);
    dispatch.handle({ type: "hello", name, nonce: nonce(from.port), cookie, ...(room ? { room } : {}) }, answer, now);
    for (let i = 0; i < 10 && answer.replies.length === 0; i++) await Promise.resolve();
    return answer.replies[0];
  }
  const sidOf = (reply: Reply | undefined) => {
    if (reply?.type !== "welcome") throw new Error(`not welcomed: ${JSON.stringify(reply)}`);
    return reply.sid;
  };
  const request = (msg: Parameters<Dispatch["handle"]>[0], from: Peer) => dispatch.handle(msg, recordingRequester(from), NOW);
  const say = (sid: string, from: Peer, text: string, to?: string) =>
    request({ type: "say", sid, id: 1, base: 1, text, ...(to ? { to } : {}) }, from);
  const bye = (sid: string, from: Peer) => request({ type: "bye", sid, id: 2 }, from);
  const open = () => rooms.all().map((h) => h.room.name);

  test("an emptied room in which nothing was said is forgotten; one with a message stays; the lobby always", async () => {
    // left by moving to another room, by a bye, and made by a hello that was refused
    sidOf(await hello("alice", 1, "moved"));
    const aliceInLobby = sidOf(await hello("alice", 1));
    const bob = sidOf(await hello("bob", 2, "quiet"));
    bye(bob, peer(2));
    expect(await hello("no spaces", 3, "refusal")).toEqual({ type: "refused", reason: "bad_name" });
    // privates, joins and leaves are not history
    const carol = sidOf(await hello("carol", 4, "whispers"));
    const dave = sidOf(await hello("dave", 5, "whispers"));
    say(carol, peer(4), "psst", "dave");
    expect(udp.to(peer(5)).map((t) => JSON.parse(t).type)).toContain("private");
    bye(carol, peer(4));
    bye(dave, peer(5));
    const erin = sidOf(await hello("erin", 6, "talk"));
    say(erin, peer(6), "worth keeping");
    bye(erin, peer(6));
    expect(open()).toEqual([DEFAULT_ROOM, "moved", "quiet", "refusal", "whispers", "talk"]);

    rooms.vacate();
    expect(open()).toEqual([DEFAULT_ROOM, "talk"]);
    expect(rooms.get("talk")!.room.size).toBe(0);
    bye(aliceInLobby, peer(1));
    rooms.vacate();
    expect(open()).toEqual([DEFAULT_ROOM, "talk"]);
    // a forgotten room's name makes a new room
    expect((await hello("frank", 7, "quiet"))?.type).toBe("welcome");
  });

  test(`at ${LIMITS.maxRooms} rooms an empty one gives its place up; with none empty, too_many_rooms`, async () => {
    for (let i = 1; i < LIMITS.maxRooms - 1; i++) sidOf(await hello(`m${i}`, i, `room${i}`));
    const talker = sidOf(await hello("talker", 200, "talk"));
    say(talker, peer(200), "history");
    bye(talker, peer(200));
    expect(rooms.all().length).toBe(LIMITS.maxRooms);
    expect((await hello("newcomer", 201, "fresh"))?.type).toBe("welcome");
    expect(rooms.get("talk")).toBeUndefined(); // closed (in memory: its history with it)
    expect(rooms.all().length).toBe(LIMITS.maxRooms);
    expect(await hello("late", 202, "fresher")).toEqual({ type: "refused", reason: "too_many_rooms" });
  });

  test(`one address makes ${ABUSE.newRoomBurst} new rooms at once, then one a minute; other addresses and open rooms are not held`, async () => {
    const from = (port: number): Peer => ({ address: "10.9.9.9", port });
    for (let i = 0; i < ABUSE.newRoomBurst; i++) sidOf(await helloFrom(`m${i}`, from(i), `new${i}`));
    expect(await helloFrom("over", from(50), "over")).toEqual({ type: "refused", reason: "too_many_new_rooms" });
    expect(rooms.get("over")).toBeUndefined();
    expect((await helloFrom("again", from(51), "new0"))?.type).toBe("welcome");
    expect((await helloFrom("other", peer(1), "elsewhere"))?.type).toBe("welcome");
    expect(await helloFrom("over", from(52), "over", NOW + ABUSE.newRoomEveryMs - 1)).toEqual({
      type: "refused",
      reason: "too_many_new_rooms",
    });
    expect((await helloFrom("over", from(53), "over", NOW + ABUSE.newRoomEveryMs))?.type).toBe("welcome");
  });
});
