// What a member is sent again, without a room: the welcome page, the backlog, repairs with lost ranges, what a member may see, pages of names.

import { describe, expect, test } from "bun:test";
import {
  asSeenBy,
  backlog,
  NAMES_THAT_MIGHT_FIT,
  namesPage,
  namesThatFit,
  ownJoin,
  repair,
  repairSpan,
  welcomePage,
} from "../../../src/core/room/replay.ts";
import { EventRing, MemoryStore } from "../../../src/core/room/store.ts";
import {
  encode,
  encodeFrame,
  LIMITS,
  MAX_PAYLOAD_BYTES,
  type Members,
  type RoomEvent,
  textBytes,
} from "../../../src/core/wire/protocol.ts";

const NOW = 1_795_000_000_000;
const EPOCH = "00112233aabbccdd";
const text = (d: Uint8Array) => new TextDecoder().decode(d);
const message = (seq: number, from = "alice"): RoomEvent => ({ type: "message", seq, ts: NOW + seq, from, text: `m${seq}` });
const stored = (event: RoomEvent) => ({ seq: event.seq, type: event.type, datagram: encode(event) });
/** A ring holding events `seqs`, messages unless `events` says otherwise. */
function ringOf(seqs: number[], events: Record<number, RoomEvent> = {}): EventRing {
  const ring = new EventRing();
  for (const seq of seqs) ring.add(stored(events[seq] ?? message(seq)));
  return ring;
}
const at = (ring: EventRing) => (seq: number) => ring.get(seq)?.datagram;
const seqOf = (d: Uint8Array) => (JSON.parse(text(d)) as { seq: number }).seq;
const alice = { sid: "a".repeat(32), name: "alice", joinedAt: NOW };
const hidden = (seq: number) => `{"v":3,"type":"hidden","seq":${seq}}`;
const longNames = (n: number) => Array.from({ length: n }, (_, i) => `member_${String(i).padStart(9, "0")}`);

describe("asSeenBy", () => {
  const psst: RoomEvent = { type: "private", seq: 7, ts: NOW + 10, from: "alice", to: "bob", text: "psst" };
  test("anything but a private message is seen as it was sent", () => {
    const d = encode(message(3));
    expect(asSeenBy({ name: "carol", joinedAt: NOW + 100 }, d)).toBe(d);
  });
  test("a private message: its two parties see it, without regard to case; anyone else its hidden stand-in", () => {
    const d = encode(psst);
    expect(asSeenBy({ name: "ALICE", joinedAt: NOW }, d)).toBe(d);
    expect(asSeenBy({ name: "bob", joinedAt: NOW }, d)).toBe(d);
    expect(text(asSeenBy({ name: "carol", joinedAt: NOW }, d))).toBe(hidden(7));
  });
  test("a later session under a party's name (it joined after the message) sees it hidden", () => {
    expect(text(asSeenBy({ name: "bob", joinedAt: NOW + 10 }, encode(psst)))).toBe(hidden(7));
    expect(text(asSeenBy({ name: "bob", joinedAt: NOW + 11 }, encode(psst)))).toBe(hidden(7));
  });
});

describe("backlog", () => {
  test("events start..end from the store, as the member may see them, and those no longer kept skipped", () => {
    const store = new MemoryStore(EPOCH);
    const psst: RoomEvent = { type: "private", seq: 3, ts: NOW, from: "bob", to: "carol", text: "x" };
    store.commit({ events: [1, 2, 3, 4, 5].map((s) => stored(s === 3 ? psst : message(s))), joined: [], left: [], delivered: [] });
    const start = store.backlogStart(20, LIMITS.backlogSpan);
    expect(start).toBe(1);
    const got = backlog(start, 4, (s) => (s === 2 ? undefined : store.event(s)), alice);
    expect(got.map(text)).toEqual([text(encode(message(1))), hidden(3), text(encode(message(4)))]);
  });
  test("start 0 is no backlog", () => {
    expect(backlog(0, 10, at(ringOf([1, 2, 3])), alice)).toEqual([]);
  });
});

