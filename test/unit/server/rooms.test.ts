// The rooms and the dispatch to them: a hello opens its room up to the limit, one address is in one room, a member's
// request finds its room by session id, and a stranger's in the default room is unknown there.

import { beforeEach, describe, expect, test } from "bun:test";
import { AdminGate } from "../../../src/core/wire/admin-auth.ts";
import { Cookies } from "../../../src/core/wire/cookie.ts";
import { DEFAULT_ROOM, LIMITS, type Reply } from "../../../src/core/wire/protocol.ts";
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
