// The whole story on the compiled binary: three members, relay without echo, Chinese, a refused name, both admin paths, every leave.

import { afterEach, describe, expect, test } from "bun:test";
import { CHAT_SOURCE, joinRoom, killAll, spawnServe, startChat } from "../helpers/processes.ts";

afterEach(killAll);

describe("the room, end to end (dist/chat)", () => {
  test("join, talk, refuse a taken name, admin broadcasts, leave", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    expect(alice.welcome).toMatchObject({ members: [], count: 0 });

    const bob = await joinRoom("bob", server.address);
    expect(bob.welcome).toMatchObject({ members: ["alice"], count: 1 });
    await alice.event({ type: "join", name: "bob" });

    // carol reads the human transcript through a pipe: the same lines a terminal shows, without escape codes
    const carol = startChat(["join", "carol", "--server", server.address]);
    await carol.out.waitFor("joined as carol; also here: alice, bob");
    await alice.event({ type: "join", name: "carol" });
    await bob.event({ type: "join", name: "carol" });

    alice.write("hello everyone\n");
    await bob.event({ type: "message", from: "alice", text: "hello everyone" });
    await carol.out.waitFor("alice: hello everyone");

    bob.write("你好，世界 🌏 我是小明\n");
    await alice.event({ type: "message", from: "bob", text: "你好，世界 🌏 我是小明" });
    await carol.out.waitFor("bob: 你好，世界 🌏 我是小明");
    // The server relays in order: bob's line reached alice after any echo of her own would have. There is none.
    expect(alice.events().filter((e) => e.type === "message" && e.from === "alice")).toEqual([]);
    expect(bob.events().filter((e) => e.type === "message" && e.from === "bob")).toEqual([]);

    const impostor = startChat(["join", "alice", "--server", server.address]);
    expect(await impostor.proc.exited).toBe(2);
    await impostor.err.closed;
    expect(impostor.err.lines).toEqual([expect.stringMatching(/the name "alice" is taken/)]);
    expect(impostor.out.lines).toEqual([]);

    const admin = startChat(["admin", "maintenance at 5", "--server", server.address]);
    expect(await admin.proc.exited).toBe(0);
    await admin.err.closed;
    expect(admin.err.text()).toContain("broadcast to 3 member(s)");
    await alice.event({ type: "admin", text: "maintenance at 5" });
    await bob.event({ type: "admin", text: "maintenance at 5" });
    await carol.out.waitFor("[admin] maintenance at 5");

    server.write("from the console 控制台\n");
    await alice.event({ type: "admin", text: "from the console 控制台" });
    await bob.event({ type: "admin", text: "from the console 控制台" });
    await carol.out.waitFor("[admin] from the console 控制台");

    carol.write("/quit\n");
    expect(await carol.proc.exited).toBe(0);
    await alice.event({ type: "leave", name: "carol", reason: "quit" });
    await bob.event({ type: "leave", name: "carol", reason: "quit" });

    bob.end();
    expect(await bob.proc.exited).toBe(0);
    await alice.event({ type: "leave", name: "bob", reason: "quit" });

    alice.proc.kill("SIGTERM");
    expect(await alice.proc.exited).toBe(0);
    await server.err.waitFor("alice left (0 in the room)");

    // --json: nothing but JSON objects on stdout, each carrying the server's time and a sequence number
    for (const member of [alice, bob]) {
      await member.out.closed;
      for (const line of member.out.lines) {
        const event = JSON.parse(line);
        expect(event.ts).toBeNumber();
        expect(event.seq).toBeNumber();
      }
    }
    // the human transcript, whole and in order, with no escape byte
    await carol.out.closed;
    expect(carol.out.lines).toEqual([
      "joined as carol; also here: alice, bob",
      "alice: hello everyone",
      "bob: 你好，世界 🌏 我是小明",
      "[admin] maintenance at 5",
      "[admin] from the console 控制台",
    ]);
    expect(carol.out.text()).not.toContain("\x1b");
  });

  test("lines piped in before the welcome are sent after it, then end of input leaves", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    const bot = startChat(["join", "bot", "--server", server.address]);
    bot.write("first\nsecond\n/quit\nnever sent\n");
    bot.end();
    expect(await bot.proc.exited).toBe(0);
    await alice.event({ type: "leave", name: "bot" });
    const seen = alice
      .events()
      .filter((e) => e.type !== "welcome")
      .map((e) => `${e.type}:${e.name ?? e.text}`);
    expect(seen).toEqual(["join:bot", "message:first", "message:second", "leave:bot"]);
    await bot.err.closed;
    expect(bot.err.lines).toEqual([]); // the line after /quit is dropped quietly
  });

  test("unknown commands and over-long lines are never sent; //text sends a line starting with /", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    bob.write(`/frobnicate now\n${"长".repeat(334)}\n//etc/hosts is a file\n`);
    await alice.event({ type: "message", from: "bob", text: "/etc/hosts is a file" });
    await bob.err.waitFor("unknown command /frobnicate");
    await bob.err.waitFor("not sent: the message is 1002 bytes (max 1000)");
    expect(alice.events().filter((e) => e.type === "message")).toHaveLength(1);
  });

  test("from source (bun src/cli.ts) the subprocesses work the same", async () => {
    const server = await spawnServe([], { command: CHAT_SOURCE });
    const alice = await joinRoom("alice", server.address, { command: CHAT_SOURCE });
    const bob = await joinRoom("bob", server.address, { command: CHAT_SOURCE });
    bob.write("hi from source\n");
    await alice.event({ type: "message", from: "bob", text: "hi from source" });
    server.write("console from source\n");
    await bob.event({ type: "admin", text: "console from source" });
    bob.end();
    expect(await bob.proc.exited).toBe(0);
    await alice.event({ type: "leave", name: "bob", reason: "quit" });
  });
});
