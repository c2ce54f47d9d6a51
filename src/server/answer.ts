// The amplification budget: a stranger is never sent more bytes than its datagram held.

import type { Peer } from "../core/room/room.ts";
import { encode, type Reply, SEAL_OVERHEAD_BYTES } from "../core/wire/protocol.ts";
import type { Log } from "../runtime/log.ts";
import type { Requester } from "./room-backend.ts";

/** A requester that can be trusted once it has proven its address, and says how much it may still be sent. */
export interface BudgetedRequester extends Requester {
  /** The sender has proven it receives at its address (a hello with a good cookie): no limit from now on. */
  trust(): void;
  /** Bytes of plain text (before sealing) that one more datagram to it may hold. */
  plainBudget(): number;
}

/** What an Answer sends with: the socket, and the room's seal (identity without a passphrase). */
export interface AnswerWire {
  send(datagram: Uint8Array, to: Peer): unknown;
  seal(plain: Uint8Array): Uint8Array;
  log: Log;
}

/**
 * Answers one datagram. A stranger (not a member, nor a hello with a good cookie) is never sent more bytes than
 * its datagram held, so the server cannot be used to amplify a flood towards a forged source address.
 */
export class Answer implements BudgetedRequester {
  #budget: number;

  constructor(
    readonly from: Peer,
    /** The size of the datagram being answered. */
    received: number,
    /** It came sealed: the answers go sealed too. */
    readonly sealed: boolean,
    /** A member is sent more than it sends (events, backlogs): no budget. */
    member: boolean,
    private readonly wire: AnswerWire,
  ) {
    this.#budget = member ? Infinity : received;
  }

  trust(): void {
    this.#budget = Infinity;
  }

  plainBudget(): number {
    return this.#budget - (this.sealed ? SEAL_OVERHEAD_BYTES : 0);
  }

  send(plain: Uint8Array): void {
    const bytes = this.sealed ? this.wire.seal(plain) : plain;
    if (bytes.length > this.#budget)
      return this.wire.log.debug(`not sent to ${this.from.address}:${this.from.port}: larger than what it sent`);
    this.#budget -= bytes.length;
    this.wire.send(bytes, this.from);
  }

  reply(msg: Reply): void {
    this.send(encode(msg));
  }
}
