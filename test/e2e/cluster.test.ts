// Several servers sharing rooms through a real nats-server with JetStream (test/helpers/nats.ts), on dist/chat.

import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { hasNats, startNats } from "../helpers/nats.ts";
import { type Chat, killAll, spawnServe, startChat } from "../helpers/processes.ts";
import { freeUdpPort } from "../helpers/socket.ts";
import { waitUntil } from "../helpers/wait.ts";

const stores: string[] = [];
afterEach(async () => {
  await killAll();
  for (const dir of stores.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A nats-server and `count` chat servers on it. */
async function cluster(count: number) {
  const nats = await startNats();
  stores.push(nats.store);
  const servers = [];
  for (let i = 0; i < count; i++) servers.push(await spawnServe(["--cluster", nats.url, "--peer-timeout", "5"]));
  return { nats, servers };
}

type Member = Chat & { name: string };

async function member(name: string, servers: string, room?: string): Promise<Member> {
  const chat = startChat(["join", name, "--server", servers, "--json", ...(room ? ["--room", room] : [])]);
  await chat.event({ type: "welcome", name }, 10_000);
  return { ...chat, name };
}

const messages = (m: Chat) => m.events().filter((e) => e.type === "message");

describe.skipIf(!hasNats)("a cluster of servers on one NATS JetStream", () => {
  test("two servers, three members on each, 50 messages each: everyone gets all 250 others' exactly once, in one order", async () => {
    const { servers } = await cluster(2);
    const members: Member[] = [];
    for (let i = 0; i < 6; i++) members.push(await member(`m${i}`, servers[i % 2]!.address));
    // Everyone has seen everyone come in before anyone talks.
    for (const m of members) {
      await waitUntil(
        () =>
          members.every(
            (o) =>
              o === m ||
              m
                .events()
                .some(
                  (e) => (e.type === "join" && e.name === o.name) || (e.type === "welcome" && (e.members as string[]).includes(o.name)),
                ),
          ),
        10_000,
        `${m.name} sees everyone`,
      );
    }
    for (const m of members) m.write(Array.from({ length: 50 }, (_, k) => `${m.name} says ${k}\n`).join(""));

    for (const m of members)
      await waitUntil(
        () => messages(m).length >= 250,
        20_000,
        () => `${m.name} has all 250 (has ${messages(m).length})`,
      );
    // One order: the room's sequence numbers, the same message under the same number everywhere.
    const bySeq = new Map<number, string>();
    for (const m of members) {
      const mine = messages(m);
      expect(mine.length).toBe(250);
      expect(mine.some((e) => e.from === m.name)).toBe(false);
      const seqs = mine.map((e) => e.seq as number);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b)); // shown in the room's order
      expect(new Set(seqs).size).toBe(250); // each once
      for (const e of mine) {
        const said = `${e.from}: ${e.text}`;
        expect(bySeq.get(e.seq as number) ?? said).toBe(said);
        bySeq.set(e.seq as number, said);
      }
      // Each sender's 50 arrive in the order they were typed.
      for (const o of members.filter((x) => x !== m)) {
        expect(mine.filter((e) => e.from === o.name).map((e) => e.text)).toEqual(
          Array.from({ length: 50 }, (_, k) => `${o.name} says ${k}`),
        );
      }
    }
    expect(bySeq.size).toBe(300);
  }, 60_000);

  test("a name taken on one server is refused on the other, without regard to case", async () => {
    const { servers } = await cluster(2);
    await member("alice", servers[0]!.address);
    const again = startChat(["join", "ALICE", "--server", servers[1]!.address]);
    expect(await again.proc.exited).toBe(2);
    await again.err.closed;
    expect(again.err.lines).toContain(`[error] the name "ALICE" is taken, or looks like the name of someone in the room: choose another`);
  });

  // SIGKILL: the dead server's port answers "unreachable" at once. SIGSTOP: a machine gone without a word, noticed by silence.
  test.each(["SIGKILL", "SIGSTOP"] as const)(
    "a server stopped with %s: its members are back through the other within 5 s, nothing lost or doubled",
    async (signal) => {
      const { servers } = await cluster(2);
      const [a, b] = servers as [Awaited<ReturnType<typeof spawnServe>>, Awaited<ReturnType<typeof spawnServe>>];
      const both = (first: string, second: string) => `${first},${second}`;
      const onA = [await member("a1", both(a.address, b.address)), await member("a2", both(a.address, b.address))];
      const onB = [await member("b1", both(b.address, a.address)), await member("b2", both(b.address, a.address))];
      const everyone = [...onA, ...onB];
      for (const m of everyone)
        await waitUntil(
          () => m.events().filter((e) => e.type === "join").length + ((m.events()[0]?.count as number) ?? 0) >= 3,
          10_000,
          `${m.name} sees the others`,
        );

      // Everyone talks before, during and after the failover: 30 lines each, one every 50 ms.
      const talking = everyone.map(async (m) => {
        for (let k = 0; k < 30; k++) {
          m.write(`${m.name} line ${k}\n`);
          await Bun.sleep(50); // pacing the sender (a person typing), not waiting for an outcome
        }
      });
      await waitUntil(() => messages(onB[0]!).some((e) => e.from === "a1" && e.text === "a1 line 5"), 10_000, "traffic through A");
      a.proc.kill(signal);
      const killedAt = Date.now();
      for (const m of onA) {
        await m.err.waitFor(/back in the room as/, Math.max(1, 5000 - (Date.now() - killedAt)));
      }
      await Promise.all(talking);

      for (const m of everyone) {
        const others = everyone.filter((o) => o !== m);
        await waitUntil(
          () => messages(m).length >= 90,
          20_000,
          () => `${m.name} has all 90 (has ${messages(m).length})`,
        );
        for (const o of others) {
          expect(
            messages(m)
              .filter((e) => e.from === o.name)
              .map((e) => e.text),
          ).toEqual(Array.from({ length: 30 }, (_, k) => `${o.name} line ${k}`));
        }
        expect(messages(m).length).toBe(90);
      }
      // Moving is not leaving: nobody saw a1 or a2 leave or join again.
      for (const m of onB)
        expect(m.events().filter((e) => (e.type === "leave" || e.type === "join") && String(e.name).startsWith("a"))).toEqual([]);
    },
    60_000,
  );

  test("members of a dead server that do not come back time out, once, and their names are free again", async () => {
    const { servers } = await cluster(2);
    const stranded = await member("stranded", servers[0]!.address); // knows no other server
    const watcher = await member("watcher", servers[1]!.address);
    expect(watcher.events()[0]?.members).toEqual(["stranded"]);
    servers[0]!.proc.kill("SIGKILL");
    stranded.proc.kill("SIGKILL"); // and its member with it
    // --peer-timeout 5 on every server: the survivor tells the room after 5 s of silence from the dead one.
    await watcher.event({ type: "leave", name: "stranded", reason: "timeout" }, 15_000);
    const again = await member("stranded", servers[1]!.address);
    again.write("back under my name\n");
    await watcher.event({ type: "message", from: "stranded", text: "back under my name" });
    expect(watcher.events().filter((e) => e.type === "leave").length).toBe(1);
  }, 30_000);

  test("chat admin --kick on one server removes a member of the other; --who lists both servers' members", async () => {
    const { servers } = await cluster(2);
    const alice = await member("alice", servers[0]!.address);
    const bob = await member("bob", servers[1]!.address);
    const who = startChat(["admin", "--who", "--server", servers[0]!.address]);
    expect(await who.proc.exited).toBe(0);
    await who.out.closed;
    expect(who.out.lines.sort()).toEqual(["alice", "bob"]);

    const kick = startChat(["admin", "--kick", "bob", "--server", servers[0]!.address]);
    expect(await kick.proc.exited).toBe(0);
    await alice.event({ type: "leave", name: "bob", reason: "kicked" });
    expect(await bob.proc.exited).toBe(2); // told it was kicked: it stops instead of logging back in
    const nobody = startChat(["admin", "--kick", "bob", "--server", servers[0]!.address]);
    expect(await nobody.proc.exited).toBe(2);
  });

  test("the server console's /who lists the cluster's members, not only this server's", async () => {
    const { servers } = await cluster(2);
    await member("alice", servers[0]!.address);
    await member("bob", servers[1]!.address);
    // The console of alice's server counts bob once his claim has come back through the names bucket.
    await servers[0]!.err.waitFor("bob joined (2 in the room)", 10_000);
    servers[0]!.write("/who\n");
    await servers[0]!.err.waitFor(/^\[info\] 2 in the room: (alice, bob|bob, alice)$/);
  });

  test("chat join tries the servers in order: a first one that does not answer is passed over", async () => {
    const { servers } = await cluster(1);
    // A port that was free a moment ago, and is closed now: nobody answers there.
    const dead = `127.0.0.1:${await freeUdpPort()}`;
    const late = await member("late", `${dead},${servers[0]!.address}`);
    expect(late.err.text()).toContain(`no answer from ${dead}: trying ${servers[0]!.address}…`);
  });

  test("nats-server killed and restarted mid-conversation: every line arrives once, in order", async () => {
    const { nats, servers } = await cluster(2);
    const alice = await member("alice", servers[0]!.address);
    const bob = await member("bob", servers[1]!.address);
    const talk = (m: Member) =>
      (async () => {
        for (let k = 0; k < 20; k++) {
          m.write(`${m.name} ${k}\n`);
          await Bun.sleep(50); // pacing the sender (a person typing), not waiting for an outcome
        }
      })();
    const talking = [talk(alice), talk(bob)];
    await bob.event({ type: "message", from: "alice", text: "alice 3" });
    nats.proc.kill("SIGKILL");
    await nats.proc.exited;
    const restarted = await startNats(nats); // the same port and store: the servers' clients reconnect by themselves
    await Promise.all(talking);
    for (const [m, other] of [
      [alice, "bob"],
      [bob, "alice"],
    ] as const) {
      await waitUntil(
        () => messages(m).length >= 20,
        15_000,
        () =>
          `${m.name} has all 20 of ${other} (has ${messages(m).length}); servers said:\n${servers.map((v) => v.err.text()).join("\n")}\n${alice.err.text()}\n${bob.err.text()}\n${restarted.log()}`,
      );
      expect(messages(m).map((e) => e.text)).toEqual(Array.from({ length: 20 }, (_, k) => `${other} ${k}`));
    }
  }, 40_000);

  test("two rooms across the cluster do not see each other's messages", async () => {
    const { servers } = await cluster(2);
    const lobbyA = await member("la", servers[0]!.address);
    const opsA = await member("oa", servers[0]!.address, "ops");
    const lobbyB = await member("lb", servers[1]!.address);
    const opsB = await member("ob", servers[1]!.address, "ops");
    lobbyA.write("lobby talk\n");
    opsA.write("ops talk\n");
    await lobbyB.event({ type: "message", from: "la", text: "lobby talk", room: "lobby" });
    await opsB.event({ type: "message", from: "oa", text: "ops talk", room: "ops" });
    opsB.write("ops reply\n");
    await opsA.event({ type: "message", from: "ob", text: "ops reply" });
    lobbyB.write("lobby reply\n");
    await lobbyA.event({ type: "message", from: "lb", text: "lobby reply" });
    for (const m of [lobbyA, lobbyB]) expect(messages(m).every((e) => e.room === "lobby" && String(e.text).startsWith("lobby"))).toBe(true);
    for (const m of [opsA, opsB]) expect(messages(m).every((e) => e.room === "ops" && String(e.text).startsWith("ops"))).toBe(true);
  });

  test("an admin broadcast on one server reaches the members of every server; /msg crosses servers", async () => {
    const { servers } = await cluster(2);
    const alice = await member("alice", servers[0]!.address);
    const bob = await member("bob", servers[1]!.address);
    const carol = await member("carol", servers[1]!.address);
    const admin = startChat(["admin", "--server", servers[0]!.address, "to the whole cluster"]);
    expect(await admin.proc.exited).toBe(0);
    for (const m of [alice, bob, carol]) await m.event({ type: "admin", text: "to the whole cluster" });
    alice.write("/msg bob only for bob\n");
    await bob.event({ type: "private", from: "alice", to: "bob", text: "only for bob" });
    bob.write("/msg alice and back\n");
    await alice.event({ type: "private", from: "bob", to: "alice", text: "and back" });
    carol.write("sync\n");
    await alice.event({ type: "message", from: "carol", text: "sync" });
    expect(carol.events().some((e) => e.type === "private")).toBe(false);
  });

  test("/nick moves the name across the cluster: seen once on the other server, taken there, the old name free", async () => {
    const { servers } = await cluster(2);
    const alice = await member("alice", servers[0]!.address);
    await member("coco", servers[0]!.address);
    const bob = await member("bob", servers[1]!.address);
    alice.write("/nick ally\n");
    await bob.event({ type: "rename", from: "alice", to: "ally" });
    await alice.event({ type: "rename", from: "alice", to: "ally" });
    const whoOf = async (m: Member) => {
      const before = m.events().filter((e) => e.type === "members").length;
      m.write("/who\n");
      return waitUntil(() => m.events().filter((e) => e.type === "members")[before], 5000, "the answer to /who");
    };
    /** Asks /who again (each answer awaited) until `ok`: the other server's mirror of the names catches up. */
    const whoUntil = async (m: Member, ok: (names: string[]) => boolean, what: string) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const names = (await whoOf(m)).names as string[];
        if (ok(names)) return names;
        if (Date.now() > deadline) throw new Error(`${what}; the last /who: ${names.join(", ")}`);
      }
    };
    await whoUntil(bob, (names) => names.includes("ally") && !names.includes("alice"), "bob's /who lists ally, not alice");
    bob.write("/nick ALLY\n"); // held by a member of the other server
    await bob.err.waitFor('the name "ALLY" is taken, or looks like the name of someone in the room: choose another');
    bob.write("/nick сосо\n"); // looks like coco, of the other server
    await bob.err.waitFor('the name "сосо" is taken, or looks like the name of someone in the room: choose another');
    bob.write("/msg ally to the new name\n");
    await alice.event({ type: "private", from: "bob", to: "ally", text: "to the new name" });
    const again = await member("alice", servers[1]!.address); // given back by the rename
    await alice.event({ type: "join", name: "alice" });
    expect(again.name).toBe("alice");
    // Only the case changes: the same key, its holder rewritten; the other server's /who shows the new spelling.
    alice.write("/nick Ally\n");
    await bob.event({ type: "rename", from: "ally", to: "Ally" });
    await whoUntil(bob, (names) => names.includes("Ally") && !names.includes("ally"), "bob's /who lists Ally");
    expect(bob.events().filter((e) => e.type === "rename")).toHaveLength(2);
  });
});
