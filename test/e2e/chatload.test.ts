// The benchmark's compiled load generator (bench/chatload.c) speaks the protocol as it is now: it builds, its
// self test passes (the parser's fixtures; SHA-256, HMAC and the proofs proof.ts makes), and it runs a cell against
// dist/chat, which takes its proven requests and proves everything it sends the members in session.

import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll, spawnServe } from "../helpers/processes.ts";

const root = join(import.meta.dir, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "chatload-"));
const bin = join(dir, "chatload");

beforeAll(async () => {
  const cc = Bun.spawn(["cc", "-O2", "-Wall", "-o", bin, join(root, "bench", "chatload.c"), "-lm"], { stdout: "pipe", stderr: "pipe" });
  const [err, code] = await Promise.all([cc.stderr.text(), cc.exited]);
  expect({ code, err }).toEqual({ code: 0, err: "" });
});
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("its self test passes (parser, SHA-256, HMAC, proofs)", async () => {
  const run = Bun.spawn([bin, "-t"], { stdout: "pipe", stderr: "pipe" });
  const [err, code] = await Promise.all([run.stderr.text(), run.exited]);
  expect(code).toBe(0);
  expect(err).toMatch(/chatload self test: \d+ cases, 0 failed/);
});

test("20 members, 200 msgs/s for 1 s against dist/chat: everything delivered, nothing it cannot decode", async () => {
  const server = await spawnServe(["--datagrams", "off", "--logins", "off", "--quiet"]);
  const run = Bun.spawn([bin, "-p", String(server.port), "-n", "20", "-s", "1", "-r", "200", "-d", "1", "-b", "100"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  try {
    const [out, code] = await Promise.all([run.stdout.text(), run.exited]);
    expect(code).toBe(0);
    const result = JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(result.joined).toBe(20);
    expect(result.delivered).toBe(result.expected);
    expect(result.acked).toBe(result.sent);
    // Nothing in session came unproven (chatload, as the reference client, takes only a challenge without a proof).
    expect({ undecodable: result.undecodable, bad: result.bad_payloads, unproven: result.unproven_ignored }).toEqual({
      undecodable: 0,
      bad: 0,
      unproven: 0,
    });
  } finally {
    run.kill();
    await run.exited;
  }
}, 30_000);
