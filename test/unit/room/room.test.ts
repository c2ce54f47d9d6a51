// Room rules without sockets: who gets in, who hears what, in which order, and what is refused.

import { beforeEach, describe, expect, test } from "bun:test";
import { Gate } from "../../../src/core/room/gate.ts";
import { type Outcome, type Peer, Room, type RoomOptions } from "../../../src/core/room/room.ts";
import { MemoryStore } from "../../../src/core/room/store.ts";
import { ABUSE, decode, encode, LIMITS, MAX_PAYLOAD_BYTES, type Message } from "../../../src/core/wire/protocol.ts";

const NOW = 1_795_000_000_000;
const EPOCH = "00112233aabbccdd";
/** Each test member on its own address, as on a LAN (logins are limited per address). */
const peer = (port: number): Peer => ({ address: `10.0.${port >> 8}.${port & 255}`, port });
const nonce = (n: number) => n.toString(16).padStart(16, "0");

let room: Room;
let sids: number;

/** A room with the tests' defaults (no rate, 1000 members, history 20), and `options` over them. */
const roomWith = (options: Partial<RoomOptions> = {}) =>
  new Room({
    store: new MemoryStore(EPOCH),
    newSessionId: () => (++sids).toString(16).padStart(32, "0"),
    history: 20,
    now: NOW,
    rate: undefined,
    maxMembers: 1000,
    ...options,
  });

beforeEach(() => {
  sids = 0;
  room = roomWith();
});

/** Logs `name` in from port `port` and returns its session id. */
function enter(name: string, port: number): string {
  const out = room.hello({ type: "hello", name, nonce: nonce(port) }, peer(port), NOW);
  const welcome = out.replies[0];
  if (welcome?.type !== "welcome") throw new Error(`${name} was not welcomed: ${JSON.stringify(out.replies)}`);
  return welcome.sid;
}

const events = (out: Outcome) => out.broadcasts.map((b) => b.event);
const reply = (out: Outcome) => out.replies[0];
const nothing = { replies: [], resend: [], broadcasts: [] };
const say = (sid: string, id: number, text: string, base = id) => ({ type: "say", sid, id, base, text }) as const;
const decoded = (out: Outcome) => out.broadcasts.map((b) => new TextDecoder().decode(b.datagram));

