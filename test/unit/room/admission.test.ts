// Who may log in, without a room: the order of the checks, and what uses up a login; the gate's new rooms per address.

import { describe, expect, test } from "bun:test";
import { Admission } from "../../../src/core/room/admission.ts";
import { DEFAULT_NEW_ROOMS, Gate } from "../../../src/core/room/gate.ts";
import { type Member, type Peer, Roster } from "../../../src/core/room/roster.ts";
import { SayOrder } from "../../../src/core/room/say-order.ts";
import { ABUSE } from "../../../src/core/wire/protocol.ts";

const NOW = 1_795_000_000_000;
const peer = (port: number, address = `10.0.0.${port}`): Peer => ({ address, port });
const hello = (name: string, nonce = name.padStart(16, "0")) => ({ name, nonce });
function member(name: string, p: Peer): Member {
  const nonce = name.padStart(16, "0");
  return {
    sid: nonce.padStart(32, "0"),
    name,
    peer: p,
    nonce,
    joinedAt: NOW,
    lastSeen: NOW,
    says: new SayOrder(undefined, undefined, NOW),
  };
}
function setUp(opts: { logins?: { count: number; windowMs: number }; maxMembers?: number; gate?: Gate; room?: string } = {}) {
  const roster = new Roster();
  const gate = opts.gate ?? new Gate(opts.logins, undefined);
  const admission = new Admission(roster, { room: opts.room ?? "lobby", gate, maxMembers: opts.maxMembers ?? 1000 });
  return { roster, admission, gate };
}

describe("admit", () => {
  test("the name rule comes first: a bad name is refused even from a banned address", () => {
    const { roster, admission } = setUp();
    const alice = member("alice", peer(1));
    roster.add(alice);
    admission.kicked(alice, NOW, Infinity);
    expect(admission.admit(hello("no spaces"), peer(1), NOW)).toBe("bad_name");
    expect(admission.admit(hello("alice"), peer(1), NOW)).toBe("banned");
  });

  test("a ban refuses its address under any name and on any port, until it ends", () => {
    const { admission } = setUp();
    admission.kicked(member("alice", peer(1)), NOW, 10_000);
    expect(admission.admit(hello("other", "f".repeat(16)), peer(2, "10.0.0.1"), NOW + 9_999)).toBe("banned");
    expect(admission.admit(hello("other", "f".repeat(16)), peer(2, "10.0.0.1"), NOW + 10_000)).toBe("ok");
  });

  test("a kicked client is refused by its nonce from its IP address, whatever the port, for a while; not from elsewhere", () => {
    const { admission } = setUp();
    admission.kicked(member("alice", peer(1)), NOW);
    const samePlace = { address: peer(1).address, port: 4242 };
    expect(admission.admit(hello("alice2", "alice".padStart(16, "0")), samePlace, NOW)).toBe("kicked");
    // a login elsewhere that learned the nonce, kicked, does not keep the real client out
    expect(admission.admit(hello("alice2", "alice".padStart(16, "0")), peer(9), NOW)).toBe("ok");
    expect(admission.admit(hello("alice"), peer(1), NOW + ABUSE.kickMemoryMs)).toBe("ok");
  });

  test("the client that holds a name is let in again without using up a login; anyone else is told it is taken", () => {
    const { roster, admission } = setUp({ logins: { count: 1, windowMs: 60_000 } });
    roster.add(member("alice", peer(1)));
    for (let i = 0; i < 3; i++) expect(admission.admit(hello("ALICE", "alice".padStart(16, "0")), peer(1), NOW)).toBe("ok");
    expect(admission.admit(hello("alice", "e".repeat(16)), peer(3), NOW)).toBe("name_taken"); // another client
    expect(admission.admit(hello("alice", "alice".padStart(16, "0")), peer(2), NOW)).toBe("name_taken"); // another address
  });

  test("logins per address: a taken name uses one up too, and past the burst it says too_many_logins", () => {
    const { roster, admission } = setUp({ logins: { count: 2, windowMs: 2000 } });
    roster.add(member("alice", peer(1)));
    expect(admission.admit(hello("alice", "e".repeat(16)), peer(7), NOW)).toBe("name_taken");
    expect(admission.admit(hello("bob"), peer(7), NOW)).toBe("ok");
    expect(admission.admit(hello("carol"), peer(7), NOW)).toBe("too_many_logins");
    expect(admission.admit(hello("alice", "e".repeat(16)), peer(7), NOW)).toBe("too_many_logins");
    expect(admission.admit(hello("carol"), peer(8), NOW)).toBe("ok"); // another address has its own
  });

  test("a full room refuses a newcomer, but not a client taking the place of the session on its own address", () => {
    const { roster, admission } = setUp({ maxMembers: 1 });
    roster.add(member("alice", peer(1)));
    expect(admission.admit(hello("bob"), peer(2), NOW)).toBe("room_full");
    expect(admission.admit(hello("bob"), peer(1), NOW)).toBe("ok");
  });
});

