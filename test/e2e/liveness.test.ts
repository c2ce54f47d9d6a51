// Liveness on the compiled binary: probes before a timeout, a ghost's name taken back from the same machine, the
// server's goodbye on stop, and the allowance its welcome tells (the server's side of issue 13).

import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { isSealed } from "../../src/core/wire/envelope.ts";
import { KNOCK_BYTES, type Message, padded, type Welcome } from "../../src/core/wire/protocol.ts";
import { LossyRelay } from "../helpers/lossy-relay.ts";
import { hasNats, startNats } from "../helpers/nats.ts";
import { type Chat, joinRoom, killAll, runChat, spawnServe, startChat, waitGone } from "../helpers/processes.ts";
import { descendants } from "../helpers/procfs.ts";
import { isType, RawPeer } from "../helpers/raw-peer.ts";
import { waitAtMost, waitUntil } from "../helpers/wait.ts";

const peers: RawPeer[] = [];
const relays: LossyRelay[] = [];
const stores: string[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  for (const r of relays.splice(0)) r.close();
  await killAll();
  for (const dir of stores.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The server's default limits: spawnServe turns the rate off unless given one, and 5/5 is the default (burst 20). */
const DEFAULT_RATE = ["--rate", "5/5"];

async function rawPeer(port: number): Promise<RawPeer> {
  const p = await RawPeer.open(port);
  peers.push(p);
  return p;
}

/** A raw member that answers every probe with a ping, as a live `chat join` does, and says nothing else. */
function answerProbes(p: RawPeer, sid: string): () => void {
  let seen = 0;
  const timer = setInterval(() => {
    const probes = p.received.filter((m) => m.type === "probe").length;
    for (; seen < probes; seen++) p.send({ type: "ping", sid });
  }, 20);
  return () => clearInterval(timer);
}

/** Knocks, then sends a hello (again every 100 ms) until it is welcomed or refused. */
async function hello(p: RawPeer, name: string, nonce: string): Promise<Message> {
  const { cookie } = await p.request(padded({ type: "knock" }, KNOCK_BYTES), isType("challenge"));
  return p.request({ type: "hello", name, nonce, cookie }, (m): m is Message => m.type === "welcome" || m.type === "refused", 5000);
}

/** The receiver subprocess of a `chat join`, once it has been started. */
function receiverOf(member: Chat): Promise<number> {
  return waitUntil(() => descendants(member.pid).find((p) => p.cmdline.includes("__receiver"))?.pid, 5000, "the receiver subprocess");
}

const count = (m: Chat, fields: Record<string, unknown>) =>
  m.events().filter((e) => Object.entries(fields).every(([k, v]) => e[k] === v)).length;

describe("the welcome tells the allowance and the peer timeout", () => {
  test("by default: a burst of 20, then one a second (5 per 5 s), and the 15 s peer timeout", async () => {
    const server = await spawnServe(DEFAULT_RATE);
    const welcome = await (await rawPeer(server.port)).login("raw");
    expect(welcome).toMatchObject({ burst: 20, refillMs: 1000, timeoutMs: 15_000 });
  });

  test("--burst, --rate and --peer-timeout as given; --rate off: no allowance, the timeout still", async () => {
    const server = await spawnServe(["--burst", "7", "--rate", "3/1", "--peer-timeout", "6"]);
    expect(await (await rawPeer(server.port)).login("raw")).toMatchObject({ burst: 7, refillMs: 334, timeoutMs: 6000 });
    const off = await spawnServe(["--rate", "off"]);
    const welcome: Welcome = await (await rawPeer(off.port)).login("raw");
    expect(welcome.burst).toBeUndefined();
    expect(welcome.refillMs).toBeUndefined();
    expect(welcome.timeoutMs).toBe(15_000);
  });

  test.skipIf(!hasNats)(
    "in a cluster too: each server's welcome, with the log's numbers, carries them",
    async () => {
      const nats = await startNats();
      stores.push(nats.store);
      const a = await spawnServe(["--cluster", nats.url, ...DEFAULT_RATE, "--burst", "12", "--peer-timeout", "7"]);
      const b = await spawnServe(["--cluster", nats.url, ...DEFAULT_RATE, "--burst", "12", "--peer-timeout", "7"]);
      expect(await (await rawPeer(a.port)).login("one", "1111111111111111")).toMatchObject({ burst: 12, refillMs: 1000, timeoutMs: 7000 });
      const second = await (await rawPeer(b.port)).login("two", "2222222222222222");
      expect(second).toMatchObject({ burst: 12, refillMs: 1000, timeoutMs: 7000, members: ["one"] });
    },
    20_000,
  );

  test("a client that does not pace still gets rate_limited past the burst", async () => {
    const server = await spawnServe(DEFAULT_RATE);
    const raw = await rawPeer(server.port);
    const { sid } = await raw.login("flooder");
    for (let id = 1; id <= 25; id++) raw.send({ type: "say", sid, id, base: 1, text: `line ${id}` });
    const settled = (m: Message) => (m.type === "ack" || m.type === "refused") && m.id !== undefined;
    await waitUntil(() => raw.received.filter(settled).length >= 25 || undefined, 5000, "25 says settled");
    const refused = raw.received.filter(isType("refused")).map((r) => [r.reason, r.id]);
    expect(raw.received.filter(isType("ack"))).toHaveLength(20);
    expect(refused).toEqual([21, 22, 23, 24, 25].map((id) => ["rate_limited", id]));
  });

  test("a --json member's welcome is as before; one with the 20-line burst piped in is never refused", async () => {
    const server = await spawnServe(DEFAULT_RATE);
    const alice = await joinRoom("alice", server.address);
    expect(alice.welcome).toMatchObject({ type: "welcome", name: "alice", count: 0 });
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const bot = startChat(["join", "bot", "--server", server.address]);
    bot.write(`${lines.join("\n")}\n`);
    bot.end();
    expect(await bot.proc.exited).toBe(0);
    await alice.event({ type: "message", from: "bot", text: "line 20" });
    expect(
      alice
        .events()
        .filter((e) => e.type === "message" && e.from === "bot")
        .map((e) => e.text),
    ).toEqual(lines);
    expect(bot.err.text()).not.toContain("faster than the room allows");
  });
});

describe("no live member is timed out", () => {
  test("a member that only answers probes stays past the peer timeout; a silent one is removed within it + 2 s", async () => {
    const server = await spawnServe(["--peer-timeout", "5"]);
    const live = await rawPeer(server.port);
    const silent = await rawPeer(server.port);
    const watcher = await rawPeer(server.port);
    const liveSid = (await live.login("live", "1111111111111111")).sid;
    const stop = answerProbes(live, liveSid);
    const loggedIn = performance.now();
    await silent.login("silent", "2222222222222222");
    const { sid: watcherSid } = await watcher.login("watcher", "3333333333333333");
    const stopWatcher = answerProbes(watcher, watcherSid);
    try {
      const leave = await watcher.waitFor(isType("leave"), 8000);
      expect(leave).toMatchObject({ name: "silent", reason: "timeout" });
      expect(performance.now() - loggedIn).toBeLessThan(7000);
      // twice the timeout, and the member that answered its probes (and sent nothing else) is still in
      await waitAtMost(
        () => watcher.received.some((m) => m.type === "leave" && m.name === "live"),
        10_000 - (performance.now() - loggedIn),
      );
      expect(watcher.received.filter(isType("leave")).map((l) => l.name)).toEqual(["silent"]);
      expect(live.received.filter(isType("probe")).length).toBeGreaterThanOrEqual(2);
      expect(silent.received.filter(isType("probe")).length).toBeGreaterThanOrEqual(3); // at 3 s, 3.5, 4, 4.5 (5)
    } finally {
      stop();
      stopWatcher();
    }
  }, 20_000);

  test("a member killed outright (both processes) is reported timed out within --peer-timeout + 2 s", async () => {
    const server = await spawnServe(["--peer-timeout", "5"]);
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    await alice.event({ type: "join", name: "bob" });
    const receiver = await receiverOf(bob);
    process.kill(receiver, "SIGKILL"); // first, so that it cannot say bye for its parent
    bob.proc.kill("SIGKILL");
    const killed = performance.now();
    await waitGone([bob.pid, receiver]);
    await alice.event({ type: "leave", name: "bob", reason: "timeout" }, 7000);
    expect(performance.now() - killed).toBeLessThan(7000);
  }, 15_000);

  test("three members through a 10%-lossy path with --peer-timeout 5, talking and idling for 45 s: none timed out, no join twice", async () => {
    const server = await spawnServe([...DEFAULT_RATE, "--peer-timeout", "5"]);
    const names = ["ann", "ben", "cat"];
    const members: Chat[] = [];
    for (const [i, name] of names.entries()) {
      const relay = await LossyRelay.start({ serverPort: server.port, seed: 3100 + i, faults: { loss: 0.1, duplicate: 0, reorder: 0 } });
      relays.push(relay);
      members.push(await joinRoom(name, relay.address, {}));
    }
    for (const [i, m] of members.entries()) for (const later of names.slice(i + 1)) await m.event({ type: "join", name: later }, 10_000);
    const started = performance.now();
    // each sends 60 lines 10 ms apart (the paste of the issue), then everyone idles
    let typed = 0;
    const typing = setInterval(() => {
      typed++;
      for (const [i, m] of members.entries()) m.write(`${names[i]} line ${typed}\n`);
      if (typed === 60) clearInterval(typing);
    }, 10);
    try {
      const trouble = () =>
        members.find((m) => count(m, { type: "leave" }) > 0 || names.some((n) => count(m, { type: "join", name: n }) > 1));
      await waitAtMost(trouble, 45_000 - (performance.now() - started), 100);
      for (const [i, m] of members.entries()) {
        expect(m.events().filter((e) => e.type === "leave")).toEqual([]);
        for (const n of names) if (n !== names[i]) expect(count(m, { type: "join", name: n })).toBeLessThanOrEqual(1);
        // what arrived arrived once and in order
        for (const n of names.filter((x) => x !== names[i])) {
          const got = m
            .events()
            .filter((e) => e.type === "message" && e.from === n)
            .map((e) => Number(String(e.text).split(" ")[2]));
          expect(got).toEqual(got.map((_, k) => k + 1));
        }
      }
    } finally {
      clearInterval(typing);
    }
  }, 90_000);
});

describe("a ghost does not keep a name", () => {
  test("raw: the holder on the same IP is probed; silent, it loses the name within about a second; answering, it keeps it", async () => {
    const server = await spawnServe([]);
    const watcher = await rawPeer(server.port);
    await watcher.login("watcher", "3333333333333333");
    const live = await rawPeer(server.port);
    const stop = answerProbes(live, (await live.login("live", "1111111111111111")).sid);
    try {
      const newcomer = await rawPeer(server.port);
      const answer = await hello(newcomer, "live", "4444444444444444");
      expect(answer).toEqual({ type: "refused", reason: "name_taken" });
      expect(live.received.some((m) => m.type === "probe")).toBe(true);
    } finally {
      stop();
    }

    const ghost = await rawPeer(server.port);
    await ghost.login("ghost", "5555555555555555"); // then says nothing: its client was killed
    const heir = await rawPeer(server.port);
    const asked = performance.now();
    const welcome = await heir.login("ghost", "6666666666666666");
    const took = performance.now() - asked;
    expect(welcome.name).toBe("ghost");
    expect(took).toBeGreaterThan(900); // it waited for the probe's answer...
    expect(took).toBeLessThan(2500); // ...about a second
    expect(ghost.received.some((m) => m.type === "probe")).toBe(true);
    await watcher.waitFor(isType("leave", (l) => l.name === "ghost" && l.reason === "timeout"));
    await watcher.waitFor(isType("join", (j) => j.name === "ghost"));
  }, 15_000);

  test("chat join killed with SIGKILL (both processes): the same name from the same machine is welcomed within 4 s; while it lives, refused", async () => {
    const server = await spawnServe(DEFAULT_RATE);
    const alice = await joinRoom("alice", server.address);
    const dave = await joinRoom("dave", server.address);
    await alice.event({ type: "join", name: "dave" });

    const twin = await runChat(["join", "dave", "--server", server.address, "--json"]);
    expect(twin.code).toBe(2);
    expect(twin.err.join("\n")).toContain("taken");

    const receiver = await receiverOf(dave);
    process.kill(receiver, "SIGKILL");
    dave.proc.kill("SIGKILL");
    await waitGone([dave.pid, receiver]);
    const asked = performance.now();
    const again = await joinRoom("dave", server.address);
    expect(performance.now() - asked).toBeLessThan(4000);
    expect(again.welcome).toMatchObject({ name: "dave", members: ["alice"] });
    await alice.event({ type: "leave", name: "dave", reason: "timeout" });
    await waitUntil(() => count(alice, { type: "join", name: "dave" }) === 2 || undefined, 3000, "dave's second join");
  }, 20_000);
});

describe("the server says goodbye", () => {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    test(`on ${signal} every member is sent stopping, twice, before the socket closes`, async () => {
      const server = await spawnServe([]);
      const a = await rawPeer(server.port);
      const b = await rawPeer(server.port);
      await a.login("a", "1111111111111111");
      await b.login("b", "2222222222222222", "ops");
      const asked = performance.now();
      server.proc.kill(signal);
      expect(await server.proc.exited).toBe(0);
      expect(performance.now() - asked).toBeLessThan(2000);
      for (const p of [a, b])
        await waitUntil(() => p.received.filter((m) => m.type === "stopping").length === 2 || undefined, 1000, "two stopping");
    });
  }

  test("sealed like everything else in a room with a passphrase", async () => {
    const server = await spawnServe(["--passphrase", "correct horse"]);
    const relay = await LossyRelay.start({
      serverPort: server.port,
      seed: 1,
      faults: { loss: 0, duplicate: 0, reorder: 0 },
      capture: true,
    });
    relays.push(relay);
    const member = startChat(["join", "alice", "--server", relay.address, "--json", "--passphrase", "correct horse"]);
    await member.event({ type: "welcome", name: "alice" });
    const before = relay.captured.length;
    const toMember = relay.stats.toMember.forwarded;
    server.proc.kill("SIGINT");
    expect(await server.proc.exited).toBe(0);
    // the two goodbyes came through the relay, sealed: no datagram on the wire reads "stopping"
    await waitUntil(() => relay.stats.toMember.forwarded >= toMember + 2 || undefined, 1000, "the two goodbyes");
    const clear = relay.captured.slice(before).filter((d) => !isSealed(d));
    expect(clear.map((d) => new TextDecoder().decode(d)).filter((t) => t.includes("stopping"))).toEqual([]);
  });
});
