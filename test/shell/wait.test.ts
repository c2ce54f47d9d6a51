// The one wait of the tests and the bench: the value once it holds, and at the deadline an error that says what it saw.

import { expect, test } from "bun:test";
import { waitAtMost, waitUntil } from "../helpers/wait.ts";

test("resolves with the first value that is neither undefined nor false", async () => {
  let calls = 0;
  expect(await waitUntil(() => (++calls >= 3 ? `after ${calls}` : false), 1000, "three calls", 1)).toBe("after 3");
});

test("at the deadline, fails naming what it waited for, as seen then", async () => {
  let seen = 0;
  const waiting = waitUntil(
    () => void seen++,
    30,
    () => `a miracle; checked ${seen > 1 ? "more than once" : "once"}`,
  );
  await expect(waiting).rejects.toThrow("timed out after 30 ms waiting for a miracle; checked more than once");
});

test("waitAtMost gives undefined at the deadline instead of an error", async () => {
  expect(await waitAtMost(() => false, 20)).toBeUndefined();
  expect(await waitAtMost(() => true, 20)).toBe(true);
});
