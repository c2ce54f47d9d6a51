// A bare UDP socket that speaks the protocol by hand, for poking the server with exactly the datagrams a test wants.

import { sign, type UnsignedAdmin } from "../../src/core/wire/admin-auth.ts";
import { Envelope, isSealed } from "../../src/core/wire/envelope.ts";
import { checkProof, ProofCounter, proofKey, prove, ReplayWindow, readProof } from "../../src/core/wire/proof.ts";
import {
  type Challenge,
  decodeReplies,
  encode,
  KNOCK_BYTES,
  type Message,
  PROOF_BYTES,
  PROOF_MARK,
  padded,
  type Request,
  type Welcome,
} from "../../src/core/wire/protocol.ts";
import { local, openTestSocket, type UdpEndpoint } from "./socket.ts";
import { resendUntil, waitUntil } from "./wait.ts";

export class RawPeer {
  readonly received: Message[] = [];
  readonly undecodable: Uint8Array[] = [];
  /** Every datagram received, as it came (a capture, for tests that replay or alter the server's datagrams). */
  readonly captured: Uint8Array[] = [];
  /** Datagrams received (one may hold several messages). */
  datagrams = 0;
  /** The proof layer, once a login gave the session: the key from the hello's nonce, our counter, the server's seen. */
  #key: Uint8Array | undefined;
  readonly #counter = new ProofCounter();
  readonly #window = new ReplayWindow();
  /** With a passphrase: the room's key, once a challenge gave the salt. */
  #envelope: Envelope | undefined;
  /** The sealed datagrams that opened, as they came: what a kicked member (say) could replay elsewhere. */
  readonly sealedCaptured: Array<{ datagram: Uint8Array; messages: Message[] }> = [];

  private constructor(
    private readonly socket: UdpEndpoint,
    private readonly serverPort: number,
    private readonly passphrase: string | undefined,
  ) {}

  /**
   * `hostname`: the address it sends from (another 127.0.0.x is another IP address to the server). `passphrase`:
   * the room's; everything but the knock then goes sealed, as chat join sends it.
   */
  static async open(serverPort: number, hostname = "127.0.0.1", passphrase?: string): Promise<RawPeer> {
    // The socket exists before the peer does, so its handler reaches the peer through this variable.
    let peer: RawPeer | undefined;
    const socket = await openTestSocket((data) => {
      if (!peer) return;
      peer.datagrams++;
      peer.captured.push(data);
      const body = peer.#opened(data);
      if (!body) return void peer.undecodable.push(data);
      try {
        const messages = decodeReplies(body);
        peer.received.push(...messages);
        if (body !== data && isSealed(data.subarray(PROOF_BYTES))) peer.sealedCaptured.push({ datagram: data, messages });
        for (const m of messages)
          if (m.type === "challenge" && m.salt && peer.passphrase) peer.#envelope ??= Envelope.fromPassphrase(peer.passphrase, m.salt);
      } catch {
        peer.undecodable.push(data);
      }
    }, hostname);
    peer = new RawPeer(socket, serverPort, passphrase);
    return peer;
  }

  get port(): number {
    return this.socket.port;
  }

  /** What a member's session sends (it names its sid) goes proven, once a hello has given the key. */
  send(msg: Request): void {
    // A hello's answers, and the session it starts, are proven with the key made from its nonce.
    if (msg.type === "hello") this.#key = proofKey(msg.nonce);
    const plain = encode(msg);
    const bytes = this.#envelope && msg.type !== "knock" ? this.#envelope.seal(plain) : plain;
    this.sendBytes("sid" in msg && this.#key ? prove(this.#key, "member", this.#counter.next(Date.now()), bytes) : bytes);
  }

  /** The frames of a datagram: behind a proof, only when the proof is this session's and new. */
  #opened(data: Uint8Array): Uint8Array | undefined {
    let body = data;
    if (data[0] === PROOF_MARK) {
      const proof = readProof(data);
      if (!proof || !this.#key || !checkProof(this.#key, "server", proof) || !this.#window.accept(proof.counter)) return undefined;
      body = proof.body;
    }
    return isSealed(body) ? this.#envelope?.open(body) : body;
  }

  /** `data` as one datagram of this session's, proven with its key (as a client batching its requests would). */
  sendProven(data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    if (!this.#key) throw new Error("sendProven before a hello: no key yet");
    this.sendBytes(prove(this.#key, "member", this.#counter.next(Date.now()), bytes));
  }

  /** Called with every datagram sent, as it went out (a sniffer's capture of this peer's side). */
  onSend: ((bytes: Uint8Array) => void) | undefined;

  /** What a datagram this peer received holds (checked and opened again, without the replay window). */
  messagesOf(data: Uint8Array): Message[] | undefined {
    let body = data;
    if (data[0] === PROOF_MARK) {
      const proof = readProof(data);
      if (!proof || !this.#key || !checkProof(this.#key, "server", proof)) return undefined;
      body = proof.body;
    }
    const plain = isSealed(body) ? this.#envelope?.open(body) : body;
    try {
      return plain && decodeReplies(plain);
    } catch {
      return undefined;
    }
  }

  /** True when every message of `data` is of one of `types`. */
  isOnly(data: Uint8Array, types: readonly Message["type"][]): boolean {
    return this.messagesOf(data)?.every((m) => types.includes(m.type)) ?? false;
  }

  sendBytes(data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    this.onSend?.(bytes);
    this.socket.send(bytes, local(this.serverPort));
  }

  /** Sends `msg` every 100 ms until a received message matches (UDP may drop: resend with a bound, never sleep-and-hope). */
  async request<T extends Message>(msg: Request, match: (m: Message) => m is T, ms = 3000): Promise<T> {
    const from = this.received.length;
    return resendUntil(
      () => this.send(msg),
      () => this.received.slice(from).find(match),
      ms,
      `a reply to ${msg.type}`,
    );
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
