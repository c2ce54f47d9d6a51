// A browser member without the browser: a WebSocket to `chat serve`'s /ws that speaks the protocol's frames by hand.

import { decodeReplies, encode, KNOCK_BYTES, type Message, padded, type Request, type Welcome } from "../../src/core/wire/protocol.ts";
import { isType } from "./raw-peer.ts";
import { resendUntil, waitUntil } from "./wait.ts";

const text = new TextDecoder();

export class WsPeer {
  readonly received: Message[] = [];
  closed = false;
  closeCode: number | undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.onmessage = (e) => {
      try {
        this.received.push(...decodeReplies(new TextEncoder().encode(String(e.data))));
      } catch {
        // not this protocol: nothing a test waits for
      }
    };
    socket.onclose = (e) => {
      this.closed = true;
      this.closeCode = e.code;
    };
  }

  /** Opens `ws://…/ws?client=CLIENT` (CLIENT: the page's id; the same one reconnects as the same member). */
  static async open(webPort: number, client = "0123456789abcdef", headers: Record<string, string> = {}): Promise<WsPeer> {
    const socket = new WebSocket(`ws://127.0.0.1:${webPort}/ws?client=${client}`, { headers } as unknown as string[]);
    const peer = new WsPeer(socket);
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error(`WebSocket to port ${webPort} refused`));
    });
    return peer;
  }

  send(msg: Request): void {
    this.socket.send(text.decode(encode(msg)));
  }

  /** Sends `msg` every 100 ms until a message received after it matches. */
  async request<T extends Message>(msg: Request, match: (m: Message) => m is T, ms = 3000): Promise<T> {
    const from = this.received.length;
    return resendUntil(
      () => this.send(msg),
      () => this.received.slice(from).find(match),
      ms,
      `a reply to ${msg.type}`,
    );
  }

  /** Knock, challenge, hello: the welcome, or the refusal's reason. */
  async login(name: string, nonce: string, room?: string): Promise<Welcome | string> {
    const challenge = await this.request(padded({ type: "knock" }, KNOCK_BYTES), isType("challenge"));
    const hello = { type: "hello", name, nonce, cookie: challenge.cookie, ...(room === undefined ? {} : { room }) } as const;
    const answer = await this.request(hello, (m): m is Message => m.type === "welcome" || m.type === "refused");
    return answer.type === "welcome" ? answer : answer.type === "refused" ? answer.reason : "?";
  }

  waitFor<T extends Message>(match: (m: Message) => m is T, ms = 3000): Promise<T> {
    return waitUntil(() => this.received.find(match), ms, "a matching message");
  }

  close(): void {
    this.socket.close();
  }
}