describe("welcomePage", () => {
  const facts = { member: alice, seq: 9, epoch: EPOCH, ts: NOW, eventAt: at(ringOf([5, 6, 7, 8])) };
  test("lists the others and the backlog's start; the backlog comes after it", () => {
    const { welcome, resend } = welcomePage({ ...facts, others: ["bob", "小明"], count: 2, backlog: { start: 5, end: 8 } });
    expect(welcome).toEqual({
      type: "welcome",
      sid: alice.sid,
      name: "alice",
      members: ["bob", "小明"],
      count: 2,
      seq: 9,
      backlog: 5,
      epoch: EPOCH,
      ts: NOW,
    });
    expect(resend.map(seqOf)).toEqual([5, 6, 7, 8]);
  });
  test("a backlog of which nothing is kept any more is announced as none", () => {
    const { welcome, resend } = welcomePage({ ...facts, others: [], count: 0, backlog: { start: 1, end: 4 } });
    expect(resend).toEqual([]);
    expect(welcome.backlog).toBe(0);
  });
  test("lists as many others as fit in one datagram, in order, and counts them all", () => {
    const others = longNames(300);
    const { welcome } = welcomePage({ ...facts, others, count: others.length, backlog: { start: 0, end: 8 } });
    expect(welcome.count).toBe(300);
    expect(welcome.members).toEqual(others.slice(0, welcome.members.length));
    expect(welcome.members.length).toBeGreaterThan(40);
    expect(encode(welcome).length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    const oneMore = { ...welcome, members: others.slice(0, welcome.members.length + 1) };
    expect(textBytes(encodeFrame(oneMore))).toBeGreaterThan(MAX_PAYLOAD_BYTES);
  });
  test("carries the room's allowance and the peer timeout, and still fits with them: the names are what is left", () => {
    const others = longNames(300);
    const limits = { burst: 100_000, refillMs: 86_400_000, timeoutMs: 86_400_000 }; // the largest the flags allow
    const { welcome } = welcomePage({ ...facts, others, count: others.length, limits, backlog: { start: 0, end: 8 } });
    expect(welcome).toMatchObject(limits);
    expect(encode(welcome).length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    const oneMore = { ...welcome, members: others.slice(0, welcome.members.length + 1) };
    expect(textBytes(encodeFrame(oneMore))).toBeGreaterThan(MAX_PAYLOAD_BYTES);
    // fewer names than without the fields: they took room
    expect(welcome.members.length).toBeLessThan(
      welcomePage({ ...facts, others, count: others.length, backlog: { start: 0, end: 8 } }).welcome.members.length,
    );
  });
  test("the first NAMES_THAT_MIGHT_FIT others list what all of them would, even of the shortest names", () => {
    const others = Array.from({ length: 2000 }, (_, i) => String.fromCharCode(0x61 + (i % 26)));
    const all = welcomePage({ ...facts, others, count: 2000, backlog: { start: 0, end: 8 } }).welcome;
    const first = welcomePage({ ...facts, others: others.slice(0, NAMES_THAT_MIGHT_FIT), count: 2000, backlog: { start: 0, end: 8 } });
    expect(first.welcome).toEqual(all);
    expect(all.members.length).toBeLessThan(NAMES_THAT_MIGHT_FIT);
  });
  test("without limits (no --rate, and no timeout given) the welcome has none of the fields", () => {
    const { welcome } = welcomePage({ ...facts, others: [], count: 0, backlog: { start: 0, end: 8 } });
    expect(Object.keys(welcome)).not.toContain("burst");
    expect(Object.keys(welcome)).not.toContain("timeoutMs");
  });
  test("ownJoin finds the member's own join among the request's broadcasts", () => {
    const join = { event: { type: "join", seq: 4, ts: NOW, name: "alice" } as RoomEvent, datagram: new Uint8Array(), except: alice.sid };
    const other = { ...join, except: "b".repeat(32) };
    expect(ownJoin([other, join], alice.sid)).toBe(join);
    expect(ownJoin([other], alice.sid)).toBeUndefined();
  });
});

describe("repair", () => {
  test("the span starts at 1 at the earliest, and stops at the last event and at one repair's worth", () => {
    expect(repairSpan(0, 5, 100)).toEqual({ first: 1, last: 5 });
    expect(repairSpan(95, 500, 101)).toEqual({ first: 95, last: 101 });
    expect(repairSpan(1, 1000, 1000)).toEqual({ first: 1, last: LIMITS.maxRepair });
    expect(repairSpan(10, 20, 5).last).toBeLessThan(10); // nothing to send: the member is ahead of the log
  });
  test("a nack from 0 gets the first 64 events, as one from 1 does; one whose from is past its to gets nothing", () => {
    expect(repairSpan(0, 1000, 1000)).toEqual({ first: 1, last: LIMITS.maxRepair });
    const backwards = repairSpan(9, 3, 100);
    expect(backwards.last).toBeLessThan(backwards.first);
    expect(repair(backwards, at(ringOf([1, 2, 3, 4, 5, 6, 7, 8, 9])), alice)).toEqual({ resend: [], lost: [] });
    const huge = repairSpan(5, Number.MAX_SAFE_INTEGER, 10);
    expect(huge).toEqual({ first: 5, last: 10 });
    expect(repair(repairSpan(20, 30, 10), () => undefined, alice)).toEqual({ resend: [], lost: [] }); // past the last event: no lost either
  });
  test("within the ring: the stored bytes again, in order", () => {
    const ring = ringOf([1, 2, 3, 4, 5]);
    const { resend, lost } = repair(repairSpan(2, 4, 5), at(ring), alice);
    expect(resend).toEqual([2, 3, 4].map((s) => ring.get(s)!.datagram));
    expect(lost).toEqual([]);
  });
  test("each run of events no longer kept is one lost range, at the start, in the middle and at the end", () => {
    const { resend, lost } = repair(repairSpan(1, 12, 12), at(ringOf([3, 4, 6, 9, 10])), alice);
    expect(resend.map(seqOf)).toEqual([3, 4, 6, 9, 10]);
    expect(lost).toEqual([
      { type: "lost", from: 1, to: 2 },
      { type: "lost", from: 5, to: 5 },
      { type: "lost", from: 7, to: 8 },
      { type: "lost", from: 11, to: 12 },
    ]);
  });
  test("what is gone entirely is one range; a private message is repaired as its reader may see it", () => {
    expect(repair(repairSpan(1, 3, 3), () => undefined, alice)).toEqual({ resend: [], lost: [{ type: "lost", from: 1, to: 3 }] });
    const psst: RoomEvent = { type: "private", seq: 2, ts: NOW + 1, from: "bob", to: "carol", text: "x" };
    const ring = ringOf([1, 2], { 2: psst });
    expect(repair(repairSpan(1, 2, 2), at(ring), alice).resend.map(text)).toEqual([text(ring.get(1)!.datagram), hidden(2)]);
    expect(repair(repairSpan(2, 2, 2), at(ring), { name: "carol", joinedAt: NOW }).resend).toEqual([ring.get(2)!.datagram]);
  });
});

/** The server's namesPage as it was (server.ts), kept here to show that the shared one answers the same. */
function referenceNamesPage(names: readonly string[], id: number, from: number, bytes: number): Members {
  const page: Members = { type: "members", id, names: [], total: names.length, next: 0 };
  let size = textBytes(encodeFrame({ ...page, next: names.length }));
  for (let i = from; i < names.length; i++) {
    size += textBytes(JSON.stringify(names[i])) + 1;
    if (size > Math.min(bytes, MAX_PAYLOAD_BYTES)) {
      page.next = i;
      break;
    }
    page.names.push(names[i]!);
  }
  return page;
}

describe("namesPage", () => {
  test("a short list is one page, with no next", () => {
    expect(namesPage(["alice", "bob"], 3, 0, MAX_PAYLOAD_BYTES)).toEqual({
      type: "members",
      id: 3,
      names: ["alice", "bob"],
      total: 2,
      next: 0,
    });
    expect(namesPage([], 3, 0, MAX_PAYLOAD_BYTES)).toEqual({ type: "members", id: 3, names: [], total: 0, next: 0 });
  });
  test.each([MAX_PAYLOAD_BYTES, 600, 200])(
    "pages within %d bytes each fit, and chained by next list every name once, in order",
    (bytes) => {
      const names = [...longNames(150), "小明", "émilie", "ok"];
      const seen: string[] = [];
      let from = 0;
      for (let pages = 0; pages < 200; pages++) {
        const page = namesPage(names, 1, from, bytes);
        expect(encode(page).length).toBeLessThanOrEqual(bytes);
        expect(page.total).toBe(names.length);
        seen.push(...page.names);
        if (page.next === 0) break;
        expect(page.next).toBe(from + page.names.length);
        from = page.next;
      }
      expect(seen).toEqual(names);
    },
  );
  test("a budget above the datagram's is held to the datagram's; a start past the end is an empty last page", () => {
    const names = longNames(300);
    expect(encode(namesPage(names, 1, 0, 10 * MAX_PAYLOAD_BYTES)).length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(namesPage(names, 1, 300, MAX_PAYLOAD_BYTES)).toEqual({ type: "members", id: 1, names: [], total: 300, next: 0 });
    expect(namesPage(names, 1, 999, MAX_PAYLOAD_BYTES)).toEqual({ type: "members", id: 1, names: [], total: 300, next: 0 });
  });
  test("answers what the server's namesPage answered, for every start and several budgets", () => {
    const names = [...longNames(120), "小明", "a"];
    for (const bytes of [100, 250, 700, MAX_PAYLOAD_BYTES, 5000])
      for (let from = 0; from <= names.length + 1; from += 7)
        expect(namesPage(names, 2, from, bytes)).toEqual(referenceNamesPage(names, 2, from, bytes));
  });
  test("namesThatFit counts each name quoted with its comma", () => {
    const frame: Members = { type: "members", id: 1, names: [], total: 2, next: 2 };
    const base = textBytes(encodeFrame(frame));
    expect(namesThatFit(frame, ["ab", "cd"], 0, base + 5)).toEqual(["ab"]); // "ab", is 5 bytes
    expect(namesThatFit(frame, ["ab", "cd"], 0, base + 4)).toEqual([]);
    expect(namesThatFit(frame, ["ab", "cd"], 1, base + 10)).toEqual(["cd"]);
  });
});
