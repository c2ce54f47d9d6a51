// Signing and checking operator requests: HMAC-SHA256, keyed with the admin token, of the frame's bytes as sent, so the token itself never crosses the wire.

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import {
  ADMIN_NONCE_HEX_DIGITS,
  ADMIN_WINDOW_MS,
  type AdminRequest,
  encodeFrame,
  MAC_HEX_DIGITS,
  padded,
  SERVER_ID_HEX_DIGITS,
} from "./protocol.ts";

/** What the mac's digits are written as while the frame is being signed (and checked). */
const UNSIGNED_MAC = "0".repeat(MAC_HEX_DIGITS);

type Unsigned<T> = T extends AdminRequest ? Omit<T, "server" | "ts" | "nonce" | "mac"> : never;
/** An operator request before signing: what to do, without the server it is for, the timestamp, nonce and mac. */
export type UnsignedAdmin = Unsigned<AdminRequest>;

/** What a request is signed with: the admin token, and the id of the server run it is for (from that server's challenge). */
export interface Signer {
  token: string;
  server: string;
}

/** A new server run's id: random, so a request signed for one run is refused by every other, this one restarted included. */
export const newServerId = (): string => randomBytes(SERVER_ID_HEX_DIGITS / 2).toString("hex");

/** The mac of `unsigned`, a frame whose mac's digits are written as zeros: HMAC-SHA256 of its UTF-8 bytes, as 64 hex digits. */
export const macOf = (unsigned: string, token: string): string => createHmac("sha256", token).update(unsigned, "utf8").digest("hex");

/**
 * The bytes a mac covers (PROTOCOL.md §5.8): `frame` exactly as it came, with the mac's digits written as zeros. The
 * mac is found as `"` + its 64 digits + `"`, which must occur exactly once in the frame: a re-encoding would refuse
 * a sender with other spacing, field order, escapes or number forms, or with fields this version does not know.
 * Undefined when the digits are not there once (written with escapes, or twice): such a sender does not conform.
 */
export function unsignedFrame(frame: string, mac: string): string | undefined {
  const quoted = `"${mac}"`;
  const at = frame.indexOf(quoted);
  if (at < 0 || frame.includes(quoted, at + 1)) return undefined;
  return frame.slice(0, at + 1) + UNSIGNED_MAC + frame.slice(at + 1 + MAC_HEX_DIGITS);
}

/**
 * `msg` for the server `by` names, with a fresh timestamp and nonce, signed with `by`'s token as encodeFrame writes it. Every retry is signed anew,
 * so no two copies are alike. `padTo`: a who is padded to this many bytes first, since the mac covers the pad too.
 */
export function sign(msg: UnsignedAdmin, by: Signer, now: number, padTo?: number): AdminRequest {
  const nonce = randomBytes(ADMIN_NONCE_HEX_DIGITS / 2).toString("hex");
  let stamped = { ...msg, server: by.server, ts: now, nonce, mac: UNSIGNED_MAC } as AdminRequest;
  if (padTo !== undefined && stamped.type === "who") stamped = padded(stamped, padTo);
  return { ...stamped, mac: macOf(encodeFrame(stamped), by.token) };
}

export type Verdict = "ok" | "bad_token" | "wrong_server" | "stale" | "replayed";

/**
 * Checks signed operator requests: the mac (in constant time), that the request names this server run, the clock
 * window, and that the nonce is new. Nonces are remembered for twice the window, which covers every timestamp the
 * window lets in; only requests with a good mac are remembered, so nobody without the token can fill the memory.
 * A restart forgets them, but also draws a new server id, which every request signed before it names no longer.
 */
export class AdminGate {
  readonly #token: string;
  readonly #seen = new Map<string, number>(); // nonce → when it was first seen, in arrival order

  constructor(
    token: string,
    /** This server run's id: sent in every challenge, and named by every request it takes. */
    readonly server: string = newServerId(),
  ) {
    this.#token = token;
  }

  /** `frame`: the text `msg` was decoded from (its mac covers those bytes); by default, as encodeFrame writes `msg`. */
  check(msg: AdminRequest, now: number, frame: string = encodeFrame(msg)): Verdict {
    const unsigned = unsignedFrame(frame, msg.mac);
    if (unsigned === undefined) return "bad_token";
    if (!timingSafeEqual(Buffer.from(msg.mac, "hex"), Buffer.from(macOf(unsigned, this.#token), "hex"))) return "bad_token";
    if (msg.server !== this.server) return "wrong_server";
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
