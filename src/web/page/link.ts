// The page's WebSocket to its server: one text message per datagram's worth of frames, reconnected with backoff and jitter.

import { backoffMs } from "./logic.ts";

export interface LinkEvents {
  open(): void;
  message(text: string): void;
  /** The socket closed (or could not open): what was sent meanwhile is dropped, as a datagram to a dead server is. */
  close(): void;
}

/** `/ws?client=ID` on the page's own host: the server keeps one member address per client ID across reconnects. */
export const socketUrl = (client: string): string =>
  `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?client=${client}`;

export class Link {
  #ws: WebSocket | undefined;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(
    private readonly url: string,
    private readonly on: LinkEvents,
  ) {
    this.#connect();
  }

  get open(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  /** Dropped while the socket is not open: the session repeats what matters, like over UDP. */
  send(text: string): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(text);
  }

  /** The member is back in the room: the next loss starts the backoff from its shortest wait again. */
  settled(): void {
    this.#attempt = 0;
  }

  /** For good: no reconnecting. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    const ws = this.#ws;
    this.#ws = undefined;
    ws?.close();
  }

  #connect(): void {
    const ws = new WebSocket(this.url);
    this.#ws = ws;
    ws.onopen = () => this.on.open();
    ws.onmessage = (event) => {
      if (typeof event.data === "string") this.on.message(event.data);
    };
    // A failed attempt fires error then close: close alone decides.
    ws.onclose = () => {
      if (this.#ws !== ws) return; // closed by us
      this.#ws = undefined;
      this.on.close();
      if (this.#closed) return;
      this.#timer = setTimeout(() => this.#connect(), backoffMs(this.#attempt++, Math.random()));
    };
  }
}
