// /ignore, /unignore, /reply (/r), /join ROOM and /exit through the binary: --json members, and a terminal (tmux) for /ignore, /reply and /join.

import { afterEach, describe, expect, test } from "bun:test";
import { COMMANDS } from "../../src/core/screen/commands.ts";
import { chatBinary, joinRoom, killAll, spawnServe, startChat } from "../helpers/processes.ts";
import { hasTmux, TmuxPane } from "../helpers/tmux.ts";

const panes: TmuxPane[] = [];
afterEach(async () => {
  await Promise.all(panes.splice(0).map((p) => p.close()));
  await killAll();
});

async function inRoom(room: string, name: string, address: string) {
  const member = startChat(["join", name, "--server", address, "--room", room, "--json"]);
  await member.event({ type: "welcome", name });
  return member;
}

describe("/ignore", () => {
  test("bob's messages, actions and private messages no longer reach the ignorer, and still reach the others; bob is told nothing", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    const carol = await joinRoom("carol", server.address);
    await alice.event({ type: "join", name: "carol" });

    alice.write("/ignore BOB\n"); // as typed: names are compared without regard to case
    await alice.event({ type: "ignoring", names: ["BOB"], added: "BOB" });
    bob.write("hidden from alice\n/me waves, hidden\n/msg alice psst, hidden\n/msg carol psst carol\n");
    await carol.event({ type: "private", from: "bob", text: "psst carol" });
    await carol.event({ type: "message", from: "bob", text: "hidden from alice" });
    await carol.event({ type: "action", from: "bob", text: "waves, hidden" });
    // A fence: carol's line after bob's, seen by alice, so bob's lines had their chance to arrive before it.
    carol.write("after bob\n");
    await alice.event({ type: "message", from: "carol", text: "after bob" });
    expect(alice.out.text()).not.toContain("hidden");
    expect(alice.events().filter((e) => e.from === "bob")).toEqual([]);
    // The ignore is alice's alone: bob's private message was delivered (acknowledged), nothing else reached him.
    expect(bob.err.text()).not.toContain("not sent");
    expect(bob.events().filter((e) => e.type !== "welcome" && e.type !== "join" && e.from !== "carol")).toEqual([]);

    alice.write("/ignore\n");
    await alice.event({ type: "ignoring", names: ["bob"] }); // as the room spells it, once bob has been heard
    alice.write("/unignore bob\n");
    await alice.event({ type: "ignoring", names: [], removed: "bob" });
    bob.write("seen again\n");
    await alice.event({ type: "message", from: "bob", text: "seen again" });
  });

  test("bob's joins and leaves are still shown; the ignore is kept when bob comes back", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    alice.write("/ignore bob\n");
    await alice.event({ type: "ignoring", names: ["bob"], added: "bob" });
    const bob = await joinRoom("bob", server.address);
    await alice.event({ type: "join", name: "bob" });
    bob.write("/quit\n");
    await alice.event({ type: "leave", name: "bob" });
    const bob2 = await joinRoom("bob", server.address);
    const carol = await joinRoom("carol", server.address);
    bob2.write("back, still hidden\n");
    await carol.event({ type: "message", from: "bob", text: "back, still hidden" });
    carol.write("fence\n");
    await alice.event({ type: "message", from: "carol", text: "fence" });
    expect(alice.out.text()).not.toContain("still hidden");
  });
});

// Runs once /nick is merged in (its own branch): the rename event carries the ignore to bob's new name.
test.skipIf(!COMMANDS.some((c) => c.name === "/nick"))("the ignore follows bob when he renames himself", async () => {
  const server = await spawnServe();
  const alice = await joinRoom("alice", server.address);
  const bob = await joinRoom("bob", server.address);
  const carol = await joinRoom("carol", server.address);
  alice.write("/ignore bob\n");
  await alice.event({ type: "ignoring", names: ["bob"], added: "bob" });
  bob.write("/nick bobby\n");
  await alice.event({ type: "rename", from: "bob", to: "bobby" });
  bob.write("renamed, still hidden\n/msg alice renamed psst, hidden\n");
  await carol.event({ type: "message", from: "bobby", text: "renamed, still hidden" });
  carol.write("fence\n");
  await alice.event({ type: "message", from: "carol", text: "fence" });
  expect(alice.out.text()).not.toContain("hidden");
  alice.write("/ignore\n");
  await alice.event({ type: "ignoring", names: ["bobby"] });
});