describe("the ghost rule", () => {
  test("a newcomer from the holder's IP: probe, and only its first hello uses up a login; another IP is refused", () => {
    const { roster, admission } = setUp({ logins: { count: 1, windowMs: 60_000 } });
    const dave = member("dave", peer(1, "192.0.2.9"));
    roster.add(dave);
    const newcomer = peer(2, "192.0.2.9");
    expect(admission.admit(hello("dave", "f".repeat(16)), newcomer, NOW)).toBe("probe");
    expect(admission.admit(hello("dave", "f".repeat(16)), newcomer, NOW + 500)).toBe("probe"); // no login left, yet no refusal
    expect(admission.admit(hello("dave", "f".repeat(16)), newcomer, NOW + 1000)).toBe("take_over");
    expect(admission.admit(hello("dave", "f".repeat(16)), peer(3, "198.51.100.1"), NOW)).toBe("name_taken"); // no probe for another IP
  });

  test("the holder heard from since the contest began keeps its name", () => {
    const { roster, admission } = setUp();
    const dave = member("dave", peer(1, "192.0.2.9"));
    roster.add(dave);
    expect(admission.admit(hello("dave", "f".repeat(16)), peer(2, "192.0.2.9"), NOW)).toBe("probe");
    dave.lastSeen = NOW + 50;
    expect(admission.admit(hello("dave", "f".repeat(16)), peer(2, "192.0.2.9"), NOW + 1500)).toBe("name_taken");
  });

  test("off (a cluster's room), or for a newcomer that cannot wait (classic): name_taken as before", () => {
    const roster = new Roster();
    const off = new Admission(roster, { room: "lobby", gate: new Gate(undefined, undefined), maxMembers: 1000, ghosts: false });
    roster.add(member("dave", peer(1, "192.0.2.9")));
    expect(off.admit(hello("dave", "f".repeat(16)), peer(2, "192.0.2.9"), NOW)).toBe("name_taken");
    const on = new Admission(roster, { room: "lobby", gate: new Gate(undefined, undefined), maxMembers: 1000 });
    expect(on.admit(hello("dave", "f".repeat(16)), peer(2, "192.0.2.9"), NOW, false)).toBe("name_taken");
  });
});

describe("one door for every room of a server (gate.ts)", () => {
  /** Two rooms' admissions sharing one gate, as a server's rooms do. */
  function twoRooms(logins?: { count: number; windowMs: number }) {
    const gate = new Gate(logins, undefined);
    return { gate, lobby: setUp({ gate, room: "lobby" }), ops: setUp({ gate, room: "ops" }) };
  }

  test("a ban made in one room (scope server, the default) refuses the address in the other, and in a room made later", () => {
    const { gate, lobby, ops } = twoRooms();
    lobby.admission.kicked(member("troll", peer(1)), NOW, 60_000);
    expect(ops.admission.admit(hello("other", "f".repeat(16)), peer(2, "10.0.0.1"), NOW)).toBe("banned");
    const later = setUp({ gate, room: "later" });
    expect(later.admission.admit(hello("other", "f".repeat(16)), peer(3, "10.0.0.1"), NOW + 59_999)).toBe("banned");
    expect(later.admission.admit(hello("other", "f".repeat(16)), peer(3, "10.0.0.1"), NOW + 60_000)).toBe("ok");
  });

  test("a ban for one room (scope room) refuses the address there only", () => {
    const { lobby, ops } = twoRooms();
    ops.admission.kicked(member("troll", peer(1)), NOW, 60_000, "room");
    expect(ops.admission.admit(hello("other", "f".repeat(16)), peer(2, "10.0.0.1"), NOW)).toBe("banned");
    expect(lobby.admission.admit(hello("other", "f".repeat(16)), peer(2, "10.0.0.1"), NOW)).toBe("ok");
  });

  test("a kick's memory of the client (its nonce) holds in every room, or with scope room in its own only", () => {
    const { lobby, ops } = twoRooms();
    lobby.admission.kicked(member("alice", peer(1)), NOW);
    expect(ops.admission.admit(hello("alice", "alice".padStart(16, "0")), peer(1), NOW)).toBe("kicked");
    ops.admission.kicked(member("bob", peer(2)), NOW, undefined, "room");
    expect(ops.admission.admit(hello("bob", "bob".padStart(16, "0")), peer(2), NOW)).toBe("kicked");
    expect(lobby.admission.admit(hello("bob", "bob".padStart(16, "0")), peer(2), NOW)).toBe("ok");
    expect(ops.admission.admit(hello("alice", "alice".padStart(16, "0")), peer(1), NOW + ABUSE.kickMemoryMs)).toBe("ok");
  });

  test("logins per address are counted once for the server: four rooms do not give four allowances", () => {
    const gate = new Gate({ count: 20, windowMs: 20_000 }, undefined);
    const rooms = ["lobby", "a", "b", "c"].map((room) => setUp({ gate, room }));
    const verdicts = Array.from({ length: 25 }, (_, i) => rooms[i % 4]!.admission.admit(hello(`u${i}`), peer(7), NOW));
    expect(verdicts.filter((v) => v === "ok").length).toBe(20);
    expect(verdicts.slice(20)).toEqual(Array(5).fill("too_many_logins"));
    expect(rooms[0]!.admission.admit(hello("x"), peer(8), NOW)).toBe("ok"); // another address has its own
  });

  test("new rooms per address: ABUSE's burst at once, then one every newRoomEveryMs; each address its own; undefined unlimited", () => {
    const gate = new Gate(undefined, DEFAULT_NEW_ROOMS);
    const made = Array.from({ length: ABUSE.newRoomBurst + 1 }, () => gate.mayMakeRoom("10.0.0.7", NOW));
    expect(made).toEqual([...Array(ABUSE.newRoomBurst).fill(true), false]);
    expect(gate.mayMakeRoom("10.0.0.8", NOW)).toBe(true);
    expect(gate.mayMakeRoom("10.0.0.7", NOW + ABUSE.newRoomEveryMs - 1)).toBe(false);
    expect(gate.mayMakeRoom("10.0.0.7", NOW + 2 * ABUSE.newRoomEveryMs)).toBe(true);
    const open = new Gate(undefined, undefined);
    expect(Array.from({ length: 1000 }, () => open.mayMakeRoom("10.0.0.7", NOW)).every(Boolean)).toBe(true);
  });
});
