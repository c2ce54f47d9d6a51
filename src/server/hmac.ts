// HMAC-SHA256 (RFC 2104) on Bun's SHA-256, into buffers it keeps: the fan-out makes one per member and datagram.

import type { Hmac, ProofHashes } from "../core/wire/proof.ts";

const BLOCK = 64;
const DIGEST = 32;

/**
 * The same bytes as node:crypto's createHmac("sha256") and createHash("sha256"), without an object per call: each
 * key's padded blocks are made once (a member's key lives as long as its session), the message written into its
 * inner block, and every call hashes into buffers kept here. What a call returns is one of them: read it before the next call (proveInto copies its 16
 * bytes at once; checkProof compares at once).
 */
export class PaddedHmac implements ProofHashes {
  /** Per key: inner pad ‖ room for the message, outer pad ‖ room for the inner hash (a proof's message is always 41 bytes). */
  readonly #blocks = new WeakMap<Uint8Array, { inner: Uint8Array; outer: Uint8Array; innerHash: Uint8Array }>();
  readonly #mac = new Uint8Array(DIGEST);
  readonly #digest = new Uint8Array(DIGEST);

  readonly digest = (body: Uint8Array): Uint8Array => {
    Bun.SHA256.hash(body, this.#digest);
    return this.#digest;
  };

  readonly hmac: Hmac = (key, message) => {
    const blocks = this.#blocksOf(key, message.length);
    blocks.inner.set(message, BLOCK);
    Bun.SHA256.hash(blocks.inner, blocks.innerHash);
    Bun.SHA256.hash(blocks.outer, this.#mac);
    return this.#mac;
  };

  #blocksOf(key: Uint8Array, messageBytes: number): { inner: Uint8Array; outer: Uint8Array; innerHash: Uint8Array } {
    const known = this.#blocks.get(key);
    if (known && known.inner.length === BLOCK + messageBytes) return known;
    // A key longer than a block is hashed first; a shorter one is padded with zeros (RFC 2104).
    const k = key.length > BLOCK ? (Bun.SHA256.hash(key) as Uint8Array) : key;
    const inner = new Uint8Array(BLOCK + messageBytes);
    const outer = new Uint8Array(BLOCK + DIGEST);
    inner.fill(0x36, 0, BLOCK);
    outer.fill(0x5c, 0, BLOCK);
    for (let i = 0; i < k.length; i++) {
      inner[i]! ^= k[i]!;
      outer[i]! ^= k[i]!;
    }
    const blocks = { inner, outer, innerHash: outer.subarray(BLOCK) };
    this.#blocks.set(key, blocks);
    return blocks;
  }
}
