// The open WebSockets of browser members, by peer: what WebLink sends through, and what a reconnect replaces.

import type { Peer } from "../core/room/roster.ts";

/** What is needed of a socket: Bun's ServerWebSocket is one, a recording fake another. */
export interface TextSocket {
  send(text: string): unknown;
  close(code?: number, reason?: string): void;
}

const key = (p: Peer) => `${p.address}|${p.port}`;

export class WebSockets {
  readonly #open = new Map<string, TextSocket>();

  /** `beforeSend`: run before any message leaves (the server commits its turn's writes first). */
  constructor(private readonly beforeSend: () => void = () => {}) {}

  /** `socket` is now how `peer` is reached; an older socket of the same page (a reconnect that beat the close) goes. */
  attach(peer: Peer, socket: TextSocket): void {
    const old = this.#open.get(key(peer));
    this.#open.set(key(peer), socket);
    if (old && old !== socket) old.close(1000, "replaced by a newer connection of the same page");
  }

  /** `socket` closed: `peer` is unreachable until its page reconnects (unless a newer socket already took its place). */
  detach(peer: Peer, socket: TextSocket): void {
    if (this.#open.get(key(peer)) === socket) this.#open.delete(key(peer));
  }

  has(peer: Peer): boolean {
    return this.#open.has(key(peer));
  }

  /**
   * One message of frames to `peer`, as text (made once by the caller for every page it goes to); false when its
   * page is not connected (the message is lost, as a datagram may be).
   */
  sendText(peer: Peer, message: string): boolean {
    const socket = this.#open.get(key(peer));
    if (!socket) return false;
    this.beforeSend();
    socket.send(message);
    return true;
  }

  /** Closes every socket (the server is stopping). */
  closeAll(): void {
    for (const socket of this.#open.values()) socket.close(1001, "the server is stopping");
    this.#open.clear();
  }

  get size(): number {
    return this.#open.size;
  }
}
