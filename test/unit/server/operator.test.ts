// Operator requests: checked at the gate, acted on once however often repeated (with a bounded memory), who in pages.

import { beforeEach, describe, expect, test } from "bun:test";
import { namesPage } from "../../../src/core/room/replay.ts";
import { AdminGate, sign, type UnsignedAdmin } from "../../../src/core/wire/admin-auth.ts";
import { ADMIN_WINDOW_MS, encode, MAX_PAYLOAD_BYTES, textBytes } from "../../../src/core/wire/protocol.ts";
import { ADMIN_MEMORY, Operator } from "../../../src/server/operator.ts";
import { Warnings } from "../../../src/server/report.ts";
import type { Rooms } from "../../../src/server/rooms.ts";
import { enter, memoryRooms, NOW, peer, RecordingUdp, recordingLog, recordingRequester } from "./fakes.ts";

const TOKEN = "the operator's secret";
const SERVER = "5e4e5e4e5e4e5e4e";
const admin = peer(100);
let udp: RecordingUdp;
let rooms: Rooms;
let operator: Operator;
let lines: string[];

beforeEach(async () => {
  udp = new RecordingUdp();
  const recorded = recordingLog();
  lines = recorded.lines;
  rooms = await memoryRooms(udp, recorded.log);
  operator = new Operator(new AdminGate(TOKEN, SERVER), rooms, new Warnings(recorded.log));
});

/** Sends `msg`, signed anew (as every retry is), from the operator's address; returns the replies. */
function request(msg: UnsignedAdmin, opts: { token?: string; now?: number; budget?: number } = {}) {
  const answer = recordingRequester(admin, opts.budget);
  operator.handle(sign(msg, { token: opts.token ?? TOKEN, server: SERVER }, opts.now ?? NOW), answer, NOW);
  return answer.replies;
}

describe("the gate", () => {
  test("a bad mac and a stale request are refused, and logged (throttled) as a stranger's", () => {
    expect(request({ type: "announce", id: 1, text: "hi" }, { token: "guess" })).toEqual([{ type: "refused", reason: "bad_token", id: 1 }]);
    expect(request({ type: "announce", id: 2, text: "hi" }, { now: NOW - ADMIN_WINDOW_MS - 1 })).toEqual([
      { type: "refused", reason: "stale", id: 2 },
    ]);
    expect(rooms.lobby!.room.seq).toBe(0);
    expect(lines).toEqual([
      "warn refused a request (admin bad token), the last from 10.0.0.100:100",
      "warn refused a request (admin stale), the last from 10.0.0.100:100",
    ]);
  });

  test("a request rightly signed for another server (or this one before a restart) is refused wrong_server, and not acted on", () => {
    enter(rooms.lobby!.room, "alice", peer(1));
    const elsewhere = sign({ type: "kick", id: 7, name: "alice" }, { token: TOKEN, server: "0123456789abcdef" }, NOW);
    const answer = recordingRequester(admin);
    operator.handle(elsewhere, answer, NOW);
    expect(answer.replies).toEqual([{ type: "refused", reason: "wrong_server", id: 7 }]);
    expect(rooms.lobby!.room.size).toBe(1);
    expect(lines).toEqual(["warn refused a request (admin wrong server), the last from 10.0.0.100:100"]);
    expect(operator.serverId).toBe(SERVER);
  });

  test("the same signed copy twice is a replay", () => {
    const signed = sign({ type: "announce", id: 3, text: "hi" }, { token: TOKEN, server: SERVER }, NOW);
    const first = recordingRequester(admin);
    const again = recordingRequester(admin);
    operator.handle(signed, first, NOW);
    operator.handle(signed, again, NOW);
    expect(first.replies).toEqual([{ type: "ack", id: 3, count: 0 }]);
    expect(again.replies).toEqual([{ type: "refused", reason: "replayed", id: 3 }]);
  });
});

