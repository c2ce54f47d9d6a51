// The server's turn: the requests it reads one after another before its loop gets to anything else, and what their end sends.

import type { UdpEndpoint } from "../runtime/udp.ts";
import type { BudgetedRequester } from "./answer.ts";

/**
 * Requests read in one turn, at most: then the turn ends (its events go out) even while more are waiting. Long
 * enough that a busy room's events fill their datagrams (about six 100-byte messages to a datagram), short enough
 * that a member's say is out to the room within a few milliseconds of being read.
 */
export const TURN_REQUESTS = 64;

/**
 * What a turn's end does, in this order: its writes are committed (one transaction for the turn's says, joins and
 * leaves), then its answers go out (acks, welcomes, repairs: never one before what it acknowledges is stored), then
 * its events (packed, TurnBatch).
 */
export const TURN_STAGES = ["store", "replies", "events"] as const;
export type TurnStage = (typeof TURN_STAGES)[number];

/**
 * When the work a turn holds back is done. A turn ends when the loop has read every request waiting
 * (setImmediate), and also after `limit` requests: Bun runs no setImmediate while datagrams keep arriving, and a
 * sender acknowledged at once keeps them arriving, so without that bound the events of a whole burst (10,000 says,
 * most of a second) waited for its end while their senders were told each was taken. Bounded, the
 * acknowledgements come in step with the fan-out, and a sender's window (32 says in flight) is what it can run ahead.
 */
export class Turn {
  readonly #held: Record<TurnStage, Array<() => void>> = { store: [], replies: [], events: [] };
  #read = 0;
  #scheduled = false;

  constructor(
    private readonly limit: number = TURN_REQUESTS,
    private readonly immediate: (run: () => void) => void = setImmediate,
  ) {}

  /** Runs `run` at this turn's end, in `stage`. */
  at(stage: TurnStage, run: () => void): void {
    this.#held[stage].push(run);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.immediate(() => this.end());
  }

  /** One request was read (and handled): the turn ends at the limit. */
  read(): void {
    if (++this.#read >= this.limit) this.end();
  }

  /**
   * Commits the turn's writes now: something is about to leave before the turn ends (a private message goes out
   * alone, a probe, a classic client's answer), and nothing leaves before what it depends on is stored.
   */
  commitNow(): void {
    this.#run("store");
  }

  end(): void {
    this.#read = 0;
    this.#scheduled = false;
    for (const stage of TURN_STAGES) this.#run(stage);
  }

  /** Runs what `stage` holds, and what running it adds to it. */
  #run(stage: TurnStage): void {
    const held = this.#held[stage];
    while (held.length > 0) for (const run of held.splice(0)) run();
  }
}

/** `udp` as the server sends with it: the turn's writes are committed before any datagram leaves (Turn.commitNow). */
export function afterWrites(udp: UdpEndpoint, turn: Turn): UdpEndpoint {
  return {
    address: udp.address,
    port: udp.port,
    send: (datagram, to) => {
      turn.commitNow();
      return udp.send(datagram, to);
    },
    sendToAll: (datagram, peers, except) => {
      turn.commitNow();
      return udp.sendToAll(datagram, peers, except);
    },
    sendEach: (datagrams, peers) => {
      turn.commitNow();
      return udp.sendEach(datagrams, peers);
    },
    close: () => udp.close(),
  };
}

/** `answer` with its replies held to the turn's end, after its writes: for a requester that sends at once (a page's socket). */
export function heldAnswers(answer: BudgetedRequester, turn: Turn): BudgetedRequester {
  return {
    from: answer.from,
    reply: (msg) => turn.at("replies", () => answer.reply(msg)),
    send: (datagram) => turn.at("replies", () => answer.send(datagram)),
    trust: () => answer.trust(),
    plainBudget: () => answer.plainBudget(),
    proveWith: (key) => answer.proveWith(key),
  };
}
