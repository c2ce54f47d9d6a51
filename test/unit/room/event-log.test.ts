// The room's events, without a room: numbering, encoding once, one commit per request, the tick.

import { expect, test } from "bun:test";
import { EventLog } from "../../../src/core/room/event-log.ts";
import { type Change, MemoryStore } from "../../../src/core/room/store.ts";
import { decode, MAX_TEXT_BYTES } from "../../../src/core/wire/protocol.ts";

const NOW = 1_795_000_000_000;
const EPOCH = "00112233aabbccdd";
const text = (d: Uint8Array) => new TextDecoder().decode(d);

/** A memory store that starts at `lastSeq` and records each commit. */
class RecordingStore extends MemoryStore {
  readonly commits: Change[] = [];
  override readonly lastSeq: number;
  constructor(lastSeq = 0) {
    super(EPOCH);
    this.lastSeq = lastSeq;
  }
  override commit(change: Change): void {
    this.commits.push(change);
    super.commit(change);
  }
}
const recordingStore = (lastSeq = 0) => {
  const store = new RecordingStore(lastSeq);
  return { store, commits: store.commits };
};

test("numbers go on from the store's last one, each event encoded once with its number", () => {
  const { store } = recordingStore(41);
  const log = new EventLog(store);
  const b = log.emit({ type: "join", seq: 0, ts: NOW, name: "alice" }, "s1");
  expect(b.event.seq).toBe(42);
  expect(b.except).toBe("s1");
  expect(decode(b.datagram)).toEqual([{ type: "join", seq: 42, ts: NOW, name: "alice" }]);
  expect(log.seq).toBe(42);
});

test("an event too long for a datagram is not emitted and uses up no number; emit() throws for one", () => {
  const log = new EventLog(recordingStore().store);
  const long = { type: "message", seq: 0, ts: NOW, from: "alice", text: "é".repeat(MAX_TEXT_BYTES) } as const;
  expect(log.tryEmit(long)).toBeUndefined();
  expect(log.seq).toBe(0);
  expect(() => log.emit(long)).toThrow("message event does not fit in a datagram");
});

test("a private message carries its addressee and the hidden stand-in the others get", () => {
  const log = new EventLog(recordingStore().store);
  const b = log.tryEmit({ type: "private", seq: 0, ts: NOW, from: "alice", to: "bob", text: "psst" }, "sa", "sb")!;
  expect(b.only?.to).toBe("sb");
  expect(text(b.only!.hidden)).toBe(`{"v":3,"type":"hidden","seq":1}`);
});

test("save() writes what the request changed in one commit, returns its broadcasts, and starts afresh", () => {
  const { store, commits } = recordingStore();
  const log = new EventLog(store);
  const m = { sid: "s1", name: "alice", nonce: "n1", address: "10.0.0.1", port: 1, joinedAt: NOW };
  log.joined(m);
  const join = log.emit({ type: "join", seq: 0, ts: NOW, name: "alice" }, "s1");
  log.delivered("n1", 7);
  log.left("s0");
  expect(log.save()).toEqual([join]);
  expect(commits).toEqual([
    { events: [{ seq: 1, type: "join", datagram: join.datagram }], joined: [m], left: ["s0"], delivered: [["n1", 7]] },
  ]);
  expect(store.event(1)).toEqual(join.datagram);
  expect(store.lastId("n1")).toBe(7);
  expect(log.save()).toEqual([]);
  expect(commits).toHaveLength(1); // nothing changed: nothing written
});

test("the tick carries the last number and the epoch", () => {
  const log = new EventLog(recordingStore(5).store);
  expect(decode(log.tick(NOW))).toEqual([{ type: "tick", seq: 5, epoch: EPOCH, ts: NOW }]);
});
