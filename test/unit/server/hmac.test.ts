// The server's proof hashes: RFC 4231's test cases, and the same bytes as node:crypto's HMAC and SHA-256 for any key and message.

import { expect, test } from "bun:test";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { PaddedHmac } from "../../../src/server/hmac.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (s: string) => new TextEncoder().encode(s);

test("RFC 4231 cases 1, 2 and 6 (a key longer than a block is hashed first)", () => {
  const { hmac } = new PaddedHmac();
  expect(hex(hmac(new Uint8Array(20).fill(0x0b), bytes("Hi There")))).toBe(
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
  );
  expect(hex(hmac(bytes("Jefe"), bytes("what do ya want for nothing?")))).toBe(
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  expect(hex(hmac(new Uint8Array(131).fill(0xaa), bytes("Test Using Larger Than Block-Size Key - Hash Key First")))).toBe(
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
  );
});

test("node:crypto's bytes for keys and messages of every size, one PaddedHmac for all, a key used again", () => {
  const { hmac } = new PaddedHmac();
  const keys = [0, 1, 32, 63, 64, 65, 200].map((n) => new Uint8Array(randomBytes(n)));
  for (let round = 0; round < 2; round++)
    for (const key of keys)
      for (const size of [0, 1, 41, 55, 56, 64, 119, 1146]) {
        const message = new Uint8Array(randomBytes(size));
        expect(hex(hmac(key, message))).toBe(createHmac("sha256", key).update(message).digest("hex"));
      }
});

test("the body digest is node:crypto's SHA-256, for bodies of every size", () => {
  const { digest } = new PaddedHmac();
  for (const size of [0, 1, 55, 56, 64, 1146, 1200]) {
    const body = new Uint8Array(randomBytes(size));
    expect(hex(digest(body))).toBe(createHash("sha256").update(body).digest("hex"));
  }
});
