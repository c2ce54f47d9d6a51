// The admin token file: created private in a private folder, never through a planted symlink, kept across restarts, and
// not trusted when others could read it; and the rule for a token given by the operator.

import { afterEach, describe, expect, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOrCreateToken, readPrivateToken, tokenProblem } from "../../src/runtime/admin-token.ts";
import { privacyProblem } from "../../src/runtime/dirs.ts";

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

describe("written safely, in a private folder", () => {
  test("symlinks planted at the old predictable temporary name and at the token's own name: their target is untouched", () => {
    const file = fileIn();
    const dir = join(file, "..");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The attacker's file, and two symlinks to it where the token used to be written: the old `${file}.${pid}.tmp`, and the file itself.
    const target = join(dir, "..", "precious");
    writeFileSync(target, "mine\n", { mode: 0o640 });
    chmodSync(target, 0o640);
    symlinkSync(target, `${file}.${process.pid}.tmp`);
    symlinkSync(target, file);
    const { token, created } = loadOrCreateToken(file);
    expect(created).toBe(true);
    expect(readFileSync(target, "utf8")).toBe("mine\n");
    expect(statSync(target).mode & 0o777).toBe(0o640);
    // The token's name is now a file of its own (the symlink replaced, not followed), private, and no temporary is left.
    expect(lstatSync(file).isFile()).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toBe(`${token}\n`);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp") && !lstatSync(join(dir, f)).isSymbolicLink())).toEqual([]);
  });

  test("a symlink at the token's name is not read, even to a private file holding a well-formed token", () => {
    const file = fileIn();
    mkdirSync(join(file, ".."), { recursive: true, mode: 0o700 });
    const planted = join(file, "..", "..", "planted");
    writeFileSync(planted, `${"ab".repeat(32)}\n`, { mode: 0o600 });
    symlinkSync(planted, file);
    expect(readPrivateToken(file)).toBeUndefined();
    expect(loadOrCreateToken(file).token).not.toBe("ab".repeat(32));
  });

  test("the file 0600 and its folder 0700, whatever the umask", () => {
    const file = fileIn();
    const old = process.umask(0o000);
    try {
      loadOrCreateToken(file);
    } finally {
      process.umask(old);
    }
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(file, "..")).mode & 0o777).toBe(0o700);
  });

  test.skipIf(process.platform === "win32")("a folder others may enter is refused, with a line naming it and what is wrong", () => {
    const file = fileIn();
    const dir = join(file, "..");
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    expect(() => loadOrCreateToken(file)).toThrow(
      `cannot keep the admin token in ${dir}: its group or others may enter it (mode 0755; chmod 700 it) (or give one with --admin-token)`,
    );
    expect(existsSync(file)).toBe(false);
    chmodSync(dir, 0o700);
    expect(loadOrCreateToken(file).created).toBe(true);
  });

  test.skipIf(process.platform === "win32")("a folder that belongs to another user is refused", () => {
    const file = fileIn();
    const dir = join(file, "..");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const uid = process.getuid!();
    // Root may give the folder away; another user can only look at one it does not own: both prove the rule.
    if (uid === 0) chownSync(dir, 4242, 4242);
    else return expect(privacyProblem("/")).toStartWith("it belongs to user id 0");
    expect(() => loadOrCreateToken(file)).toThrow(`cannot keep the admin token in ${dir}: it belongs to user id 4242, not to you (0)`);
  });
});

describe("the length of a given token", () => {
  test("fewer than 16 characters (counted as characters, not bytes) is refused, naming where it came from", () => {
    expect(tokenProblem("1", "--admin-token")).toBe("the admin token (--admin-token) must be at least 16 characters (this one has 1)");
    expect(tokenProblem("x".repeat(15), "CHAT_ADMIN_TOKEN")).toContain("(this one has 15)");
    expect(tokenProblem("密".repeat(15), "--token")).toContain("(this one has 15)");
    expect(tokenProblem("x".repeat(16), "--token")).toBeUndefined();
    expect(tokenProblem("a".repeat(64), "--token")).toBeUndefined();
  });
});