test("the ignore is kept when the ignorer loses the server and logs in again", async () => {
  const server = await spawnServe();
  const alice = await joinRoom("alice", server.address);
  alice.write("/ignore bob\n");
  await alice.event({ type: "ignoring", names: ["bob"], added: "bob" });
  server.proc.kill("SIGKILL");
  await server.proc.exited;
  await alice.err.waitFor(`lost the server ${server.address}`, 10_000);
  // The same port again (spawnServe binds a free one), in memory: a new room history, the same address.
  const again = startChat(["serve", "--host", "127.0.0.1", "--port", String(server.port), "--data", ":memory:", "--rate", "off"]);
  await again.err.waitFor("listening on");
  await alice.err.waitFor("back in the room as alice", 10_000);
  const bob = await joinRoom("bob", server.address);
  const carol = await joinRoom("carol", server.address);
  bob.write("after the restart, hidden\n/msg alice psst after the restart, hidden\n");
  await carol.event({ type: "message", from: "bob", text: "after the restart, hidden" });
  carol.write("fence\n");
  await alice.event({ type: "message", from: "carol", text: "fence" });
  expect(alice.out.text()).not.toContain("hidden");
  expect(bob.err.text()).not.toContain("not sent");
}, 30_000);

describe("/reply", () => {
  test("reaches whoever sent the last private message; /r too; with nobody yet, a one-line hint and nothing sent", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    const carol = await joinRoom("carol", server.address);
    await alice.event({ type: "join", name: "carol" });

    alice.write("/reply anyone?\n");
    await alice.err.waitFor("nobody has sent you a private message yet: nothing was sent (/msg NAME TEXT)");
    bob.write("/msg alice from bob\n");
    await alice.event({ type: "private", from: "bob", text: "from bob" });
    alice.write("/reply hi bob\n");
    await bob.event({ type: "private", from: "alice", to: "bob", text: "hi bob" });
    carol.write("/msg alice from carol\n");
    await alice.event({ type: "private", from: "carol", text: "from carol" });
    alice.write("/r hi carol\n");
    await carol.event({ type: "private", from: "alice", to: "carol", text: "hi carol" });
    expect(bob.out.text()).not.toContain("hi carol");
    expect(carol.out.text()).not.toContain("anyone?");
  });
});

describe("/join ROOM", () => {
  test("the lobby sees the member leave, ops sees it join, ops's history is shown, and its next message reaches ops only", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    const carol = await inRoom("ops", "carol", server.address);
    carol.write("said in ops before\n");
    await alice.event({ type: "join", name: "bob" });

    alice.write("/join ops\nfirst in ops\n");
    await bob.event({ type: "leave", name: "alice", room: "lobby" });
    await carol.event({ type: "join", name: "alice", room: "ops" });
    await alice.event({ type: "welcome", name: "alice", room: "ops" });
    await alice.event({ type: "message", from: "carol", text: "said in ops before", history: true, room: "ops" });
    await carol.event({ type: "message", from: "alice", text: "first in ops", room: "ops" });
    bob.write("fence in the lobby\n");
    alice.write("second in ops\n");
    await carol.event({ type: "message", from: "alice", text: "second in ops" });
    expect(bob.out.text()).not.toContain("in ops");
    // alice hears ops now, and not the lobby: every line after the move names ops.
    const after = alice.events().slice(alice.events().findIndex((e) => e.type === "welcome" && e.room === "ops"));
    for (const e of after) expect(e.room).toBe("ops");
    expect(alice.out.text()).not.toContain("fence in the lobby");

    alice.write("/join lobby\n");
    await carol.event({ type: "leave", name: "alice", room: "ops" });
    await bob.event({ type: "join", name: "alice", room: "lobby" });
    alice.write("back in the lobby\n");
    await bob.event({ type: "message", from: "alice", text: "back in the lobby", room: "lobby" });
  });

  test("a room that will not have the member (its name taken there): one line, and back in the room it came from", async () => {
    const server = await spawnServe();
    const opsAlice = await inRoom("ops", "alice", server.address);
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    alice.write("/join ops\n");
    await alice.err.waitFor("could not join room ops: the name", 10_000);
    await alice.event({ type: "welcome", name: "alice", room: "lobby" }, 10_000);
    await bob.event({ type: "join", name: "alice", room: "lobby" });
    alice.write("still in the lobby\n");
    await bob.event({ type: "message", from: "alice", text: "still in the lobby" });
    expect(opsAlice.out.text()).not.toContain("still in the lobby");
  }, 30_000);

  test("a bot: `/join ops`, a line, end of input: the line reaches ops, then the bot leaves with exit code 0", async () => {
    const server = await spawnServe();
    const carol = await inRoom("ops", "carol", server.address);
    const bob = await joinRoom("bob", server.address);
    const bot = startChat(["join", "bot", "--server", server.address, "--json"]);
    bot.write("/join ops\nhello ops, from a pipe\n");
    bot.end();
    await carol.event({ type: "message", from: "bot", text: "hello ops, from a pipe" });
    await carol.event({ type: "leave", name: "bot", reason: "quit" });
    expect(await bot.proc.exited).toBe(0);
    await bob.event({ type: "leave", name: "bot", room: "lobby" });
    expect(bob.out.text()).not.toContain("from a pipe");
  });

  test("/exit leaves like /quit: the room sees it, exit code 0", async () => {
    const server = await spawnServe();
    const bob = await joinRoom("bob", server.address);
    const alice = await joinRoom("alice", server.address);
    alice.write("/exit\n");
    await bob.event({ type: "leave", name: "alice", reason: "quit" });
    expect(await alice.proc.exited).toBe(0);
  });
});

