// The compiled server under attack: a fuzzer's 100,000 datagrams, and a flood from one address, garbage or valid.

import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ADMIN_WINDOW_MS, encode, KNOCK_BYTES, MAX_DATAGRAM_BYTES, type Message, padded } from "../../src/core/wire/protocol.ts";
import { mulberry32 } from "../helpers/lossy-relay.ts";
import { joinRoom, killAll, spawnServe, startChat } from "../helpers/processes.ts";
import { local, openTestSocket } from "../helpers/socket.ts";

afterEach(killAll);

const utf8 = new TextEncoder();

/** Datagrams a fuzzer throws: random bytes, truncated, oversized, wrong version, and valid-looking with wrong ids. */
function fuzzDatagrams(count: number, seed: number): Uint8Array[] {
  const random = mulberry32(seed);
  const int = (n: number) => Math.floor(random() * n);
  const hex = (digits: number) => Array.from({ length: digits }, () => "0123456789abcdef"[int(16)]).join("");
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const sid = () => hex(32);
  const now = Date.now();
  const valid: Message[] = [
    padded({ type: "knock" }, KNOCK_BYTES),
    { type: "hello", name: "fuzz", nonce: hex(16), cookie: hex(32) },
    { type: "say", sid: sid(), id: 1, base: 1, text: "forged" },
    { type: "ping", sid: sid() },
    { type: "nack", sid: sid(), from: 1, to: 1_000_000 },
    { type: "bye", sid: sid(), id: 3 },
    { type: "announce", id: 1, text: "fake admin", ts: now, nonce: hex(32), mac: hex(64), server: hex(16) },
    { type: "kick", id: 2, name: "alice", ts: now, nonce: hex(32), mac: hex(64), server: hex(16) },
    { type: "ban", id: 3, name: "bob", seconds: 60, ts: now - 2 * ADMIN_WINDOW_MS, nonce: hex(32), mac: hex(64), server: hex(16) },
    { type: "who", id: 4, from: 0, ts: now, nonce: hex(32), mac: hex(64), server: hex(16) },
    { type: "join", seq: 1, ts: now, name: "fake" },
    { type: "welcome", sid: sid(), name: "x", members: [], count: 0, seq: 0, backlog: 0, epoch: hex(16), ts: now },
  ];
  const encoded = valid.map((m) => encode(m));
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const base = encoded[int(encoded.length)]!;
    switch (i % 8) {
      case 0:
        out.push(bytes(int(1400)));
        break; // random bytes, the empty datagram included
      case 1:
        out.push(base.subarray(0, int(base.length)));
        break; // truncated
      case 2:
        out.push(bytes(MAX_DATAGRAM_BYTES + 1 + int(600)));
        break; // oversized
      case 3:
        out.push(utf8.encode(new TextDecoder().decode(base).replace('"v":3', `"v":${int(5) + 2}`)));
        break; // wrong version
      case 4: {
        // mutated: a few bytes flipped
        const m = base.slice();
        for (let k = 0; k < 1 + int(4); k++) m[int(m.length)] = int(256);
        out.push(m);
        break;
      }
      case 5:
        out.push(utf8.encode(Array.from({ length: 2 + int(5) }, () => new TextDecoder().decode(base)).join("\n")));
        break; // many frames
      case 6:
        out.push(utf8.encode(new TextDecoder().decode(base).replace(/"id":\d+/, `"id":${int(2) ? -1 : 2 ** 53}`)));
        break;
      default:
        out.push(base); // valid-looking, with ids nobody holds
    }
  }
  return out;
}

/**
 * Sends every datagram from `sockets` sockets, a round at a time; after each round a probe knocks and waits for its
 * challenge. The server reads its socket in order, so once the challenge is back the round has been read: every
 * datagram reaches the parser, instead of most of them overflowing the kernel's receive buffer.
 */
async function throwAt(port: number, datagrams: Uint8Array[], sockets: number): Promise<number> {
  let answered: () => void = () => {};
  const server = local(port);
  const opened = await Promise.all(Array.from({ length: sockets }, () => openTestSocket()));
  const probe = await openTestSocket(() => answered());
  const knock = encode(padded({ type: "knock" }, KNOCK_BYTES));
  let rounds = 0;
  try {
    for (let next = 0; next < datagrams.length; rounds++) {
      for (let i = 0; i < ROUND && next < datagrams.length; i++, next++) opened[next % sockets]!.send(datagrams[next]!, server);
      await new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + 5000;
        // the probe's knock may itself be lost to a full buffer: knock again until one is answered
        const again = setInterval(() => {
          if (Date.now() > deadline) {
            clearInterval(again);
            reject(new Error(`the server did not read round ${rounds} of the fuzz within 5 s`));
          }
          probe.send(knock, server);
        }, 50);
        answered = () => {
          clearInterval(again);
          resolve();
        };
        probe.send(knock, server);
      });
    }
  } finally {
    for (const s of [...opened, probe]) s.close();
  }
  return rounds;
}
/** Datagrams per round: well under what the default 208 KiB receive buffer holds of the largest ones. */
const ROUND = 40;

test("a fuzzer's 100,000 datagrams never crash the server, and members still converse afterwards", async () => {
  const server = await spawnServe(["--rate", "5/5"]);
  const alice = await joinRoom("alice", server.address);
  const bob = await joinRoom("bob", server.address);
  const datagrams = fuzzDatagrams(100_000, 2026);
  expect(datagrams).toHaveLength(100_000);
  // from 100 sockets, so that the per-sender allowance passes them all on to the parser
  const rounds = await throwAt(server.port, datagrams, 100);
  expect(rounds).toBe(100_000 / ROUND);

  alice.write("still here?\n");
  await bob.event({ type: "message", from: "alice", text: "still here?" });
  bob.write("yes\n");
  await alice.event({ type: "message", from: "bob", text: "yes" });
  expect(server.proc.exitCode).toBeNull();
  expect(bob.events().filter((e) => e.type === "leave" || e.type === "admin")).toEqual([]);
}, 60_000);

describe("one address flooding at full speed does not stop the others' conversation", () => {
  for (const mode of ["garbage", "member"] as const) {
    test(mode === "garbage" ? "garbage" : "valid messages from a member", async () => {
      // the old default allowance (5 at once), so that the flooder's share is as small as the assertion below says
      const server = await spawnServe(["--rate", "5/5", "--burst", "5"]);
      const alice = await joinRoom("alice", server.address);
      const bob = await joinRoom("bob", server.address);
      const flooder = startChat([join(import.meta.dir, "..", "helpers", "flooder.ts"), String(server.port), mode], {
        command: [process.execPath],
      });
      await flooder.out.waitFor("flooding");
      if (mode === "member") await bob.event({ type: "join", name: "flooder" });
      // each message within a second, while the flood goes on
      for (let i = 1; i <= 5; i++) {
        alice.write(`message ${i}\n`);
        await bob.event({ type: "message", from: "alice", text: `message ${i}` }, 1000);
      }
      expect(flooder.proc.exitCode).toBeNull(); // the flood was still going
      // the flooding member got its first five through and nothing more: its allowance is spent
      const spam = bob.events().filter((e) => e.type === "message" && e.from === "flooder");
      expect(spam.length).toBeLessThanOrEqual(mode === "member" ? 6 : 0);
    }, 30_000);
  }
});
