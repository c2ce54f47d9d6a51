// The durable store on a real SQLite file: what a restarted server finds, and a room restored from it.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Room } from "../../src/core/room/room.ts";
import { decode, encode } from "../../src/core/wire/protocol.ts";
import { roomFile, SqliteStore } from "../../src/server/sqlite-store.ts";

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir?: string) {
  const d = dir ?? mkdtempSync(join(tmpdir(), "chat-store-"));
  if (!dir) dirs.push(d);
  const store = new SqliteStore(roomFile(d, 9999));
  stores.push(store);
  return { dir: d, store };
}

const message = (seq: number) => ({
  seq,
  type: "message" as const,
  datagram: encode({ type: "message", seq, ts: 1, from: "a", text: `m${seq}` }),
});

describe("what survives a restart", () => {
  test("events, members, last ids and the epoch", () => {
    const { dir, store } = open();
    store.commit({
      events: [message(1), message(2)],
      joined: [{ sid: "a".repeat(32), name: "ann", nonce: "0".repeat(16), address: "127.0.0.1", port: 4000, joinedAt: 7 }],
      left: [],
      delivered: [["0".repeat(16), 2]],
    });
    const epoch = store.epoch;
    store.close();
    stores.pop();

    const again = open(dir).store;
    expect(again.epoch).toBe(epoch);
    expect(again.lastSeq).toBe(2);
    expect(again.members()).toEqual([
      { sid: "a".repeat(32), name: "ann", nonce: "0".repeat(16), address: "127.0.0.1", port: 4000, joinedAt: 7 },
    ]);
    expect(again.lastId("0".repeat(16))).toBe(2);
    expect(decode(again.event(2)!)).toEqual([{ type: "message", seq: 2, ts: 1, from: "a", text: "m2" }]);
    expect(again.event(3)).toBeUndefined();
  });

  test("a member who left is not restored", () => {
    const { dir, store } = open();
    const m = { sid: "b".repeat(32), name: "ben", nonce: "1".repeat(16), address: "127.0.0.1", port: 4001, joinedAt: 1 };
    store.commit({ events: [], joined: [m], left: [], delivered: [] });
    store.commit({ events: [], joined: [], left: [m.sid], delivered: [] });
    store.close();
    stores.pop();
    expect(open(dir).store.members()).toEqual([]);
  });

  test("two rooms (two ports) have different epochs", () => {
    expect(open().store.epoch).not.toBe(open().store.epoch);
  });

  test("the backlog start comes from the database when memory does not reach back", () => {
    const { dir, store } = open();
    for (let seq = 1; seq <= 30; seq++) store.commit({ events: [message(seq)], joined: [], left: [], delivered: [] });
    store.close();
    stores.pop();
    const again = open(dir).store; // its in-memory window is empty
    expect(again.backlogStart(20, 500)).toBe(11);
    expect(again.backlogStart(50, 500)).toBe(1);
  });
});

test("a room restored from the store knows its members, its sequence and the ids it already relayed", () => {
  const { dir, store } = open();
  let n = 0;
  const newSessionId = () => String(++n).padStart(32, "0");
  const room = new Room({ store, newSessionId, history: 20, now: 0, rate: undefined, maxMembers: 1000 });
  const welcome = room.hello({ type: "hello", name: "ann", nonce: "0".repeat(16) }, { address: "127.0.0.1", port: 5000 }, 0).replies[0];
  if (welcome?.type !== "welcome") throw new Error("not welcomed");
  room.say({ type: "say", sid: welcome.sid, id: 1, base: 1, text: "before the crash" }, { address: "127.0.0.1", port: 5000 }, 0);
  store.close();
  stores.pop();

  const restored = new Room({ store: open(dir).store, newSessionId, history: 20, now: 1000, rate: undefined, maxMembers: 1000 });
  expect([...restored.members()].map((m) => m.name)).toEqual(["ann"]);
  expect(restored.seq).toBe(2);
  // the say repeated after the restart (its ack was lost in the crash) is recognized: acknowledged, not relayed again
  const repeat = restored.say(
    { type: "say", sid: welcome.sid, id: 1, base: 1, text: "before the crash" },
    { address: "127.0.0.1", port: 5000 },
    1000,
  );
  expect(repeat.replies).toEqual([{ type: "ack", id: 1 }]);
  expect(repeat.broadcasts).toEqual([]);
});
