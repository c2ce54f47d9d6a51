// The ordered appends of a room's events to the cluster's log: in batches, in the room's order, and nothing stored out of order after a failure.

/** What an appended event carries besides its bytes: the message id that stores a copy once, and the member it leaves out. */
export interface AppendOptions {
  readonly msgID?: string;
  readonly except?: string;
}

/** Appends one event to the log; resolves to its sequence number there. */
export type Publish = (event: Uint8Array, opts: AppendOptions) => Promise<number>;

/** Why an event was refused without being sent: one queued before it was not stored. */
export class RefusedBehind extends Error {
  constructor() {
    super("an event before it was not stored");
  }
}

interface Queued {
  readonly event: Uint8Array;
  readonly opts: AppendOptions;
  readonly resolve: (seq: number) => void;
  readonly reject: (why: unknown) => void;
}

/**
 * Events go to the log in batches, in the room's order; a batch is sent once the one before it is settled. When
 * an event of a batch is not stored, everything queued behind it is refused too: it would otherwise be stored
 * before the refused event is sent again, out of order. Appends made after that go out as a new batch.
 */
export class AppendQueue {
  readonly #queue: Queued[] = [];
  /** Whether a batch is on its way. */
  #appending = false;

  constructor(private readonly publish: Publish) {}

  append(event: Uint8Array, opts: AppendOptions = {}): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ event, opts, resolve, reject });
      void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    if (this.#appending) return;
    this.#appending = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0);
        const results = await Promise.allSettled(batch.map(async (e) => this.publish(e.event, e.opts)));
        let failed = false;
        for (const [i, e] of batch.entries()) {
          const r = results[i]!;
          if (r.status === "fulfilled") e.resolve(r.value);
          else e.reject(r.reason);
          failed ||= r.status === "rejected";
        }
        if (failed) for (const e of this.#queue.splice(0)) e.reject(new RefusedBehind());
      }
    } finally {
      this.#appending = false;
    }
  }
}
