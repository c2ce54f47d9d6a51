// The server against hand-made datagrams: garbage, forgeries, vanished peers (ICMP), repeats, and the admin secret.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN_WINDOW_MS, encode, KNOCK_BYTES, type Message, padded } from "../../src/core/wire/protocol.ts";
import { adminToken, joinRoom, killAll, runChat, spawnServe, startChat } from "../helpers/processes.ts";
import { isType, RawPeer } from "../helpers/raw-peer.ts";
import { openTestSocket } from "../helpers/socket.ts";
import { waitUntil } from "../helpers/wait.ts";

const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await killAll();
});

async function rawMember(serverPort: number, name: string) {
  const peer = await RawPeer.open(serverPort);
  peers.push(peer);
  // a nonce of its own, as every client run has: the proof key is made from it
  const nonce = Buffer.from(name).toString("hex").padEnd(16, "0").slice(0, 32);
  const welcome = await peer.login(name, nonce);
  return { peer, sid: welcome.sid, welcome, nonce };
}

describe("bad datagrams", () => {
  test("garbage of every kind is dropped and the room carries on", async () => {
    const server = await spawnServe(["--verbose"]);
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    const vandal = await RawPeer.open(server.port);
    peers.push(vandal);
    const junk: Array<Uint8Array | string> = [
      "",
      "not json",
      "{}",
      "[]",
      `{"v":3,"type":"hello","name":"x","nonce":"0123456789abcdef"}`,
      `{"v":3,"type":"welcome"}`,
      `{"v":3,"type":"join","seq":1,"ts":1,"name":"fake"}`, // events come from the server only
      `{"v":3,"type":"say","sid":"${"a".repeat(32)}","id":1,"base":1,"text":"${"x".repeat(1001)}"}`,
      new Uint8Array(1500).fill(0x7b),
      new Uint8Array([0xff, 0xfe, 0xfd]),
      `{"v":3,"type":"__proto__"}`,
    ];
    for (const j of junk) vandal.sendBytes(j);
    await server.err.waitFor(/dropped a datagram .*not valid UTF-8/);
    alice.write("still working\n");
    await bob.event({ type: "message", from: "alice", text: "still working" });
    expect(vandal.received).toEqual([]); // nothing answered to noise
    expect(bob.events().map((e) => e.type)).toEqual(["welcome", "message"]);
  });
});

describe("members cannot be forged", () => {
  test("another address cannot speak for a member or make it leave, even with its session id; nor a wrong session id", async () => {
    const server = await spawnServe();
    const watcher = await joinRoom("watcher", server.address);
    const alice = await rawMember(server.port, "alice");
    await watcher.event({ type: "join", name: "alice" });
    // a stranger with alice's session id, and a member of the room proving its datagrams with its own key
    const stranger = await RawPeer.open(server.port);
    peers.push(stranger);
    const mallory = await rawMember(server.port, "mallory");
    for (const peer of [stranger, mallory.peer]) {
      peer.send({ type: "say", sid: alice.sid, id: 1, base: 1, text: "forged" });
      peer.send({ type: "bye", sid: alice.sid, id: 2 });
    }
    // from alice's own socket, proven with her key, a session id that is not hers
    alice.peer.send({ type: "say", sid: "f".repeat(32), id: 1, base: 1, text: "forged" });
    // a request each that is answered: what each sent before it was handled by then (one socket, in order)
    await stranger.request(padded({ type: "knock" }, KNOCK_BYTES), isType("challenge"));
    await mallory.peer.request({ type: "names", sid: mallory.sid, id: 9, from: 0 }, isType("members"));
    await alice.peer.request({ type: "names", sid: alice.sid, id: 9, from: 0 }, isType("members"));
    // none of the forgeries drew an answer: a session's requests without its proof change nothing, and say nothing
    for (const peer of [stranger, mallory.peer, alice.peer]) {
      expect(peer.received.filter((m) => m.type === "refused" || m.type === "ack")).toEqual([]);
    }

    // alice herself is still in, and her words still go through
    await alice.peer.request({ type: "say", sid: alice.sid, id: 1, base: 1, text: "genuine" }, isType("ack"));
    await watcher.event({ type: "message", from: "alice", text: "genuine" });
    expect(watcher.events().filter((e) => e.type === "message")).toEqual([expect.objectContaining({ text: "genuine" })]);
    expect(watcher.events().filter((e) => e.type === "leave")).toEqual([]);
  });
});

