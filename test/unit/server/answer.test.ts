// The amplification budget: a stranger is sent one datagram at most, never more bytes than it sent; trust lifts both;
// sealing counts.

import { describe, expect, test } from "bun:test";
import type { Peer } from "../../../src/core/room/room.ts";
import { encode, PROOF_BYTES, SEAL_OVERHEAD_BYTES } from "../../../src/core/wire/protocol.ts";
import { Answer } from "../../../src/server/answer.ts";
import { peer, RecordingUdp, recordingLog } from "./fakes.ts";

const seal = (plain: Uint8Array) => new Uint8Array([0xff, ...new Uint8Array(SEAL_OVERHEAD_BYTES - 1), ...plain]);
const refused = { type: "refused", reason: "bad_room" } as const;
const size = encode(refused).length;

function answer(received: number, opts: { sealed?: boolean; member?: boolean } = {}) {
  const udp = new RecordingUdp();
  const { log, lines } = recordingLog();
  const wire = { send: (b: Uint8Array, to: typeof from) => udp.send(b, to), seal, prove: (_key: Uint8Array, b: Uint8Array) => b, log };
  const from = peer(7);
  return { udp, lines, answer: new Answer(from, received, opts.sealed ?? false, opts.member ?? false, wire) };
}

describe("a stranger's budget", () => {
  test("a reply as large as what it sent goes; one byte larger does not, and says so at debug", () => {
    const fits = answer(size);
    fits.answer.reply(refused);
    expect(fits.udp.sent.length).toBe(1);

    const short = answer(size - 1);
    short.answer.reply(refused);
    expect(short.udp.sent).toEqual([]);
    expect(short.lines).toEqual(["debug not sent to 10.0.0.7:7: larger than what it sent"]);
  });

  test("the budget is spent: two replies get only as far as it goes", () => {
    const { udp, answer: a } = answer(size * 2 - 1);
    a.reply(refused);
    a.reply(refused);
    expect(udp.sent.length).toBe(1);
  });

  test("one datagram in answer, however many bytes are left: the rest are held back, with one debug line", () => {
    const { udp, lines, answer: a } = answer(size * 54);
    for (let i = 0; i < 54; i++) a.reply(refused);
    expect(udp.sent.length).toBe(1);
    expect(a.plainBudget()).toBe(0);
    expect(lines).toEqual(["debug not sent to 10.0.0.7:7: it was answered once already"]);
  });

  test("a member, or a stranger once trusted, gets every reply: several acks for several says in one datagram", () => {
    const member = answer(size, { member: true });
    for (let id = 1; id <= 5; id++) member.answer.reply({ type: "ack", id });
    expect(member.udp.sent.map((d) => JSON.parse(d.text).id)).toEqual([1, 2, 3, 4, 5]);

    const proven = answer(size * 3);
    proven.answer.reply(refused); // spends the one datagram
    proven.answer.trust(); // then its hello's cookie was good: welcome and backlog follow
    proven.answer.reply(refused);
    proven.answer.send(new Uint8Array(5000));
    expect(proven.udp.sent.length).toBe(3);
  });

  test("trust() lifts it (a hello with a good cookie), and a member has none", () => {
    const trusted = answer(1);
    trusted.answer.trust();
    for (let i = 0; i < 10; i++) trusted.answer.reply(refused);
    expect(trusted.udp.sent.length).toBe(10);
    expect(trusted.answer.plainBudget()).toBe(Infinity);

    const member = answer(1, { member: true });
    member.answer.send(new Uint8Array(5000));
    expect(member.udp.sent.length).toBe(1);
  });

  test("sealed: the answer is sealed, the seal's overhead counts against the budget, and plainBudget() leaves room for it", () => {
    const exact = answer(size + SEAL_OVERHEAD_BYTES, { sealed: true });
    expect(exact.answer.plainBudget()).toBe(size);
    exact.answer.reply(refused);
    expect(exact.udp.sent[0]!.bytes.length).toBe(size + SEAL_OVERHEAD_BYTES);
    expect(exact.udp.sent[0]!.bytes[0]).toBe(0xff);

    const short = answer(size + SEAL_OVERHEAD_BYTES - 1, { sealed: true });
    short.answer.reply(refused);
    expect(short.udp.sent).toEqual([]);
  });

  test("sealed, but a challenge: in the clear, since it carries the salt the key is made from", () => {
    const { udp, answer: a } = answer(300, { sealed: true });
    const challenge = { type: "challenge", cookie: "c".repeat(32), salt: "5".repeat(32) } as const;
    a.reply(challenge);
    expect(udp.sent[0]!.text).toBe(new TextDecoder().decode(encode(challenge)));
  });

  test("proven: with a key every answer carries its proof, in front of the seal, and the budget leaves room for it", () => {
    const udp = new RecordingUdp();
    const { log } = recordingLog();
    const prove = (_k: Uint8Array, b: Uint8Array) => new Uint8Array([...new Uint8Array(PROOF_BYTES).fill(0xc6), ...b]);
    const wire = { send: (b: Uint8Array, to: Peer) => udp.send(b, to), seal, prove, log };
    const a = new Answer(peer(7), 500, true, false, wire, new Uint8Array(32));
    expect(a.plainBudget()).toBe(500 - SEAL_OVERHEAD_BYTES - PROOF_BYTES);
    a.reply(refused);
    const bytes = udp.sent[0]!.bytes;
    expect([bytes[0], bytes[PROOF_BYTES], bytes.length]).toEqual([0xc6, 0xff, PROOF_BYTES + SEAL_OVERHEAD_BYTES + size]);
  });

  test("not sealed: the bytes go as they are, and the whole budget is plain text", () => {
    const { udp, answer: a } = answer(100);
    expect(a.plainBudget()).toBe(100);
    a.reply(refused);
    expect(udp.sent[0]!.text).toBe(new TextDecoder().decode(encode(refused)));
    expect(a.plainBudget()).toBe(0); // its one datagram is spent (it was 100 - size while bytes alone counted)
  });
});
