// Return-routability cookies: a login proves it can receive at its address before the server sends it anything large or keeps any state for it.

import { createHmac } from "node:crypto";
import type { Peer } from "../room/room.ts";
import { COOKIE_HEX_DIGITS, TIMERS } from "./protocol.ts";

/**
 * Stateless: a cookie is a MAC of the address and the period, under a secret that lives as long as the server.
 * It is good in the period (TIMERS.cookiePeriodMs) it was made in and the next one: 30 to 60 seconds.
 */
export class Cookies {
  readonly #secret: Uint8Array;

  constructor(secret: Uint8Array) {
    this.#secret = secret;
  }

  issue(peer: Peer, now: number): string {
    return this.#make(peer, Math.floor(now / TIMERS.cookiePeriodMs));
  }

  check(cookie: string, peer: Peer, now: number): boolean {
    const period = Math.floor(now / TIMERS.cookiePeriodMs);
    return cookie === this.#make(peer, period) || cookie === this.#make(peer, period - 1);
  }

  #make(peer: Peer, period: number): string {
    return createHmac("sha256", this.#secret).update(`${period}|${peer.address}|${peer.port}`).digest("hex").slice(0, COOKIE_HEX_DIGITS);
  }
}
