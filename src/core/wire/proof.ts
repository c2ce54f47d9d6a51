// The outermost layer of a datagram inside a session: a counter and a keyed tag proving which side sent it, to whom, and that it is new.

import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { PROOF_BYTES, PROOF_MARK, PROOF_TAG_BYTES, PROOF_WINDOW } from "./protocol.ts";

/**
 * Who sent a proven datagram. The byte is part of what the tag covers, so a datagram proven by one side cannot be
 * sent back to it as if the other side had sent it.
 */
export type ProofSender = "server" | "member";
const SENDER_BYTE: Readonly<Record<ProofSender, number>> = { server: 0x73, member: 0x6d }; // "s", "m"

/** Largest counter: what a JSON number, and a double, hold exactly. */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;
const LABEL = new TextEncoder().encode("chat/3 proof");

/**
 * The key both ends of a session prove their datagrams with: HMAC-SHA256 keyed with the hello's nonce (its ASCII
 * hex digits) of the label "chat/3 proof". The nonce is the one secret the member and the server already share and
 * nobody else has seen (it travels once, in the hello, sealed in a room with a passphrase); a key made from it
 * is the same for every session of one client run, and the counter keeps those sessions' datagrams apart.
 */
export const proofKey = (nonce: string): Uint8Array => new Uint8Array(createHmac("sha256", nonce).update(LABEL).digest());

/** PROOF_MARK ‖ counter (8 bytes, big-endian) ‖ tag ‖ body: the datagram that goes on the wire. */
export function prove(key: Uint8Array, sender: ProofSender, counter: number, body: Uint8Array): Uint8Array {
  return proveInto(new Uint8Array(PROOF_BYTES + body.length), key, sender, counter, body);
}

/** HMAC-SHA256(key, message), what a tag is cut from. */
export type Hmac = (key: Uint8Array, message: Uint8Array) => Uint8Array;
const nodeHmac: Hmac = (key, message) => createHmac("sha256", key).update(message).digest();

/** What the tag covers of the body: its SHA-256, so that the copies of one body to many members hash it once. */
export const bodyDigest = (body: Uint8Array): Uint8Array => createHash("sha256").update(body).digest();

/**
 * The two hashes a proof takes, node:crypto's by default. The server, which makes one per member and datagram and
 * checks one per request, brings ones that allocate nothing (server/hmac.ts); the bytes are the same. What they
 * return may be overwritten by their next call.
 */
export interface ProofHashes {
  digest(body: Uint8Array): Uint8Array;
  hmac: Hmac;
}
const NODE_HASHES: ProofHashes = { digest: bodyDigest, hmac: nodeHmac };

/**
 * prove() written into `out` (at least PROOF_BYTES + body.length long), returned as the datagram's view of it: the
 * fan-out proves one copy per member into one buffer it reuses, with the body's digest made once for all of them,
 * so that a member costs a short HMAC and no allocation of its own.
 */
export function proveInto(
  out: Uint8Array,
  key: Uint8Array,
  sender: ProofSender,
  counter: number,
  body: Uint8Array,
  digest: Uint8Array = bodyDigest(body),
  hmac: Hmac = nodeHmac,
): Uint8Array {
  const size = PROOF_BYTES + body.length;
  const datagram = out.length === size ? out : out.subarray(0, size);
  datagram[0] = PROOF_MARK;
  // Big-endian, without BigInt: the counter is below 2^53, so its high half is a whole number below 2^21.
  const high = Math.floor(counter / 0x1_0000_0000);
  const low = counter >>> 0;
  for (let i = 0; i < 4; i++) {
    datagram[1 + i] = (high >>> (24 - 8 * i)) & 0xff;
    datagram[5 + i] = (low >>> (24 - 8 * i)) & 0xff;
  }
  datagram.set(body, PROOF_BYTES);
  const mac = macOf(key, sender, datagram, 1, digest, hmac);
  for (let i = 0; i < PROOF_TAG_BYTES; i++) datagram[9 + i] = mac[i]!;
  return datagram;
}

