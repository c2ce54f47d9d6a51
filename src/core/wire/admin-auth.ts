// Signing and checking operator requests: HMAC-SHA256 keyed with the admin token, so the token itself never crosses the wire.

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { ADMIN_NONCE_HEX_DIGITS, ADMIN_WINDOW_MS, type AdminRequest, encodeFrame, MAC_HEX_DIGITS } from "./protocol.ts";

/** The placeholder `mac` holds while the frame is being signed: the mac covers every other field but `pad`, in wire order. */
const UNSIGNED_MAC = "0".repeat(MAC_HEX_DIGITS);

type Unsigned<T> = T extends AdminRequest ? Omit<T, "ts" | "nonce" | "mac"> : never;
/** An operator request before signing: what to do, without the timestamp, nonce and mac. */
export type UnsignedAdmin = Unsigned<AdminRequest>;

function macOf(msg: AdminRequest, token: string): Buffer {
  const unsigned = { ...msg, mac: UNSIGNED_MAC };
  delete (unsigned as { pad?: string }).pad;
  return createHmac("sha256", token).update(encodeFrame(unsigned)).digest();
}

/** `msg` with a fresh timestamp and nonce, signed with `token`. Every retry is signed anew, so no two copies are alike. */
export function sign(msg: UnsignedAdmin, token: string, now: number): AdminRequest {
  const stamped = { ...msg, ts: now, nonce: randomBytes(ADMIN_NONCE_HEX_DIGITS / 2).toString("hex"), mac: UNSIGNED_MAC } as AdminRequest;
  return { ...stamped, mac: macOf(stamped, token).toString("hex") };
}

export type Verdict = "ok" | "bad_token" | "stale" | "replayed";

/**
 * Checks signed operator requests: the mac (in constant time), the clock window, and that the nonce is new. Nonces
 * are remembered for twice the window, which covers every timestamp the window lets in; only requests with a good
 * mac are remembered, so nobody without the token can fill the memory.
 */
export class AdminGate {
  readonly #token: string;
  readonly #seen = new Map<string, number>(); // nonce → when it was first seen, in arrival order

  constructor(token: string) {
    this.#token = token;
  }

  check(msg: AdminRequest, now: number): Verdict {
    const expected = macOf(msg, this.#token);
    if (!timingSafeEqual(Buffer.from(msg.mac, "hex"), expected)) return "bad_token";
    if (Math.abs(now - msg.ts) > ADMIN_WINDOW_MS) return "stale";
    this.#forget(now);
    if (this.#seen.has(msg.nonce)) return "replayed";
    this.#seen.set(msg.nonce, now);
    return "ok";
  }

  #forget(now: number): void {
    for (const [nonce, at] of this.#seen) {
      if (now - at <= 2 * ADMIN_WINDOW_MS) break;
      this.#seen.delete(nonce);
    }
  }
}
