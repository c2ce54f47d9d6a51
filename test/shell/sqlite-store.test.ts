// The durable store on a real SQLite file: what a restarted server finds, a room restored from it, and files only its user reads.

import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Room } from "../../src/core/room/room.ts";
import { decode, encode } from "../../src/core/wire/protocol.ts";
import { privacyProblem } from "../../src/runtime/dirs.ts";
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

describe("a turn's commits, written together at its end", () => {
  const change = (seq: number, client: string) => ({
    events: [message(seq)],
    joined: [],
    left: [],
    delivered: [[client, seq]] as Array<[string, number]>,
  });
  /** What another connection to the file sees: what was written, not what is held. */
  const written = (dir: string) => {
    const other = open(dir).store;
    const seen = { lastSeq: other.lastSeq, lastId: other.lastId("c") };
    other.close();
    stores.pop();
    return seen;
  };

  test("held until the turn's end, read at once, one write for the turn; a read from the file writes first", () => {
    const d = mkdtempSync(join(tmpdir(), "chat-store-"));
    dirs.push(d);
    const ends: Array<() => void> = [];
    const store = new SqliteStore(roomFile(d, 9999), (write) => ends.push(write));
    stores.push(store);
    store.commit(change(1, "c"));
    store.commit(change(2, "c"));
    expect(ends).toHaveLength(1); // one write scheduled for the turn, not one per commit
    expect(decode(store.event(2)!)).toMatchObject([{ seq: 2 }]); // the room reads what it committed at once
    expect(written(d)).toEqual({ lastSeq: 0, lastId: undefined });
    for (const end of ends.splice(0)) end();
    expect(written(d)).toEqual({ lastSeq: 2, lastId: 2 });

    store.commit(change(3, "c"));
    expect(store.lastId("c")).toBe(3); // a query of the file writes what is held first
    expect(written(d)).toEqual({ lastSeq: 3, lastId: 3 });
    for (const end of ends.splice(0)) end(); // nothing left to write
    expect(written(d)).toEqual({ lastSeq: 3, lastId: 3 });
  });

  test("closing writes what is held (the server stops between turns)", () => {
    const d = mkdtempSync(join(tmpdir(), "chat-store-"));
    dirs.push(d);
    const held = new SqliteStore(roomFile(d, 9999), () => {});
    held.commit(change(1, "c"));
    held.close();
    expect(written(d)).toEqual({ lastSeq: 1, lastId: 1 });
  });
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

describe.skipIf(process.platform === "win32")("private files, whatever the umask", () => {
  const modeOf = (path: string) => statSync(path).mode & 0o777;
  /** Runs `body` under umask 022 (the usual default, which leaves files readable by all). */
  const underUmask022 = <T>(body: () => T): T => {
    const old = process.umask(0o022);
    try {
      return body();
    } finally {
      process.umask(old);
    }
  };

  test("a new data folder is 0700 (with the folders it needed), the database and its -wal and -shm files 0600", () => {
    const root = mkdtempSync(join(tmpdir(), "chat-store-"));
    dirs.push(root);
    const dir = join(root, "share", "chat");
    const { store } = underUmask022(() => open(dir));
    store.commit({ events: [message(1)], joined: [], left: [], delivered: [] });
    const file = roomFile(dir, 9999);
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(join(dir, ".."))).toBe(0o700);
    expect(readdirSync(dir).sort()).toEqual(["room-9999.db", "room-9999.db-shm", "room-9999.db-wal"]);
    for (const f of readdirSync(dir)) expect({ f, mode: modeOf(join(dir, f)) }).toEqual({ f, mode: 0o600 });
    expect(modeOf(file)).toBe(0o600);
  });

  test("a database left readable by an earlier version is made 0600; a folder the user made is left as it is", () => {
    const dir = mkdtempSync(join(tmpdir(), "chat-store-"));
    dirs.push(dir);
    chmodSync(dir, 0o755);
    const file = roomFile(dir, 9999);
    writeFileSync(file, "");
    chmodSync(file, 0o644);
    underUmask022(() => open(dir));
    expect(modeOf(file)).toBe(0o600);
    expect(modeOf(dir)).toBe(0o755);
    expect(privacyProblem(dir)).toBe("its group or others may enter it (mode 0755; chmod 700 it)");
  });
});
