// The web side's rules without a socket: a page's peer, the registry of sockets a reconnect replaces, and WebLink's
// fan-out to browser members only (the sender left out, a private message to its addressee alone).

import { describe, expect, test } from "bun:test";
import { FIRST_WEB_PORT, isWebPeer, reachOf } from "../../src/core/room/roster.ts";
import { WebLink } from "../../src/web/web-link.ts";
import { webPeer } from "../../src/web/web-peer.ts";
import { type TextSocket, WebSockets } from "../../src/web/web-sockets.ts";
import { NOW, newRoom, nonce } from "./server/fakes.ts";

class FakeSocket implements TextSocket {
  readonly sent: string[] = [];
  closed: string | undefined;
  send(text: string): void {
    this.sent.push(text);
  }
  close(_code?: number, reason?: string): void {
    this.closed = reason ?? "";
  }
}

describe("a page's peer", () => {
  test("its address, and a port past UDP's range from its client id: the same on every reconnect", () => {
    const a = webPeer("10.0.0.7", "0123456789abcdef");
    expect(a).toEqual(webPeer("10.0.0.7", "0123456789abcdef"));
    expect(a.address).toBe("10.0.0.7");
    expect(a.port).toBeGreaterThanOrEqual(FIRST_WEB_PORT);
    expect(isWebPeer(a)).toBe(true);
    expect(isWebPeer({ address: "10.0.0.7", port: 65535 })).toBe(false);
    expect(webPeer("10.0.0.7", "fedcba9876543210").port).not.toBe(a.port);
  });
});

describe("the sockets of browser members", () => {
  test("a newer socket of the same page replaces the older, which is closed; the older's close then changes nothing", () => {
    const sockets = new WebSockets();
    const peer = webPeer("10.0.0.7", "0123456789abcdef");
    const first = new FakeSocket();
    const second = new FakeSocket();
    sockets.attach(peer, first);
    sockets.attach(peer, second);
    expect(first.closed).toContain("replaced");
    sockets.detach(peer, first);
    expect(sockets.sendText(peer, "hi")).toBe(true);
    expect(second.sent).toEqual(["hi"]);
    sockets.detach(peer, second);
    expect(sockets.has(peer)).toBe(false);
    expect(sockets.sendText(peer, "lost")).toBe(false);
  });
});

describe("WebLink", () => {
  function setUp() {
    const room = newRoom();
    const sockets = new WebSockets();
    const pages = new Map<string, FakeSocket>();
    const enter = (name: string, client: string) => {
      const peer = webPeer("10.0.0.9", client);
      const out = room.hello({ type: "hello", name, nonce: client }, peer, NOW);
      const welcome = out.replies[0];
      if (welcome?.type !== "welcome") throw new Error(JSON.stringify(out.replies));
      const socket = new FakeSocket();
      sockets.attach(peer, socket);
      pages.set(name, socket);
      return welcome.sid;
    };
    const turns: Array<() => void> = [];
    const link = new WebLink(
      room,
      sockets,
      () => NOW,
      (flush) => turns.push(flush),
    );
    const turnEnds = () => {
      for (const run of turns.splice(0)) run();
    };
    return { room, sockets, pages, enter, link, turnEnds };
  }

  test("an event goes to every browser member but its sender; a UDP member is not among them", () => {
    const { room, pages, enter, link, turnEnds } = setUp();
    const a = enter("ann", "000000000000000a");
    enter("bob", "000000000000000b");
    room.hello({ type: "hello", name: "udp", nonce: nonce(99) }, { address: "10.0.0.9", port: 4000 }, NOW);
    expect([...room.members()].map(reachOf)).toEqual(["web", "web", "datagram"]);
    const said = room.say({ type: "say", sid: a, id: 1, base: 1, text: "hi" }, [...room.members()][0]!.peer, NOW).broadcasts[0]!;
    link.deliver(said);
    expect(pages.get("bob")!.sent).toEqual([]); // held until the turn ends, as the datagrams are
    turnEnds();
    expect(pages.get("ann")!.sent).toEqual([]);
    expect(pages.get("bob")!.sent.map((t) => JSON.parse(t).text)).toEqual(["hi"]);
  });

  test("a burst of one turn goes to each page as one message of several frames, made text once", () => {
    const { room, pages, enter, link, turnEnds } = setUp();
    const a = enter("ann", "000000000000000a");
    enter("bob", "000000000000000b");
    const from = [...room.members()][0]!.peer;
    for (let id = 1; id <= 5; id++)
      link.deliver(room.say({ type: "say", sid: a, id, base: id, text: `line ${id}` }, from, NOW).broadcasts[0]!);
    turnEnds();
    const sent = pages.get("bob")!.sent;
    expect(sent).toHaveLength(1);
    expect(sent[0]!.split("\n").map((frame) => JSON.parse(frame).text)).toEqual(["line 1", "line 2", "line 3", "line 4", "line 5"]);
  });

  test("a private message reaches its addressee; the other browser members get its stand-in", () => {
    const { room, pages, enter, link } = setUp();
    const a = enter("ann", "000000000000000a");
    enter("bob", "000000000000000b");
    enter("cat", "000000000000000c");
    const out = room.say({ type: "say", sid: a, id: 1, base: 1, text: "psst", to: "bob" }, [...room.members()][0]!.peer, NOW);
    link.deliver(out.broadcasts[0]!);
    expect(pages.get("bob")!.sent.map((t) => JSON.parse(t).type)).toEqual(["private"]);
    expect(pages.get("cat")!.sent.map((t) => JSON.parse(t).type)).toEqual(["hidden"]);
    expect(pages.get("ann")!.sent).toEqual([]);
  });
});
