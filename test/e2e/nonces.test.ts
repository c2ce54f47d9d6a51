// A hello's nonce belongs to its client (dist/chat): a login from another address that sniffed it, and numbered one
// say 2^32−1 with it, cannot make the real member's later says look like repeats, even after a restart.

import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode, type Hello, MAX_ID } from "../../src/core/wire/protocol.ts";
import { LossyRelay } from "../helpers/lossy-relay.ts";
import { joinRoom, killAll, startChat } from "../helpers/processes.ts";
import { isType, RawPeer } from "../helpers/raw-peer.ts";
import { waitUntil } from "../helpers/wait.ts";

const cleanups: Array<() => void> = [];
afterEach(async () => {
  await killAll();
  for (const c of cleanups.splice(0)) c();
});

async function serve(data: string, port = 0) {
  const server = startChat(["serve", "--host", "127.0.0.1", "--port", String(port), "--data", data, "--rate", "off"]);
  const line = await server.err.waitFor(/listening on 127\.0\.0\.1:\d+/);
  const bound = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(line)![1]);
  return { ...server, port: bound, address: `127.0.0.1:${bound}` };
}

/** The hello a sniffer on alice's path saw (the room has no passphrase: it travels in the clear). */
function sniffedHello(relay: LossyRelay): Hello | undefined {
  for (const datagram of relay.captured) {
    try {
      const hello = decode(datagram).find((m) => m.type === "hello");
      if (hello) return hello as Hello;
    } catch {
      // a proven or sealed datagram: not the hello
    }
  }
  return undefined;
}

test("the nonce-poisoning sequence: after the restart alice's next message is relayed", async () => {
  const data = mkdtempSync(join(tmpdir(), "chat-nonce-"));
  cleanups.push(() => rmSync(data, { recursive: true, force: true }));
  const first = await serve(data);
  const relay = await LossyRelay.start({ serverPort: first.port, seed: 1, faults: { loss: 0, duplicate: 0, reorder: 0 }, capture: true });
  cleanups.push(() => relay.close());
  const watcher = await joinRoom("watcher", first.address);
  const alice = await joinRoom("alice", relay.address);
  const nonce = (await waitUntil(() => sniffedHello(relay), 3000, "alice's hello")).nonce;

  // mallory, from another IP address, logs in with alice's nonce and numbers one say at the top of the range
  const mallory = await RawPeer.open(first.port, "127.0.0.2");
  cleanups.push(() => mallory.close());
  const welcome = await mallory.login("mallory", nonce);
  await mallory.request({ type: "say", sid: welcome.sid, id: MAX_ID, base: MAX_ID, text: "poison" }, isType("ack"));
  await watcher.event({ type: "message", from: "mallory", text: "poison" });

  first.proc.kill("SIGKILL");
  await first.proc.exited;
  const second = await serve(data, first.port);
  // alice's client run goes on: the restarted server has her session from its data directory
  alice.write("after the restart\n");
  await watcher.event({ type: "message", from: "alice", text: "after the restart" }, 15_000);
  expect(second.proc.exitCode).toBeNull();
}, 30_000);
