// What a stranger gets from the server (dist/chat): one datagram at most per datagram it sends, while a member gets
// every reply; and the server's door: a ban or kick without --room holds in every room, logins are counted per server.

import { afterEach, describe, expect, test } from "bun:test";
import { sign } from "../../src/core/wire/admin-auth.ts";
import { ABUSE, encodeFrame, FRAME_SEPARATOR, KNOCK_BYTES, type Message, padded } from "../../src/core/wire/protocol.ts";
import { killAll, runChat, spawnServe } from "../helpers/processes.ts";
import { isType, RawPeer } from "../helpers/raw-peer.ts";
import { waitUntil } from "../helpers/wait.ts";

afterEach(killAll);

const peers: RawPeer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.close();
});

/** A raw peer sending from `hostname` (another 127.0.0.x: another IP address to the server). */
async function rawPeer(port: number, hostname = "127.0.0.1"): Promise<RawPeer> {
  const p = await RawPeer.open(port, hostname);
  peers.push(p);
  return p;
}

const admin = (address: string, ...args: string[]) => runChat(["admin", "--server", address, ...args]);

/** One datagram holding `frames`, LF-separated, as a made-up sender would pack them. */
const datagram = (frames: readonly Message[]) => frames.map(encodeFrame).join(FRAME_SEPARATOR);

/** An operator's request signed with a token the server does not have: answered with a refusal, another reply than a challenge. */
const sentinel = () =>
  sign({ type: "who", id: 7, from: 0 }, { token: "not the server's token at all", server: "0".repeat(16) }, Date.now());

/**
 * Sends `bytes` as one datagram, then the sentinel as a second; once the sentinel's answer is in, everything the first
 * drew has arrived (the server answers datagrams in order, and loopback keeps it). Returns what the first drew.
 */
async function answersTo(p: RawPeer, bytes: string): Promise<{ datagrams: number; messages: Message[] }> {
  p.sendBytes(bytes);
  const refused = await p.request(
    sentinel(),
    isType("refused", (r) => r.id === 7),
  );
  const at = p.received.indexOf(refused);
  // The sentinel itself drew one datagram (maybe more, if it was sent again before its answer came).
  const sentinels = p.received.filter((m) => m.type === "refused" && m.id === 7).length;
  return { datagrams: p.datagrams - sentinels, messages: p.received.slice(0, at) };
}

/** Knocks, then sends a hello (again until answered); the welcome's or the refusal's type. */
async function tryLogin(p: RawPeer, name: string, nonce: string, room?: string): Promise<string> {
  const challenge = await p.request(padded({ type: "knock" }, KNOCK_BYTES), isType("challenge"));
  const hello = { type: "hello", name, nonce, cookie: challenge.cookie, ...(room === undefined ? {} : { room }) } as const;
  const answer = await p.request(hello, (m): m is Message => m.type === "welcome" || m.type === "refused");
  return answer.type === "refused" ? answer.reason : answer.type;
}