describe("logging in", () => {
  test("in a room of hundreds the welcome counts every other member and lists the first who fit, in join order", () => {
    for (let i = 0; i < 400; i++) enter(`m${i}`, 1000 + i);
    const welcome = reply(room.hello({ type: "hello", name: "late", nonce: nonce(2000) }, peer(2000), NOW));
    if (welcome?.type !== "welcome") throw new Error("not welcomed");
    expect(welcome.count).toBe(400);
    expect(welcome.members.length).toBeGreaterThan(50);
    expect(welcome.members).toEqual(Array.from({ length: welcome.members.length }, (_, i) => `m${i}`));
    // A repeated hello of a member in the middle: itself left out, the others counted.
    const again = reply(room.hello({ type: "hello", name: "m3", nonce: nonce(1003) }, peer(1003), NOW));
    if (again?.type !== "welcome") throw new Error("not welcomed again");
    expect(again.count).toBe(400);
    expect(again.members.slice(0, 4)).toEqual(["m0", "m1", "m2", "m4"]);
  });

  test("the first member is welcomed alone and the room is told it joined", () => {
    const out = room.hello({ type: "hello", name: "alice", nonce: nonce(1) }, peer(1), NOW);
    expect(reply(out)).toEqual({
      type: "welcome",
      sid: "1".padStart(32, "0"),
      name: "alice",
      members: [],
      count: 0,
      seq: 1,
      backlog: 0,
      epoch: EPOCH,
      ts: NOW,
      timeoutMs: 15_000, // no --rate: no allowance, but always the peer timeout
    });
    expect(events(out)).toEqual([{ type: "join", seq: 1, ts: NOW, name: "alice" }]);
    expect(out.broadcasts[0]!.except).toBe("1".padStart(32, "0"));
  });

  test("the next member is told who is already there", () => {
    enter("alice", 1);
    const out = room.hello({ type: "hello", name: "bob", nonce: nonce(2) }, peer(2), NOW);
    expect(reply(out)).toMatchObject({ type: "welcome", name: "bob", members: ["alice"], count: 1, seq: 2 });
  });

  test("a taken name is refused, without regard to case, and nothing is broadcast", () => {
    enter("alice", 1);
    for (const name of ["alice", "ALICE", "Alice"]) {
      const out = room.hello({ type: "hello", name, nonce: nonce(9) }, peer(9), NOW);
      expect(out).toEqual({ ...nothing, replies: [{ type: "refused", reason: "name_taken" }] });
    }
    expect(room.size).toBe(1);
    expect(room.seq).toBe(1);
  });

  test("a name that breaks the rule is refused", () => {
    const out = room.hello({ type: "hello", name: "no spaces", nonce: nonce(1) }, peer(1), NOW);
    expect(out).toEqual({ ...nothing, replies: [{ type: "refused", reason: "bad_name" }] });
  });

  test("a repeated hello (its welcome was lost) gets the same welcome and announces nothing", () => {
    const sid = enter("alice", 1);
    const again = room.hello({ type: "hello", name: "alice", nonce: nonce(1) }, peer(1), NOW + 5);
    expect(reply(again)).toMatchObject({ type: "welcome", sid, name: "alice" });
    expect(again.broadcasts).toEqual([]);
    expect(room.size).toBe(1);
  });

  test("the same nonce from another address is someone else: name taken", () => {
    enter("alice", 1);
    const out = room.hello({ type: "hello", name: "alice", nonce: nonce(1) }, peer(2), NOW);
    expect(reply(out)).toEqual({ type: "refused", reason: "name_taken" });
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
    const welcome = reply(out);
    if (welcome?.type !== "welcome") throw new Error("not welcomed");
    expect(welcome.count).toBe(200);
    expect(welcome.members.length).toBeGreaterThan(40);
    expect(welcome.members.length).toBeLessThan(200);
    expect(encode(welcome).length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
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
    const out = room.say(say(alice, 1, "你好"), peer(1), NOW);
    expect(out.replies).toEqual([{ type: "ack", id: 1, seq: 3 }]);
    expect(events(out)).toEqual([{ type: "message", seq: 3, ts: NOW, from: "alice", text: "你好" }]);
    expect(out.broadcasts[0]!.except).toBe(alice);
  });

  test("the broadcast datagram is the encoded event, made once", () => {
    const alice = enter("alice", 1);
    const out = room.say(say(alice, 1, "hi"), peer(1), NOW);
    expect(decoded(out)).toEqual([`{"v":3,"type":"message","seq":2,"ts":${NOW},"from":"alice","text":"hi"}`]);
  });

  test("a session id from another address does not speak for its member", () => {
    const alice = enter("alice", 1);
    const out = room.say(say(alice, 1, "forged"), peer(666), NOW);
    expect(out).toEqual({ ...nothing, replies: [{ type: "refused", reason: "unknown_session", id: 1 }] });
  });

  test("an unknown session id is refused", () => {
    enter("alice", 1);
    const out = room.say(say("f".repeat(32), 2, "hi"), peer(1), NOW);
    expect(reply(out)).toEqual({ type: "refused", reason: "unknown_session", id: 2 });
  });

  test("a message too long once encoded is refused and uses up no sequence number", () => {
    const alice = enter("alice", 1);
    const out = room.say(say(alice, 1, '"'.repeat(1000)), peer(1), NOW);
    expect(out).toEqual({ ...nothing, replies: [{ type: "refused", reason: "too_long", id: 1 }] });
    expect(room.seq).toBe(1);
  });

  test("sequence numbers count every event, in order", () => {
    const alice = enter("alice", 1); // 1
    const bob = enter("bob", 2); // 2
    room.say(say(alice, 1, "a"), peer(1), NOW); // 3
    room.announce({ id: 9, text: "x" }, NOW); // 4
    const out = room.bye({ type: "bye", sid: bob, id: 1 }, peer(2), NOW); // 5
    expect(events(out).map((e: Message & { seq?: number }) => e.seq)).toEqual([5]);
    expect(room.seq).toBe(5);
  });
});

describe("actions, private messages and /who", () => {
  const text = (d: Uint8Array) => new TextDecoder().decode(d);

  test("/me becomes an action event for everyone but its sender", () => {
    const alice = enter("alice", 1);
    enter("bob", 2);
    const out = room.say({ ...say(alice, 1, "waves"), me: true }, peer(1), NOW);
    expect(out.replies).toEqual([{ type: "ack", id: 1, seq: 3 }]);
    expect(events(out)).toEqual([{ type: "action", seq: 3, ts: NOW, from: "alice", text: "waves" }]);
  });

  test("a private message: the addressee gets it, everyone else a hidden event with the same number", () => {
    const alice = enter("alice", 1);
    const bob = enter("bob", 2);
    enter("carol", 3);
    const out = room.say({ ...say(alice, 1, "psst"), to: "BOB" }, peer(1), NOW + 1);
    expect(out.replies).toEqual([{ type: "ack", id: 1, seq: 4 }]);
    const [b] = out.broadcasts;
    expect(b!.event).toEqual({ type: "private", seq: 4, ts: NOW + 1, from: "alice", to: "bob", text: "psst" });
    expect(b!.except).toBe(alice);
    expect(b!.only?.to).toBe(bob);
    expect(text(b!.only!.hidden)).toBe(`{"v":3,"type":"hidden","seq":4}`);
    expect(text(b!.datagram)).toContain("psst");
  });

  test("a private message to nobody present is refused, and uses up no number", () => {
    const alice = enter("alice", 1);
    const out = room.say({ ...say(alice, 1, "hello?"), to: "ghost" }, peer(1), NOW);
    expect(out).toEqual({ ...nothing, replies: [{ type: "refused", reason: "no_such_member", id: 1 }] });
    expect(room.seq).toBe(1);
    expect(reply(room.say(say(alice, 2, "next"), peer(1), NOW))).toEqual({ type: "ack", id: 2, seq: 2 });
  });

  test("repairs give a private message to its two parties only; a later member of the same name gets it hidden", () => {
    const alice = enter("alice", 1);
    const bob = enter("bob", 2);
    const carol = enter("carol", 3);
    room.say({ ...say(alice, 1, "psst"), to: "bob" }, peer(1), NOW + 1); // seq 4
    const repaired = (sid: string, port: number) => room.nack({ type: "nack", sid, from: 4, to: 4 }, peer(port), NOW + 2).resend.map(text);
    expect(repaired(bob, 2)[0]).toContain("psst");
    expect(repaired(alice, 1)[0]).toContain("psst");
    expect(repaired(carol, 3)).toEqual([`{"v":3,"type":"hidden","seq":4}`]);

    room.bye({ type: "bye", sid: bob, id: 9 }, peer(2), NOW + 3);
    const newBob = room.hello({ type: "hello", name: "bob", nonce: nonce(22) }, peer(22), NOW + 4);
    const sid = (reply(newBob) as { sid: string }).sid;
    expect(repaired(sid, 22)).toEqual([`{"v":3,"type":"hidden","seq":4}`]);
  });

  test("a backlog never carries a private message, only its hidden stand-in", () => {
    const alice = enter("alice", 1);
    enter("bob", 2);
    room.say(say(alice, 1, "public"), peer(1), NOW);
    room.say({ ...say(alice, 2, "psst"), to: "bob" }, peer(1), NOW);
    room.say({ ...say(alice, 3, "nods"), me: true }, peer(1), NOW);
    const out = room.hello({ type: "hello", name: "dave", nonce: nonce(4) }, peer(4), NOW + 1);
    expect(out.resend.map(text)).toEqual([
      `{"v":3,"type":"message","seq":3,"ts":${NOW},"from":"alice","text":"public"}`,
      `{"v":3,"type":"hidden","seq":4}`,
      `{"v":3,"type":"action","seq":5,"ts":${NOW},"from":"alice","text":"nods"}`,
      `{"v":3,"type":"join","seq":6,"ts":${NOW + 1},"name":"dave"}`, // the backlog ends at the welcome's seq, its own join
    ]);
  });

  test("/who: every member's name, in the order they joined; a session is a member's only from its address", () => {
    const alice = enter("alice", 1);
    enter("小明", 2);
    expect(room.names()).toEqual(["alice", "小明"]);
    expect(room.authenticate(alice, peer(1))?.name).toBe("alice");
    expect(room.authenticate(alice, peer(9))).toBeUndefined();
  });
});

describe("leaving", () => {
  test("bye tells the others and is acknowledged; a repeated bye is acknowledged again with no event", () => {
    const alice = enter("alice", 1);
    enter("bob", 2);
    const out = room.bye({ type: "bye", sid: alice, id: 8 }, peer(1), NOW);
    expect(out.replies).toEqual([{ type: "ack", id: 8 }]);
    expect(events(out)).toEqual([{ type: "leave", seq: 3, ts: NOW, name: "alice", reason: "quit" }]);
    expect(room.bye({ type: "bye", sid: alice, id: 8 }, peer(1), NOW)).toEqual({ ...nothing, replies: [{ type: "ack", id: 8 }] });
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
    expect(room.remove(alice, "timeout", NOW).map((b) => b.event)).toEqual([
      { type: "leave", seq: 2, ts: NOW, name: "alice", reason: "timeout" },
    ]);
    expect(room.remove(alice, "timeout", NOW)).toEqual([]);
  });
});

describe("admin broadcasts", () => {
  test("reach every member, and the ack says how many", () => {
    enter("alice", 1);
    enter("bob", 2);
    const out = room.announce({ id: 42, text: "maintenance" }, NOW);
    expect(out.replies).toEqual([{ type: "ack", id: 42, count: 2 }]);
    expect(events(out)).toEqual([{ type: "admin", seq: 3, ts: NOW, text: "maintenance" }]);
    expect(out.broadcasts[0]!.except).toBeUndefined();
  });
});

describe("reliable, ordered relay of each member's messages", () => {
  test("a message that overtook an earlier one is held, unacknowledged, until the gap is filled", () => {
    const alice = enter("alice", 1);
    enter("bob", 2);
    // held, and the member is told which one the server waits for (so it can send that one again at once)
    expect(room.say(say(alice, 2, "second", 1), peer(1), NOW)).toEqual({ ...nothing, replies: [{ type: "waiting", id: 1 }] });
    const out = room.say(say(alice, 1, "first"), peer(1), NOW);
    expect(out.replies).toEqual([
      { type: "ack", id: 1, seq: 3 },
      { type: "ack", id: 2, seq: 4 },
    ]);
    expect(events(out).map((e) => (e.type === "message" ? e.text : e.type))).toEqual(["first", "second"]);
  });

  test("a repeated message (its ack was lost) is acknowledged again and relayed once", () => {
    const alice = enter("alice", 1);
    room.say(say(alice, 1, "once"), peer(1), NOW);
    expect(room.say(say(alice, 1, "once"), peer(1), NOW)).toEqual({ ...nothing, replies: [{ type: "ack", id: 1 }] });
    expect(room.seq).toBe(2);
  });

  test("a relay taken back (a cluster's log did not store it) is relayed again when the member repeats it", () => {
    const alice = enter("alice", 1);
    room.say(say(alice, 1, "one"), peer(1), NOW);
    room.say(say(alice, 2, "two"), peer(1), NOW);
    room.unrelay(alice, 2);
    const again = room.say(say(alice, 2, "two"), peer(1), NOW);
    expect(again.broadcasts.map((b) => b.event)).toEqual([{ type: "message", seq: 4, ts: NOW, from: "alice", text: "two" }]);
    // what came before stays relayed: a repeat of 1 is only acknowledged
    expect(room.say(say(alice, 1, "one"), peer(1), NOW).broadcasts).toEqual([]);
  });

  test("ids below base were given up on by the member: the server stops waiting for them", () => {
    const alice = enter("alice", 1);
    room.say(say(alice, 1, "one"), peer(1), NOW);
    const out = room.say(say(alice, 3, "three", 3), peer(1), NOW); // 2 was abandoned
    expect(out.replies).toEqual([{ type: "ack", id: 3, seq: 3 }]);
    expect(room.say(say(alice, 2, "late two", 2), peer(1), NOW).broadcasts).toEqual([]); // too late: settled
  });

  test("an id spent on a names request is no say: a later say held for it is relayed when the names comes", () => {
    const alice = enter("alice", 1);
    room.say(say(alice, 1, "one"), peer(1), NOW);
    // say 3 went out before the ack of 1 came back, so its base is still 1; 2 was the /who between them
    expect(room.say(say(alice, 3, "three", 1), peer(1), NOW).replies).toEqual([{ type: "waiting", id: 2 }]);
    const member = room.memberOf(alice)!;
    const out = room.notSay(member, 2, NOW);
    expect(out.replies).toEqual([{ type: "ack", id: 3, seq: 3 }]);
    expect(events(out).map((e) => (e.type === "message" ? e.text : e.type))).toEqual(["three"]);
    expect(room.notSay(member, 2, NOW)).toEqual(nothing); // a repeated names changes nothing
    expect(room.say(say(alice, 5, "five", 3), peer(1), NOW).replies).toEqual([{ type: "waiting", id: 4 }]);
  });

  test("a message too far ahead of the window is dropped (the member sends it again later)", () => {
    const alice = enter("alice", 1);
    expect(room.say(say(alice, 1 + LIMITS.reorderWindow, "far", 1), peer(1), NOW)).toEqual(nothing);
    const out = room.say(say(alice, 1, "near"), peer(1), NOW);
    expect(out.replies).toEqual([{ type: "ack", id: 1, seq: 2 }]);
  });
});

describe("repairs", () => {
  test("a nack gets the stored events again, byte for byte", () => {
    const alice = enter("alice", 1);
    const bob = enter("bob", 2);
    const sent = room.say(say(alice, 1, "hello"), peer(1), NOW).broadcasts[0]!.datagram;
    const out = room.nack({ type: "nack", sid: bob, from: 3, to: 3 }, peer(2), NOW);
    expect(out.resend).toEqual([sent]);
    expect(out.replies).toEqual([]);
  });

  test("a nack past the last event is clipped, and one longer than the repair limit is cut", () => {
    const alice = enter("alice", 1);
    for (let id = 1; id <= 100; id++) room.say(say(alice, id, `m${id}`), peer(1), NOW);
    expect(room.nack({ type: "nack", sid: alice, from: 95, to: 500 }, peer(1), NOW).resend).toHaveLength(7); // 95..101
    expect(room.nack({ type: "nack", sid: alice, from: 1, to: 101 }, peer(1), NOW).resend).toHaveLength(LIMITS.maxRepair);
  });

  test("events the store no longer keeps are reported lost", () => {
    const alice = enter("alice", 1);
    for (let id = 1; id <= LIMITS.repairWindow + 10; id++) room.say(say(alice, id, "x"), peer(1), NOW);
    const out = room.nack({ type: "nack", sid: alice, from: 1, to: 20 }, peer(1), NOW);
    expect(out.replies).toEqual([{ type: "lost", from: 1, to: 11 }]);
    expect(out.resend.map((d) => (decode(d)[0] as Message & { seq: number }).seq)).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20]);
  });

  test("a nack whose from is past its to, or past the last event, is answered with nothing at all", () => {
    const alice = enter("alice", 1);
    room.say(say(alice, 1, "hello"), peer(1), NOW); // 2
    expect(room.nack({ type: "nack", sid: alice, from: 2, to: 1 }, peer(1), NOW)).toEqual(nothing);
    expect(room.nack({ type: "nack", sid: alice, from: 3, to: 9 }, peer(1), NOW)).toEqual(nothing);
    expect(room.nack({ type: "nack", sid: alice, from: 0, to: Number.MAX_SAFE_INTEGER }, peer(1), NOW).resend).toHaveLength(2);
  });

  test("a ping from a member gets no answer", () => {
    const alice = enter("alice", 1);
    expect(room.ping({ type: "ping", sid: alice }, peer(1), NOW)).toEqual(nothing);
  });

  test("a nack from a stranger gets nothing but a refusal", () => {
    enter("alice", 1);
    expect(room.nack({ type: "nack", sid: "e".repeat(32), from: 1, to: 1 }, peer(9), NOW).replies).toEqual([
      { type: "refused", reason: "unknown_session" },
    ]);
  });
});

