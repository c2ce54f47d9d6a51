// Browser members as the server sees them (dist/chat, no browser: a WebSocket speaking the frames by hand): real
// members beside `chat join` ones, moderated alike, the same member across a reconnect; the socket's guards.

import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { hasNats, startNats } from "../helpers/nats.ts";
import { type Chat, joinRoom, killAll, runChat, spawnServe, startChat } from "../helpers/processes.ts";
import { isType } from "../helpers/raw-peer.ts";
import { waitUntil } from "../helpers/wait.ts";
import { WsPeer } from "../helpers/ws-peer.ts";

const sockets: WsPeer[] = [];
const stores: string[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await killAll();
  for (const dir of stores.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The web port `chat serve` printed ("or in a browser: http://127.0.0.1:PORT/"). */
async function webPortOf(server: Chat): Promise<number> {
  const line = await server.err.waitFor(/or in a browser: http:\/\/127\.0\.0\.1:\d+\//);
  return Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
}

async function browser(webPort: number, client: string, headers: Record<string, string> = {}): Promise<WsPeer> {
  const peer = await WsPeer.open(webPort, client, headers);
  sockets.push(peer);
  return peer;
}

const said = (text: string) => isType("message", (m) => m.text === text);

describe("a browser member is a member", () => {
  test("it and a chat join member converse both ways (Chinese, emoji), each sees the other come and go; admin reaches it", async () => {
    const server = await spawnServe();
    const web = await webPortOf(server);
    const ann = await joinRoom("ann", server.address);
    const page = await browser(web, "00000000000000a1");
    const welcome = await page.login("小明", "a1a1a1a1a1a1a1a1");
    if (typeof welcome === "string") throw new Error(`refused: ${welcome}`);
    expect(welcome.members).toEqual(["ann"]);
    await ann.event({ type: "join", name: "小明" });

    await page.request({ type: "say", sid: welcome.sid, id: 1, base: 1, text: "你好 👋" }, isType("ack"));
    await ann.event({ type: "message", from: "小明", text: "你好 👋" });
    ann.write("hi 小明 🎉\n");
    await page.waitFor(said("hi 小明 🎉"));
    expect((await runChat(["admin", "from the front desk", "--server", server.address])).code).toBe(0);
    await page.waitFor(isType("admin", (a) => a.text === "from the front desk"));

    await page.request({ type: "bye", sid: welcome.sid, id: 2 }, isType("ack"));
    await ann.event({ type: "leave", name: "小明", reason: "quit" });
  });

  test("a name a terminal member holds is taken for a browser too, and a look-alike of it", async () => {
    const server = await spawnServe();
    const web = await webPortOf(server);
    await joinRoom("alice", server.address);
    expect(await (await browser(web, "00000000000000b1")).login("alice", "b1b1b1b1b1b1b1b1")).toBe("name_taken");
    expect(await (await browser(web, "00000000000000b2")).login("аlice", "b2b2b2b2b2b2b2b2")).toBe("bad_name"); // Cyrillic а: mixed scripts
    expect(await (await browser(web, "00000000000000b3")).login("ALICE", "b3b3b3b3b3b3b3b3")).toBe("name_taken");
  });

  test("chat admin --kick reaches a browser member: it is told, the others see it kicked", async () => {
    const server = await spawnServe();
    const web = await webPortOf(server);
    const ann = await joinRoom("ann", server.address);
    const page = await browser(web, "00000000000000c1");
    expect(typeof (await page.login("bob", "c1c1c1c1c1c1c1c1"))).toBe("object");
    expect((await runChat(["admin", "--kick", "bob", "--server", server.address])).code).toBe(0);
    await page.waitFor(isType("refused", (r) => r.reason === "kicked"));
    await ann.event({ type: "leave", name: "bob", reason: "kicked" });
  });

  test("a page that reconnects with its client id is the same member: same session, no leave or join seen", async () => {
    const server = await spawnServe();
    const web = await webPortOf(server);
    const ann = await joinRoom("ann", server.address);
    const first = await browser(web, "00000000000000d1");
    const welcome = await first.login("dee", "d1d1d1d1d1d1d1d1");
    if (typeof welcome === "string") throw new Error(welcome);
    await ann.event({ type: "join", name: "dee" });
    first.close();
    await waitUntil(() => first.closed || undefined, 3000, "the first socket to close");
    ann.write("while dee was away\n");
    // ann's line is the event after dee's join, which the welcome numbered (the nack is repeated until it is there)
    const missed = welcome.seq + 1;

    const again = await browser(web, "00000000000000d1");
    const back = await again.login("dee", "d1d1d1d1d1d1d1d1");
    if (typeof back === "string") throw new Error(back);
    expect(back.sid).toBe(welcome.sid);
    // what it missed comes on asking, as after a lost datagram
    await again.request({ type: "nack", sid: back.sid, from: missed, to: missed }, said("while dee was away"));
    await again.request({ type: "say", sid: back.sid, id: 1, base: 1, text: "back" }, isType("ack"));
    await ann.event({ type: "message", from: "dee", text: "back" });
    expect(
      ann
        .events()
        .filter((e) => e.name === "dee")
        .map((e) => e.type),
    ).toEqual(["join"]);
  });
});

describe("the socket's guards", () => {
  test("a foreign Origin is refused; its own origin, or none (not a browser), is let in", async () => {
    const server = await spawnServe();
    const web = await webPortOf(server);
    await expect(WsPeer.open(web, "00000000000000e1", { Origin: "http://evil.example" })).rejects.toThrow("refused");
    sockets.push(await browser(web, "00000000000000e2", { Origin: `http://127.0.0.1:${web}` }));
    sockets.push(await browser(web, "00000000000000e3"));
    const res = await fetch(`http://127.0.0.1:${web}/ws?client=nothex`, { headers: { Upgrade: "websocket" } });
    expect(res.status).toBe(400);
  });

  test("--web off serves nothing; with a passphrase there is no page, and the start says why", async () => {
    const off = await spawnServe(["--web", "off"]);
    await off.err.waitFor("members join with:");
    expect(off.err.text()).not.toContain("in a browser");
    const sealed = await spawnServe(["--passphrase", "open sesame"]);
    await sealed.err.waitFor("no web page: this room has a passphrase");
    expect(sealed.err.text()).not.toContain("in a browser");
    const bad = await runChat(["serve", "--web", "eighty"]);
    expect(bad.code).toBe(1);
    expect(bad.err.join("\n")).toContain('invalid --web "eighty"');
  });
});

describe.skipIf(!hasNats)("in a cluster", () => {
  test("a browser member on one server and a chat join member on another share the room", async () => {
    const nats = await startNats();
    stores.push(nats.store);
    const a = await spawnServe(["--cluster", nats.url]);
    const b = await spawnServe(["--cluster", nats.url]);
    const page = await browser(await webPortOf(a), "00000000000000f1");
    const welcome = await page.login("webby", "f1f1f1f1f1f1f1f1");
    if (typeof welcome === "string") throw new Error(welcome);
    const ann = startChat(["join", "ann", "--server", b.address, "--json"]);
    await ann.event({ type: "welcome", name: "ann" }, 10_000);
    await page.waitFor(
      isType("join", (j) => j.name === "ann"),
      10_000,
    );
    await page.request({ type: "say", sid: welcome.sid, id: 1, base: 1, text: "across servers" }, isType("ack"));
    await ann.event({ type: "message", from: "webby", text: "across servers" }, 10_000);
    ann.write("and back\n");
    await page.waitFor(said("and back"), 10_000);
  }, 30_000);
});
