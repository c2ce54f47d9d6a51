// With --data, a subprocess of `chat serve` checkpoints the room databases (the server's loop never waits on the
// disk for it), and ends with the server, however the server ends.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { joinRoom, killAll, spawnServe, waitGone } from "../helpers/processes.ts";
import { descendants } from "../helpers/procfs.ts";
import { waitUntil } from "../helpers/wait.ts";

const dirs: string[] = [];
afterEach(async () => {
  await killAll();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function serveWithData() {
  const dir = mkdtempSync(join(tmpdir(), "chat-checkpoint-"));
  dirs.push(dir);
  const server = await spawnServe(["--data", dir]);
  // Between fork and exec a child still shows its parent's command line: wait for the exec.
  const checkpointer = await waitUntil(
    () => descendants(server.pid).find((p) => p.cmdline.includes("__checkpoint"))?.pid,
    5000,
    "the checkpoint subprocess",
  );
  return { server, dir, checkpointer, file: join(dir, `room-${server.port}.db`) };
}

describe("the room databases' checkpointer", () => {
  test("what the room writes reaches the database file while the server runs (the server alone would not before 10,000 pages)", async () => {
    const { server, file } = await serveWithData();
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    const before = statSync(file).size;
    const text = "x".repeat(400);
    for (let i = 0; i < 40; i++) alice.write(`${i} ${text}\n`);
    await bob.event({ type: "message", from: "alice", text: `39 ${text}` });
    // 40 messages of 400 bytes are a few pages more than the file held: copied there from the log.
    await waitUntil(() => statSync(file).size > before, 5000, "the database file to grow");
  });

  test("the server is asked to stop: its checkpointer ends with it", async () => {
    const { server, checkpointer } = await serveWithData();
    server.proc.kill("SIGTERM");
    expect(await server.proc.exited).toBe(0);
    await waitGone([server.pid, checkpointer]);
  });

  test("the server is killed outright: its checkpointer ends on its own", async () => {
    const { server, checkpointer } = await serveWithData();
    server.proc.kill("SIGKILL");
    await server.proc.exited;
    await waitGone([checkpointer]);
  });

  test("with --data :memory: there is nothing to checkpoint, and no such subprocess", async () => {
    const server = await spawnServe();
    await joinRoom("alice", server.address);
    expect(descendants(server.pid).some((p) => p.cmdline.includes("__checkpoint"))).toBe(false);
  });
});
