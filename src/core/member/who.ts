// A member's /who: the members' names asked for page by page, each page taken once, given up when the server is silent.

import { type AwayMark, type Members, TIMERS } from "../wire/protocol.ts";

interface Asking {
  /** The request's id: every page of one /who carries it. */
  readonly id: number;
  readonly names: string[];
  readonly away: AwayMark[];
  /** Where the page being waited for starts. */
  from: number;
  askedAt: number;
  readonly startedAt: number;
}

export class WhoPages {
  #asking: Asking | undefined;
  /** The away marks of the last /who answered in full (page() returned its names). */
  away: AwayMark[] = [];

  /** The id of the /who under way, if any. */
  get id(): number | undefined {
    return this.#asking?.id;
  }

  /** Starts a /who under `id` (one at a time: a /who asked for again while one is under way joins it). */
  start(id: number, now: number): void {
    this.#asking = { id, names: [], away: [], from: 0, askedAt: -Infinity, startedAt: now };
  }

  /**
   * Where the page to ask for (again) now starts; undefined when nothing is to be sent yet; "gave_up" (and the
   * /who is over) once the server has not answered within TIMERS.answerTimeoutMs.
   */
  due(now: number): number | "gave_up" | undefined {
    const who = this.#asking;
    if (!who) return undefined;
    if (now - who.startedAt >= TIMERS.answerTimeoutMs) {
      this.#asking = undefined;
      return "gave_up";
    }
    if (now - who.askedAt < TIMERS.retryMs) return undefined;
    who.askedAt = now;
    return who.from;
  }

  /** A page: "more" when another is to be asked for at once, every name once the last has come, undefined if it is not ours. */
  page(page: Members): string[] | "more" | undefined {
    const who = this.#asking;
    // A repeated answer to an earlier page points to where the page being waited for starts: take each page once.
    if (!who || page.id !== who.id || (page.next !== 0 && page.next <= who.from)) return undefined;
    who.names.push(...page.names);
    who.away.push(...(page.away ?? []));
    if (page.next !== 0) {
      who.from = page.next;
      who.askedAt = -Infinity;
      return "more";
    }
    this.#asking = undefined;
    this.away = who.away;
    return who.names;
  }

  /** The server refused it. */
  cancel(): void {
    this.#asking = undefined;
  }
}
