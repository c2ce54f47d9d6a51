// A signed operator request is good at one server run only: captured at one server, it is refused by another sharing the
// admin token, and by the same server restarted; its mac covers the bytes as sent; chat admin still does all it did,
// with and without a passphrase.

import { afterEach, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import type { Peer } from "../../src/core/room/room.ts";
import { macOf } from "../../src/core/wire/admin-auth.ts";
import { decodeRequests, isEncoded, type Message, PROTOCOL_VERSION } from "../../src/core/wire/protocol.ts";
import { type Chat, joinRoom, killAll, startChat } from "../helpers/processes.ts";
import { isType, RawPeer } from "../helpers/raw-peer.ts";
import { local, openTestSocket, type UdpEndpoint } from "../helpers/socket.ts";

const TOKEN = "one-token-for-two-servers";
const PASS = "a passphrase for the operator";

const closing: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const c of closing.splice(0)) c.close();
  await killAll();
});

/** `chat serve` on 127.0.0.1 (`port` 0: a free one) with the shared admin token, rooms in memory, no rate limit. */
async function serve(port = 0, extra: string[] = []) {
  const args = ["serve", "--host", "127.0.0.1", "--port", String(port), "--data", ":memory:", "--rate", "off", "--admin-token", TOKEN];
  const server = startChat([...args, ...extra]);
  const line = await server.err.waitFor(/listening on 127\.0\.0\.1:\d+/);
  const bound = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(line)![1]);
  return { ...server, port: bound, address: `127.0.0.1:${bound}` };
}

/**
 * A relay in front of chat admin, as an eavesdropper or a misrouting middlebox would be: it keeps a copy of every
 * datagram chat admin sends, and sends each on to the server `route` picks for it (replies go back to chat admin).
 */
async function relay(route: (datagram: Uint8Array) => number) {
  const captured: Uint8Array[] = [];
  let admin: Peer | undefined;
  let front: UdpEndpoint | undefined;
  const upstream = await openTestSocket((data) => admin && front?.send(data, admin));
  front = await openTestSocket((data, from) => {
    admin = from;
    captured.push(data.slice());
    upstream.send(data, local(route(data)));
  });
  closing.push(upstream, front);
  /** The first captured datagram holding a request of `type`. */
  const request = (type: Message["type"]) => captured.find((d) => isEncoded(d, type));
  return { address: `127.0.0.1:${front.port}`, captured, request };
}

async function admin(args: string[]): Promise<{ code: number; err: string[] }> {
  const tool = startChat(["admin", ...args]);
  const code = await tool.proc.exited;
  await tool.err.closed;
  return { code, err: tool.err.lines };
}

const admins = (member: Chat) => member.events().filter((e) => e.type === "admin");

describe("a request signed for one server is refused by another with the same token", () => {
  test("captured through a relay: the other server says wrong_server and does nothing; the first one says replayed", async () => {
    const [first, second] = await Promise.all([serve(), serve()]);
    const [here, there] = await Promise.all([joinRoom("alice", first.address), joinRoom("alice", second.address)]);
    const path = await relay(() => first.port);
    expect(await admin(["announce at the first", "--server", path.address, "--token", TOKEN])).toMatchObject({ code: 0 });
    await here.event({ type: "admin", text: "announce at the first" });
    expect(await admin(["--kick", "alice", "--server", path.address, "--token", TOKEN])).toMatchObject({ code: 0 });
    await here.proc.exited; // kicked at the first server

    const thief = await RawPeer.open(second.port);
    closing.push(thief);
    for (const type of ["announce", "kick"] as const) {
      const copy = path.request(type)!;
      const [request] = decodeRequests(copy);
      expect(request).toMatchObject({ type });
      thief.sendBytes(copy);
      const id = request && "id" in request ? request.id : -1;
      expect(await thief.waitFor(isType("refused", (r) => r.id === id))).toEqual({ type: "refused", reason: "wrong_server", id });
    }
    expect(thief.received.map((m) => m.type)).toEqual(["refused", "refused"]);
    // The second server's alice saw no announce and was not kicked: she still gets what the room says.
    const bob = await joinRoom("bob", second.address);
    bob.write("still here?\n");
    await there.event({ type: "message", from: "bob", text: "still here?" });
    expect(admins(there)).toEqual([]);
    expect(there.events().filter((e) => e.type === "leave")).toEqual([]);
    // At the server it was made for, the copy is a replay.
    const again = await RawPeer.open(first.port);
    closing.push(again);
    again.sendBytes(path.request("announce")!);
    expect(await again.waitFor(isType("refused"))).toMatchObject({ reason: "replayed" });
  });

  test("the same server restarted on its port (it has forgotten the nonces it saw): a copy from before is wrong_server", async () => {
    const before = await serve();
    const path = await relay(() => before.port);
    expect(await admin(["before the restart", "--server", path.address, "--token", TOKEN])).toMatchObject({ code: 0 });
    before.proc.kill("SIGKILL");
    await before.proc.exited;
    const after = await serve(before.port);
    const member = await joinRoom("alice", after.address);
    const thief = await RawPeer.open(after.port);
    closing.push(thief);
    thief.sendBytes(path.request("announce")!); // well within the 30 s a ts is good for
    expect(await thief.waitFor(isType("refused"))).toMatchObject({ reason: "wrong_server" });
    expect(await admin(["after the restart", "--server", after.address, "--token", TOKEN])).toMatchObject({ code: 0 });
    await member.event({ type: "admin", text: "after the restart" });
    expect(admins(member).map((e) => e.text)).toEqual(["after the restart"]);
  });

  test("chat admin whose knock reached one server and whose request reached another: exit 2, one clear line", async () => {
    const [first, second] = await Promise.all([serve(), serve()]);
    const member = await joinRoom("alice", second.address);
    const path = await relay((d) => (isEncoded(d, "knock") ? first.port : second.port));
    expect(await admin(["misrouted", "--server", path.address, "--token", TOKEN])).toEqual({
      code: 2,
      err: ["[error] refused: the request was signed for another server (or for this one before it restarted): run chat admin again"],
    });
    expect(admins(member)).toEqual([]);
  });
});

