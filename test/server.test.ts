// The server against hand-made datagrams: garbage, forgeries, vanished peers (ICMP), repeats, and the admin secret.

import { afterEach, describe, expect, test } from "bun:test";
import { encode, type Message } from "../src/core/protocol.ts";
import { joinRoom, killAll, startChat, startServer } from "./helpers/processes.ts";
import { isType, RawPeer } from "./helpers/raw-peer.ts";

const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await killAll();
});

async function rawMember(serverPort: number, name: string) {
  const peer = await RawPeer.open(serverPort);
  peers.push(peer);
  const welcome = await peer.request({ type: "hello", name, nonce: "0123456789abcdef" }, isType("welcome"));
  return { peer, sid: welcome.sid, welcome };
}

describe("bad datagrams", () => {
  test("garbage of every kind is dropped and the room carries on", async () => {
    const server = await startServer(["--verbose"]);
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    const vandal = await RawPeer.open(server.port);
    peers.push(vandal);
    const junk: Array<Uint8Array | string> = [
      "",
      "not json",
      "{}",
      "[]",
      `{"v":2,"type":"hello","name":"x","nonce":"0123456789abcdef"}`,
      `{"v":1,"type":"welcome"}`,
      `{"v":1,"type":"join","seq":1,"ts":1,"name":"fake"}`, // events come from the server only
      `{"v":1,"type":"say","sid":"${"a".repeat(32)}","id":1,"base":1,"text":"${"x".repeat(1001)}"}`,
      new Uint8Array(1500).fill(0x7b),
      new Uint8Array([0xff, 0xfe, 0xfd]),
      `{"v":1,"type":"__proto__"}`,
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
  test("another address cannot speak for a member or make it leave, even with its session id", async () => {
    const server = await startServer();
    const watcher = await joinRoom("watcher", server.address);
    const alice = await rawMember(server.port, "alice");
    await watcher.event({ type: "join", name: "alice" });
    const mallory = await RawPeer.open(server.port);
    peers.push(mallory);

    const refused = await mallory.request({ type: "say", sid: alice.sid, id: 1, base: 1, text: "forged" }, isType("refused"));
    expect(refused).toEqual({ type: "refused", reason: "unknown_session", id: 1 });
    await mallory.request({ type: "bye", sid: alice.sid, id: 2 }, isType("ack"));

    // alice herself is still in, and her words still go through
    await alice.peer.request({ type: "say", sid: alice.sid, id: 1, base: 1, text: "genuine" }, isType("ack"));
    await watcher.event({ type: "message", from: "alice", text: "genuine" });
    expect(watcher.events().filter((e) => e.type === "message")).toEqual([expect.objectContaining({ text: "genuine" })]);
    expect(watcher.events().filter((e) => e.type === "leave")).toEqual([]);
  });
});

describe("a member that vanished without a word (ICMP port unreachable)", () => {
  test("does not kill the server nor lose the next send to a healthy member", async () => {
    const server = await startServer();
    const ghost = await rawMember(server.port, "ghost");
    ghost.peer.close(); // its port is closed now: every datagram to it comes back as ICMP unreachable
    const alice = await rawMember(server.port, "alice");
    const bob = await joinRoom("bob", server.address);
    const count = 30;
    for (let id = 1; id <= count; id++) {
      // one at a time: each fan-out hits the ghost (ICMP) just before bob
      await alice.peer.request({ type: "say", sid: alice.sid, id, base: id, text: `m${id}` }, isType("ack", (m) => m.id === id));
    }
    await bob.event({ type: "message", text: `m${count}` });
    const texts = bob.events().filter((e) => e.type === "message").map((e) => e.text);
    expect(texts).toEqual(Array.from({ length: count }, (_, i) => `m${i + 1}`));
  });
});

describe("repeats", () => {
  test("a repeated hello gets the same welcome; a repeated announce is acknowledged but shown once", async () => {
    const server = await startServer();
    const watcher = await joinRoom("watcher", server.address);
    const alice = await rawMember(server.port, "alice");
    const again = await alice.peer.request({ type: "hello", name: "alice", nonce: "0123456789abcdef" }, isType("welcome", (w) => w !== alice.welcome));
    expect(again.sid).toBe(alice.sid);

    const op = await RawPeer.open(server.port);
    peers.push(op);
    const announce = { type: "announce", id: 77, text: "once" } as const;
    op.send(announce);
    op.send(announce);
    op.send(announce);
    await op.waitFor((m: Message): m is Message => op.received.filter((r) => r.type === "ack").length === 3);
    watcher.write("marker\n"); // relayed after the announces: when alice has it, she has everything before it
    await alice.peer.waitFor(isType("message", (m) => m.text === "marker"));
    expect(alice.peer.received.filter((m) => m.type === "admin")).toHaveLength(1);
    expect(watcher.events().filter((e) => e.type === "join")).toHaveLength(1);
  });
});

describe("the admin secret", () => {
  test("with CHAT_ADMIN_TOKEN set, only the right token broadcasts", async () => {
    const server = await startServer([], { env: { CHAT_ADMIN_TOKEN: "s3cret" } });
    const member = await joinRoom("alice", server.address);

    const none = startChat(["admin", "no token", "--server", server.address]);
    expect(await none.proc.exited).toBe(2);
    const wrong = startChat(["admin", "wrong token", "--server", server.address, "--token", "guess"]);
    expect(await wrong.proc.exited).toBe(2);
    await wrong.err.closed;
    expect(wrong.err.lines).toEqual([expect.stringContaining("refused: wrong or missing admin token")]);

    const flag = startChat(["admin", "by flag", "--server", server.address, "--token", "s3cret"]);
    expect(await flag.proc.exited).toBe(0);
    const env = startChat(["admin", "by env", "--server", server.address], { env: { CHAT_ADMIN_TOKEN: "s3cret" } });
    expect(await env.proc.exited).toBe(0);

    await member.event({ type: "admin", text: "by env" });
    expect(member.events().filter((e) => e.type === "admin").map((e) => e.text)).toEqual(["by flag", "by env"]);
  });

  test("--admin-token on serve works the same", async () => {
    const server = await startServer(["--admin-token", "t0k"]);
    const member = await joinRoom("alice", server.address);
    const ok = startChat(["admin", "hi", "--server", server.address, "--token", "t0k"]);
    expect(await ok.proc.exited).toBe(0);
    await member.event({ type: "admin", text: "hi" });
  });

  test("no server: chat admin fails within its deadline with one line", async () => {
    const probe = await RawPeer.open(1); // a free port: open a socket, note its port, close it
    const port = probe.port;
    probe.close();
    const admin = startChat(["admin", "anyone?", "--server", `127.0.0.1:${port}`]);
    expect(await admin.proc.exited).toBe(3);
    await admin.err.closed;
    expect(admin.err.lines).toEqual([`[error] no answer from 127.0.0.1:${port} within 3 s: is \`chat serve\` running there?`]);
  });
});

test("encode is what goes on the wire (sanity check of the raw helper)", () => {
  expect(new TextDecoder().decode(encode({ type: "ack", id: 1 }))).toBe(`{"v":1,"type":"ack","id":1}`);
});