describe("liveness", () => {
  test("a member heard from stays; a silent one is removed as timed out", () => {
    const alice = enter("alice", 1);
    enter("bob", 2);
    room.ping({ type: "ping", sid: alice }, peer(1), NOW + 10_000);
    const gone = room.sweep(NOW + 16_000, 15_000).broadcasts;
    expect(gone.map((b) => b.event)).toEqual([{ type: "leave", seq: 3, ts: NOW + 16_000, name: "bob", reason: "timeout" }]);
    expect([...room.members()].map((m) => m.name)).toEqual(["alice"]);
  });

  test("a ping with an unknown session is told so (the member then logs in again)", () => {
    expect(room.ping({ type: "ping", sid: "d".repeat(32) }, peer(1), NOW).replies).toEqual([
      { type: "refused", reason: "unknown_session" },
    ]);
  });

  test("the tick carries the last sequence number and the epoch", () => {
    enter("alice", 1);
    expect(decode(room.tick(NOW + 1))).toEqual([{ type: "tick", seq: 1, epoch: EPOCH, ts: NOW + 1 }]);
  });
});

describe("backlog", () => {
  test("a member who joins gets the last messages, from where the backlog starts to its own join, the welcome's seq", () => {
    const alice = enter("alice", 1);
    for (let id = 1; id <= 25; id++) room.say(say(alice, id, `m${id}`), peer(1), NOW); // seqs 2..26
    const out = room.hello({ type: "hello", name: "late", nonce: nonce(7) }, peer(7), NOW);
    expect(reply(out)).toMatchObject({ type: "welcome", seq: 27, backlog: 7 });
    const replayed = out.resend.flatMap((d) => decode(d)).map((m) => (m.type === "message" ? m.text : m.type));
    expect(replayed).toEqual([...Array.from({ length: 20 }, (_, i) => `m${i + 6}`), "join"]);
  });

  test("a repeated welcome (same nonce and address: a lost welcome, or back after losing the server) names the room's last event, and its backlog runs up to it", () => {
    const alice = enter("alice", 1);
    room.say(say(alice, 1, "before"), peer(1), NOW); // 2
    const first = room.hello({ type: "hello", name: "bob", nonce: nonce(2) }, peer(2), NOW); // join 3
    expect(reply(first)).toMatchObject({ seq: 3, backlog: 2 });
    expect(first.resend.flatMap((d) => decode(d)).map((m) => m.type)).toEqual(["message", "join"]); // up to its own join
    room.say(say(alice, 2, "while bob was away"), peer(1), NOW); // 4
    const again = room.hello({ type: "hello", name: "bob", nonce: nonce(2) }, peer(2), NOW);
    expect(again.broadcasts).toEqual([]); // no second join
    expect(reply(again)).toMatchObject({ sid: (reply(first) as { sid: string }).sid, seq: 4, backlog: 2 });
    const replayed = again.resend.flatMap((d) => decode(d)).map((m) => ("seq" in m ? `${m.type} ${m.seq}` : m.type));
    expect(replayed).toEqual(["message 2", "join 3", "message 4"]); // its own join and the last event included
  });

  test("joins and leaves in between are sent too (the member shows only messages as history)", () => {
    const alice = enter("alice", 1);
    room.say(say(alice, 1, "before"), peer(1), NOW); // 2
    enter("bob", 2); // 3
    const out = room.hello({ type: "hello", name: "late", nonce: nonce(7) }, peer(7), NOW);
    expect(reply(out)).toMatchObject({ backlog: 2, seq: 4 });
    expect(out.resend.flatMap((d) => decode(d)).map((m) => m.type)).toEqual(["message", "join", "join"]); // bob's, its own
  });

  test("no messages yet, or --history 0: no backlog", () => {
    enter("alice", 1);
    expect(reply(room.hello({ type: "hello", name: "b", nonce: nonce(2) }, peer(2), NOW))).toMatchObject({ backlog: 0 });
    let n = 0;
    const quiet = new Room({
      store: new MemoryStore(EPOCH),
      newSessionId: () => String(++n).padStart(32, "a"),
      history: 0,
      now: NOW,
      rate: undefined,
      maxMembers: 1000,
    });
    const sid = (quiet.hello({ type: "hello", name: "x", nonce: nonce(1) }, peer(1), NOW).replies[0] as { sid: string }).sid;
    quiet.say(say(sid, 1, "hi"), peer(1), NOW);
    const out = quiet.hello({ type: "hello", name: "y", nonce: nonce(2) }, peer(2), NOW);
    expect(reply(out)).toMatchObject({ backlog: 0 });
    expect(out.resend).toEqual([]);
  });
});

