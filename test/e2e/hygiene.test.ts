// Whatever way `chat join` or `chat serve` ends, its subprocess ends too: nothing left running, nothing left a zombie.

import { afterEach, describe, expect, test } from "bun:test";
import { joinRoom, killAll, spawnServe, startChat, waitGone } from "../helpers/processes.ts";
import { descendants, isGone } from "../helpers/procfs.ts";
import { waitUntil } from "../helpers/wait.ts";

afterEach(killAll);

/** The one subprocess of a chat process, once it has been started. */
async function onlyChild(pid: number, what: string): Promise<number> {
  // Between fork and exec a child still shows its parent's command line: wait for the exec.
  const children = await waitUntil(
    () => {
      const found = descendants(pid);
      return found.some((p) => p.cmdline.includes(what)) && found;
    },
    5000,
    `the ${what} subprocess of ${pid}`,
  );
  expect(children).toHaveLength(1);
  expect(children[0]!.cmdline).toContain(what);
  return children[0]!.pid;
}

describe("chat join ends with its receiver", () => {
  const paths: Array<[string, (m: Awaited<ReturnType<typeof joinRoom>>) => void, number | null]> = [
    ["/quit", (m) => m.write("/quit\n"), 0],
    ["end of input", (m) => m.end(), 0],
    ["SIGINT", (m) => m.proc.kill("SIGINT"), 0],
    ["SIGTERM", (m) => m.proc.kill("SIGTERM"), 0],
    ["SIGHUP", (m) => m.proc.kill("SIGHUP"), 0],
    ["SIGKILL of the parent", (m) => m.proc.kill("SIGKILL"), null],
  ];

  for (const [path, end, code] of paths) {
    test(path, async () => {
      const server = await spawnServe();
      const watcher = await joinRoom("watcher", server.address);
      const member = await joinRoom("leaver", server.address);
      const receiver = await onlyChild(member.pid, "__receiver");

      end(member);
      const exit = await member.proc.exited;
      if (code !== null) expect(exit).toBe(code);
      await waitGone([member.pid, receiver]);
      // Even when the parent was killed outright, the orphaned receiver said bye on its way out.
      await watcher.event({ type: "leave", name: "leaver", reason: "quit" });
    });
  }

  test("when the receiver is killed, join ends too and says so", async () => {
    const server = await spawnServe();
    const member = await joinRoom("alice", server.address);
    const receiver = await onlyChild(member.pid, "__receiver");
    process.kill(receiver, "SIGKILL");
    expect(await member.proc.exited).toBe(1);
    await member.err.closed;
    expect(member.err.lines).toEqual(["[error] the receiver subprocess was killed (SIGKILL): disconnected from the room"]);
    await waitGone([receiver]);
  });

  test("a member refused at the door leaves no process behind", async () => {
    const server = await spawnServe();
    await joinRoom("alice", server.address);
    const dup = startChat(["join", "alice", "--server", server.address]);
    const receiver = await onlyChild(dup.pid, "__receiver").catch(() => undefined); // it may already be gone
    expect(await dup.proc.exited).toBe(2);
    if (receiver !== undefined) await waitGone([receiver]);
  });

  test("no server: a clear error within the deadline, exit 3, no process left", async () => {
    const server = await spawnServe();
    const address = server.address;
    server.proc.kill("SIGKILL");
    await server.proc.exited; // now nothing listens on that port
    const member = startChat(["join", "alice", "--server", address]);
    const receiver = await onlyChild(member.pid, "__receiver");
    expect(await member.proc.exited).toBe(3);
    await member.err.closed;
    expect(member.err.lines).toEqual([
      expect.stringMatching(new RegExp(`no answer from ${address} within 3 s: is \`chat serve\` running there\\?`)),
    ]);
    await waitGone([receiver]);
  });
});

describe("chat serve ends with its console", () => {
  test("end of console input ends the console loop, not the server", async () => {
    const server = await spawnServe();
    const console_ = await onlyChild(server.pid, "__console");
    server.end();
    await waitGone([console_]);
    expect(isGone(server.pid)).toBe(false);
    const member = await joinRoom("alice", server.address);
    const admin = startChat(["admin", "still here", "--server", server.address]);
    expect(await admin.proc.exited).toBe(0);
    await member.event({ type: "admin", text: "still here" });
  });

  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    test(signal, async () => {
      const server = await spawnServe();
      const console_ = await onlyChild(server.pid, "__console");
      server.proc.kill(signal);
      expect(await server.proc.exited).toBe(0);
      await waitGone([server.pid, console_]);
      await server.err.waitFor("server stopped");
    });
  }

  test("SIGKILL of the server", async () => {
    const server = await spawnServe();
    const console_ = await onlyChild(server.pid, "__console");
    server.proc.kill("SIGKILL");
    await server.proc.exited;
    await waitGone([console_]);
  });
});