describe("a member that vanished without a word (ICMP port unreachable)", () => {
  test("does not kill the server nor lose the next send to a healthy member", async () => {
    const server = await spawnServe();
    const ghost = await rawMember(server.port, "ghost");
    ghost.peer.close(); // its port is closed now: every datagram to it comes back as ICMP unreachable
    const alice = await rawMember(server.port, "alice");
    const bob = await joinRoom("bob", server.address);
    const count = 30;
    for (let id = 1; id <= count; id++) {
      // one at a time: each fan-out hits the ghost (ICMP) just before bob
      await alice.peer.request(
        { type: "say", sid: alice.sid, id, base: id, text: `m${id}` },
        isType("ack", (m) => m.id === id),
      );
    }
    await bob.event({ type: "message", text: `m${count}` });
    const texts = bob
      .events()
      .filter((e) => e.type === "message")
      .map((e) => e.text);
    expect(texts).toEqual(Array.from({ length: count }, (_, i) => `m${i + 1}`));
  });
});

describe("repeats", () => {
  test("a repeated hello gets the same welcome; a repeated announce is acknowledged but shown once", async () => {
    const server = await spawnServe();
    const watcher = await joinRoom("watcher", server.address);
    const alice = await rawMember(server.port, "alice");
    const hello = { type: "hello", name: "alice", nonce: alice.nonce, cookie: alice.peer.cookie } as const;
    const again = await alice.peer.request(
      hello,
      isType("welcome", (w) => w !== alice.welcome),
    );
    expect(again.sid).toBe(alice.sid);

    // the way chat admin retries: the same id, signed anew each time
    const op = await RawPeer.open(server.port);
    peers.push(op);
    const token = adminToken(server.port);
    await op.knock(); // for the server's id, which every signed request names
    for (let i = 0; i < 3; i++) op.send(op.signed({ type: "announce", id: 77, text: "once" }, token));
    await op.waitFor((m: Message): m is Message => op.received.filter((r) => r.type === "ack").length === 3);
    watcher.write("marker\n"); // relayed after the announces: when alice has it, she has everything before it
    await alice.peer.waitFor(isType("message", (m) => m.text === "marker"));
    expect(alice.peer.received.filter((m) => m.type === "admin")).toHaveLength(1);
    expect(watcher.events().filter((e) => e.type === "join")).toHaveLength(1);
  });
});

