// Who is in the room, without a room: the three ways to find a member, and the address lists kept for the fan-out.

import { expect, test } from "bun:test";
import { type Member, type Peer, Roster } from "../../../src/core/room/roster.ts";
import { SayOrder } from "../../../src/core/room/say-order.ts";

const NOW = 1_795_000_000_000;
function member(name: string, port: number, classic = false): Member {
  const nonce = name.padStart(16, "0");
  const m = { sid: nonce.padStart(32, "0"), name, peer: { address: "10.0.0.1", port }, nonce, joinedAt: NOW, lastSeen: NOW };
  return { ...m, says: new SayOrder(undefined, undefined, NOW), ...(classic ? { classic } : {}) };
}

test("a member is found by session id, by name without regard to case, and by address; and no longer once dropped", () => {
  const roster = new Roster();
  const alice = member("Alice", 1);
  roster.add(alice);
  expect(roster.get(alice.sid)).toBe(alice);
  expect(roster.named("aLiCe")).toBe(alice);
  expect(roster.at({ address: "10.0.0.1", port: 1 })).toBe(alice);
  expect(roster.at({ address: "10.0.0.2", port: 1 })).toBeUndefined();
  roster.drop(alice);
  expect([roster.get(alice.sid), roster.named("alice"), roster.at(alice.peer), roster.size]).toEqual([undefined, undefined, undefined, 0]);
});

test("names and members in the order they joined", () => {
  const roster = new Roster();
  for (const [i, name] of ["carol", "alice", "小明"].entries()) roster.add(member(name, i));
  expect(roster.names()).toEqual(["carol", "alice", "小明"]);
  expect([...roster.members()].map((m) => m.name)).toEqual(roster.names());
});

test("peers and classic peers: the members' own address objects, one array kept until the membership changes", () => {
  const roster = new Roster();
  const alice = member("alice", 1);
  const old = member("old", 2, true);
  roster.add(alice);
  roster.add(old);
  const peers = roster.peers();
  expect(peers).toEqual([alice.peer]);
  expect(peers[0]).toBe(alice.peer); // the fan-out compares addresses by identity (classicPeers().includes(peerOf(sid)))
  expect(roster.classicPeers()).toEqual([old.peer]);
  expect(roster.peers()).toBe(peers);
  const bob = member("bob", 3);
  roster.add(bob);
  const after: readonly Peer[] = roster.peers();
  expect(after).not.toBe(peers);
  expect(after).toEqual([alice.peer, bob.peer]);
  roster.drop(alice);
  expect(roster.peers()).toEqual([bob.peer]);
  expect(roster.classicPeers()).toEqual([old.peer]);
});