describe("abuse", () => {
  const limited = (opts: { rate?: { burst: number; refillMs: number }; maxMembers?: number } = {}) => {
    room = roomWith({ rate: opts.rate, maxMembers: opts.maxMembers ?? 1000 });
    return room;
  };

  test("past the rate, a message is refused to its sender alone; the member stays and is let through again later", () => {
    limited({ rate: { burst: 5, refillMs: 1000 } });
    const alice = enter("alice", 1);
    enter("bob", 2);
    const replies = [];
    for (let id = 1; id <= 7; id++) replies.push(...room.say(say(alice, id, `m${id}`), peer(1), NOW).replies);
    expect(replies.map((r) => r.type)).toEqual(["ack", "ack", "ack", "ack", "ack", "refused", "refused"]);
    expect(replies[5]).toEqual({ type: "refused", reason: "rate_limited", id: 6 });
    expect(room.names()).toEqual(["alice", "bob"]);
    // one second later there is room for one more (5 per 5 s, refilled steadily)
    expect(room.say(say(alice, 8, "later"), peer(1), NOW + 1000).replies).toEqual([{ type: "ack", id: 8, seq: 8 }]);
  });

  test("a full room refuses a newcomer, and takes one again once someone has left", () => {
    limited({ maxMembers: 2 });
    const alice = enter("alice", 1);
    enter("bob", 2);
    expect(reply(room.hello({ type: "hello", name: "carol", nonce: nonce(3) }, peer(3), NOW))).toEqual({
      type: "refused",
      reason: "room_full",
    });
    room.bye({ type: "bye", sid: alice, id: 1 }, peer(1), NOW);
    expect(reply(room.hello({ type: "hello", name: "carol", nonce: nonce(3) }, peer(3), NOW))?.type).toBe("welcome");
  });

  test("one address may start only so many logins in a burst", () => {
    limited();
    const outcomes = [];
    const nat = (port: number): Peer => ({ address: "192.0.2.1", port });
    // The name is held from another address (from the same one a newcomer would contest it: the ghost rule).
    expect(reply(room.hello({ type: "hello", name: "taken", nonce: nonce(99) }, { address: "198.51.100.7", port: 1 }, NOW))?.type).toBe(
      "welcome",
    );
    for (let i = 0; i < ABUSE.loginBurst + 2; i++)
      outcomes.push(reply(room.hello({ type: "hello", name: "taken", nonce: nonce(100 + i) }, nat(100 + i), NOW)));
    expect(outcomes.filter((r) => r?.type === "refused" && r.reason === "name_taken")).toHaveLength(ABUSE.loginBurst);
    expect(outcomes.at(-1)).toEqual({ type: "refused", reason: "too_many_logins" });
    // another address is not affected
    expect(reply(room.hello({ type: "hello", name: "other", nonce: nonce(1) }, { address: "10.0.0.2", port: 1 }, NOW))?.type).toBe(
      "welcome",
    );
  });

  test("kick: the others see it, the kicked client cannot log straight back in, but can after a while", () => {
    limited();
    enter("alice", 1);
    enter("bob", 2);
    const done = room.kick("BOB", NOW)!;
    expect(done.kicked.name).toBe("bob");
    expect(done.broadcasts.map((b) => b.event)).toEqual([{ type: "leave", seq: 3, ts: NOW, name: "bob", reason: "kicked" }]);
    expect(reply(room.hello({ type: "hello", name: "bob", nonce: nonce(2) }, peer(2), NOW + 1000))).toEqual({
      type: "refused",
      reason: "kicked",
    });
    expect(reply(room.hello({ type: "hello", name: "bob", nonce: nonce(2) }, peer(2), NOW + ABUSE.kickMemoryMs + 1))?.type).toBe("welcome");
    expect(room.kick("nobody", NOW)).toBeUndefined();
  });

  test("ban: the address is refused until the ban ends, under any name", () => {
    limited();
    enter("alice", 1);
    enter("mallory", 2);
    expect(room.kick("mallory", NOW, 60_000)!.broadcasts[0]!.event).toMatchObject({ name: "mallory", reason: "banned" });
    const sameAddress = { ...peer(2), port: 9 };
    expect(reply(room.hello({ type: "hello", name: "other", nonce: nonce(9) }, sameAddress, NOW + 59_000))).toEqual({
      type: "refused",
      reason: "banned",
    });
    expect(reply(room.hello({ type: "hello", name: "other", nonce: nonce(9) }, sameAddress, NOW + 60_001))?.type).toBe("welcome");
  });
});

