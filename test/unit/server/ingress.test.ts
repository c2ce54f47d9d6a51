// The ingress: the allowance before any decoding, the passphrase's rules, what only the server sends, classic datagrams.

import { describe, expect, test } from "bun:test";
import type { Peer } from "../../../src/core/room/room.ts";
import { sign } from "../../../src/core/wire/admin-auth.ts";
import { Envelope, newSalt } from "../../../src/core/wire/envelope.ts";
import { decode, encode, type Message, type Request } from "../../../src/core/wire/protocol.ts";
import type { BudgetedRequester } from "../../../src/server/answer.ts";
import { Ingress } from "../../../src/server/ingress.ts";
import { ServerProofs } from "../../../src/server/proofs.ts";
import { Warnings } from "../../../src/server/report.ts";
import { NOW, peer, RecordingUdp, recordingLog } from "./fakes.ts";

const salt = newSalt();
const key = Envelope.fromPassphrase("open sesame", salt);
const wrongKey = Envelope.fromPassphrase("not it", salt);
const hello = { type: "hello", name: "alice", nonce: "0123456789abcdef", cookie: "0".repeat(32) } as const;
const knock = { type: "knock", pad: "x".repeat(200) } as const;

function ingress(opts: { envelope?: Envelope; members?: Peer[]; datagrams?: { count: number; windowMs: number }; classic?: boolean } = {}) {
  const udp = new RecordingUdp();
  const { log, lines } = recordingLog();
  const handled: Array<{ msg: Request; answer: BudgetedRequester }> = [];
  const classic: Uint8Array[] = [];
  let asked = 0;
  const gate = new Ingress({
    allowance: opts.datagrams,
    envelope: opts.envelope,
    classic: opts.classic ? (data) => void classic.push(data) : undefined,
    isMember: (p) => {
      asked++;
      return (opts.members ?? []).some((m) => m.port === p.port && m.address === p.address);
    },
    memberOf: () => undefined,
    proofs: new ServerProofs(),
    handle: (msg, answer) => void handled.push({ msg, answer }),
    send: (bytes, to) => udp.send(bytes, to),
    warnings: new Warnings(log),
    log,
  });
  /** The replies sent to `to`, opened with the room's key where they are sealed. */
  const replies = (to: Peer): Message[] =>
    udp.sent.filter((s) => s.to.port === to.port).flatMap((s) => decode(opts.envelope?.open(s.bytes) ?? s.bytes));
  return { gate, udp, lines, handled, classic, replies, asked: () => asked };
}

describe("the sender's allowance", () => {
  test("a sender over its allowance is dropped before any decoding: no log line, no member lookup, no answer", () => {
    const { gate, lines, asked, handled } = ingress({ datagrams: { count: 2, windowMs: 1000 } });
    const junk = new TextEncoder().encode("not json");
    for (let i = 0; i < 5; i++) gate.receive(junk, peer(1), NOW);
    expect(lines.filter((l) => l.includes("dropped a datagram")).length).toBe(2);
    expect(asked()).toBe(0); // junk that does not decode needs no lookup at all
    // another sender has an allowance of its own, and time refills it
    gate.receive(encode(knock), peer(2), NOW);
    gate.receive(encode(knock), peer(1), NOW + 1000);
    expect(handled.map((h) => h.answer.from.port)).toEqual([2, 1]);
  });

  test("undefined: no limit", () => {
    const { gate, handled } = ingress();
    for (let i = 0; i < 100; i++) gate.receive(encode(knock), peer(1), NOW);
    expect(handled.length).toBe(100);
  });
});

describe("decoding", () => {
  test("a datagram holding what only the server sends fails at the door, whole, with the decoder's exact error", () => {
    const { gate, lines, handled } = ingress();
    const both = new TextEncoder().encode(
      `${new TextDecoder().decode(encode({ type: "challenge", cookie: "0".repeat(32) }))}\n${new TextDecoder().decode(encode(knock))}`,
    );
    gate.receive(both, peer(1), NOW);
    expect(handled).toEqual([]);
    expect(lines).toContain("debug dropped a datagram from 10.0.0.1:1: ProtocolError: challenge: only the server sends this");
    gate.receive(encode(knock), peer(1), NOW);
    expect(handled.map((h) => h.msg.type)).toEqual(["knock"]);
  });

  test("a classic datagram goes to the classic handler with --classic, and is only a bad datagram without", () => {
    const line = new TextEncoder().encode("L old");
    const on = ingress({ classic: true });
    on.gate.receive(line, peer(1), NOW);
    expect(on.classic).toEqual([line]);
    const off = ingress();
    off.gate.receive(line, peer(1), NOW);
    expect(off.handled).toEqual([]);
    expect(off.lines.some((l) => l.startsWith("debug dropped a datagram from 10.0.0.1:1"))).toBe(true);
  });
});

describe("with a passphrase", () => {
  test("only the knock travels in the clear: a clear hello or operator request is refused passphrase_required", () => {
    const { gate, handled, replies } = ingress({ envelope: key });
    gate.receive(encode(knock), peer(1), NOW);
    expect(handled.map((h) => [h.msg.type, h.answer.plainBudget() > 0])).toEqual([["knock", true]]);
    gate.receive(encode(hello), peer(1), NOW);
    const who = sign({ type: "who", id: 7, from: 0, pad: "x".repeat(100) }, { token: "token", server: "0123456789abcdef" }, NOW);
    gate.receive(encode(who), peer(1), NOW);
    expect(handled.length).toBe(1);
    expect(replies(peer(1))).toEqual([
      { type: "refused", reason: "passphrase_required" },
      { type: "refused", reason: "passphrase_required", id: 7 },
    ]);
  });

  test("a sealed request opens and goes on, its answers sealed", () => {
    const { gate, handled, udp } = ingress({ envelope: key });
    gate.receive(key.seal(encode(hello)), peer(1), NOW);
    expect(handled.map((h) => h.msg)).toEqual([hello]);
    handled[0]!.answer.reply({ type: "refused", reason: "bad_room" });
    expect(key.open(udp.sent[0]!.bytes)).toBeDefined();
  });

  test("the wrong passphrase is answered bad_passphrase, in the clear, to a stranger only; a member's is dropped at debug", () => {
    const stranger = ingress({ envelope: key });
    stranger.gate.receive(wrongKey.seal(encode(hello)), peer(1), NOW);
    expect(stranger.udp.sent.map((s) => decode(s.bytes))).toEqual([[{ type: "refused", reason: "bad_passphrase" }]]);
    expect(stranger.lines).toContain("warn refused a request (wrong passphrase), the last from 10.0.0.1:1");
    expect(stranger.handled).toEqual([]);

    const member = ingress({ envelope: key, members: [peer(1)] });
    member.gate.receive(wrongKey.seal(encode(hello)), peer(1), NOW);
    expect(member.udp.sent).toEqual([]);
    expect(member.lines).toEqual(["debug dropped a datagram from 10.0.0.1:1: it does not open with the room's key"]);
  });

  test("refusals of strangers are logged once per kind every few seconds, with the count of those in between", () => {
    const { gate, lines } = ingress({ envelope: key });
    for (let i = 0; i < 4; i++) gate.receive(wrongKey.seal(encode(hello)), peer(1), NOW + i);
    gate.receive(wrongKey.seal(encode(hello)), peer(2), NOW + 5000);
    expect(lines.filter((l) => l.startsWith("warn"))).toEqual([
      "warn refused a request (wrong passphrase), the last from 10.0.0.1:1",
      "warn refused 4 requests (wrong passphrase), the last from 10.0.0.2:2",
    ]);
  });
});
