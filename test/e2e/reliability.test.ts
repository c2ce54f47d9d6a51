// Nothing lost, on the compiled binary: a lossy network, a server killed and restarted, a member killed, the backlog, a message that cannot go.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LossyRelay } from "../helpers/lossy-relay.ts";
import { adminToken, type Chat, joinRoom, killAll, spawnServe, startChat } from "../helpers/processes.ts";
import { descendants } from "../helpers/procfs.ts";
import { waitUntil } from "../helpers/wait.ts";

const relays: LossyRelay[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) r.close();
  await killAll();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "chat-test-"));
  dirs.push(dir);
  return dir;
};

/** The texts of the messages `member` has shown from `from`, in the order shown. */
const textsFrom = (member: Chat, from: string) =>
  member
    .events()
    .filter((e) => e.type === "message" && e.from === from)
    .map((e) => e.text as string);

const count = (member: Chat, type: string, name: string) =>
  member.events().filter((e) => e.type === type && (e.name ?? e.from) === name).length;

const numbered = (name: string, n: number) => Array.from({ length: n }, (_, i) => `${name} says ${i + 1}`);

/** Waits until every member has shown every other member's `n` messages. */
function allDelivered(members: Array<[string, Chat]>, n: number, ms: number) {
  return waitUntil(
    () => members.every(([, m]) => members.every(([name, other]) => other === m || textsFrom(m, name).length >= n)),
    ms,
    `every member to show ${n} messages from each other member; so far ${members
      .map(
        ([name, m]) =>
          `${name}: ${members
            .filter(([, o]) => o !== m)
            .map(([other]) => textsFrom(m, other).length)
            .join("/")}`,
      )
      .join(", ")}`,
  );
}

describe("a lossy network (10% loss, 5% duplication, 5% reordering, both ways)", () => {
  test("three members, 200 messages each: every message shown exactly once, in each sender's order; notices once", async () => {
    const server = await spawnServe();
    const faults = { loss: 0.1, duplicate: 0.05, reorder: 0.05, delayMs: 1 };
    const names = ["ann", "ben", "cat"];
    const members: Array<[string, Chat]> = [];
    for (const [i, name] of names.entries()) {
      const relay = await LossyRelay.start({ serverPort: server.port, seed: 1000 + i, faults });
      relays.push(relay);
      members.push([name, await joinRoom(name, relay.address)]);
    }
    // everyone is in: each member has seen the later ones join
    for (const [i, [, m]] of members.entries())
      for (const later of names.slice(i + 1)) await m.event({ type: "join", name: later }, 10_000);

    for (const [name, m] of members) m.write(`${numbered(name, 200).join("\n")}\n`);
    await allDelivered(members, 200, 60_000);

    // one after the other, each leave seen by those still there before the next one goes
    for (const [i, [name, m]] of members.entries()) {
      m.end();
      expect(await m.proc.exited).toBe(0);
      for (const [, other] of members.slice(i + 1)) await other.event({ type: "leave", name }, 10_000);
    }

    for (const [name, m] of members) {
      for (const other of names.filter((n) => n !== name)) expect(textsFrom(m, other)).toEqual(numbered(other, 200));
      expect(textsFrom(m, name)).toEqual([]); // never its own
      const seqs = m
        .events()
        .filter((e) => e.type !== "welcome")
        .map((e) => e.seq as number);
      expect(new Set(seqs).size).toBe(seqs.length); // no event shown twice
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b)); // in the room's order
    }
    // join notices exactly once, for those who came later
    for (const [i, [, m]] of members.entries()) for (const later of names.slice(i + 1)) expect(count(m, "join", later)).toBe(1);
    // leave notices exactly once, for those who went first
    for (const [i, [, m]] of members.entries()) for (const earlier of names.slice(0, i)) expect(count(m, "leave", earlier)).toBe(1);
  }, 90_000);
});

