// The harness's build of bench/chatload.c: it compiles into the folder given, and a compiler that fails is a reason to fall back, not a crash.

import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildChatload } from "../../bench/chatload.ts";

const repo = join(import.meta.dir, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "bench-chatload-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cc = Bun.which("cc") ?? Bun.which("gcc");

test.skipIf(!cc)("with a C compiler: chatload is built into the folder given", () => {
  expect(buildChatload(repo, dir)).toEqual({ bin: join(dir, "chatload") });
  expect(existsSync(join(dir, "chatload"))).toBe(true);
});

test("a compiler that fails: the reason, for the warning of the JavaScript fallback", () => {
  const r = buildChatload(repo, dir, "/bin/false");
  expect(r).toEqual({ why: "/bin/false bench/chatload.c failed (exit code 1)" });
});
