// Adaptive batching of the room's fan-out: events that pile up within one turn of the server's loop share datagrams.

import { FRAME_SEPARATOR, MAX_PAYLOAD_BYTES } from "../wire/protocol.ts";

/** One datagram's worth of events for every member; `except` (a session id) is left out when it holds a single event. */
export interface Packet {
  readonly bytes: Uint8Array;
  readonly except?: string;
}

const SEPARATOR = new TextEncoder().encode(FRAME_SEPARATOR)[0]!;

/**
 * Collects encoded events in order and packs them, LF-separated, into as few datagrams of at most `limit` bytes as
 * they fit in. A quiet room gets one event per datagram, sent as soon as the turn ends (no added delay); a busy one
 * gets several per datagram, so the fan-out is not capped by the kernel's datagrams per second. In a packet of
 * several events every member gets all of them, its own included: members recognize and skip their own events.
 */
export class Packer {
  #frames: Uint8Array[] = [];
  #except: Array<string | undefined> = [];

  constructor(private readonly limit: number = MAX_PAYLOAD_BYTES) {}

  get pending(): number {
    return this.#frames.length;
  }

  add(frame: Uint8Array, except?: string): void {
    this.#frames.push(frame);
    this.#except.push(except);
  }

  /** Everything added since the last take, packed, in order. */
  take(): Packet[] {
    const packets: Packet[] = [];
    let start = 0;
    let size = 0;
    const close = (end: number) => {
      if (end === start) return;
      if (end - start === 1) {
        const except = this.#except[start];
        packets.push(except === undefined ? { bytes: this.#frames[start]! } : { bytes: this.#frames[start]!, except });
      } else {
        packets.push({ bytes: join(this.#frames, start, end, size) });
      }
      start = end;
      size = 0;
    };
    for (let i = 0; i < this.#frames.length; i++) {
      const added = this.#frames[i]!.length + (i > start ? 1 : 0);
      if (i > start && size + added > this.limit) close(i);
      size += this.#frames[i]!.length + (i > start ? 1 : 0);
    }
    close(this.#frames.length);
    this.#frames = [];
    this.#except = [];
    return packets;
  }
}

function join(frames: readonly Uint8Array[], start: number, end: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (let i = start; i < end; i++) {
    if (i > start) out[at++] = SEPARATOR;
    out.set(frames[i]!, at);
    at += frames[i]!.length;
  }
  return out;
}
