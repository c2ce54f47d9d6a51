// Room rules without sockets: who gets in, who hears what, in which order, and what is refused.

import { beforeEach, describe, expect, test } from "bun:test";
import { encode, MAX_DATAGRAM_BYTES, type Message } from "../src/core/protocol.ts";
import { Room, type Outcome, type Peer } from "../src/core/room.ts";

const NOW = 1_795_000_000_000;
const peer = (port: number): Peer => ({ address: "127.0.0.1", port });
const nonce = (n: number) => n.toString(16).padStart(16, "0");

let room: Room;
let sids: number;

beforeEach(() => {
  sids = 0;
  room = new Room(() => (++sids).toString(16).padStart(32, "0"));
});

/** Logs `name` in from port `port` and returns its session id. */
function enter(name: string, port: number): string {
  const out = room.hello({ type: "hello", name, nonce: nonce(port) }, peer(port), NOW);
  if (out.reply?.type !== "welcome") throw new Error(`${name} was not welcomed: ${JSON.stringify(out.reply)}`);
  return out.reply.sid;
}

const events = (out: Outcome) => out.broadcasts.map((b) => b.event);
const decoded = (out: Outcome) => out.broadcasts.map((b) => new TextDecoder().decode(b.datagram));

describe("logging in", () => {
  test("the first member is welcomed alone and the room is told it joined", () => {
    const out = room.hello({ type: "hello", name: "alice", nonce: nonce(1) }, peer(1), NOW);
    expect(out.reply).toEqual({ type: "welcome", sid: "1".padStart(32, "0"), name: "alice", members: [], count: 0, seq: 1, ts: NOW });
    expect(events(out)).toEqual([{ type: "join", seq: 1, ts: NOW, name: "alice" }]);
    expect(out.broadcasts[0]!.except).toBe("1".padStart(32, "0"));
  });

  test("the next member is told who is already there", () => {
    enter("alice", 1);
    const out = room.hello({ type: "hello", name: "bob", nonce: nonce(2) }, peer(2), NOW);
    expect(out.reply).toMatchObject({ type: "welcome", name: "bob", members: ["alice"], count: 1, seq: 2 });
  });

  test("a taken name is refused, without regard to case, and nothing is broadcast", () => {
    enter("alice", 1);
    for (const name of ["alice", "ALICE", "Alice"]) {
      const out = room.hello({ type: "hello", name, nonce: nonce(9) }, peer(9), NOW);
      expect(out).toEqual({ reply: { type: "refused", reason: "name_taken" }, broadcasts: [] });
    }
    expect(room.size).toBe(1);
    expect(room.seq).toBe(1);
  });

  test("a name that breaks the rule is refused", () => {
    const out = room.hello({ type: "hello", name: "no spaces", nonce: nonce(1) }, peer(1), NOW);
    expect(out).toEqual({ reply: { type: "refused", reason: "bad_name" }, broadcasts: [] });
  });

  test("a repeated hello (its welcome was lost) gets the same welcome and announces nothing", () => {
    const sid = enter("alice", 1);
    const again = room.hello({ type: "hello", name: "alice", nonce: nonce(1) }, peer(1), NOW + 5);
    expect(again.reply).toMatchObject({ type: "welcome", sid, name: "alice" });
    expect(again.broadcasts).toEqual([]);
    expect(room.size).toBe(1);
  });

  test("the same nonce from another address is someone else: name taken", () => {
    enter("alice", 1);
    const out = room.hello({ type: "hello", name: "alice", nonce: nonce(1) }, peer(2), NOW);
    expect(out.reply).toEqual({ type: "refused", reason: "name_taken" });
  });

  test("a new client on an address that still holds a session replaces it", () => {
    enter("alice", 1);
    const out = room.hello({ type: "hello", name: "alice2", nonce: nonce(77) }, peer(1), NOW);
    expect(events(out)).toEqual([
      { type: "leave", seq: 2, ts: NOW, name: "alice", reason: "quit" },
      { type: "join", seq: 3, ts: NOW, name: "alice2" },
    ]);
    expect([...room.members()].map((m) => m.name)).toEqual(["alice2"]);
  });

  test("the welcome lists as many members as fit in one datagram and counts them all", () => {
    for (let i = 0; i < 200; i++) enter(`member_${String(i).padStart(9, "0")}`, 1000 + i);
    const out = room.hello({ type: "hello", name: "late", nonce: nonce(5) }, peer(5), NOW);
    if (out.reply?.type !== "welcome") throw new Error("not welcomed");
    expect(out.reply.count).toBe(200);
    expect(out.reply.members.length).toBeGreaterThan(40);
    expect(out.reply.members.length).toBeLessThan(200);
    expect(encode(out.reply).length).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
  });

  test("a name is free again once its holder has left", () => {
    const sid = enter("alice", 1);
    room.bye({ type: "bye", sid, id: 1 }, peer(1), NOW);
    expect(() => enter("Alice", 2)).not.toThrow();
  });
});

