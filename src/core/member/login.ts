// A member's login to one server: a knock until the challenge gives a cookie, then hellos with it, and Karn's rule for its round trip.

import { type Hello, KNOCK_BYTES, type Knock, padded } from "../wire/protocol.ts";

/** Who logs in: what every hello carries besides the cookie. */
export type Credentials = Omit<Hello, "type" | "cookie">;

/** Padded, so that the challenge it gets back is never the larger of the two. */
export const KNOCK: Knock = padded({ type: "knock" }, KNOCK_BYTES);

export class Login {
  /** From the server's challenge: proves this member's address in the hello. */
  #cookie: string | undefined;
  /** When the last knock or hello went out. */
  #lastSent = -Infinity;
  /** Hellos sent with the current cookie: only a welcome to a hello sent once is a round-trip sample (Karn). */
  #hellosSent = 0;

  constructor(private readonly who: Credentials) {}

  get hasCookie(): boolean {
    return this.#cookie !== undefined;
  }

  /** The knock or hello to send now, if `every` ms have passed since the last one went out. */
  due(now: number, every: number): Knock | Hello | undefined {
    if (now - this.#lastSent < every) return undefined;
    this.#lastSent = now;
    if (this.#cookie === undefined) return KNOCK;
    this.#hellosSent++;
    return { type: "hello", ...this.who, cookie: this.#cookie };
  }

  /** The server's challenge: hellos with its cookie from now on, the first at once. */
  challenged(cookie: string): void {
    this.#cookie = cookie;
    this.#lastSent = -Infinity;
    this.#hellosSent = 0;
  }

  /** Another server, or the same one restarted (a new secret): knock again, at once. */
  restart(): void {
    this.#cookie = undefined;
    this.#lastSent = -Infinity;
  }

  /** Knock again, but not before `every` ms from now (a server that said it is stopping is still closing). */
  restartLater(now: number): void {
    this.#cookie = undefined;
    this.#lastSent = now;
  }

  /** The cookie no longer works (our key is stale): knock again at the next turn. */
  forgetCookie(): void {
    this.#cookie = undefined;
  }

  /** The welcome's round trip, when it can only answer the one hello sent (Karn); undefined otherwise. */
  rtt(now: number): number | undefined {
    return this.#hellosSent === 1 ? now - this.#lastSent : undefined;
  }
}