/** A datagram's proof, taken apart (not yet checked). */
export interface Proof {
  readonly counter: number;
  /** The bytes after the proof: frames, or a sealed datagram. */
  readonly body: Uint8Array;
  readonly counterBytes: Uint8Array;
  readonly tag: Uint8Array;
}

export const isProven = (datagram: Uint8Array) => datagram.length > 0 && datagram[0] === PROOF_MARK;

/** The proof of a datagram that starts with PROOF_MARK; undefined when there is none or it is malformed (a counter out of range). */
export function readProof(datagram: Uint8Array): Proof | undefined {
  if (!isProven(datagram) || datagram.length <= PROOF_BYTES) return undefined;
  // Big-endian, without BigInt: a high half of 2^21 or more is past MAX_COUNTER.
  const high = ((datagram[1]! << 24) | (datagram[2]! << 16) | (datagram[3]! << 8) | datagram[4]!) >>> 0;
  const low = ((datagram[5]! << 24) | (datagram[6]! << 16) | (datagram[7]! << 8) | datagram[8]!) >>> 0;
  const counter = high * 0x1_0000_0000 + low;
  if (counter < 1 || counter > MAX_COUNTER) return undefined;
  return {
    counter,
    counterBytes: datagram.subarray(1, 9),
    tag: datagram.subarray(9, PROOF_BYTES),
    body: datagram.subarray(PROOF_BYTES),
  };
}

/** Whether `proof` was made with `key` by `sender` (in constant time). Freshness is the ReplayWindow's. */
export function checkProof(key: Uint8Array, sender: ProofSender, proof: Proof, hashes: ProofHashes = NODE_HASHES): boolean {
  const mac = macOf(key, sender, proof.counterBytes, 0, hashes.digest(proof.body), hashes.hmac);
  return timingSafeEqual(mac.subarray(0, PROOF_TAG_BYTES), proof.tag);
}

/** What the tag is cut from, written here first: sender ‖ counter ‖ the body's digest, one update of the HMAC. */
const MAC_INPUT = new Uint8Array(1 + 8 + 32);

/** HMAC-SHA256(key, sender ‖ the 8 counter bytes at `bytes[at..]` ‖ digest): the tag is its first PROOF_TAG_BYTES. */
function macOf(key: Uint8Array, sender: ProofSender, bytes: Uint8Array, at: number, digest: Uint8Array, hmac: Hmac): Uint8Array {
  MAC_INPUT[0] = SENDER_BYTE[sender];
  for (let i = 0; i < 8; i++) MAC_INPUT[1 + i] = bytes[at + i]!;
  MAC_INPUT.set(digest, 9);
  return hmac(key, MAC_INPUT);
}

/**
 * A sender's counter: every datagram one key proves gets a larger number than the last. It follows the clock
 * (milliseconds × 1000), so that a server restarted with the same members, which remembers no counter, still
 * starts above every number it used before; it runs ahead of the clock only past 1000 datagrams a millisecond.
 */
export class ProofCounter {
  #last = 0;

  next(now: number): number {
    this.#last = Math.min(MAX_COUNTER, Math.max(this.#last + 1, Math.floor(now) * 1000));
    return this.#last;
  }
}

/**
 * What a receiver remembers of the counters it accepted, as IPsec and DTLS do: the highest, and which of the
 * PROOF_WINDOW below it were seen. A counter seen before, or below the window, is a replay (or too late to matter:
 * the reliability layer asks again for what it misses).
 */
export class ReplayWindow {
  #highest = 0;
  /** Slot counter % PROOF_WINDOW holds the last counter accepted there. */
  readonly #seen = new Float64Array(PROOF_WINDOW);

  /** True, and remembered, when `counter` was not accepted before and is within the window. */
  accept(counter: number): boolean {
    if (counter <= this.#highest - PROOF_WINDOW) return false;
    const slot = counter % PROOF_WINDOW;
    if (this.#seen[slot] === counter) return false;
    this.#seen[slot] = counter;
    if (counter > this.#highest) this.#highest = counter;
    return true;
  }
}
