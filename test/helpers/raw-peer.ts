// A bare UDP socket that speaks the protocol by hand, for poking the server with exactly the datagrams a test wants.

import { sign, type UnsignedAdmin } from "../../src/core/wire/admin-auth.ts";
import {
  type Challenge,
  decodeReplies,
  encode,
  KNOCK_BYTES,
  type Message,
  padded,
  type Request,
  type Welcome,
} from "../../src/core/wire/protocol.ts";
import { local, openTestSocket, type UdpEndpoint } from "./socket.ts";
import { waitUntil } from "./wait.ts";

export class RawPeer {
  readonly received: Message[] = [];
  readonly undecodable: Uint8Array[] = [];
  /** Datagrams received (one may hold several messages). */
  datagrams = 0;

  private constructor(
    private readonly socket: UdpEndpoint,
    private readonly serverPort: number,
  ) {}

  /** `hostname`: the address it sends from (another 127.0.0.x is another IP address to the server). */
  static async open(serverPort: number, hostname = "127.0.0.1"): Promise<RawPeer> {
    // The socket exists before the peer does, so its handler reaches the peer through this variable.
    let peer: RawPeer | undefined;
    const socket = await openTestSocket((data) => {
      if (!peer) return;
      peer.datagrams++;
      try {
        peer.received.push(...decodeReplies(data));
      } catch {
        peer.undecodable.push(data);
      }
    }, hostname);
    peer = new RawPeer(socket, serverPort);
    return peer;
  }

  get port(): number {
    return this.socket.port;
  }

  send(msg: Request): void {
    this.sendBytes(encode(msg));
  }

  sendBytes(data: Uint8Array | string): void {
    this.socket.send(typeof data === "string" ? new TextEncoder().encode(data) : data, local(this.serverPort));
  }

  /** Sends `msg` every 100 ms until a received message matches (UDP may drop: resend with a bound, never sleep-and-hope). */
  async request<T extends Message>(msg: Request, match: (m: Message) => m is T, ms = 3000): Promise<T> {
    const from = this.received.length;
    const timer = setInterval(() => this.send(msg), 100);
    this.send(msg);
    try {
      return await waitUntil(() => this.received.slice(from).find(match), ms, `a reply to ${msg.type}`);
    } finally {
      clearInterval(timer);
    }
  }

  /** Knocks (padded, as a client must) until the challenge comes; keeps its cookie and the server run's id. */
  async knock(): Promise<Challenge> {
    const challenge = await this.request(padded({ type: "knock" }, KNOCK_BYTES), isType("challenge"));
    this.cookie = challenge.cookie;
    this.server = challenge.server ?? "";
    return challenge;
  }

  /** Knocks for a cookie, then logs in as `name` (into `room`, if given); resolves to the welcome. */
  async login(name: string, nonce = "0123456789abcdef", room?: string): Promise<Welcome> {
    const challenge = await this.knock();
    return this.request(
      { type: "hello", name, nonce, cookie: challenge.cookie, ...(room === undefined ? {} : { room }) },
      isType("welcome"),
    );
  }

  /** The cookie of the last knock or login. */
  cookie = "";
  /** The id of the server run that answered the last knock ("" before one): the server signed() signs for. */
  server = "";

  /** An operator request for `server` (by default the one knocked at), signed with `token` now (each call makes a new nonce). */
  signed(msg: UnsignedAdmin, token: string, now = Date.now(), server = this.server): Request {
    if (server === "") throw new Error("knock first: a signed request names the server it is for");
    return sign(msg, { token, server }, now);
  }

  waitFor<T extends Message>(match: (m: Message) => m is T, ms = 3000): Promise<T> {
    return waitUntil(() => this.received.find(match), ms, "a matching message");
  }

  close(): void {
    this.socket.close();
  }
}

export const isType =
  <K extends Message["type"]>(type: K, extra: (m: Extract<Message, { type: K }>) => boolean = () => true) =>
  (m: Message): m is Extract<Message, { type: K }> =>
    m.type === type && extra(m as Extract<Message, { type: K }>);