describe("rooms sharing the server's door (RoomOptions.gate)", () => {
  const helloIn = (r: Room, name: string, at: Peer, now = NOW) => reply(r.hello({ type: "hello", name, nonce: nonce(at.port) }, at, now));

  test("a ban in one room keeps the address out of every room with the same gate, a later one too; --room's ban only its own", () => {
    const gate = new Gate(undefined, undefined);
    const lobby = roomWith({ gate });
    const ops = roomWith({ name: "ops", gate });
    expect(helloIn(lobby, "troll", peer(2))?.type).toBe("welcome");
    lobby.kick("troll", NOW, 60_000);
    const elsewhere = { ...peer(2), port: 9 };
    expect(helloIn(ops, "other", elsewhere)).toEqual({ type: "refused", reason: "banned" });
    expect(helloIn(roomWith({ name: "later", gate }), "other", elsewhere)).toEqual({ type: "refused", reason: "banned" });

    expect(helloIn(ops, "pest", peer(3))?.type).toBe("welcome");
    ops.kick("pest", NOW, 60_000, "room");
    expect(helloIn(ops, "other", { ...peer(3), port: 9 })).toEqual({ type: "refused", reason: "banned" });
    expect(helloIn(lobby, "other", { ...peer(3), port: 9 })?.type).toBe("welcome");
  });

  test("a room without a gate has a door of its own: a ban there is not another room's", () => {
    const lobby = roomWith();
    const ops = roomWith({ name: "ops" });
    expect(helloIn(lobby, "troll", peer(2))?.type).toBe("welcome");
    lobby.kick("troll", NOW, 60_000);
    expect(helloIn(ops, "troll", peer(2))?.type).toBe("welcome");
  });

  test("the gate's login allowance is the rooms' together, and their own `logins` is not read", () => {
    const gate = new Gate({ count: 3, windowMs: 60_000 }, undefined);
    const rooms = [roomWith({ gate, logins: undefined }), roomWith({ name: "ops", gate, logins: undefined })];
    const nat = (port: number): Peer => ({ address: "192.0.2.1", port });
    const replies = Array.from({ length: 6 }, (_, i) => helloIn(rooms[i % 2]!, `u${i}`, nat(100 + i)));
    expect(replies.map((r) => (r?.type === "refused" ? r.reason : r?.type))).toEqual([
      "welcome",
      "welcome",
      "welcome",
      "too_many_logins",
      "too_many_logins",
      "too_many_logins",
    ]);
  });
});

