// A room's fan-out through its links: a lone event alone, a burst packed, a private alone after what was queued,
// the excluded member left out, the tick of a quiet room; the classic members' lines; the kick notice.

import { beforeEach, describe, expect, test } from "bun:test";
import type { Broadcast, Room } from "../../../src/core/room/room.ts";
import { checkProof, proofKey, readProof } from "../../../src/core/wire/proof.ts";
import { MAX_PAYLOAD_BYTES, TIMERS } from "../../../src/core/wire/protocol.ts";
import { ClassicLink } from "../../../src/server/classic.ts";
import { DatagramLink } from "../../../src/server/fanout.ts";
import { RoomLinks } from "../../../src/server/member-link.ts";
import { ServerProofs } from "../../../src/server/proofs.ts";
import { enter, NOW, newRoom, nonce, peer, RecordingUdp, unproven } from "./fakes.ts";

let room: Room;
let udp: RecordingUdp;
let link: DatagramLink;
/** Flushes scheduled for the end of the turn, run by turnEnds(). */
let scheduled: Array<() => void>;
let clock: number;
const sids: string[] = [];
const turnEnds = () => {
  for (const run of scheduled.splice(0)) run();
};
/** A room event as the room makes it: a message from member `i`. */
const said = (i: number, text: string): Broadcast =>
  room.say({ type: "say", sid: sids[i]!, id: 1 + room.seq, base: 1 + room.seq, text }, peer(i + 1), NOW).broadcasts[0]!;

beforeEach(() => {
  room = newRoom();
  udp = new RecordingUdp();
  scheduled = [];
  clock = NOW;
  link = new DatagramLink({ room, udp, seal: (b) => b, proofs: new ServerProofs(), now: () => clock, later: (f) => scheduled.push(f) });
  sids.length = 0;
  for (let i = 0; i < 3; i++) sids.push(enter(room, `m${i}`, peer(i + 1)));
});