describe("talking", () => {
  test("a message goes to everyone but its sender, who gets an ack", () => {
    const alice = enter("alice", 1);
    enter("bob", 2);
    const out = room.say({ type: "say", sid: alice, id: 3, text: "你好" }, peer(1), NOW);
    expect(out.reply).toEqual({ type: "ack", id: 3 });
    expect(events(out)).toEqual([{ type: "message", seq: 3, ts: NOW, from: "alice", text: "你好" }]);
    expect(out.broadcasts[0]!.except).toBe(alice);
  });

  test("the broadcast datagram is the encoded event, made once", () => {
    const alice = enter("alice", 1);
    const out = room.say({ type: "say", sid: alice, id: 1, text: "hi" }, peer(1), NOW);
    expect(decoded(out)).toEqual([`{"v":1,"type":"message","seq":2,"ts":${NOW},"from":"alice","text":"hi"}`]);
  });

  test("a session id from another address does not speak for its member", () => {
    const alice = enter("alice", 1);
    const out = room.say({ type: "say", sid: alice, id: 1, text: "forged" }, peer(666), NOW);
    expect(out).toEqual({ reply: { type: "refused", reason: "unknown_session", id: 1 }, broadcasts: [] });
  });

  test("an unknown session id is refused", () => {
    enter("alice", 1);
    const out = room.say({ type: "say", sid: "f".repeat(32), id: 2, text: "hi" }, peer(1), NOW);
    expect(out.reply).toEqual({ type: "refused", reason: "unknown_session", id: 2 });
  });

  test("a message too long once encoded is refused and uses up no sequence number", () => {
    const alice = enter("alice", 1);
    const out = room.say({ type: "say", sid: alice, id: 4, text: '"'.repeat(1000) }, peer(1), NOW);
    expect(out).toEqual({ reply: { type: "refused", reason: "too_long", id: 4 }, broadcasts: [] });
    expect(room.seq).toBe(1);
  });

  test("sequence numbers count every event, in order", () => {
    const alice = enter("alice", 1); // 1
    const bob = enter("bob", 2); // 2
    room.say({ type: "say", sid: alice, id: 1, text: "a" }, peer(1), NOW); // 3
    room.announce({ id: 9, text: "x" }, NOW); // 4
    const out = room.bye({ type: "bye", sid: bob, id: 1 }, peer(2), NOW); // 5
    expect(events(out).map((e: Message & { seq?: number }) => e.seq)).toEqual([5]);
    expect(room.seq).toBe(5);
  });
});

describe("leaving", () => {
  test("bye tells the others and is acknowledged; a repeated bye is acknowledged again with no event", () => {
    const alice = enter("alice", 1);
    enter("bob", 2);
    const out = room.bye({ type: "bye", sid: alice, id: 8 }, peer(1), NOW);
    expect(out.reply).toEqual({ type: "ack", id: 8 });
    expect(events(out)).toEqual([{ type: "leave", seq: 3, ts: NOW, name: "alice", reason: "quit" }]);
    expect(room.bye({ type: "bye", sid: alice, id: 8 }, peer(1), NOW)).toEqual({ reply: { type: "ack", id: 8 }, broadcasts: [] });
    expect(room.size).toBe(1);
  });

  test("a forged bye cannot make a member leave", () => {
    const alice = enter("alice", 1);
    const out = room.bye({ type: "bye", sid: alice, id: 1 }, peer(2), NOW);
    expect(out.broadcasts).toEqual([]);
    expect(room.size).toBe(1);
  });

  test("removal for another reason carries that reason", () => {
    const alice = enter("alice", 1);
    expect(room.remove(alice, "timeout", NOW).map((b) => b.event)).toEqual([{ type: "leave", seq: 2, ts: NOW, name: "alice", reason: "timeout" }]);
    expect(room.remove(alice, "timeout", NOW)).toEqual([]);
  });
});

describe("admin broadcasts", () => {
  test("reach every member, and the ack says how many", () => {
    enter("alice", 1);
    enter("bob", 2);
    const out = room.announce({ id: 42, text: "maintenance" }, NOW);
    expect(out.reply).toEqual({ type: "ack", id: 42, count: 2 });
    expect(events(out)).toEqual([{ type: "admin", seq: 3, ts: NOW, text: "maintenance" }]);
    expect(out.broadcasts[0]!.except).toBeUndefined();
  });
});
