// The server's turn: the requests it reads one after another before its loop gets to anything else.

/**
 * Requests read in one turn, at most: then the turn ends (its events go out) even while more are waiting. Long
 * enough that a busy room's events fill their datagrams (about six 100-byte messages to a datagram), short enough
 * that a member's say is out to the room within a few milliseconds of being read.
 */
export const TURN_REQUESTS = 64;

/**
 * When the events of a turn go out. The room's links hold the events a turn makes and send them together when it
 * ends (TurnBatch), so that a burst shares datagrams. A turn ends when the loop has read every request waiting
 * (setImmediate), and also after `limit` requests: Bun runs no setImmediate while datagrams keep arriving, and a
 * sender acknowledged at once keeps them arriving, so without that bound the events of a whole burst (10,000 says,
 * most of a second) waited for its end while their senders were told each was taken. Bounded, the
 * acknowledgements come in step with the fan-out, and a sender's window (32 says in flight) is what it can run ahead.
 */
export class Turn {
  #atEnd: Array<() => void> = [];
  #read = 0;
  #scheduled = false;

  constructor(
    private readonly limit: number = TURN_REQUESTS,
    private readonly immediate: (run: () => void) => void = setImmediate,
  ) {}

  /** Runs `run` when this turn ends. */
  readonly atEnd = (run: () => void): void => {
    this.#atEnd.push(run);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.immediate(() => this.end());
  };

  /** One request was read (and handled): the turn ends at the limit. */
  read(): void {
    if (++this.#read >= this.limit) this.end();
  }

  end(): void {
    this.#read = 0;
    this.#scheduled = false;
    const runs = this.#atEnd;
    if (runs.length === 0) return;
    this.#atEnd = [];
    for (const run of runs) run();
  }
}
