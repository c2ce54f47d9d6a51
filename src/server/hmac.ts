// HMAC-SHA256 (RFC 2104) on Bun's SHA-256, into buffers it keeps: the fan-out makes one per member and datagram.

import type { Hmac, ProofHashes } from "../core/wire/proof.ts";

const BLOCK = 64;
const DIGEST = 32;

/**
 * The same bytes as node:crypto's createHmac("sha256") and createHash("sha256"), without an object per call: each
 * key's padded blocks are made once (a member's key lives as long as its session), and every call hashes into
 * buffers kept here. What a call returns is one of them: read it before the next call (proveInto copies its 16
 * bytes at once; checkProof compares at once).
 */
export class PaddedHmac implements ProofHashes {
  readonly #pads = new WeakMap<Uint8Array, { inner: Uint8Array; outer: Uint8Array }>();
  /** inner pad ‖ message, sized to the last message (a proof's is always 41 bytes). */
  #inner = new Uint8Array(BLOCK);
  /** outer pad ‖ the inner hash. */
  readonly #outer = new Uint8Array(BLOCK + DIGEST);
  readonly #innerHash = this.#outer.subarray(BLOCK);
  readonly #mac = new Uint8Array(DIGEST);
  readonly #digest = new Uint8Array(DIGEST);

  readonly digest = (body: Uint8Array): Uint8Array => {
    Bun.SHA256.hash(body, this.#digest);
    return this.#digest;
  };

  readonly hmac: Hmac = (key, message) => {
    const pads = this.#padsOf(key);
    if (this.#inner.length !== BLOCK + message.length) this.#inner = new Uint8Array(BLOCK + message.length);
    this.#inner.set(pads.inner);
    this.#inner.set(message, BLOCK);
    Bun.SHA256.hash(this.#inner, this.#innerHash);
    this.#outer.set(pads.outer);
    Bun.SHA256.hash(this.#outer, this.#mac);
    return this.#mac;
  };

  #padsOf(key: Uint8Array): { inner: Uint8Array; outer: Uint8Array } {
    const known = this.#pads.get(key);
    if (known) return known;
    // A key longer than a block is hashed first; a shorter one is padded with zeros (RFC 2104).
    const k = key.length > BLOCK ? (Bun.SHA256.hash(key) as Uint8Array) : key;
    const inner = new Uint8Array(BLOCK).fill(0x36);
    const outer = new Uint8Array(BLOCK).fill(0x5c);
    for (let i = 0; i < k.length; i++) {
      inner[i]! ^= k[i]!;
      outer[i]! ^= k[i]!;
    }
    const pads = { inner, outer };
    this.#pads.set(key, pads);
    return pads;
  }
}
