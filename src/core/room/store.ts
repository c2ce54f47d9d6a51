// What the room keeps beyond one request: the event log for repairs and backlog, members and the last id of each client; plus the in-memory kind.

import { LIMITS, type RoomEvent } from "../wire/protocol.ts";

export interface StoredEvent {
  readonly seq: number;
  readonly type: RoomEvent["type"];
  /** The event exactly as it was sent: a repair resends these bytes. */
  readonly datagram: Uint8Array;
}

export interface StoredMember {
  readonly sid: string;
  readonly name: string;
  readonly nonce: string;
  readonly address: string;
  readonly port: number;
  readonly joinedAt: number;
}

/** Everything one handled request changed; a store applies it all or nothing. */
export interface Change {
  readonly events: readonly StoredEvent[];
  readonly joined: readonly StoredMember[];
  /** Session ids of members who left. */
  readonly left: readonly string[];
  /** The last say id accepted from a client (by its clientKey: nonce, name and address), so that a repeat is recognized even after a restart. */
  readonly delivered: ReadonlyArray<readonly [client: string, id: number]>;
}

export interface RoomStore {
  /** Names this room's history: a new one means sequence numbers started again. 16 hex digits. */
  readonly epoch: string;
  /** The last event's sequence number when the store was opened (0 for a new room). */
  readonly lastSeq: number;
  /** The members present when the store was last written. */
  members(): StoredMember[];
  lastId(client: string): number | undefined;
  /** Applies a change atomically: once it returns, a crash of the process loses none of it. */
  commit(change: Change): void;
  /** The datagram of event `seq`, while it is kept. */
  event(seq: number): Uint8Array | undefined;
  /** Where a backlog of the last `count` messages starts (looking at most `span` events back); 0 when there are none. */
  backlogStart(count: number, span: number): number;
  /** True when it keeps an event worth keeping (one of BACKLOG_TYPES): a room without one is forgotten once empty. */
  hasHistory(): boolean;
  close(): void;
  /** Closes the store and deletes what it kept (the room is forgotten): nothing of it comes back after a restart. */
  discard(): void;
}

/** The events a backlog counts and shows: what was said (privates are never part of a backlog). */
export const BACKLOG_TYPES: ReadonlySet<RoomEvent["type"]> = new Set(["message", "admin", "action"]);
const isMessage = (type: RoomEvent["type"]) => BACKLOG_TYPES.has(type);

/**
 * The most recent events, by sequence number, bounded: the events of the last `capacity` numbers, each in the slot
 * of its number (numbers grow by one an event, so a newer event takes the place of the one `capacity` before it).
 */
export class EventRing {
  readonly #slots: Array<StoredEvent | undefined>;
  constructor(private readonly capacity: number = LIMITS.repairWindow) {
    this.#slots = new Array(capacity).fill(undefined);
  }

  add(event: StoredEvent): void {
    this.#slots[event.seq % this.capacity] = event;
  }

  get(seq: number): StoredEvent | undefined {
    const event = this.#slots[seq % this.capacity];
    return event?.seq === seq ? event : undefined;
  }

  /**
   * Like RoomStore.backlogStart, within what the ring holds. `complete` is false when the ring ran out before
   * `count` messages or `span` events were seen, so that older events (in a database) might move the start back.
   */
  backlogStart(lastSeq: number, count: number, span: number): { start: number; complete: boolean } {
    let found = 0;
    let start = 0;
    for (let seq = lastSeq; seq > 0 && seq > lastSeq - span; seq--) {
      const event = this.get(seq);
      if (!event) return { start, complete: false };
      if (!isMessage(event.type)) continue;
      start = seq;
      if (++found === count) break;
    }
    return { start, complete: true };
  }
}

/** A store that keeps nothing across restarts (`chat serve --data :memory:`): a bounded repair window only. */
export class MemoryStore implements RoomStore {
  readonly lastSeq: number = 0;
  readonly #ring = new EventRing();
  readonly #lastIds = new Map<string, number>();
  #seq = 0;
  #history = false;

  constructor(readonly epoch: string) {}

  members(): StoredMember[] {
    return [];
  }

  lastId(client: string): number | undefined {
    return this.#lastIds.get(client);
  }

  commit(change: Change): void {
    for (const event of change.events) {
      this.#ring.add(event);
      this.#seq = event.seq;
      if (isMessage(event.type)) this.#history = true;
    }
    for (const [client, id] of change.delivered) {
      this.#lastIds.delete(client); // re-insert: the map's order is least recently used first
      this.#lastIds.set(client, id);
      if (this.#lastIds.size > MAX_CLIENTS) this.#lastIds.delete(this.#lastIds.keys().next().value!);
    }
  }

  event(seq: number): Uint8Array | undefined {
    return this.#ring.get(seq)?.datagram;
  }

  backlogStart(count: number, span: number): number {
    return this.#ring.backlogStart(this.#seq, count, span).start;
  }

  hasHistory(): boolean {
    return this.#history;
  }

  close(): void {}

  discard(): void {}
}

/** Clients whose last id is remembered, at most. */
const MAX_CLIENTS = 100_000;