describe.skipIf(!hasTmux)("in a terminal", () => {
  test("/ignore bob: one line says so, bob's message and private message never show, carol's do; /reply answers carol", async () => {
    const server = await spawnServe();
    const bob = await joinRoom("bob", server.address);
    const carol = await joinRoom("carol", server.address);
    const pane = await TmuxPane.start([...chatBinary(), "join", "alice", "--server", server.address], { columns: 90, rows: 14 });
    panes.push(pane);
    await pane.waitForScreen((rows) => rows.some((r) => r.startsWith("joined as alice")), "the welcome");
    await pane.type("/ignore bob");
    await pane.press("Enter");
    await pane.waitForScreen(
      (rows) => rows.includes("ignoring bob: you will not see their messages (/unignore bob undoes it)"),
      "the answer",
    );
    bob.write("you cannot see me\n/msg alice nor this\n");
    await carol.event({ type: "message", from: "bob", text: "you cannot see me" });
    carol.write("/msg alice from carol\n");
    await pane.waitForScreen((rows) => rows.some((r) => r.endsWith("[private] carol: from carol")), "carol's private message");
    await pane.type("/reply back to carol");
    await pane.press("Enter");
    await carol.event({ type: "private", from: "alice", text: "back to carol" });
    const rows = await pane.waitForScreen((rows) => rows.some((r) => r.endsWith("[private to carol] back to carol")), "the echo");
    expect(rows.join("\n")).not.toContain("see me");
    expect(rows.join("\n")).not.toContain("nor this");
  });
});

describe.skipIf(!hasTmux)("/join in a terminal", () => {
  test("the screen says which room it is in now, and what is typed next goes there", async () => {
    const server = await spawnServe();
    const carol = await inRoom("ops", "carol", server.address);
    const pane = await TmuxPane.start([...chatBinary(), "join", "alice", "--server", server.address], { columns: 80, rows: 12 });
    panes.push(pane);
    await pane.waitForScreen((rows) => rows.some((r) => r.startsWith("joined as alice")), "the welcome");
    await pane.type("/join ops");
    await pane.press("Enter");
    await pane.waitForScreen((rows) => rows.some((r) => r.startsWith("joined room ops as alice; also here: carol")), "the welcome to ops");
    await carol.event({ type: "join", name: "alice" });
    await pane.type("hello ops");
    await pane.press("Enter");
    await carol.event({ type: "message", from: "alice", text: "hello ops" });
    const rows = await pane.waitForScreen((rows) => rows.some((r) => /^\d\d:\d\d alice: hello ops$/.test(r)), "the line, confirmed");
    expect(rows.filter((r) => r !== "").at(-1)).toBe("alice>");
  });
});
