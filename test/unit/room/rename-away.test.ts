// The room's /nick and /away: a rename under the login's naming rules and a limit, away marks and the one away notice.

import { beforeEach, describe, expect, test } from "bun:test";
import { namesPage } from "../../../src/core/room/replay.ts";
import { type Outcome, type Peer, Room } from "../../../src/core/room/room.ts";
import { MemoryStore } from "../../../src/core/room/store.ts";
import { ABUSE, decodeReplies, MAX_PAYLOAD_BYTES } from "../../../src/core/wire/protocol.ts";

const NOW = 1_795_000_000_000;
const peer = (port: number): Peer => ({ address: `10.0.0.${port}`, port });
const nonce = (n: number) => n.toString(16).padStart(16, "0");

let room: Room;
let store: MemoryStore;
let sids: number;

beforeEach(() => {
  sids = 0;
  store = new MemoryStore("00112233aabbccdd");
  room = new Room({
    store,
    newSessionId: () => (++sids).toString(16).padStart(32, "0"),
    history: 20,
    now: NOW,
    rate: undefined,
    maxMembers: 1000,
  });
});

function enter(name: string, port: number): string {
  const welcome = room.hello({ type: "hello", name, nonce: nonce(port) }, peer(port), NOW).replies[0];
  if (welcome?.type !== "welcome") throw new Error(`${name} was not welcomed`);
  return welcome.sid;
}
const nick = (sid: string, port: number, id: number, name: string, now = NOW) =>
  room.rename({ type: "nick", sid, id, name }, peer(port), now);
const events = (out: Outcome) => out.broadcasts.map((b) => b.event);

describe("a rename", () => {
  test("is acknowledged and becomes one rename event for everyone, the renamer included; /who has the new name", () => {
    const a = enter("alice", 1);
    enter("bob", 2);
    const out = nick(a, 1, 1, "ally");
    expect(out.replies).toEqual([{ type: "ack", id: 1 }]);
    expect(events(out)).toEqual([{ type: "rename", seq: 3, ts: NOW, from: "alice", to: "ally" }]);
    expect(out.broadcasts[0]!.except).toBeUndefined();
    expect(room.names()).toEqual(["ally", "bob"]); // in the order they joined, still
    expect(room.memberNamed("ally")?.sid).toBe(a);
    expect(room.memberNamed("alice")).toBeUndefined();
  });

  test("follows the login's naming rules: taken (any case), a look-alike, a bad name are refused, nothing broadcast", () => {
    const a = enter("alice", 1);
    enter("bob", 2);
    enter("coco", 3);
    expect(nick(a, 1, 1, "BOB").replies).toEqual([{ type: "refused", reason: "name_taken", id: 1 }]);
    expect(nick(a, 1, 2, "сосо").replies).toEqual([{ type: "refused", reason: "name_taken", id: 2 }]); // Cyrillic
    expect(nick(a, 1, 3, "bad!name").replies).toEqual([{ type: "refused", reason: "bad_name", id: 3 }]);
    expect(nick(a, 1, 4, "аlice").replies).toEqual([{ type: "refused", reason: "bad_name", id: 4 }]); // mixed scripts
    for (const id of [1, 2, 3, 4]) expect(events(nick(a, 1, 10 + id, "alice"))).toEqual([]); // own name: ack, no event
    expect(room.names()).toEqual(["alice", "bob", "coco"]);
  });

  test("to its own name in another case is a rename", () => {
    const a = enter("alice", 1);
    expect(events(nick(a, 1, 1, "Alice"))).toEqual([{ type: "rename", seq: 2, ts: NOW, from: "alice", to: "Alice" }]);
  });

  test(`is limited: ${ABUSE.renameBurst} at once, then one per ${ABUSE.renameEveryMs / 1000} s`, () => {
    const a = enter("alice", 1);
    for (let i = 1; i <= ABUSE.renameBurst; i++) expect(nick(a, 1, i, `a${i}`).replies[0]?.type).toBe("ack");
    expect(nick(a, 1, 10, "flood").replies).toEqual([{ type: "refused", reason: "rate_limited", id: 10 }]);
    expect(nick(a, 1, 11, "flood", NOW + ABUSE.renameEveryMs / 2).replies[0]?.type).toBe("refused");
    expect(events(nick(a, 1, 12, "flood", NOW + ABUSE.renameEveryMs))).toEqual([
      { type: "rename", seq: ABUSE.renameBurst + 2, ts: NOW + ABUSE.renameEveryMs, from: `a${ABUSE.renameBurst}`, to: "flood" },
    ]);
  });

  test("earlier events keep the name they were said under; later ones carry the new one; the old name is free", () => {
    const a = enter("alice", 1);
    enter("bob", 2);
    room.say({ type: "say", sid: a, id: 1, base: 1, text: "before" }, peer(1), NOW);
    nick(a, 1, 2, "ally");
    const after = room.say({ type: "say", sid: a, id: 3, base: 3, text: "after" }, peer(1), NOW);
    expect(events(after)).toEqual([{ type: "message", seq: 5, ts: NOW, from: "ally", text: "after" }]);
    expect(new TextDecoder().decode(store.event(3))).toContain('"from":"alice","text":"before"');
    expect(room.hello({ type: "hello", name: "alice", nonce: nonce(9) }, peer(9), NOW).replies[0]?.type).toBe("welcome");
  });

  test("its id is no say: a say sent after it, arriving first, is held only until the rename comes", () => {
    const a = enter("alice", 1);
    expect(room.say({ type: "say", sid: a, id: 2, base: 1, text: "held" }, peer(1), NOW).replies).toEqual([{ type: "waiting", id: 1 }]);
    const out = nick(a, 1, 1, "ally");
    expect(out.replies).toEqual([
      { type: "ack", id: 1 },
      { type: "ack", id: 2, seq: 3 },
    ]);
    expect(events(out)).toEqual([
      { type: "rename", seq: 2, ts: NOW, from: "alice", to: "ally" },
      { type: "message", seq: 3, ts: NOW, from: "ally", text: "held" },
    ]);
  });

  test("from a stranger's session is refused", () => {
    enter("alice", 1);
    expect(nick("f".repeat(32), 1, 1, "x").replies).toEqual([{ type: "refused", reason: "unknown_session", id: 1 }]);
  });
});