describe("the datagram link", () => {
  test("a lone event goes alone, at the end of the turn, to everyone but its sender", () => {
    const b = said(0, "hello");
    link.deliver(b);
    expect(udp.sent).toEqual([]); // held until the turn ends
    turnEnds();
    expect(udp.sent.map((s) => s.to.port)).toEqual([2, 3]);
    // the very bytes the room encoded, once, behind a proof made for each addressee alone
    for (const s of udp.sent) expect(unproven(s.bytes)).toEqual(b.datagram);
    const proof = readProof(udp.sent[0]!.bytes)!;
    expect(checkProof(proofKey(nonce(2)), "server", proof)).toBe(true);
    expect(checkProof(proofKey(nonce(3)), "server", proof)).toBe(false);
    expect(checkProof(proofKey(nonce(2)), "member", proof)).toBe(false);
    expect(readProof(udp.sent[1]!.bytes)!.counter).toBeGreaterThan(proof.counter);
  });

  test("a room of 150: the copies go 64 at a time, each proven for its own member, the sender left out", () => {
    for (let i = 3; i < 150; i++) sids.push(enter(room, `m${i}`, peer(i + 1)));
    const b = said(0, "to a crowd");
    link.deliver(b);
    turnEnds();
    expect(udp.fanouts).toBe(3); // 64 + 64 + 21 of the 149 others
    expect(udp.sent.map((s) => s.to.port)).toEqual(Array.from({ length: 149 }, (_, i) => i + 2));
    for (const s of udp.sent) {
      expect(unproven(s.bytes)).toEqual(b.datagram);
      expect(checkProof(proofKey(nonce(s.to.port)), "server", readProof(s.bytes)!)).toBe(true);
    }
  });

  test("a burst of one turn is packed: several events per datagram, and everyone gets all of them, their own included", () => {
    const burst = Array.from({ length: 30 }, (_, k) => said(k % 3, `line ${k}`));
    for (const b of burst) link.deliver(b);
    expect(scheduled.length).toBe(1); // one flush for the whole turn
    turnEnds();
    const datagrams = udp.to(peer(1));
    expect(datagrams.length).toBeLessThan(burst.length);
    expect(datagrams.join("\n").split("\n").length).toBe(burst.length);
    for (const d of datagrams) expect(new TextEncoder().encode(d).length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(udp.to(peer(2))).toEqual(datagrams);
  });

  test("a private message goes alone, after what was queued before it; the others get its stand-in", () => {
    link.deliver(said(1, "before"));
    const priv = room.say({ type: "say", sid: sids[0]!, id: 1 + room.seq, base: 1 + room.seq, text: "psst", to: "m2" }, peer(1), NOW)
      .broadcasts[0]!;
    expect(priv.only).toBeDefined();
    link.deliver(priv);
    // the queued event went first, without waiting for the end of the turn
    expect(udp.sent.slice(0, 2).map((s) => [s.to.port, s.text.includes("before")])).toEqual([
      [1, true],
      [3, true],
    ]);
    const after = udp.sent.slice(2);
    expect(unproven(after.find((s) => s.to.port === 3)!.bytes)).toEqual(priv.datagram); // the addressee
    expect(after.filter((s) => s.to.port === 3).length).toBe(1);
    expect(after.filter((s) => s.to.port === 1)).toEqual([]); // the sender sees its own on its screen
    expect(unproven(after.find((s) => s.to.port === 2)!.bytes)).toEqual(priv.only!.hidden);
    turnEnds();
    expect(udp.sent.length).toBe(2 + after.length); // nothing left to flush
  });

  test("the excluded member is left out of a lone event, and a member who left gets nothing", () => {
    const gone = room.bye({ type: "bye", sid: sids[2]!, id: 1 }, peer(3), NOW).broadcasts[0]!;
    link.deliver(gone);
    turnEnds();
    expect(udp.sent.map((s) => s.to.port)).toEqual([1, 2]);
  });

  test("a quiet room ticks after a heartbeat, after what was queued, and not before", () => {
    let ticks = 0;
    const tick = () => {
      ticks++;
      return new TextEncoder().encode("tick");
    };
    link.idle(clock, tick); // never sent anything yet: a tick is due
    expect(udp.take().map((s) => s.text)).toEqual(["tick", "tick", "tick"]);
    link.deliver(said(0, "x"));
    link.idle(clock + TIMERS.heartbeatMs - 1, tick); // the last datagram went out less than a heartbeat ago
    expect(udp.take().map((s) => s.text)).toEqual([]);
    clock += TIMERS.heartbeatMs;
    link.idle(clock, tick);
    const sent = udp.take().map((s) => s.text);
    expect(sent.filter((t) => t !== "tick").length).toBe(2); // the queued event went out first
    expect(sent.slice(-3)).toEqual(["tick", "tick", "tick"]);
    expect(ticks).toBe(2);
  });

  test("a member removed by the operator is told so, as refused kicked or banned", () => {
    const member = room.memberOf(sids[1]!)!;
    expect(link.removed(member, "banned")).toBe(true);
    expect(udp.take().map((s) => [s.to.port, JSON.parse(s.text).reason])).toEqual([[2, "banned"]]);
  });
});

describe("the classic link and the links together", () => {
  test("classic members get one line per event, datagram members the datagram; each member hears once", () => {
    const classic = room.classicLogin("old", peer(9), NOW).broadcasts;
    const links = new RoomLinks([new ClassicLink(room, udp), link]);
    for (const b of classic) links.deliver(b);
    links.deliver(said(0, "hi old"));
    links.flush();
    expect(udp.to(peer(9))).toEqual(["m0 : hi old"]);
    // old's join and m0's message, packed in one datagram for the datagram members
    expect(
      udp
        .to(peer(2))
        .join("\n")
        .split("\n")
        .map((l) => JSON.parse(l).type),
    ).toEqual(["join", "message"]);
    expect(udp.to(peer(1))).toEqual(udp.to(peer(2)));
    expect(udp.sent.filter((s) => s.to.port === 9).length).toBe(1); // old: no datagram, its line only (its own join left out)
    const old = room.memberAt(peer(9))!;
    udp.take();
    expect(links.removed(old, "kicked")).toBe(true);
    expect(udp.take().map((s) => [s.to.port, s.text])).toEqual([[9, "EXIT"]]);
  });
});
