// /nick, /away and /back through the compiled binary: what the others see, what /who says, the refusals and the one auto-answer.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { helpLines, parseLine } from "../../src/core/screen/commands.ts";
import { type Chat, chatBinary, joinRoom, killAll, spawnServe, startChat } from "../helpers/processes.ts";
import { hasTmux, TmuxPane } from "../helpers/tmux.ts";
import { waitUntil } from "../helpers/wait.ts";

const dirs: string[] = [];
const panes: TmuxPane[] = [];
afterEach(async () => {
  await Promise.all(panes.splice(0).map((p) => p.close()));
  await killAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the commands", () => {
  test("parse: /nick NAME (checked as a login's name), /away [REASON], /back; /help lists them", () => {
    expect(parseLine("/nick ally")).toEqual({ kind: "nick", name: "ally" });
    expect(parseLine("/NICK 小明")).toEqual({ kind: "nick", name: "小明" });
    expect(parseLine("/nick").kind).toBe("problem");
    expect(parseLine("/nick two words").kind).toBe("problem");
    expect(parseLine("/nick bad!name").kind).toBe("problem");
    expect(parseLine("/away out to lunch ")).toEqual({ kind: "away", reason: "out to lunch" });
    expect(parseLine("/away")).toEqual({ kind: "away", reason: "" });
    expect(parseLine("/back")).toEqual({ kind: "back" });
    const help = helpLines().join("\n");
    for (const command of ["/nick NAME", "/away [REASON]", "/back"]) expect(help).toContain(command);
  });
});

describe("/nick", () => {
  test("the others see one rename, /who has the new name, later lines carry it, JSON rename event", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    const carol = startChat(["join", "carol", "--server", server.address]); // human lines, through a pipe
    await carol.out.waitFor("joined as carol");
    const zh = startChat(["join", "xiao", "--server", server.address], { env: { LANG: "zh_CN.UTF-8" } });
    await zh.out.waitFor("身份进入聊天室");
    await alice.event({ type: "join", name: "xiao" });

    alice.write("before\n");
    await bob.event({ type: "message", from: "alice", text: "before" });
    alice.write("/nick ally\n");
    const renamed = await bob.event({ type: "rename", from: "alice", to: "ally" });
    expect(renamed.ts).toBeNumber();
    await alice.event({ type: "rename", from: "alice", to: "ally" }); // the renamer learns it from the event
    await carol.out.waitFor(/^\d\d:\d\d alice is now ally$|^alice is now ally$/);
    await zh.out.waitFor("alice 改名为 ally");
    await server.err.waitFor("alice is now ally"); // the console's line

    alice.write("after\n");
    await bob.event({ type: "message", from: "ally", text: "after" });
    expect(await who(bob)).toMatchObject({ names: ["ally", "bob", "carol", "xiao"], count: 4 });
    expect(bob.events().filter((e) => e.type === "rename")).toHaveLength(1);
    expect(carol.out.lines.filter((l) => l.includes("is now ally"))).toHaveLength(1);

    // A late joiner's history keeps what was said under the name it was said with.
    const dave = await joinRoom("dave", server.address);
    await dave.event({ type: "message", from: "alice", text: "before", history: true });
    await dave.event({ type: "message", from: "ally", text: "after", history: true });
  });

  test("a taken name, in any case, or a look-alike is refused with the usual line; the name stays", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    await joinRoom("coco", server.address);
    await alice.event({ type: "join", name: "coco" });
    bob.write("/nick ALICE\n");
    await bob.err.waitFor('the name "ALICE" is taken, or looks like the name of someone in the room: choose another');
    bob.write("/nick сосо\n"); // Cyrillic: the skeleton of coco
    await bob.err.waitFor('the name "сосо" is taken, or looks like the name of someone in the room: choose another');
    bob.write("still bob\n");
    await alice.event({ type: "message", from: "bob", text: "still bob" });
    expect(alice.events().filter((e) => e.type === "rename")).toEqual([]);
  });

  test("a restarted server (same port and --data) keeps the new name: the renamer is back in under it", async () => {
    const data = mkdtempSync(join(tmpdir(), "chat-test-"));
    dirs.push(data);
    const first = await serveOn(data, 0);
    const alice = await joinRoom("alice", first.address);
    const bob = await joinRoom("bob", first.address);
    alice.write("/nick ally\n");
    await bob.event({ type: "rename", from: "alice", to: "ally" });
    await alice.event({ type: "rename", from: "alice", to: "ally" });
    first.proc.kill("SIGTERM");
    await first.proc.exited;
    await serveOn(data, first.port);
    await alice.err.waitFor("back in the room as ally", 10_000);
    await bob.err.waitFor("back in the room as bob", 10_000);
    alice.write("still ally\n");
    await bob.event({ type: "message", from: "ally", text: "still ally" }, 10_000);
    expect(await who(bob)).toMatchObject({ names: ["ally", "bob"] });
  }, 30_000);

  test("renames are limited: the fourth at once is refused", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    bob.write("/nick b1\n/nick b2\n/nick b3\n/nick b4\n");
    await alice.event({ type: "rename", from: "b2", to: "b3" });
    await bob.err.waitFor("not renamed: you are renaming faster than the room allows");
    expect(await who(bob)).toMatchObject({ names: ["alice", "b3"] });
  });
});