describe("acted on once", () => {
  test("a repeated request (same sender, same id) is answered again but acted on once", () => {
    enter(rooms.lobby!.room, "alice", peer(1));
    expect(request({ type: "announce", id: 9, text: "maintenance" })).toEqual([{ type: "ack", id: 9, count: 1 }]);
    expect(request({ type: "announce", id: 9, text: "maintenance" })).toEqual([{ type: "ack", id: 9, count: 1 }]);
    expect(udp.to(peer(1)).filter((t) => t.includes("maintenance")).length).toBe(1);
    // the same id from another address is another request
    const other = recordingRequester(peer(101));
    operator.handle(sign({ type: "announce", id: 9, text: "maintenance" }, { token: TOKEN, server: SERVER }, NOW), other, NOW);
    expect(udp.to(peer(1)).filter((t) => t.includes("maintenance")).length).toBe(2);
  });

  test("the memory is bounded: after ADMIN_MEMORY newer requests, the oldest is acted on again", () => {
    const seq = () => rooms.lobby!.room.seq;
    for (let id = 0; id <= ADMIN_MEMORY; id++) request({ type: "announce", id, text: `n${id}` });
    expect(seq()).toBe(ADMIN_MEMORY + 1);
    request({ type: "announce", id: ADMIN_MEMORY, text: `n${ADMIN_MEMORY}` }); // still remembered
    expect(seq()).toBe(ADMIN_MEMORY + 1);
    request({ type: "announce", id: 0, text: "n0" }); // forgotten: done again
    expect(seq()).toBe(ADMIN_MEMORY + 2);
  });

  test("kick: the member is told, the room sees it go, and a repeat finds nobody to kick but says ack again", () => {
    const room = rooms.lobby!.room;
    enter(room, "alice", peer(1));
    enter(room, "bob", peer(2));
    expect(request({ type: "kick", id: 4, name: "BOB" })).toEqual([{ type: "ack", id: 4 }]);
    expect(udp.to(peer(2)).map((t) => JSON.parse(t).reason)).toEqual(["kicked"]);
    expect(udp.to(peer(1)).map((t) => JSON.parse(t))).toEqual([expect.objectContaining({ type: "leave", name: "bob", reason: "kicked" })]);
    expect(request({ type: "kick", id: 4, name: "bob" })).toEqual([{ type: "ack", id: 4 }]);
    expect(request({ type: "ban", id: 5, name: "bob", seconds: 0 })).toEqual([{ type: "refused", reason: "no_such_member", id: 5 }]);
    expect(request({ type: "kick", id: 6, name: "alice", room: "nowhere" })).toEqual([{ type: "refused", reason: "no_such_room", id: 6 }]);
  });
});

describe("a ban's reach", () => {
  const open = async (name: string) => {
    const h = await rooms.enter(name, "10.0.0.9", NOW);
    if (typeof h === "string") throw new Error(`no room: ${h}`);
    return h.room;
  };
  const hello = async (room: string, name: string, at: ReturnType<typeof peer>) => {
    const reply = (await open(room)).hello({ type: "hello", name, nonce: "f".repeat(16) }, at, NOW).replies[0];
    return reply?.type === "refused" ? reply.reason : reply?.type;
  };

  test("without a room: every room of the server, one opened later too; with a room: that room only", async () => {
    await open("ops");
    enter(rooms.lobby!.room, "troll", peer(2));
    expect(request({ type: "ban", id: 1, name: "troll", seconds: 0 })).toEqual([{ type: "ack", id: 1 }]);
    const again = { ...peer(2), port: 99 };
    expect(await hello("ops", "other", again)).toBe("banned");
    expect(await hello("later", "other", again)).toBe("banned");

    enter(await open("ops"), "pest", peer(3));
    expect(request({ type: "ban", id: 2, name: "pest", seconds: 0, room: "ops" })).toEqual([{ type: "ack", id: 2 }]);
    expect(await hello("ops", "other", { ...peer(3), port: 99 })).toBe("banned");
    expect(await hello("lobby", "other", { ...peer(3), port: 99 })).toBe("welcome");
  });

  test("the console's ban (kickEverywhere) names no room: it holds in every room", async () => {
    enter(await open("ops"), "troll", peer(4));
    expect(operator.kickEverywhere("troll", NOW, Infinity)).toBe(true);
    expect(await hello("lobby", "other", { ...peer(4), port: 99 })).toBe("banned");
    expect(await hello("ops", "other", { ...peer(4), port: 99 })).toBe("banned");
  });
});

describe("who", () => {
  test("pages fit the answer's budget, and together list everyone once", () => {
    const room = rooms.lobby!.room;
    const names = Array.from({ length: 40 }, (_, i) => `member-number-${i}`);
    for (const [i, name] of names.entries()) enter(room, name, peer(i + 1));
    const budget = 300;
    const seen: string[] = [];
    for (let from = 0, pages = 0; ; pages++) {
      const [page] = request({ type: "who", id: 1, from, pad: "" }, { budget });
      if (page?.type !== "members") throw new Error(`not a page: ${JSON.stringify(page)}`);
      expect(encode(page).length).toBeLessThanOrEqual(budget);
      expect(page.total).toBe(40);
      seen.push(...page.names);
      if (page.next === 0) break;
      from = page.next;
      expect(pages).toBeLessThan(40);
    }
    expect(seen).toEqual(names);
  });

  test("a page never exceeds a datagram, whatever the budget", () => {
    const names = Array.from({ length: 500 }, (_, i) => `name${i}`);
    const page = namesPage(names, 1, 0, Infinity);
    expect(textBytes(new TextDecoder().decode(encode(page)))).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(page.next).toBe(page.names.length);
  });
});

describe("the console's acts", () => {
  test("announceEverywhere refuses a text over the limit with a one-line problem; kickEverywhere says whether anyone went", () => {
    expect(operator.announceEverywhere("x".repeat(5000), NOW)).toEqual({ problem: expect.stringMatching(/^not sent: 5000 bytes/) });
    enter(rooms.lobby!.room, "alice", peer(1));
    expect(operator.announceEverywhere("hello", NOW)).toEqual({ reached: 1 });
    expect(operator.kickEverywhere("nobody", NOW)).toBe(false);
    expect(operator.kickEverywhere("alice", NOW, Infinity)).toBe(true);
    expect(JSON.parse(udp.to(peer(1)).at(-1)!).reason).toBe("banned");
  });
});
