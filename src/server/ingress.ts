// What a datagram goes through before it reaches a room: the sender's allowance, classic or not, the envelope, the
// decoder, "only the server sends those", and the passphrase's clear-text rule.

import { type KeyedLimiter, limiterFor } from "../core/limiter.ts";
import type { Peer, Rate } from "../core/room/room.ts";
import { isClassic } from "../core/wire/classic.ts";
import { type Envelope, isSealed, travelsInClear } from "../core/wire/envelope.ts";
import { ABUSE, decodeRequests, isAdminRequest, type Request } from "../core/wire/protocol.ts";
import type { Log } from "../runtime/log.ts";
import { Answer, type AnswerWire, type BudgetedRequester } from "./answer.ts";
import type { Warnings } from "./report.ts";

export interface IngressOptions {
  /** Datagrams per sender (address and port); undefined: unlimited. */
  allowance: Rate | undefined;
  /** With a passphrase: the room's key. */
  envelope: Envelope | undefined;
  /** With --classic: where the original exercise's datagrams go. */
  classic?: ((data: Uint8Array, from: Peer, now: number) => void) | undefined;
  isMember(peer: Peer): boolean;
  /** A request that passed every check, with its answer. */
  handle(msg: Request, answer: BudgetedRequester, now: number): void;
  /** The socket the answers go out on. */
  send(datagram: Uint8Array, to: Peer): unknown;
  warnings: Warnings;
  log: Log;
}

/** The default allowance of datagrams per sender: ABUSE's burst, refilled at its rate. */
export const DEFAULT_ALLOWANCE: Rate = {
  count: ABUSE.datagramBurst,
  windowMs: (ABUSE.datagramBurst * 1000) / ABUSE.datagramsPerSecond,
};

export class Ingress {
  readonly #senders: KeyedLimiter | undefined;
  readonly #wire: AnswerWire;

  constructor(private readonly opts: IngressOptions) {
    this.#senders = limiterFor(opts.allowance, ABUSE.trackedAddresses);
    const { envelope } = opts;
    this.#wire = { send: opts.send, seal: envelope ? (plain) => envelope.seal(plain) : (plain) => plain, log: opts.log };
  }

  receive(data: Uint8Array, from: Peer, now: number): void {
    const { envelope, log } = this.opts;
    // A sender over its allowance is dropped before any work is spent on it: a flood costs one map lookup a datagram.
    if (this.#senders && !this.#senders.take(`${from.address}|${from.port}`, now)) return;
    // The original exercise has one room: its clients are in the default one.
    if (this.opts.classic && isClassic(data)) return this.opts.classic(data, from, now);
    const isMember = this.opts.isMember(from);
    const sealed = isSealed(data);
    const plain = envelope && sealed ? envelope.open(data) : data;
    if (!plain) {
      if (isMember) return log.debug(`dropped a datagram from ${from.address}:${from.port} that does not open with the room's key`);
      this.opts.warnings.refused("wrong passphrase", from, now);
      return new Answer(from, data.length, false, false, this.#wire).reply({ type: "refused", reason: "bad_passphrase" });
    }
    let messages: Request[];
    try {
      messages = decodeRequests(plain);
    } catch (err) {
      return log.debug(`dropped a datagram from ${from.address}:${from.port}: ${String(err)}`);
    }
    const answer = new Answer(from, data.length, envelope !== undefined && sealed, isMember, this.#wire);
    for (const msg of messages) this.#request(msg, answer, envelope !== undefined && !sealed, now);
  }

  #request(msg: Request, answer: Answer, inClear: boolean, now: number): void {
    // With a passphrase only the knock travels in the clear: it asks for the salt that everything else needs.
    if (inClear && !travelsInClear(msg))
      return answer.reply({ type: "refused", reason: "passphrase_required", ...(isAdminRequest(msg) ? { id: msg.id } : {}) });
    this.opts.handle(msg, answer, now);
  }
}