describe("the server is killed and restarted", () => {
  test("with its data directory: every message reaches every member exactly once, and all are back within 5 s", async () => {
    const data = tempDir();
    const first = await spawnServe(["--data", data]);
    const port = String(first.port);
    const names = ["ann", "ben", "cat"];
    const members: Array<[string, Chat]> = [];
    // 10% loss on the way, so that after the restart some repairs can only come from the database
    for (const [i, name] of names.entries()) {
      const relay = await LossyRelay.start({ serverPort: first.port, seed: 2000 + i, faults: { loss: 0.1, duplicate: 0, reorder: 0 } });
      relays.push(relay);
      members.push([name, await joinRoom(name, relay.address)]);
    }
    // people typing: one line each every 10 ms, before, during and after the crash
    let typed = 0;
    const typing = setInterval(() => {
      typed++;
      for (const [name, m] of members) m.write(`${name} says ${typed}\n`);
      if (typed === 150) clearInterval(typing);
    }, 10);

    try {
      await waitUntil(() => textsFrom(members[0]![1], "ben").length >= 20, 10_000, "ann to have 20 of ben's messages");
      first.proc.kill("SIGKILL");
      await first.proc.exited;
    } finally {
      if (typed < 20) clearInterval(typing);
    }
    expect(typed).toBeLessThan(150); // the crash came in the middle of the conversation

    const second = await spawnServe(["--data", data, "--port", port]);
    const restartedAt = Date.now();
    const admin = startChat(["admin", "after the restart", "--server", second.address]);
    expect(await admin.proc.exited).toBe(0);
    for (const [, m] of members) await m.event({ type: "admin", text: "after the restart" }, 5000 - (Date.now() - restartedAt));

    await allDelivered(members, 150, 30_000);
    clearInterval(typing);
    for (const [name, m] of members) {
      for (const other of names.filter((n) => n !== name)) expect(textsFrom(m, other)).toEqual(numbered(other, 150));
      const seqs = m
        .events()
        .filter((e) => e.type !== "welcome")
        .map((e) => e.seq as number);
      expect(new Set(seqs).size).toBe(seqs.length);
    }
    // nobody left or joined: the restarted server knew its members
    for (const [, m] of members) expect(m.events().filter((e) => e.type === "leave")).toEqual([]);
  }, 60_000);

  test("without its data (--data :memory:): members notice, join again under the same name, and go on", async () => {
    const first = await spawnServe();
    const port = String(first.port);
    const ann = await joinRoom("ann", first.address);
    const ben = await joinRoom("ben", first.address);
    first.proc.kill("SIGKILL");
    await first.proc.exited;

    const second = await spawnServe(["--port", port]);
    // each member's next heartbeat meets "unknown session", and it logs in again on its own
    await second.err.waitFor("ann joined", 8000);
    await second.err.waitFor("ben joined", 8000);
    await ann.err.waitFor("back in the room as ann");
    ben.write("still here\n");
    await ann.event({ type: "message", from: "ben", text: "still here" });
  }, 30_000);

  test("a member whose server is silent says so, keeps trying, and comes back when it returns", async () => {
    const data = tempDir();
    const first = await spawnServe(["--data", data]);
    const port = String(first.port);
    const ann = await joinRoom("ann", first.address);
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    await ann.err.waitFor(`lost the server 127.0.0.1:${port}`, 10_000);
    await spawnServe(["--data", data, "--port", port]);
    await ann.err.waitFor("back in the room as ann", 5000);
  }, 30_000);
});

describe("dead members", () => {
  test("a member killed outright is reported as timed out within --peer-timeout + 2 s; an idle one stays", async () => {
    const server = await spawnServe(["--peer-timeout", "5"]);
    const watcher = await joinRoom("watcher", server.address);
    const victim = await joinRoom("victim", server.address);
    // the receiver first: killed second, it could notice its parent's death in between and say bye
    const pids = [...descendants(victim.pid).map((p) => p.pid), victim.pid];
    expect(pids).toHaveLength(2);
    for (const pid of pids) process.kill(pid, "SIGKILL");
    await watcher.event({ type: "leave", name: "victim", reason: "timeout" }, 7000);
    // the watcher said nothing all along, for longer than the peer timeout: its heartbeats kept it in
    const admin = startChat(["admin", "roll call", "--server", server.address]);
    expect(await admin.proc.exited).toBe(0);
    await watcher.event({ type: "admin", text: "roll call" });
    expect(server.err.text()).not.toContain("watcher left");
  }, 20_000);
});

describe("backlog", () => {
  test("a late joiner gets the last 20 messages marked as history, then the live room", async () => {
    const server = await spawnServe();
    const ann = await joinRoom("ann", server.address);
    const ben = await joinRoom("ben", server.address);
    ann.write(`${numbered("ann", 25).join("\n")}\n`);
    await waitUntil(() => textsFrom(ben, "ann").length === 25, 10_000, "ben to have ann's 25 messages");

    const late = await joinRoom("late", server.address);
    await late.event({ type: "message", text: "ann says 25", history: true });
    const human = startChat(["join", "reader", "--server", server.address]);
    await human.out.waitFor("[history] ann: ann says 25");
    ben.write("live now\n");
    await late.event({ type: "message", from: "ben", text: "live now" });

    const history = late.events().filter((e) => e.history === true);
    expect(history.map((e) => e.text)).toEqual(numbered("ann", 25).slice(5));
    expect(late.events().find((e) => e.text === "live now")!.history).toBeUndefined();
    await human.out.waitFor("ben: live now");
    expect(human.out.lines.filter((l) => l.startsWith("[history] "))).toHaveLength(20);
  }, 20_000);
});

test("an admin broadcast through a lossy, duplicating network is repeated until confirmed, and shown once", async () => {
  const server = await spawnServe();
  const member = await joinRoom("ann", server.address);
  // seed 8: of chat admin's knock and announces, two are dropped and two duplicated (the relay decides the same way
  // on every run; which datagrams they are depends on when the answers come back)
  const relay = await LossyRelay.start({ serverPort: server.port, seed: 8, faults: { loss: 0.5, duplicate: 0.5, reorder: 0 } });
  relays.push(relay);
  // the relay listens on another port than the server's, whose token file it therefore does not name
  const admin = startChat(["admin", "through the storm", "--server", relay.address, "--token", adminToken(server.port)]);
  expect(await admin.proc.exited).toBe(0);
  const { received, dropped, duplicated } = relay.stats.toServer;
  expect({ dropped, duplicated }).toEqual({ dropped: 2, duplicated: 2 });
  expect(received).toBeGreaterThan(3); // the knock and the announce were each sent again until answered
  // a later broadcast, long after the duplicate went in: once it is shown, a second copy would have been too
  const later = startChat(["admin", "after the storm", "--server", server.address]);
  expect(await later.proc.exited).toBe(0);
  await member.event({ type: "admin", text: "after the storm" });
  expect(
    member
      .events()
      .filter((e) => e.type === "admin")
      .map((e) => e.text),
  ).toEqual(["through the storm", "after the storm"]);
}, 15_000);

// A message typed while the server is down is no longer given up on after 10 s (issue 13): test/e2e/outage.test.ts
// has what became of this test, a bot that exits 4 naming the line once the server stayed away for 30 s.