describe("the admin secret", () => {
  test("without a token, serve writes one to a file only its user can read, and chat admin on this machine uses it", async () => {
    // A state folder of its own: in the shared one, an earlier test's server on the same port may have left its file.
    const state = mkdtempSync(join(tmpdir(), "chat-state-"));
    try {
      const server = await spawnServe([], { env: { XDG_STATE_HOME: state } });
      const file = join(state, "chat", `admin-token-${server.port}`);
      await server.err.waitFor(`admin token written to ${file}`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const member = await joinRoom("alice", server.address);
      const admin = startChat(["admin", "found it", "--server", server.address], { env: { XDG_STATE_HOME: state } });
      expect(await admin.proc.exited).toBe(0);
      await member.event({ type: "admin", text: "found it" });
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  test("forged admin datagrams (wrong token, replayed, stale, unsigned) make nobody see anything; the right token works", async () => {
    const server = await spawnServe([], { env: { CHAT_ADMIN_TOKEN: "s3cret-long-enough" } });
    const member = await joinRoom("alice", server.address);
    const op = await RawPeer.open(server.port);
    peers.push(op);
    await op.knock();

    const wrong = await op.request(op.signed({ type: "announce", id: 1, text: "wrong token" }, "a-guess-long-enough"), isType("refused"));
    expect(wrong).toEqual({ type: "refused", reason: "bad_token", id: 1 });
    const stale = op.signed({ type: "announce", id: 2, text: "stale" }, "s3cret-long-enough", Date.now() - ADMIN_WINDOW_MS - 5000);
    expect(
      await op.request(
        stale,
        isType("refused", (r) => r.id === 2),
      ),
    ).toEqual({ type: "refused", reason: "stale", id: 2 });
    const future = op.signed(
      { type: "announce", id: 3, text: "from the future" },
      "s3cret-long-enough",
      Date.now() + ADMIN_WINDOW_MS + 5000,
    );
    expect(
      await op.request(
        future,
        isType("refused", (r) => r.id === 3),
      ),
    ).toEqual({ type: "refused", reason: "stale", id: 3 });
    // a genuine datagram, captured and sent again by someone else: refused
    const genuine = op.signed({ type: "announce", id: 4, text: "genuine" }, "s3cret-long-enough");
    await op.request(
      genuine,
      isType("ack", (a) => a.id === 4),
    );
    const thief = await RawPeer.open(server.port);
    peers.push(thief);
    expect(await thief.request(genuine, isType("refused"))).toEqual({ type: "refused", reason: "replayed", id: 4 });
    // the text altered under a good signature: the mac no longer matches
    const altered = { ...op.signed({ type: "announce", id: 5, text: "harmless" }, "s3cret-long-enough"), text: "evil" } as const;
    expect(
      await op.request(
        altered,
        isType("refused", (r) => r.id === 5),
      ),
    ).toEqual({ type: "refused", reason: "bad_token", id: 5 });
    // no signature at all does not even decode
    op.sendBytes(`{"v":3,"type":"announce","id":6,"text":"unsigned"}`);

    const tool = startChat(["admin", "by the tool, wrong token", "--server", server.address, "--token", "a-guess-long-enough"]);
    expect(await tool.proc.exited).toBe(2);
    await tool.err.closed;
    expect(tool.err.lines).toEqual([expect.stringContaining("refused: wrong admin token")]);

    const right = startChat(["admin", "by the tool", "--server", server.address], { env: { CHAT_ADMIN_TOKEN: "s3cret-long-enough" } });
    expect(await right.proc.exited).toBe(0);
    await member.event({ type: "admin", text: "by the tool" });
    expect(
      member
        .events()
        .filter((e) => e.type === "admin")
        .map((e) => e.text),
    ).toEqual(["genuine", "by the tool"]);
  });

  test("--admin-token on serve works the same, and the token never crosses the wire", async () => {
    const server = await spawnServe(["--admin-token", "t0k-with-a-long-secret"]);
    const member = await joinRoom("alice", server.address);
    const op = await RawPeer.open(server.port);
    peers.push(op);
    await op.knock();
    const datagram = encode(op.signed({ type: "announce", id: 9, text: "hi" }, "t0k-with-a-long-secret"));
    expect(new TextDecoder().decode(datagram)).not.toContain("t0k-with-a-long-secret");
    op.sendBytes(datagram);
    await member.event({ type: "admin", text: "hi" });
  });

  test("no server: chat admin fails within its deadline with one line", async () => {
    const probe = await RawPeer.open(1); // a free port: open a socket, note its port, close it
    const port = probe.port;
    probe.close();
    const admin = startChat(["admin", "anyone?", "--server", `127.0.0.1:${port}`, "--token", "x".repeat(16)]);
    expect(await admin.proc.exited).toBe(3);
    await admin.err.closed;
    expect(admin.err.lines).toEqual([`[error] no answer from 127.0.0.1:${port} within 3 s: is \`chat serve\` running there?`]);
  });
});

describe("moderation", () => {
  test("chat admin --kick, --ban and --who", async () => {
    const server = await spawnServe();
    const watcher = await joinRoom("watcher", server.address);
    const bob = await joinRoom("bob", server.address);
    const mallory = await rawMember(server.port, "mallory");

    const who = startChat(["admin", "--who", "--server", server.address]);
    expect(await who.proc.exited).toBe(0);
    await who.out.closed;
    expect(who.out.lines).toEqual(["watcher", "bob", "mallory"]);

    const kick = startChat(["admin", "--kick", "bob", "--server", server.address]);
    expect(await kick.proc.exited).toBe(0);
    await watcher.event({ type: "leave", name: "bob", reason: "kicked" });
    expect(await bob.proc.exited).toBe(2); // told, it stops instead of logging back in
    await bob.err.closed;
    expect(bob.err.text()).toContain("you were removed from the room by the administrator");

    const ban = startChat(["admin", "--ban", "mallory", "--for", "10m", "--server", server.address]);
    expect(await ban.proc.exited).toBe(0);
    await watcher.event({ type: "leave", name: "mallory", reason: "banned" });
    await mallory.peer.waitFor(isType("refused", (r) => r.reason === "banned"));
    // the banned address cannot come back, under any name (the test's raw peers all share 127.0.0.1)
    const again = await RawPeer.open(server.port);
    peers.push(again);
    const challenge = await again.request(padded({ type: "knock" }, KNOCK_BYTES), isType("challenge"));
    const hello = { type: "hello", name: "innocent", nonce: "fedcba9876543210", cookie: challenge.cookie } as const;
    expect(await again.request(hello, isType("refused"))).toEqual({ type: "refused", reason: "banned" });

    const nobody = startChat(["admin", "--kick", "nobody", "--server", server.address]);
    expect(await nobody.proc.exited).toBe(2);
    await nobody.err.closed;
    expect(nobody.err.lines).toEqual([`[error] refused: nobody named "nobody" is in any room`]);
  });
});

describe("moderation at the server console", () => {
  test("/who, /kick and /ban", async () => {
    const server = await spawnServe();
    const watcher = await joinRoom("watcher", server.address);
    const bob = await joinRoom("bob", server.address);
    const mallory = await joinRoom("mallory", server.address);
    server.write("/who\n");
    await server.err.waitFor("3 in the room: watcher, bob, mallory");
    server.write("/kick bob\n");
    await watcher.event({ type: "leave", name: "bob", reason: "kicked" });
    expect(await bob.proc.exited).toBe(2);
    server.write("/ban mallory 1h\n");
    await watcher.event({ type: "leave", name: "mallory", reason: "banned" });
    expect(await mallory.proc.exited).toBe(2);
    server.write("/ban nobody\n/ban x 3 weeks\n/kick\n");
    await server.err.waitFor(`nobody named "nobody" is in the room`);
    await server.err.waitFor("usage: /ban NAME [30s|10m|2h|1d]");
    await server.err.waitFor("usage: /kick NAME");
    // banned: the address (127.0.0.1, which every test member shares) cannot join, under any name
    const again = startChat(["join", "newcomer", "--server", server.address]);
    expect(await again.proc.exited).toBe(2);
    await again.err.closed;
    expect(again.err.lines).toEqual([expect.stringContaining("you are banned from this room")]);
  });
});

describe("no amplification", () => {
  test("a stranger is never sent more bytes than it sent", async () => {
    const server = await spawnServe();
    await joinRoom("alice", server.address);
    const stranger = await RawPeer.open(server.port);
    peers.push(stranger);
    let sent = 0;
    const send = (bytes: Uint8Array) => {
      sent += bytes.length;
      stranger.sendBytes(bytes);
    };
    // a bare knock is smaller than the challenge it asks for: no answer
    send(encode({ type: "knock" }));
    // a padded knock gets its challenge
    send(encode(padded({ type: "knock" }, KNOCK_BYTES)));
    stranger.server = (await stranger.waitFor(isType("challenge"))).server ?? "";
    // a hello with a made-up cookie gets a fresh challenge, not a welcome and a backlog
    send(encode({ type: "hello", name: "spoofed", nonce: "0123456789abcdef", cookie: "0".repeat(32) }));
    // a signed who without padding: its answer is cut to fit
    send(encode(stranger.signed({ type: "who", id: 1, from: 0 }, adminToken(server.port))));
    await stranger.waitFor((m: Message): m is Message => m.type === "members");
    await stranger.waitFor((m: Message): m is Message => stranger.received.filter((r) => r.type === "challenge").length === 2);
    const got = stranger.received.reduce((n, m) => n + encode(m).length, 0);
    expect(stranger.received.map((m) => m.type)).toEqual(["challenge", "challenge", "members"]);
    expect(got).toBeLessThanOrEqual(sent);
  });
});

test("encode is what goes on the wire (sanity check of the raw helper)", () => {
  expect(new TextDecoder().decode(encode({ type: "ack", id: 1 }))).toBe(`{"v":3,"type":"ack","id":1}`);
});

describe("fan-out", () => {
  test("a burst of messages reaches a member packed: fewer datagrams than events, each event once, in order", async () => {
    const server = await spawnServe();
    const listener = await rawMember(server.port, "listener");
    const talker = await rawMember(server.port, "talker");
    await waitUntil(() => listener.peer.received.some((m) => m.type === "join" && m.name === "talker"), 3000, "talker's join");
    const before = listener.peer.datagrams;
    const from = listener.peer.received.length;
    for (let id = 1; id <= 40; id++) talker.peer.send({ type: "say", sid: talker.sid, id, base: 1, text: `burst ${id} ${"x".repeat(80)}` });
    const texts = () => listener.peer.received.slice(from).flatMap((m) => (m.type === "message" ? [m.text.split(" ")[1]] : []));
    await waitUntil(() => texts().length >= 40, 3000, "the 40 messages");
    expect(texts()).toEqual(Array.from({ length: 40 }, (_, i) => String(i + 1)));
    expect(listener.peer.datagrams - before).toBeLessThan(40);
  });

  test("a quiet room's message goes out at once, alone, and not back to its sender", async () => {
    const server = await spawnServe();
    const listener = await rawMember(server.port, "listener");
    const talker = await rawMember(server.port, "talker");
    await waitUntil(() => listener.peer.received.some((m) => m.type === "join" && m.name === "talker"), 3000, "talker's join");
    const before = listener.peer.datagrams;
    await talker.peer.request({ type: "say", sid: talker.sid, id: 1, base: 1, text: "alone" }, isType("ack"));
    await waitUntil(() => listener.peer.received.some((m) => m.type === "message" && m.text === "alone"), 3000, "the message");
    expect(listener.peer.datagrams - before).toBe(1);
    expect(talker.peer.received.some((m) => m.type === "message")).toBe(false);
  });
});

describe("another protocol version", () => {
  test("a version-1 hello gets one refusal, in version 1's framing, that names version 3", async () => {
    const server = await spawnServe();
    const old = await RawPeer.open(server.port);
    peers.push(old);
    old.sendBytes(`{"v":1,"type":"hello","name":"alice","nonce":"0123456789abcdef","cookie":"${"0".repeat(32)}"}`);
    expect(await old.waitFor(isType("refused", (r) => r.reason === "version"))).toEqual({ type: "refused", reason: "version", version: 3 });
    expect(new TextDecoder().decode(old.captured[0])).toBe(`{"v":1,"type":"refused","reason":"version","version":3}`);
    expect(old.datagrams).toBe(1);
  });

  test("chat join against a server of another version says so in one line and exits 2", async () => {
    // a server of a later version, as this one answers an older client: its refusal in our framing
    const later = await openTestSocket((_data, from) => {
      later.send(new TextEncoder().encode(`{"v":3,"type":"refused","reason":"version","version":4}`), from);
    });
    try {
      const run = await runChat(["join", "alice", "--server", `127.0.0.1:${later.port}`]);
      expect(run.code).toBe(2);
      expect(run.err.join("\n")).toContain("the server speaks another version of the chat protocol (this chat speaks 3)");
    } finally {
      later.close();
    }
  });
});
