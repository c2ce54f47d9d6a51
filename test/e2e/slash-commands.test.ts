// What a typed line means (/msg, /me, /who, /help, unknown commands), and the same commands end to end through the binary.

import { afterEach, describe, expect, test } from "bun:test";
import { helpLines, parseLine } from "../../src/core/screen/commands.ts";
import { MAX_TEXT_BYTES } from "../../src/core/wire/protocol.ts";
import { joinRoom, killAll, spawnServe, startChat } from "../helpers/processes.ts";

afterEach(killAll);

describe("a typed line", () => {
  test("is a message, or a command with its arguments", () => {
    expect(parseLine("hello")).toEqual({ kind: "say", text: "hello" });
    expect(parseLine("hello\r")).toEqual({ kind: "say", text: "hello" });
    expect(parseLine("   ")).toEqual({ kind: "none" });
    expect(parseLine("//etc/passwd is a path")).toEqual({ kind: "say", text: "/etc/passwd is a path" });
    expect(parseLine("/me waves at 小明")).toEqual({ kind: "me", text: "waves at 小明" });
    expect(parseLine("/msg 小明 你好, how are you")).toEqual({ kind: "msg", to: "小明", text: "你好, how are you" });
    expect(parseLine("/msg bob   spaced")).toEqual({ kind: "msg", to: "bob", text: "spaced" });
    expect(parseLine("/who")).toEqual({ kind: "who" });
    expect(parseLine("/WHO")).toEqual({ kind: "who" });
    expect(parseLine("/help")).toEqual({ kind: "help" });
    expect(parseLine("/timestamp")).toEqual({ kind: "timestamp" });
    expect(parseLine("/quit")).toEqual({ kind: "quit" });
  });

  test("an unknown command, or a bad use of one, is a one-line hint and nothing to send", () => {
    for (const line of ["/frobnicate bob", "/", "/msg", "/msg bob", "/msg bob   ", "/msg bad!name hi", "/me", "/me   "]) {
      const parsed = parseLine(line);
      expect(parsed.kind).toBe("problem");
      if (parsed.kind === "problem") expect(parsed.problem).not.toContain("\n");
    }
    expect(parseLine("/frobnicate bob")).toEqual({
      kind: "problem",
      problem: "unknown command /frobnicate: nothing was sent (/help lists the commands; //text sends a line starting with /)",
    });
    expect(parseLine(`/me ${"x".repeat(MAX_TEXT_BYTES + 1)}`)).toEqual({
      kind: "problem",
      problem: `not sent: the message is ${MAX_TEXT_BYTES + 1} bytes (max ${MAX_TEXT_BYTES})`,
    });
  });

  test("/help lists every command", () => {
    const help = helpLines().join("\n");
    for (const command of ["/help", "/who", "/msg NAME TEXT", "/me TEXT", "/timestamp", "/quit", "//TEXT"]) expect(help).toContain(command);
  });
});

describe("through the binary", () => {
  test("/msg reaches only its addressee: a third member sees nothing of it, now or in a later backlog", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    const carol = await joinRoom("carol", server.address);
    await alice.event({ type: "join", name: "carol" });

    alice.write("/msg BOB psst, only for you\n");
    const got = await bob.event({ type: "private", from: "alice", text: "psst, only for you" });
    expect(got.to).toBe("bob");
    alice.write("now for everyone\n");
    await carol.event({ type: "message", from: "alice", text: "now for everyone" });
    await bob.event({ type: "message", from: "alice", text: "now for everyone" });

    const dave = await joinRoom("dave", server.address);
    await dave.event({ type: "message", from: "alice", text: "now for everyone", history: true });
    for (const other of [carol, dave, alice]) {
      expect(other.out.text()).not.toContain("psst");
      expect(other.events().filter((e) => e.type === "private" || e.type === "hidden")).toEqual([]);
    }
  });

  test("/msg to nobody is refused with a reason, and the member carries on", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    alice.write("/msg nobody hello?\n");
    await alice.err.waitFor("not sent to nobody: nobody in the room has that name");
    const bob = await joinRoom("bob", server.address);
    alice.write("still here\n");
    await bob.event({ type: "message", from: "alice", text: "still here" });
  });

  test("/me is an action for everyone; /who lists the members; an unknown command is not sent", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    await alice.event({ type: "join", name: "bob" });

    alice.write("/me waves\n");
    await bob.event({ type: "action", from: "alice", text: "waves" });
    alice.write("/who\n");
    await alice.event({ type: "members", names: ["alice", "bob"], count: 2 });
    alice.write("/frobnicate everyone\n");
    await alice.err.waitFor("unknown command /frobnicate");
    alice.write("after the typo\n");
    await bob.event({ type: "message", from: "alice", text: "after the typo" });
    expect(bob.out.text()).not.toContain("frobnicate");
  });

  test("a person's pipe gets the same commands as plain lines", async () => {
    const server = await spawnServe();
    const bob = await joinRoom("bob", server.address);
    const alice = startChat(["join", "alice", "--server", server.address]);
    await alice.out.waitFor("joined as alice");
    alice.write("/who\n");
    await alice.out.waitFor("here (2): bob, alice");
    bob.write("/me nods\n");
    bob.write("/msg alice just you\n");
    await alice.out.waitFor("* bob nods");
    await alice.out.waitFor("[private] bob: just you");
  });
});