describe("a stranger gets one datagram at most for each it sends", () => {
  test("one datagram of 52 bare knocks (the most that fit) gets one challenge back, not 17; 54 do not fit and get nothing", async () => {
    const server = await spawnServe();
    const stranger = await rawPeer(server.port);
    const knocks = (n: number) => datagram(Array.from({ length: n }, () => ({ type: "knock" }) as const));
    // A bare knock is 22 bytes: 52 of them and their LFs are 1195 bytes, 54 are 1241, over the datagram limit.
    expect([52, 53, 54].map((n) => new TextEncoder().encode(knocks(n)).length)).toEqual([1195, 1218, 1241]);
    const { datagrams, messages } = await answersTo(stranger, knocks(52));
    expect(datagrams).toBe(1);
    expect(messages.map((m) => m.type)).toEqual(["challenge"]);

    const other = await rawPeer(server.port);
    expect((await answersTo(other, knocks(54))).datagrams).toBe(0); // dropped whole, unread (PROTOCOL.md §2)
  });

  test("with a passphrase: a clear datagram of 9 hellos gets one passphrase_required back, not 9", async () => {
    const server = await spawnServe(["--passphrase", "open sesame"]);
    const stranger = await rawPeer(server.port);
    const hello = { type: "hello", name: "mallory", nonce: "a".repeat(16), cookie: "c".repeat(32) } as const;
    const hellos = datagram(Array.from({ length: 9 }, () => hello));
    expect(new TextEncoder().encode(hellos).length).toBeLessThanOrEqual(1200);
    stranger.sendBytes(hellos);
    // Here the sentinel is a padded knock: in the clear, anything else would get passphrase_required, as the hellos do.
    const challenge = await stranger.request(padded({ type: "knock" }, KNOCK_BYTES), isType("challenge"));
    expect(challenge.salt).toMatch(/^[0-9a-f]{32}$/);
    const before = stranger.received.indexOf(challenge);
    expect(stranger.received.slice(0, before).map((m) => (m.type === "refused" ? m.reason : m.type))).toEqual(["passphrase_required"]);
  });

  test("a member still gets every reply: five says in one datagram, five acks", async () => {
    const server = await spawnServe();
    const member = await rawPeer(server.port);
    const { sid } = await member.login("alice");
    const says = datagram(Array.from({ length: 5 }, (_, i) => ({ type: "say", sid, id: i + 1, base: 1, text: `line ${i + 1}` }) as const));
    const from = member.received.length;
    member.sendProven(says);
    const acks = () =>
      member.received
        .slice(from)
        .filter((m) => m.type === "ack")
        .map((m) => (m.type === "ack" ? m.id : 0));
    await waitUntil(() => acks().length >= 5 || undefined, 3000, "five acks");
    expect(acks()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("one door for every room of a server", () => {
  test("a ban without --room keeps the address out of the lobby, of ops and of a room made after it; with --room, of that room only", async () => {
    const server = await spawnServe();
    const host = await rawPeer(server.port); // 127.0.0.1 opens ops, and later a new room
    expect(await tryLogin(host, "host", "0123456789abcdef", "ops")).toBe("welcome");
    const troll = await rawPeer(server.port, "127.0.0.2");
    expect(await tryLogin(troll, "troll", "1111111111111111")).toBe("welcome");

    expect(await admin(server.address, "--ban", "troll")).toMatchObject({ code: 0 });
    await troll.waitFor(isType("refused", (r) => r.reason === "banned"));
    const back = await rawPeer(server.port, "127.0.0.2"); // another port, another client: the same IP address
    expect(await tryLogin(back, "other", "2222222222222222")).toBe("banned");
    expect(await tryLogin(back, "other", "2222222222222222", "ops")).toBe("banned");
    const later = await rawPeer(server.port);
    expect(await tryLogin(later, "later", "3333333333333333", "madelater")).toBe("welcome");
    expect(await tryLogin(back, "other", "2222222222222222", "madelater")).toBe("banned");

    const pest = await rawPeer(server.port, "127.0.0.3");
    expect(await tryLogin(pest, "pest", "4444444444444444", "ops")).toBe("welcome");
    expect(await admin(server.address, "--ban", "pest", "--room", "ops")).toMatchObject({ code: 0 });
    const pestBack = await rawPeer(server.port, "127.0.0.3");
    expect(await tryLogin(pestBack, "pest", "5555555555555555", "ops")).toBe("banned");
    expect(await tryLogin(pestBack, "pest", "5555555555555555")).toBe("welcome"); // the lobby
  });

  test("the console's /ban names no room: the address is kept out of every room", async () => {
    const server = await spawnServe();
    const troll = await rawPeer(server.port, "127.0.0.7");
    expect(await tryLogin(troll, "troll", "9999999999999999", "ops")).toBe("welcome");
    server.write("/ban troll 10m\n");
    await troll.waitFor(isType("refused", (r) => r.reason === "banned"));
    const back = await rawPeer(server.port, "127.0.0.7");
    expect(await tryLogin(back, "other", "aaaaaaaaaaaaaaaa")).toBe("banned");
    expect(await tryLogin(back, "other", "aaaaaaaaaaaaaaaa", "ops")).toBe("banned");
  });

  test("a kick without --room: the kicked client cannot slip into another room either", async () => {
    const server = await spawnServe();
    const host = await rawPeer(server.port);
    expect(await tryLogin(host, "host", "0123456789abcdef", "ops")).toBe("welcome");
    const bob = await rawPeer(server.port, "127.0.0.4");
    expect(await tryLogin(bob, "bob", "6666666666666666")).toBe("welcome");
    expect(await admin(server.address, "--kick", "bob")).toMatchObject({ code: 0 });
    await bob.waitFor(isType("refused", (r) => r.reason === "kicked"));
    expect(await tryLogin(bob, "bob", "6666666666666666", "ops")).toBe("kicked");
    expect(await tryLogin(bob, "bob", "7777777777777777", "ops")).toBe("welcome"); // a new client run is let in
  });

  test(`25 quick logins from one address across 4 rooms get at most the allowance (${ABUSE.loginBurst}) in total`, async () => {
    const server = await spawnServe();
    const rooms = ["lobby", "r1", "r2", "r3"];
    const verdicts: string[] = [];
    const started = Date.now();
    for (let i = 0; i < 25; i++) {
      const p = await rawPeer(server.port, "127.0.0.5");
      verdicts.push(await tryLogin(p, `u${i}`, (i + 1).toString(16).padStart(16, "0"), rooms[i % 4]));
    }
    // One more login every loginEveryMs after the burst: what the time taken could have earned counts too.
    const refilled = Math.floor((Date.now() - started) / ABUSE.loginEveryMs);
    const welcomed = verdicts.filter((v) => v === "welcome").length;
    expect(welcomed).toBeLessThanOrEqual(ABUSE.loginBurst + refilled);
    expect(welcomed).toBeGreaterThanOrEqual(ABUSE.loginBurst);
    expect(verdicts.filter((v) => v !== "welcome").every((v) => v === "too_many_logins")).toBe(true);
    // Another address has an allowance of its own.
    expect(await tryLogin(await rawPeer(server.port, "127.0.0.6"), "fresh", "8888888888888888", "r1")).toBe("welcome");
  });
});
