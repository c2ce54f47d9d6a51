// Several rooms on one server: each with its own members, sequence, history and admin broadcasts (on dist/chat).

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KNOCK_BYTES, LIMITS, padded } from "../../src/core/wire/protocol.ts";
import { joinRoom, killAll, runChat, spawnServe, startChat } from "../helpers/processes.ts";
import { isType, RawPeer } from "../helpers/raw-peer.ts";

afterEach(killAll);

async function inRoom(room: string, name: string, address: string) {
  const member = startChat(["join", name, "--server", address, "--room", room, "--json"]);
  const welcome = await member.event({ type: "welcome", name });
  return { ...member, welcome };
}

const admin = (address: string, ...args: string[]) => runChat(["admin", "--server", address, ...args]);

describe("rooms on one server", () => {
  test("two rooms do not see each other's joins, messages or leaves; every JSON event names its room", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address); // no --room: the lobby
    const carol = await inRoom("ops", "carol", server.address);
    const bob = await inRoom("lobby", "bob", server.address);
    const dave = await inRoom("ops", "dave", server.address);
    await alice.event({ type: "join", name: "bob", room: "lobby" });
    await carol.event({ type: "join", name: "dave", room: "ops" });
    expect(carol.welcome.members).toEqual([]);
    expect(dave.welcome.members).toEqual(["carol"]);

    alice.write("for the lobby\n");
    carol.write("for ops\n");
    await bob.event({ type: "message", from: "alice", text: "for the lobby", room: "lobby" });
    await dave.event({ type: "message", from: "carol", text: "for ops", room: "ops" });
    bob.end();
    await alice.event({ type: "leave", name: "bob", room: "lobby" });
    dave.write("last word in ops\n");
    await carol.event({ type: "message", from: "dave", text: "last word in ops" });

    const seen = (m: { events(): Array<Record<string, unknown>> }) => m.events().filter((e) => e.type !== "welcome");
    for (const e of [...seen(alice), ...seen(bob)]) expect(e.room).toBe("lobby");
    for (const e of [...seen(carol), ...seen(dave)]) expect(e.room).toBe("ops");
    expect(seen(alice).map((e) => e.name ?? e.from)).toEqual(["bob", "bob"]);
    expect(seen(carol).map((e) => e.name ?? e.from)).toEqual(["dave", "dave"]);
    // Each room numbers its own events from 1.
    expect(seen(carol).map((e) => e.seq)).toEqual([2, 4]);
  });

  test("the same name may be used in two rooms; room names are the same room without regard to case", async () => {
    const server = await spawnServe();
    const inLobby = await joinRoom("sam", server.address);
    const inOps = await inRoom("Ops", "sam", server.address);
    const other = await inRoom("OPS", "kim", server.address);
    await inOps.event({ type: "join", name: "kim", room: "ops" });
    other.write("hello sam\n");
    await inOps.event({ type: "message", from: "kim", text: "hello sam" });
    expect(inLobby.events().some((e) => e.type === "message")).toBe(false);
  });

  test("chat admin reaches every room, or with --room only that one; --who and --kick take --room too", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    const carol = await inRoom("ops", "carol", server.address);

    expect(await admin(server.address, "everyone")).toMatchObject({ code: 0, err: ["[success] broadcast to 2 member(s)"] });
    await alice.event({ type: "admin", text: "everyone", room: "lobby" });
    await carol.event({ type: "admin", text: "everyone", room: "ops" });

    expect(await admin(server.address, "--room", "ops", "only ops")).toMatchObject({
      code: 0,
      err: ["[success] broadcast to 1 member(s) in room ops"],
    });
    await carol.event({ type: "admin", text: "only ops" });
    expect((await admin(server.address, "--who", "--room", "ops")).out).toEqual(["carol"]);
    expect((await admin(server.address, "--who")).out).toEqual(["alice"]);
    expect(await admin(server.address, "--room", "nowhere", "anyone?")).toMatchObject({
      code: 2,
      err: ["[error] refused: the server has no such room"],
    });

    // A broadcast to every room after the one for ops: once the lobby has it, it would have had "only ops" too.
    expect((await admin(server.address, "after")).code).toBe(0);
    await alice.event({ type: "admin", text: "after" });
    expect(
      alice
        .events()
        .filter((e) => e.type === "admin")
        .map((e) => e.text),
    ).toEqual(["everyone", "after"]);

    expect(await admin(server.address, "--kick", "alice", "--room", "ops")).toMatchObject({
      code: 2,
      err: ['[error] refused: nobody named "alice" is in room ops'],
    });
    expect((await admin(server.address, "--kick", "carol", "--room", "ops")).code).toBe(0);
    expect(await carol.proc.exited).toBe(2);
    expect((await admin(server.address, "--who")).out).toEqual(["alice"]);
  });

  test("a room name that breaks the rule is refused with one line, and nothing starts", async () => {
    const bad = startChat(["join", "alice", "--server", "127.0.0.1:9", "--room", "no spaces"]);
    const [code] = await Promise.all([bad.proc.exited, bad.err.closed]);
    expect({ code, err: bad.err.lines }).toEqual({
      code: 1,
      err: [`[error] invalid room "no spaces": use 1 to 16 letters, digits, "_", "." or "-"`],
    });
  });

  test("the human welcome names the room, unless it is the lobby", async () => {
    const server = await spawnServe();
    const human = startChat(["join", "ann", "--server", server.address, "--room", "ops"]);
    await human.out.waitFor("joined room ops as ann; nobody else is here yet");
    const lobby = startChat(["join", "ben", "--server", server.address]);
    await lobby.out.waitFor("joined as ben; nobody else is here yet");
  });

  test("with --data, every room's history survives a SIGKILL and restart of the server", async () => {
    const data = mkdtempSync(join(tmpdir(), "chat-rooms-"));
    try {
      const first = await spawnServe(["--data", data]);
      const carol = await inRoom("ops", "carol", first.address);
      const opsWitness = await inRoom("ops", "wit", first.address);
      const alice = await joinRoom("alice", first.address);
      const lobbyWitness = await joinRoom("lw", first.address);
      carol.write("kept in ops\n");
      alice.write("kept in the lobby\n");
      // A member has an event only after the server stored it.
      await opsWitness.event({ type: "message", text: "kept in ops" });
      await lobbyWitness.event({ type: "message", text: "kept in the lobby" });
      first.proc.kill("SIGKILL");
      await first.proc.exited;

      const again = await spawnServe(["--data", data, "--port", String(first.port)]);
      const lateOps = await inRoom("ops", "late", again.address);
      const lateLobby = await joinRoom("later", again.address);
      await lateOps.event({ type: "message", from: "carol", text: "kept in ops", history: true, room: "ops" });
      await lateLobby.event({ type: "message", from: "alice", text: "kept in the lobby", history: true, room: "lobby" });
      expect(lateOps.events().some((e) => e.text === "kept in the lobby")).toBe(false);
      expect(lateLobby.events().some((e) => e.text === "kept in ops")).toBe(false);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  test("a hello with a bad room name is refused bad_room; one address moving to another room leaves the first", async () => {
    const server = await spawnServe();
    const watcher = await joinRoom("watcher", server.address);
    const peer = await RawPeer.open(server.port);
    try {
      const challenge = await peer.request(padded({ type: "knock" }, KNOCK_BYTES), isType("challenge"));
      const refused = await peer.request(
        { type: "hello", name: "x", nonce: "0123456789abcdef", cookie: challenge.cookie, room: "a b" },
        isType("refused"),
      );
      expect(refused.reason).toBe("bad_room");
      await peer.login("mover", "0123456789abcdef");
      await watcher.event({ type: "join", name: "mover" });
      await peer.login("mover", "0123456789abcdef", "ops");
      await watcher.event({ type: "leave", name: "mover", reason: "quit" });
    } finally {
      peer.close();
    }
  });

  test(`a server holds at most ${LIMITS.maxRooms} rooms: a hello for one more is refused too_many_rooms`, async () => {
    const server = await spawnServe();
    const peers: RawPeer[] = [];
    try {
      // The lobby is one of them. Logins and new rooms per IP address are counted for the server (all rooms
      // together): the members come from twenty addresses, as from a LAN, so no one address uses up its allowance.
      for (let i = 1; i < LIMITS.maxRooms; i++) {
        const peer = await RawPeer.open(server.port, `127.0.1.${i % 20}`);
        peers.push(peer);
        await peer.login(`m${i}`, "0123456789abcdef", `room${i}`);
      }
      const extra = await RawPeer.open(server.port);
      peers.push(extra);
      const challenge = await extra.request(padded({ type: "knock" }, KNOCK_BYTES), isType("challenge"));
      const refused = await extra.request(
        { type: "hello", name: "one", nonce: "0123456789abcdef", cookie: challenge.cookie, room: "onemore" },
        isType("refused"),
      );
      expect(refused.reason).toBe("too_many_rooms");
      // An existing room still takes members.
      expect((await extra.login("two", "0123456789abcdef", "room7")).name).toBe("two");
    } finally {
      for (const p of peers) p.close();
    }
  });
});
