// No mistake on the command line is silently ignored (on dist/chat): a misspelled flag or command is refused with the
// right spelling and starts nothing, and `chat admin` with nobody listening says so, token or not.

import { afterEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll, runChat, spawnServe } from "../helpers/processes.ts";
import { freeUdpPort } from "../helpers/socket.ts";

afterEach(killAll);

/** Pids of the processes whose environment holds `marker`: whatever a chat run with it started, however far it got. */
function processesMarked(marker: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/environ`, "utf8").includes(marker);
      } catch {
        return false; // gone since the listing, or another user's: not one of ours either way
      }
    })
    .map(Number);
}

/** Runs chat with a marker in its environment; once it has exited, reports what it left running. */
async function runMarked(args: string[], env: Record<string, string | undefined> = {}) {
  const marker = `CHAT_TEST_RUN=${randomUUID()}`;
  const result = await runChat(args, { env: { ...env, CHAT_TEST_RUN: marker.split("=")[1] } });
  return { ...result, leftRunning: processesMarked(marker) };
}

describe("a misspelled flag or command: exit 1, one line with the right spelling, nothing started", () => {
  test.each([
    [["join", "zed", "--sever", "127.0.0.1:1"], "unknown option --sever: did you mean --server?"],
    [["serve", "--prot", "9999"], "unknown option --prot: did you mean --port?"],
    [["admin", "--whoo"], "unknown option --whoo: did you mean --who?"],
    [["join", "alice", "bob"], `unexpected argument "bob" (see chat join --help)`],
    [["joni", "zed"], `unknown command "joni": did you mean "join"?`],
    [["__receiver", "--x"], "unknown option --x (see chat __receiver --help)"],
  ])("%p", async (args, line) => {
    // No server, no receiver, no console: a join or serve that had started would still be running (or trying).
    expect(await runMarked(args)).toEqual({ code: 1, out: [], err: [line], leftRunning: [] });
  });
});

describe("chat admin with nobody listening: exit 3, and it says so, not that a token is missing", () => {
  const emptyState = () => mkdtempSync(join(tmpdir(), "chat-no-token-"));

  test("without a token anywhere (an empty XDG_STATE_HOME, no CHAT_ADMIN_TOKEN)", async () => {
    const state = emptyState();
    try {
      const port = await freeUdpPort();
      const { code, out, err } = await runChat(["admin", "hi", "--server", `127.0.0.1:${port}`], { env: { XDG_STATE_HOME: state } });
      expect({ code, out }).toEqual({ code: 3, out: [] });
      expect(err).toEqual([`[error] no answer from 127.0.0.1:${port} within 3 s: is \`chat serve\` running there?`]);
      expect(err.join("\n")).not.toContain("token");
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  test("with --token", async () => {
    const port = await freeUdpPort();
    const { code, out, err } = await runChat(["admin", "hi", "--server", `127.0.0.1:${port}`, "--token", "x".repeat(16)]);
    expect({ code, out }).toEqual({ code: 3, out: [] });
    expect(err).toEqual([`[error] no answer from 127.0.0.1:${port} within 3 s: is \`chat serve\` running there?`]);
  });

  test("a missing token is reported once a server has answered: exit 1", async () => {
    const server = await spawnServe(["--admin-token", "a-secret-long-enough"]);
    const state = emptyState();
    try {
      const { code, out, err } = await runChat(["admin", "hi", "--server", server.address], { env: { XDG_STATE_HOME: state } });
      expect({ code, out }).toEqual({ code: 1, out: [] });
      expect(err).toEqual([
        `[error] no admin token: give --token or CHAT_ADMIN_TOKEN (a server on this machine keeps its own in ${join(state, "chat", `admin-token-${server.port}`)})`,
      ]);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });
});
