// The room's events: numbered, encoded once, and written to the store with the rest of the request's change in one commit.

import { encode, ProtocolError, type RoomEvent } from "../wire/protocol.ts";
import type { Change, RoomStore, StoredEvent, StoredMember } from "./store.ts";

/** An event for the members, encoded once: the same datagram goes to every one of them. */
export interface Broadcast {
  readonly event: RoomEvent;
  readonly datagram: Uint8Array;
  /** The member who caused it and is not sent it (its own join, message or leave). */
  readonly except?: string;
  /** A private message: only member `to` (a session id) gets `datagram`; every other member gets `hidden`. */
  readonly only?: { readonly to: string; readonly hidden: Uint8Array };
}

type Pending = { events: StoredEvent[]; joined: StoredMember[]; left: string[]; delivered: Array<[string, number]> };
const nothingChanged = (): Pending => ({ events: [], joined: [], left: [], delivered: [] });

export class EventLog {
  #seq: number;
  /** Broadcasts made while handling the current request. */
  #broadcasts: Broadcast[] = [];
  /** What the request being handled changed, written to the store in one commit when it is done. */
  #change = nothingChanged();

  constructor(private readonly store: RoomStore) {
    this.#seq = store.lastSeq;
  }

  /** Sequence number of the last event (0 before the first). */
  get seq(): number {
    return this.#seq;
  }

  /** Numbers and encodes an event; undefined (and no number used up) when it does not fit in a datagram. */
  tryEmit(event: RoomEvent, except?: string, to?: string): Broadcast | undefined {
    const numbered = { ...event, seq: this.#seq + 1 };
    let datagram: Uint8Array;
    try {
      datagram = encode(numbered);
    } catch (err) {
      if (err instanceof ProtocolError) return undefined;
      throw err;
    }
    this.#seq = numbered.seq;
    const only = to === undefined ? undefined : { to, hidden: encode({ type: "hidden", seq: numbered.seq }) };
    const broadcast: Broadcast = { event: numbered, datagram, ...(except === undefined ? {} : { except }), ...(only ? { only } : {}) };
    this.#broadcasts.push(broadcast);
    this.#change.events.push({ seq: numbered.seq, type: numbered.type, datagram });
    return broadcast;
  }

  /** For events whose fields are all bounded well below the datagram limit (join, leave). */
  emit(event: RoomEvent, except?: string): Broadcast {
    const broadcast = this.tryEmit(event, except);
    if (!broadcast) throw new Error(`${event.type} event does not fit in a datagram`);
    return broadcast;
  }

  joined(member: StoredMember): void {
    this.#change.joined.push(member);
  }

  left(sid: string): void {
    this.#change.left.push(sid);
  }

  /** The last say id accepted from `client` (clientKey in roster.ts). */
  delivered(client: string, id: number): void {
    this.#change.delivered.push([client, id]);
  }

  /** Writes the current request's changes to the store in one commit; returns its broadcasts. */
  save(): Broadcast[] {
    const c: Change = this.#change;
    if (c.events.length + c.joined.length + c.left.length + c.delivered.length > 0) this.store.commit(c);
    this.#change = nothingChanged();
    const broadcasts = this.#broadcasts;
    this.#broadcasts = [];
    return broadcasts;
  }

  /** The heartbeat of an idle room, the same bytes for every member: the last event's number. */
  tick(now: number): Uint8Array {
    return encode({ type: "tick", seq: this.#seq, epoch: this.store.epoch, ts: now });
  }
}