describe("the welcome's limits", () => {
  test("it carries the allowance in force (burst, refillMs rounded up) and the peer timeout", () => {
    room = roomWith({ rate: { burst: 20, refillMs: 1000 / 3 }, peerTimeoutMs: 5000 }); // --burst 20 --rate 3/1
    const out = room.hello({ type: "hello", name: "alice", nonce: nonce(1) }, peer(1), NOW);
    expect(reply(out)).toMatchObject({ type: "welcome", burst: 20, refillMs: 334, timeoutMs: 5000 });
    // a repeated welcome says the same
    expect(reply(room.hello({ type: "hello", name: "alice", nonce: nonce(1) }, peer(1), NOW + 10))).toMatchObject({
      burst: 20,
      refillMs: 334,
    });
  });

  test("a member that paces to the welcome's allowance is never refused; one that does not is", () => {
    room = roomWith({ rate: { burst: 20, refillMs: 1000 } });
    const out = room.hello({ type: "hello", name: "alice", nonce: nonce(1) }, peer(1), NOW);
    const { sid, burst, refillMs } = reply(out) as { sid: string; burst: number; refillMs: number };
    const types: string[] = [];
    // the burst at once, then one every refillMs: 40 lines, all through
    for (let id = 1; id <= 40; id++) {
      const at = NOW + Math.max(0, id - burst) * refillMs;
      types.push(...room.say(say(sid, id, `line ${id}`), peer(1), at).replies.map((r) => r.type));
    }
    expect(types).toEqual(Array(40).fill("ack"));
    // the 41st at once after the 40th: over the allowance
    expect(reply(room.say(say(sid, 41, "flood"), peer(1), NOW + 20 * refillMs))).toMatchObject({ reason: "rate_limited" });
  });
});