describe("away", () => {
  const privately = (sid: string, port: number, id: number, to: string) =>
    room.say({ type: "say", sid, id, base: id, text: "are you there?", to }, peer(port), NOW);

  test("/who pages mark who is away and why; /back clears it", () => {
    enter("alice", 1);
    const b = enter("bob", 2);
    expect(room.away({ type: "away", sid: b, id: 1, reason: "lunch" }, peer(2), NOW).replies).toEqual([{ type: "ack", id: 1 }]);
    expect(room.aways()).toEqual([{ name: "bob", reason: "lunch" }]);
    expect(namesPage(room.names(), 7, 0, MAX_PAYLOAD_BYTES, room.aways())).toEqual({
      type: "members",
      id: 7,
      names: ["alice", "bob"],
      total: 2,
      next: 0,
      away: [{ name: "bob", reason: "lunch" }],
    });
    room.away({ type: "away", sid: b, id: 2 }, peer(2), NOW);
    expect(room.aways()).toEqual([]);
    expect(namesPage(room.names(), 7, 0, MAX_PAYLOAD_BYTES, room.aways()).away).toBeUndefined();
  });

  test("a private message to an away member gets its sender one away_notice per away period, beside the ack", () => {
    const a = enter("alice", 1);
    const b = enter("bob", 2);
    const c = enter("carol", 3);
    room.away({ type: "away", sid: b, id: 1, reason: "lunch" }, peer(2), NOW);
    const first = privately(a, 1, 1, "BOB");
    expect(first.replies).toEqual([
      { type: "ack", id: 1, seq: 4 },
      { type: "away_notice", name: "bob", reason: "lunch" },
    ]);
    expect(events(first)).toMatchObject([{ type: "private", to: "bob" }]); // delivered all the same
    expect(privately(a, 1, 2, "bob").replies).toEqual([{ type: "ack", id: 2, seq: 5 }]);
    expect(privately(c, 3, 1, "bob").replies[1]).toEqual({ type: "away_notice", name: "bob", reason: "lunch" });
    room.away({ type: "away", sid: b, id: 2 }, peer(2), NOW);
    expect(privately(a, 1, 3, "bob").replies).toEqual([{ type: "ack", id: 3, seq: 7 }]);
    room.away({ type: "away", sid: b, id: 3, reason: "" }, peer(2), NOW); // a new period, no reason
    expect(privately(a, 1, 4, "bob").replies[1]).toEqual({ type: "away_notice", name: "bob", reason: "" });
  });

  test("marks take their room on a page: a page of away members still fits in a datagram", () => {
    const names = Array.from({ length: 200 }, (_, i) => `member${i}`);
    const aways = names.map((name) => ({ name, reason: "x".repeat(40) }));
    const page = namesPage(names, 1, 0, MAX_PAYLOAD_BYTES, aways);
    expect(page.next).toBeGreaterThan(0);
    expect(page.away).toHaveLength(page.names.length);
    const bytes = new TextEncoder().encode(JSON.stringify({ v: 3, ...page })).length;
    expect(bytes).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(decodeReplies(new TextEncoder().encode(`{"v":3,${JSON.stringify(page).slice(1)}`))).toHaveLength(1);
  });
});
