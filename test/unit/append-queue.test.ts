// The cluster's ordered appends, with a fake publish: the order kept, and nothing stored out of order after a failure.

import { expect, test } from "bun:test";
import { type AppendOptions, AppendQueue, RefusedBehind } from "../../src/cluster/append-queue.ts";

/** A publish whose every call waits until the test settles it; the log numbers what it takes from 1. */
class FakeLog {
  readonly calls: Array<{ text: string; opts: AppendOptions; ok: () => void; fail: (why: Error) => void }> = [];
  readonly stored: string[] = [];
  /** How many calls, from the first, the test has settled. */
  #settled = 0;
  readonly publish = (event: Uint8Array, opts: AppendOptions) =>
    new Promise<number>((resolve, reject) => {
      const text = new TextDecoder().decode(event);
      this.calls.push({
        text,
        opts,
        ok: () => resolve(this.stored.push(text)),
        fail: reject,
      });
    });
  /** The calls not settled yet, by text. */
  pending(): string[] {
    return this.calls.map((c) => c.text).slice(this.#settled);
  }
  settle(...outcomes: Array<"ok" | Error>): void {
    for (const o of outcomes) {
      const call = this.calls[this.#settled++]!;
      if (o === "ok") call.ok();
      else call.fail(o);
    }
  }
}
const bytes = (s: string) => new TextEncoder().encode(s);
/** Resolves once every promise already settled has run its callbacks (the queue's next batch is then sent). */
const turn = () => new Promise((resolve) => setImmediate(resolve));
const outcome = (p: Promise<number>) =>
  p.then(
    (seq) => seq,
    (err: Error) => (err instanceof RefusedBehind ? "refused behind" : err.message),
  );

test("one batch at a time, in order; what is appended meanwhile goes in the next batch", async () => {
  const log = new FakeLog();
  const queue = new AppendQueue(log.publish);
  const a = outcome(queue.append(bytes("a"), { msgID: "room:n:1", except: "s1" }));
  const b = outcome(queue.append(bytes("b")));
  expect(log.pending()).toEqual(["a"]); // the first append starts a batch at once
  expect(log.calls[0]!.opts).toEqual({ msgID: "room:n:1", except: "s1" });
  const c = outcome(queue.append(bytes("c")));
  log.settle("ok");
  await turn();
  expect(log.pending()).toEqual(["b", "c"]); // both were queued behind the first batch: one batch
  log.settle("ok", "ok");
  expect([await a, await b, await c]).toEqual([1, 2, 3]);
  expect(log.stored).toEqual(["a", "b", "c"]);
});

test("a failure refuses everything queued behind it, unsent; the same batch's others settle as they did", async () => {
  const log = new FakeLog();
  const queue = new AppendQueue(log.publish);
  const first = outcome(queue.append(bytes("first")));
  const a = outcome(queue.append(bytes("a")));
  const b = outcome(queue.append(bytes("b")));
  log.settle("ok");
  await turn();
  expect(log.pending()).toEqual(["a", "b"]);
  const behind = [outcome(queue.append(bytes("c"))), outcome(queue.append(bytes("d")))];
  log.settle(new Error("timeout"), "ok");
  expect([await first, await a, await b]).toEqual([1, "timeout", 2]);
  expect(await Promise.all(behind)).toEqual(["refused behind", "refused behind"]);
  expect(log.calls.map((c) => c.text)).toEqual(["first", "a", "b"]); // c and d were never sent
});

test("after a failure, later appends go out again as a new batch", async () => {
  const log = new FakeLog();
  const queue = new AppendQueue(log.publish);
  const a = outcome(queue.append(bytes("a")));
  log.settle(new Error("no responders"));
  expect(await a).toBe("no responders");
  await turn();
  const again = outcome(queue.append(bytes("a")));
  const b = outcome(queue.append(bytes("b")));
  expect(log.pending()).toEqual(["a"]);
  log.settle("ok");
  await turn();
  log.settle("ok");
  expect([await again, await b]).toEqual([1, 2]);
  expect(log.stored).toEqual(["a", "b"]);
});

test("a publish that throws at once fails its event like any other failure", async () => {
  const queue = new AppendQueue(() => {
    throw new Error("closed");
  });
  expect(await outcome(queue.append(bytes("a")))).toBe("closed");
});
