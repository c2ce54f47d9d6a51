// One turn's events, packed: what every link that batches (datagrams, WebSockets) holds until the turn ends.

import { Packer, type Packet } from "../core/room/packer.ts";

/**
 * The events of one turn (every datagram already read), packed into as few messages as they fit in and handed to
 * `send` when the turn ends (`later`: setImmediate), or earlier on `flush` (before a private message, a tick, a stop).
 */
export class TurnBatch {
  readonly #packer = new Packer();
  /** A flush is scheduled for the end of this turn. */
  #scheduled = false;

  constructor(
    private readonly send: (packet: Packet) => void,
    private readonly later: (flush: () => void) => void = setImmediate,
  ) {}

  add(datagram: Uint8Array, except?: string): void {
    this.#packer.add(datagram, except);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.later(() => this.flush());
  }

  flush(): void {
    this.#scheduled = false;
    if (this.#packer.pending === 0) return;
    for (const packet of this.#packer.take()) this.send(packet);
  }
}
