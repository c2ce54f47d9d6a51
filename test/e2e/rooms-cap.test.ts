// The room cap cannot be filled by throwaway logins (dist/chat): new rooms per IP address are limited, an emptied room
// in which nothing was said is forgotten with its file, one with history gives its place up and comes back with it.

import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ABUSE, KNOCK_BYTES, LIMITS, type Message, padded, type Refused, type Welcome } from "../../src/core/wire/protocol.ts";
import { killAll, runChat, spawnServe, startChat } from "../helpers/processes.ts";
import { isType, RawPeer } from "../helpers/raw-peer.ts";
import { waitUntil } from "../helpers/wait.ts";

const peers: RawPeer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await killAll();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function rawPeer(port: number, hostname: string): Promise<RawPeer> {
  const p = await RawPeer.open(port, hostname);
  peers.push(p);
  return p;
}

const NONCE = "0123456789abcdef";
const answered = (m: Message): m is Welcome | Refused => m.type === "welcome" || m.type === "refused";

/** Knocks, then says hello as `name` into `room` (absent: the lobby); resolves with the welcome or the refusal. */
async function hello(p: RawPeer, name: string, room?: string): Promise<Welcome | Refused> {
  const challenge = await p.request(padded({ type: "knock" }, KNOCK_BYTES), isType("challenge"));
  return p.request({ type: "hello", name, nonce: NONCE, cookie: challenge.cookie, ...(room === undefined ? {} : { room }) }, answered);
}

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), "chat-rooms-cap-"));
  dirs.push(d);
  return d;
}

/** The rooms that have a database in `dir` for the server on `port`, the lobby as "lobby". */
const roomFiles = (dir: string, port: number) =>
  readdirSync(dir)
    .flatMap((f) =>
      f === `room-${port}.db` ? ["lobby"] : f.startsWith(`room-${port}-`) && f.endsWith(".db") ? [f.slice(`room-${port}-`.length, -3)] : [],
    )
    .sort();

/** SIGKILL, then the same port and --data: the hardest restart. */
async function restart(server: Awaited<ReturnType<typeof spawnServe>>, data: string, extra: string[] = []) {
  server.proc.kill("SIGKILL");
  await server.proc.exited;
  return spawnServe(["--data", data, "--port", String(server.port), ...extra]);
}

test("99 throwaway logins from 127.0.0.1 to new rooms do not stop a newcomer from 127.0.0.2, at once nor after a restart", async () => {
  const data = dataDir();
  // Logins unlimited, so that what stops the thrower is the rule on new rooms, not the one on logins.
  const server = await spawnServe(["--data", data, "--logins", "off"]);
  const thrower = await rawPeer(server.port, "127.0.0.1");
  const answers: string[] = [];
  // Each hello moves the thrower's session out of the room it was in, which is left empty, with nothing said in it.
  for (let i = 1; i <= 99; i++) {
    const a = await hello(thrower, "thrower", `throw${i}`);
    answers.push(a.type === "welcome" ? "welcome" : a.reason);
  }
  expect(answers.slice(0, ABUSE.newRoomBurst)).toEqual(Array(ABUSE.newRoomBurst).fill("welcome"));
  expect(answers.slice(ABUSE.newRoomBurst)).toEqual(Array(99 - ABUSE.newRoomBurst).fill("too_many_new_rooms"));
  expect((await hello(thrower, "thrower")).type).toBe("welcome"); // and back to the lobby: every room it made is empty
  // chat join from the same address is told why, in one line (exit 2, as for any refusal by the server).
  expect(await runChat(["join", "late", "--server", server.address, "--room", "onemore"])).toMatchObject({
    code: 2,
    err: ["[error] too many new rooms from this address lately: join an existing room, or wait a minute and try again"],
  });

  const newcomer = await rawPeer(server.port, "127.0.0.2");
  expect(await hello(newcomer, "newcomer", "mine")).toMatchObject({ type: "welcome", name: "newcomer" });
  // The emptied rooms are forgotten, files and all.
  await waitUntil(() => roomFiles(data, server.port).join() === "lobby,mine" || undefined, 5000, "only the lobby's and mine's files");

  const again = await restart(server, data, ["--logins", "off"]);
  const later = await rawPeer(again.port, "127.0.0.2");
  expect(await hello(later, "newcomer2", "mine2")).toMatchObject({ type: "welcome", name: "newcomer2" });
  expect(roomFiles(data, again.port)).toEqual(["lobby", "mine", "mine2"]);
  expect(again.err.text()).not.toMatch(/throw/);
});

test(`${LIMITS.maxRooms - 1} rooms made from as many addresses and left give their places up; a room with a message keeps its file and history`, async () => {
  const data = dataDir();
  const server = await spawnServe(["--data", data]);
  // A room with history: a message said in it, seen by a witness, then both leave.
  const talker = startChat(["join", "talker", "--server", server.address, "--room", "talk", "--json"]);
  await talker.event({ type: "welcome", name: "talker" });
  const witness = await rawPeer(server.port, "127.0.0.9");
  expect((await hello(witness, "witness", "talk")).type).toBe("welcome");
  talker.write("kept in talk\n");
  await witness.waitFor(isType("message", (m) => m.text === "kept in talk"));
  talker.end();
  expect(await talker.proc.exited).toBe(0);
  expect((await hello(witness, "witness")).type).toBe("welcome"); // moved to the lobby: talk is empty

  // With the lobby and talk, these fill the server's rooms; each is left as soon as it is made.
  for (let i = 1; i <= LIMITS.maxRooms - 2; i++) {
    const visitor = await rawPeer(server.port, `127.0.1.${i}`);
    expect((await hello(visitor, `v${i}`, `room${i}`)).type).toBe("welcome");
    expect((await hello(visitor, `v${i}`)).type).toBe("welcome");
  }
  const newcomer = await rawPeer(server.port, "127.0.0.2");
  expect(await hello(newcomer, "newcomer", "mine")).toMatchObject({ type: "welcome" });
  await waitUntil(
    () => roomFiles(data, server.port).join() === "lobby,mine,talk" || undefined,
    5000,
    "the files of lobby, mine and talk only",
  );

  const again = await restart(server, data);
  const returning = await rawPeer(again.port, "127.0.0.3");
  const welcome = await hello(returning, "returning", "talk");
  expect(welcome).toMatchObject({ type: "welcome", epoch: expect.any(String) });
  expect(welcome.type === "welcome" && welcome.backlog).toBeGreaterThan(0);
  await returning.waitFor(isType("message", (m) => m.text === "kept in talk" && m.from === "talker"));
  const fresh = await rawPeer(again.port, "127.0.0.4");
  expect((await hello(fresh, "fresh", "room1")).type).toBe("welcome"); // a forgotten room's name is free for a new room
});
