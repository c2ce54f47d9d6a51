// The amplification budget: a stranger is sent at most one datagram for each it sends, and never more bytes than it held.

import type { Peer } from "../core/room/room.ts";
import { encode, PROOF_BYTES, type Reply, SEAL_OVERHEAD_BYTES } from "../core/wire/protocol.ts";
import type { Log } from "../runtime/log.ts";
import type { Requester } from "./room-backend.ts";

/** A requester that can be trusted once it has proven its address, and says how much it may still be sent. */
export interface BudgetedRequester extends Requester {
  /** The sender has proven it receives at its address (a hello with a good cookie): no limit from now on. */
  trust(): void;
  /** Bytes of plain text (before sealing) that one more datagram to it may hold (0: no more datagrams may go). */
  plainBudget(): number;
  /** From now on the answers are proven with `key` (proof.ts): the session's, or the hello's that starts one. */
  proveWith(key: Uint8Array): void;
}

/** What an Answer sends with: the socket, the room's seal (identity without a passphrase) and the server's proofs. */
export interface AnswerWire {
  send(datagram: Uint8Array, to: Peer): unknown;
  seal(plain: Uint8Array): Uint8Array;
  /** `bytes` proven for the holder of `key` (ServerProofs.prove, at the current time). */
  prove(key: Uint8Array, bytes: Uint8Array): Uint8Array;
  log: Log;
}

/**
 * Answers one datagram. A stranger (not a member, nor a hello with a good cookie) is sent at most one datagram in
 * answer, holding no more bytes than its datagram held, so the server cannot be used to amplify a flood towards a
 * forged source address, in bytes or in packets. One datagram of many frames gets the reply to its first frame
 * that has one: a sender of this protocol puts one frame in each datagram (PROTOCOL.md §2), so only a made-up
 * datagram holds more, and what its later frames would draw (more challenges, the same cookie) says nothing new.
 */
export class Answer implements BudgetedRequester {
  /** Bytes it may still be sent. */
  #budget: number;
  /** Datagrams it may still be sent. */
  #datagrams: number;
  /** The first reply held back was logged (one debug line per datagram, not one per frame). */
  #told = false;
  /** The key the answers are proven with; none for a stranger (a knock's challenge, a refusal before any hello). */
  #key: Uint8Array | undefined;

  constructor(
    readonly from: Peer,
    /** The size of the datagram being answered. */
    received: number,
    /** It came sealed: the answers go sealed too. */
    readonly sealed: boolean,
    /** A member is sent more than it sends (events, backlogs): no budget. */
    member: boolean,
    private readonly wire: AnswerWire,
    /** A member's datagram came proven with this key: so go the answers. */
    key?: Uint8Array,
  ) {
    this.#budget = member ? Infinity : received;
    this.#datagrams = member ? Infinity : 1;
    this.#key = key;
  }

  proveWith(key: Uint8Array): void {
    this.#key = key;
  }

  trust(): void {
    this.#budget = Infinity;
    this.#datagrams = Infinity;
  }

  plainBudget(): number {
    if (this.#datagrams < 1) return 0;
    return this.#budget - (this.sealed ? SEAL_OVERHEAD_BYTES : 0) - (this.#key ? PROOF_BYTES : 0);
  }

  send(plain: Uint8Array, inClear = false): void {
    if (this.#datagrams < 1) return this.#held("it was answered once already");
    const sealed = this.sealed && !inClear ? this.wire.seal(plain) : plain;
    const bytes = this.#key ? this.wire.prove(this.#key, sealed) : sealed;
    if (bytes.length > this.#budget) return this.#held("larger than what it sent");
    this.#budget -= bytes.length;
    this.#datagrams -= 1;
    this.wire.send(bytes, this.from);
  }

  /** A challenge goes in the clear even to a sealed knock: it carries the salt the key is made from (PROTOCOL.md §10). */
  reply(msg: Reply): void {
    this.send(encode(msg), msg.type === "challenge");
  }

  #held(why: string): void {
    if (this.#told) return;
    this.#told = true;
    this.wire.log.debug(`not sent to ${this.from.address}:${this.from.port}: ${why}`);
  }
}
