// The admin token file: created private, kept across restarts, and not trusted when others could read it.

import { afterEach, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOrCreateToken, readPrivateToken } from "../../src/runtime/admin-token.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const fileIn = () => {
  const dir = mkdtempSync(join(tmpdir(), "chat-token-"));
  dirs.push(dir);
  return join(dir, "state", "chat", "admin-token-8888");
};

test("created with mode 0600 (its folder 0700), 256 random bits, and kept by the next start", () => {
  const file = fileIn();
  const first = loadOrCreateToken(file);
  expect(first.created).toBe(true);
  expect(first.token).toMatch(/^[0-9a-f]{64}$/);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(statSync(join(file, "..")).mode & 0o777).toBe(0o700);
  expect(loadOrCreateToken(file)).toEqual({ token: first.token, created: false });
  expect(readPrivateToken(file)).toBe(first.token);
});

test("a token file others could read, or a malformed one, is not trusted and is replaced", () => {
  const file = fileIn();
  const { token } = loadOrCreateToken(file);
  chmodSync(file, 0o644);
  expect(readPrivateToken(file)).toBeUndefined();
  const replaced = loadOrCreateToken(file);
  expect(replaced.created).toBe(true);
  expect(replaced.token).not.toBe(token);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  writeFileSync(file, "not a token\n", { mode: 0o600 });
  expect(readPrivateToken(file)).toBeUndefined();
  expect(readFileSync(file, "utf8")).toBe("not a token\n");
});