describe("probes before the timeout", () => {
  const TIMEOUT = 5000;
  const kinds = (s: { probes: readonly { name: string }[] }) => s.probes.map((m) => m.name);

  test("a silent member is probed at 60% of the timeout, again every 500 ms, and removed at the timeout", () => {
    enter("alice", 1);
    expect(kinds(room.sweep(NOW + 2999, TIMEOUT))).toEqual([]);
    expect(kinds(room.sweep(NOW + 3000, TIMEOUT))).toEqual(["alice"]);
    expect(kinds(room.sweep(NOW + 3250, TIMEOUT))).toEqual([]); // waiting for its answer
    expect(kinds(room.sweep(NOW + 3500, TIMEOUT))).toEqual(["alice"]);
    expect(kinds(room.sweep(NOW + 4000, TIMEOUT))).toEqual(["alice"]);
    expect(kinds(room.sweep(NOW + 4500, TIMEOUT))).toEqual(["alice"]);
    const last = room.sweep(NOW + 5000, TIMEOUT);
    expect(last.broadcasts).toEqual([]); // silent for exactly the timeout: not yet
    const gone = room.sweep(NOW + 5001, TIMEOUT);
    expect(gone.broadcasts.map((b) => b.event)).toEqual([{ type: "leave", seq: 2, ts: NOW + 5001, name: "alice", reason: "timeout" }]);
    expect(gone.probes).toEqual([]);
  });

  test("a member that answers its probe (a ping) is kept, and probed again only after another silence", () => {
    const alice = enter("alice", 1);
    expect(kinds(room.sweep(NOW + 3000, TIMEOUT))).toEqual(["alice"]);
    room.ping({ type: "ping", sid: alice }, peer(1), NOW + 3100);
    expect(kinds(room.sweep(NOW + 3600, TIMEOUT))).toEqual([]);
    expect(kinds(room.sweep(NOW + 6099, TIMEOUT))).toEqual([]);
    expect(kinds(room.sweep(NOW + 6100, TIMEOUT))).toEqual(["alice"]); // 60% of the timeout after its answer
    expect(room.sweep(NOW + 8000, TIMEOUT).broadcasts).toEqual([]); // 4.9 s after its answer: still in
    expect(room.names()).toEqual(["alice"]);
  });

  test("the timeout defaults to the room's peerTimeoutMs", () => {
    enter("alice", 1);
    expect(kinds(room.sweep(NOW + 9000))).toEqual(["alice"]); // 60% of TIMERS' 15 s
    expect(room.sweep(NOW + 15_001).broadcasts.map((b) => b.event.type)).toEqual(["leave"]);
  });
});

