// A member's requests that change how the room knows it (/nick, /away, /back): each sent until answered, given up when the server is silent.

import { type Away, type Nick, TIMERS } from "../wire/protocol.ts";

/** What is asked, without the session id (the one current when it goes out is put in). */
export type Asked = Omit<Nick, "sid"> | Omit<Away, "sid">;

interface Asking {
  readonly ask: Asked;
  readonly startedAt: number;
  sentAt: number;
}

export class Asks {
  /** By request id, in the order they were asked. */
  readonly #asking = new Map<number, Asking>();

  /** Starts asking (its id comes from the says' counter, like a /who's). */
  add(ask: Asked, now: number): void {
    this.#asking.set(ask.id, { ask, startedAt: now, sentAt: -Infinity });
  }

  /** The requests to send (again) now, and those given up on: unanswered for TIMERS.answerTimeoutMs. */
  due(now: number): { send: Asked[]; gaveUp: Asked[] } {
    const send: Asked[] = [];
    const gaveUp: Asked[] = [];
    for (const [id, a] of this.#asking) {
      if (now - a.startedAt >= TIMERS.answerTimeoutMs) {
        this.#asking.delete(id);
        gaveUp.push(a.ask);
      } else if (now - a.sentAt >= TIMERS.retryMs) {
        a.sentAt = now;
        send.push(a.ask);
      }
    }
    return { send, gaveUp };
  }

  /** The answer to request `id` came (an ack or a refusal): what was asked, if it was one of these, now settled. */
  answered(id: number): Asked | undefined {
    const a = this.#asking.get(id);
    this.#asking.delete(id);
    return a?.ask;
  }
}
