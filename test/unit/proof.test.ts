// The proof layer (proof.ts): the worked example of PROTOCOL.md section 11, what a tag binds (key, sender, counter,
// body), malformed proofs, the replay window and the counter; and the version refusal another version reads.

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkProof, ProofCounter, proofKey, prove, proveInto, ReplayWindow, readProof } from "../../src/core/wire/proof.ts";
import {
  decodeReplies,
  decodeRequests,
  PROOF_BYTES,
  PROOF_MARK,
  PROOF_WINDOW,
  PROTOCOL_VERSION,
  VersionError,
  versionRefusal,
} from "../../src/core/wire/protocol.ts";

const utf8 = new TextEncoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const key = proofKey("0123456789abcdef");
const body = utf8.encode(`{"v":3,"type":"probe"}`);

describe("PROTOCOL.md section 11's example is what the code makes", () => {
  const doc = readFileSync(join(import.meta.dir, "..", "..", "docs", "PROTOCOL.md"), "utf8");
  const example = doc.slice(doc.indexOf("**Example.** A member whose hello said"));
  const lines = example.split("\n");
  const after = (prefix: string, from = 0) => {
    const line = lines.slice(from).find((l) => l.startsWith(prefix))!;
    return { value: line.slice(prefix.length).trim(), at: lines.indexOf(line, from) };
  };

  test("the key, and the proofs of a server's tick and a member's ping", () => {
    const nonce = /"nonce":"([0-9a-f]+)"/.exec(example)![1]!;
    expect(hex(proofKey(nonce))).toBe(after("key    =").value);
    let at = 0;
    for (const sender of ["server", "member"] as const) {
      const said = after(sender === "server" ? "server → member, counter " : "member → server, counter ", at);
      const [, counter, frame] = /^(\d+), body (.*)$/.exec(said.value)!;
      const proof = after("proof  =", said.at);
      expect(hex(prove(proofKey(nonce), sender, Number(counter), utf8.encode(frame!)).subarray(0, PROOF_BYTES))).toBe(proof.value);
      at = proof.at + 1;
    }
  });
});

describe("a tag binds its key, its sender, its counter and every byte of the body", () => {
  const proven = prove(key, "server", 42, body);

  test("the layout: the mark, the counter big-endian, the tag, the body as it was", () => {
    expect(proven[0]).toBe(PROOF_MARK);
    expect(hex(proven.subarray(1, 9))).toBe("000000000000002a");
    expect(proven.subarray(PROOF_BYTES)).toEqual(body);
    const p = readProof(proven)!;
    expect(p.counter).toBe(42);
    expect(checkProof(key, "server", p)).toBe(true);
  });

  test("another key, the other side, another counter or one changed byte: refused", () => {
    expect(checkProof(proofKey("fedcba9876543210"), "server", readProof(proven)!)).toBe(false);
    expect(checkProof(key, "member", readProof(proven)!)).toBe(false);
    const counter = proven.slice();
    counter[8] = 43;
    expect(checkProof(key, "server", readProof(counter)!)).toBe(false);
    for (const at of [PROOF_BYTES, proven.length - 1, 9]) {
      const altered = proven.slice();
      altered[at]! ^= 1;
      expect(checkProof(key, "server", readProof(altered)!)).toBe(false);
    }
  });

  test("a counter above 2^53 - 1 needs the high half's top bits: it is written and read exactly up to it", () => {
    const top = Number.MAX_SAFE_INTEGER;
    expect(readProof(prove(key, "member", top, body))!.counter).toBe(top);
    expect(readProof(prove(key, "member", 2 ** 32 + 5, body))!.counter).toBe(2 ** 32 + 5);
  });

  test("proveInto writes the same bytes into a buffer the caller keeps", () => {
    const out = new Uint8Array(500).fill(7);
    expect(proveInto(out, key, "server", 42, body)).toEqual(proven);
  });

  test("malformed: no mark, nothing after the proof, a counter of 0 or past 2^53 - 1", () => {
    expect(readProof(body)).toBeUndefined();
    expect(readProof(proven.subarray(0, PROOF_BYTES))).toBeUndefined();
    const zero = proven.slice();
    zero.fill(0, 1, 9);
    expect(readProof(zero)).toBeUndefined();
    const huge = proven.slice();
    huge.fill(0xff, 1, 9);
    expect(readProof(huge)).toBeUndefined();
  });
});

describe("the replay window", () => {
  test("a counter is taken once; later ones in any order; one more than the window below the highest is stale", () => {
    const w = new ReplayWindow();
    expect(w.accept(10)).toBe(true);
    expect(w.accept(10)).toBe(false);
    expect(w.accept(12)).toBe(true);
    expect(w.accept(11)).toBe(true); // reordered, not replayed
    expect(w.accept(11)).toBe(false);
    expect(w.accept(12 + PROOF_WINDOW)).toBe(true);
    expect(w.accept(13)).toBe(true); // still inside the window
    expect(w.accept(12)).toBe(false); // at its edge: stale
    expect(w.accept(1_000_000)).toBe(true);
    expect(w.accept(12 + PROOF_WINDOW)).toBe(false);
  });

  test("the counter grows with every datagram and follows the clock", () => {
    const c = new ProofCounter();
    const first = c.next(1000);
    expect(first).toBe(1_000_000);
    expect(c.next(1000)).toBe(first + 1);
    expect(c.next(999)).toBe(first + 2); // a clock that stepped back does not take the counter with it
    expect(c.next(2000)).toBe(2_000_000);
  });
});

describe("another version", () => {
  test("a server answers a frame of version 1 in version 1's framing, naming its own", () => {
    expect(new TextDecoder().decode(versionRefusal(1))).toBe(`{"v":1,"type":"refused","reason":"version","version":${PROTOCOL_VERSION}}`);
    let thrown: unknown;
    try {
      decodeRequests(utf8.encode(`{"v":1,"type":"hello","name":"alice","nonce":"0123456789abcdef","cookie":"${"0".repeat(32)}"}`));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(VersionError);
    expect((thrown as VersionError).version).toBe(1);
  });

  test("a client reads another version's refusal, and nothing else of that version", () => {
    expect(decodeReplies(utf8.encode(`{"v":4,"type":"refused","reason":"version","version":4}`))).toEqual([
      { type: "refused", reason: "version", version: 4 },
    ]);
    expect(() => decodeReplies(utf8.encode(`{"v":4,"type":"tick","seq":1,"epoch":"0123456789abcdef","ts":1}`))).toThrow(VersionError);
    expect(() => decodeReplies(utf8.encode(`{"v":4,"type":"refused","reason":"version","version":"4"}`))).toThrow(VersionError);
    // a version that is no whole number names none to answer in
    expect(() => decodeRequests(utf8.encode(`{"v":"x","type":"knock"}`))).toThrow(expect.objectContaining({ version: undefined }));
  });
});