describe("a ghost does not keep a name", () => {
  /** The same machine (one IP address), another port: a new `chat join` after the old one was killed. */
  const here = (port: number): Peer => ({ address: "192.0.2.9", port });
  const hello = (n: number, at: Peer, now: number) => room.hello({ type: "hello", name: "dave", nonce: nonce(n) }, at, now);

  test("same IP, holder silent after its probe: the newcomer is held off, then the old session ends and it is welcomed", () => {
    enter("alice", 1);
    const old = room.hello({ type: "hello", name: "dave", nonce: nonce(1) }, here(1000), NOW).replies[0] as { sid: string };
    const first = hello(2, here(2000), NOW + 100);
    expect(first.replies).toEqual([]); // no answer: its client asks again in 500 ms
    expect(first.probes?.map((m) => m.sid)).toEqual([old.sid]);
    const second = hello(2, here(2000), NOW + 600);
    expect(second.replies).toEqual([]);
    expect(second.probes?.map((m) => m.name)).toEqual(["dave"]); // probed again
    const third = hello(2, here(2000), NOW + 1100);
    expect(reply(third)).toMatchObject({ type: "welcome", name: "dave", members: ["alice"] });
    expect((reply(third) as { sid: string }).sid).not.toBe(old.sid);
    expect(events(third)).toEqual([
      { type: "leave", seq: 3, ts: NOW + 1100, name: "dave", reason: "timeout" },
      { type: "join", seq: 4, ts: NOW + 1100, name: "dave" },
    ]);
    expect(room.memberNamed("dave")!.peer).toEqual(here(2000));
  });

  test("same IP, holder answers the probe: it keeps its name and the newcomer is refused name_taken", () => {
    const old = room.hello({ type: "hello", name: "dave", nonce: nonce(1) }, here(1000), NOW).replies[0] as { sid: string };
    expect(hello(2, here(2000), NOW + 100).replies).toEqual([]);
    room.ping({ type: "ping", sid: old.sid }, here(1000), NOW + 105);
    expect(reply(hello(2, here(2000), NOW + 600))).toEqual({ type: "refused", reason: "name_taken" });
    expect(reply(hello(2, here(2000), NOW + 1600))).toEqual({ type: "refused", reason: "name_taken" });
    expect(room.memberNamed("dave")!.sid).toBe(old.sid);
  });

  test("another IP: name_taken at once, and no probe", () => {
    room.hello({ type: "hello", name: "dave", nonce: nonce(1) }, here(1000), NOW);
    const out = room.hello({ type: "hello", name: "dave", nonce: nonce(2) }, { address: "198.51.100.1", port: 1000 }, NOW + 2000);
    expect(out).toEqual({ ...nothing, replies: [{ type: "refused", reason: "name_taken" }] });
  });

  test("the holder's own address and port with another client on it: the old session ends at once", () => {
    room.hello({ type: "hello", name: "dave", nonce: nonce(1) }, here(1000), NOW);
    const out = hello(2, here(1000), NOW + 10);
    expect(reply(out)).toMatchObject({ type: "welcome", name: "dave" });
    expect(events(out).map((e) => e.type)).toEqual(["leave", "join"]);
  });

  test("each newcomer makes the holder prove itself anew: one refused, then the holder dies, and the next takes the name", () => {
    const old = room.hello({ type: "hello", name: "dave", nonce: nonce(1) }, here(1000), NOW).replies[0] as { sid: string };
    hello(2, here(2000), NOW);
    room.ping({ type: "ping", sid: old.sid }, here(1000), NOW + 100);
    expect(reply(hello(2, here(2000), NOW + 500))).toMatchObject({ reason: "name_taken" });
    expect(reply(hello(2, here(2000), NOW + 1000))).toMatchObject({ reason: "name_taken" }); // its late repeats too
    // the holder is killed now; a new `chat join dave` a moment later probes it again instead of being refused on old news
    const again = hello(3, here(3000), NOW + 1200);
    expect(again.replies).toEqual([]);
    expect(again.probes?.map((m) => m.name)).toEqual(["dave"]);
    expect(reply(hello(3, here(3000), NOW + 2200))).toMatchObject({ type: "welcome" });
  });

  test("a contest is forgotten after a while: the same newcomer much later probes again", () => {
    const old = room.hello({ type: "hello", name: "dave", nonce: nonce(1) }, here(1000), NOW).replies[0] as { sid: string };
    hello(2, here(2000), NOW);
    room.ping({ type: "ping", sid: old.sid }, here(1000), NOW + 100);
    expect(reply(hello(2, here(2000), NOW + 500))).toMatchObject({ reason: "name_taken" });
    expect(hello(2, here(2000), NOW + 10_000).probes?.map((m) => m.name)).toEqual(["dave"]);
  });

  test("a room without the rule (a cluster's) refuses as before; a classic login is never held off", () => {
    room = roomWith({ ghosts: false });
    room.hello({ type: "hello", name: "dave", nonce: nonce(1) }, here(1000), NOW);
    expect(reply(hello(2, here(2000), NOW))).toEqual({ type: "refused", reason: "name_taken" });
    expect(reply(room.classicLogin("dave", here(3000), NOW))).toEqual({ type: "refused", reason: "name_taken" });
  });
});