/** `chat serve` on 127.0.0.1:`port` (0: a free one) keeping its rooms in `data`, once it listens. */
async function serveOn(data: string, port: number) {
  const server = startChat(["serve", "--host", "127.0.0.1", "--port", String(port), "--data", data, "--rate", "off"]);
  const line = await server.err.waitFor(/listening on 127\.0\.0\.1:\d+/);
  const bound = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(line)![1]);
  return { ...server, port: bound, address: `127.0.0.1:${bound}` };
}

/** Asks `member` (--json) for /who and waits for that answer: the next members line, not an earlier one. */
async function who(member: Chat): Promise<Record<string, unknown>> {
  const pages = () => member.events().filter((e) => e.type === "members");
  const before = pages().length;
  member.write("/who\n");
  return waitUntil(
    () => pages()[before],
    5000,
    () => "the answer to /who",
  );
}

describe("/away and /back", () => {
  test("/who marks the away member; a /msg to it gets one auto-answer with the reason; /back clears it", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    const carol = startChat(["join", "carol", "--server", server.address]); // human lines
    await carol.out.waitFor("joined as carol");
    await alice.event({ type: "join", name: "carol" });

    bob.write("/away lunch\n");
    await bob.err.waitFor("you are marked away");
    expect(await who(alice)).toMatchObject({ names: ["alice", "bob", "carol"], away: [{ name: "bob", reason: "lunch" }] });
    carol.write("/who\n");
    await carol.out.waitFor("here (3): alice, bob (away: lunch), carol");

    alice.write("/msg bob are you there?\n");
    await bob.event({ type: "private", from: "alice", text: "are you there?" }); // delivered all the same
    const notice = await alice.event({ type: "away_notice", name: "bob", reason: "lunch" });
    expect(notice.ts).toBeNumber();
    alice.write("/msg bob hello?\n");
    await bob.event({ type: "private", from: "alice", text: "hello?" });
    carol.write("/msg bob hi\n");
    await carol.out.waitFor(/bob is away: lunch$/);
    await who(alice); // answered after the second private message's ack: a second notice would have come before it
    expect(alice.events().filter((e) => e.type === "away_notice")).toHaveLength(1);

    bob.write("/back\n");
    await bob.err.waitFor("you are back");
    const back = await who(alice);
    expect(back).toMatchObject({ names: ["alice", "bob", "carol"] });
    expect(back.away).toBeUndefined();
  });
});

describe.skipIf(!hasTmux)("in a terminal (tmux)", () => {
  test("/nick: the renamer sees its rename line and its prompt follows; a refusal is one line and the prompt stays", async () => {
    const server = await spawnServe();
    const bob = await joinRoom("bob", server.address);
    const pane = await TmuxPane.start([...chatBinary(), "join", "alice", "--server", server.address], { columns: 70, rows: 12 });
    panes.push(pane);
    await pane.waitForScreen((rows) => rows.some((r) => r.startsWith("joined as alice")), "the welcome");
    await pane.type("/nick bob");
    await pane.press("Enter");
    await pane.waitForScreen((rows) => rows.some((r) => r.includes('the name "bob" is taken')), "the refusal");
    await pane.waitForScreen((rows) => rows.some((r) => r.trimEnd() === "alice>"), "the prompt, unchanged");
    await pane.type("/nick ally");
    await pane.press("Enter");
    await bob.event({ type: "rename", from: "alice", to: "ally" });
    const rows = await pane.waitForScreen((rows) => rows.some((r) => r.trimEnd() === "ally>"), "the new prompt");
    expect(rows.filter((r) => r.endsWith("alice is now ally"))).toHaveLength(1);
  });

  test("/who in a terminal marks who is away, and why", async () => {
    const server = await spawnServe();
    const bob = await joinRoom("bob", server.address);
    bob.write("/away lunch\n");
    const pane = await TmuxPane.start([...chatBinary(), "join", "alice", "--server", server.address], { columns: 70, rows: 12 });
    panes.push(pane);
    await pane.waitForScreen((rows) => rows.some((r) => r.startsWith("joined as alice")), "the welcome");
    // bob's /away may still be on its way: ask again until an answer shows the mark (each answer waited for)
    const deadline = Date.now() + 5000;
    for (let asked = 1; ; asked++) {
      await pane.type("/who");
      await pane.press("Enter");
      const rows = await pane.waitForScreen((r) => r.filter((row) => row.includes("here (2)")).length >= asked, "a /who answer");
      if (rows.some((row) => row.includes("bob (away: lunch)"))) break;
      if (Date.now() > deadline) throw new Error(`bob was never marked away in /who:\n${rows.join("\n")}`);
    }
  });
});