test("the mac covers the frame as sent: another client's spacing, field order and unknown field are taken; one byte changed is bad_token", async () => {
  const server = await serve();
  const member = await joinRoom("alice", server.address);
  const client = await RawPeer.open(server.port);
  closing.push(client);
  const { server: id } = await client.knock();
  const zeros = "0".repeat(64);
  const frame = (n: number, text: string) =>
    `{ "mac": "${zeros}", "type" : "announce", "text":"${text}", "v":${PROTOCOL_VERSION}, "id": ${n}, "by":{"tool":"mine"},` +
    ` "ts": ${Date.now()}, "nonce": "${randomBytes(16).toString("hex")}", "server": "${id}" }`;
  const signed = (unsigned: string) => unsigned.replace(zeros, macOf(unsigned, TOKEN));
  client.sendBytes(signed(frame(1, "in my own spacing")));
  expect(await client.waitFor(isType("ack"))).toEqual({ type: "ack", id: 1, count: 1 });
  await member.event({ type: "admin", text: "in my own spacing" });
  client.sendBytes(signed(frame(2, "one byte changed")).replace(`"id": 2`, `"id":2`));
  expect(await client.waitFor(isType("refused"))).toEqual({ type: "refused", reason: "bad_token", id: 2 });
  expect(admins(member).map((e) => e.text)).toEqual(["in my own spacing"]);
});

describe("chat admin against one server: announce, who, kick and ban", () => {
  for (const sealed of [false, true]) {
    test(sealed ? "with --passphrase (a room with one)" : "without a passphrase", async () => {
      const server = await serve(0, sealed ? ["--passphrase", PASS] : []);
      const withPass = sealed ? { env: { CHAT_PASSPHRASE: PASS } } : {};
      const to = ["--server", server.address, "--token", TOKEN, ...(sealed ? ["--passphrase", PASS] : [])];
      const watcher = await joinRoom("watcher", server.address, withPass);
      const bob = await joinRoom("bob", server.address, withPass);
      const carol = await joinRoom("carol", server.address, withPass);

      expect(await admin(["hello all", ...to])).toEqual({ code: 0, err: ["[success] broadcast to 3 member(s)"] });
      await watcher.event({ type: "admin", text: "hello all" });
      const who = startChat(["admin", "--who", ...to]);
      expect(await who.proc.exited).toBe(0);
      await who.out.closed;
      expect(who.out.lines).toEqual(["watcher", "bob", "carol"]);

      expect(await admin(["--kick", "bob", ...to])).toEqual({ code: 0, err: ["[success] bob: kicked"] });
      await watcher.event({ type: "leave", name: "bob", reason: "kicked" });
      expect(await bob.proc.exited).toBe(2);
      expect(await admin(["--ban", "carol", "--for", "10m", ...to])).toMatchObject({ code: 0 });
      await watcher.event({ type: "leave", name: "carol", reason: "banned" });
      expect(await carol.proc.exited).toBe(2);
      expect(admins(watcher).map((e) => e.text)).toEqual(["hello all"]);
    });
  }
});
