// A client that does what docs/PROTOCOL.md says and no more, against the compiled server: where the spec used to leave it guessing.

import { afterEach, describe, expect, test } from "bun:test";
import { type Message, PROTOCOL_VERSION } from "../../src/core/wire/protocol.ts";
import { joinRoom, killAll, spawnServe } from "../helpers/processes.ts";
import { isType, RawPeer } from "../helpers/raw-peer.ts";
import { waitUntil } from "../helpers/wait.ts";

const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await killAll();
});

async function rawMember(serverPort: number, name: string, nonce = "0123456789abcdef") {
  const peer = await RawPeer.open(serverPort);
  peers.push(peer);
  const welcome = await peer.login(name, nonce);
  return { peer, sid: welcome.sid, welcome };
}

const acked = (peer: RawPeer, id: number) => peer.received.some((m) => m.type === "ack" && m.id === id);

describe("ids spent on names (§4, §5.3)", () => {
  test("a names request between says holds up no say, whichever of the two reaches the server first; each datagram sent once", async () => {
    const server = await spawnServe();
    const watcher = await joinRoom("watcher", server.address);
    const { peer, sid } = await rawMember(server.port, "alice");
    const shown = (text: string) => watcher.events().some((e) => e.type === "message" && e.text === text);

    // say 1, then a /who (id 2), then say 3 sent before the ack of 1 came back (so its base is still 1)
    peer.send({ type: "say", sid, id: 1, base: 1, text: "one" });
    peer.send({ type: "names", sid, id: 2, from: 0 });
    peer.send({ type: "say", sid, id: 3, base: 1, text: "three" });
    await waitUntil(() => shown("one") && shown("three") && acked(peer, 3), 2000, "both says relayed, without a retry");

    // the other way round: say 5 overtakes the names (id 4) that went before it, and is held only until that names comes
    peer.send({ type: "say", sid, id: 5, base: 1, text: "five" });
    await peer.waitFor(isType("waiting", (w) => w.id === 4));
    peer.send({ type: "names", sid, id: 4, from: 0 });
    await waitUntil(() => shown("five") && acked(peer, 5), 2000, "say 5 relayed once the names came");
    expect(peer.received.filter((m) => m.type === "members")).toHaveLength(2);
    expect(
      watcher
        .events()
        .filter((e) => e.type === "message")
        .map((e) => e.text),
    ).toEqual(["one", "three", "five"]);
  });

  test("chat join: lines typed around a /who all reach the room at once, in order", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    await alice.event({ type: "join", name: "bob" });
    alice.write("one\n/who\ntwo\n/who\nthree\n");
    await bob.event({ type: "message", from: "alice", text: "three" }, 1500);
    expect(
      bob
        .events()
        .filter((e) => e.type === "message")
        .map((e) => e.text),
    ).toEqual(["one", "two", "three"]);
    await alice.event({ type: "members", names: ["alice", "bob"], count: 2 });
  });
});

describe("a repeated welcome (§5.2, §5.6)", () => {
  test("names the room's last event, not the member's join, and its backlog runs up to that event", async () => {
    const server = await spawnServe();
    const { peer } = await rawMember(server.port, "alice");
    const bob = await joinRoom("bob", server.address);
    bob.write("while alice was away\n");
    const said = await peer.waitFor(isType("message", (m) => m.text === "while alice was away"));
    const before = peer.received.length;
    const again = await peer.request(
      { type: "hello", name: "alice", nonce: "0123456789abcdef", cookie: peer.cookie },
      (m: Message): m is Extract<Message, { type: "welcome" }> => m.type === "welcome" && peer.received.indexOf(m) >= before,
    );
    expect(again.seq).toBe(said.seq); // alice joined at 1, bob at 2, the message is 3
    expect(again.backlog).toBeGreaterThan(0);
    await waitUntil(
      () => peer.received.slice(before).some((m) => m.type === "message" && m.seq === said.seq),
      2000,
      "the backlog of the repeated welcome to hold the last event",
    );
    bob.end();
    expect(await bob.proc.exited).toBe(0);
  });
});

describe("strictness (§2)", () => {
  test("a frame with a field written twice is dropped unanswered; the same frame without the repeat is carried out", async () => {
    const server = await spawnServe();
    const { peer, sid } = await rawMember(server.port, "alice");
    peer.sendProven(`{"v":${PROTOCOL_VERSION},"type":"say","sid":"${sid}","id":1,"base":1,"text":"a","text":"b"}`);
    peer.sendProven(`{"v":${PROTOCOL_VERSION},"type":"say","sid":"${sid}","id":2,"base":2,"text":"c"}`);
    await waitUntil(() => acked(peer, 2), 2000, "the ack of the well-formed say");
    expect(acked(peer, 1)).toBe(false);
  });
});
