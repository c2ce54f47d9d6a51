// What a datagram goes through before it reaches a room: the sender's allowance, classic or not, the proof, the
// envelope, the decoder ("only the server sends those", the version), the session's proof, the clear-text rule.

import { type KeyedLimiter, limiterFor } from "../core/limiter.ts";
import type { Member, Peer, Rate } from "../core/room/room.ts";
import { isClassic } from "../core/wire/classic.ts";
import { type Envelope, isSealed, travelsInClear } from "../core/wire/envelope.ts";
import { type Proof, readProof } from "../core/wire/proof.ts";
import { ABUSE, decodeRequests, isAdminRequest, PROOF_MARK, type Request, VersionError, versionRefusal } from "../core/wire/protocol.ts";
import type { Log } from "../runtime/log.ts";
import { Answer, type AnswerWire, type BudgetedRequester } from "./answer.ts";
import type { ServerProofs } from "./proofs.ts";
import type { Warnings } from "./report.ts";

/** The requests a member makes inside its session: each comes proven with the session's key, or not at all. */
type SessionRequest = Extract<Request, { sid: string }>;
const inSession = (m: Request): m is SessionRequest => "sid" in m;

export interface IngressOptions {
  /** Datagrams per sender (address and port); undefined: unlimited. */
  allowance: Rate | undefined;
  /** With a passphrase: the room's key. */
  envelope: Envelope | undefined;
  /** With --classic: where the original exercise's datagrams go. */
  classic?: ((data: Uint8Array, from: Peer, now: number) => void) | undefined;
  isMember(peer: Peer): boolean;
  /** The member with session id `sid`, in whichever room, wherever its datagrams come from. */
  memberOf(sid: string): Member | undefined;
  proofs: ServerProofs;
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
    this.#wire = {
      send: opts.send,
      seal: envelope ? (plain) => envelope.seal(plain) : (plain) => plain,
      prove: (key, bytes) => opts.proofs.prove(key, bytes, Date.now()),
      log: opts.log,
    };
  }

  receive(data: Uint8Array, from: Peer, now: number): void {
    const { envelope } = this.opts;
    // A sender over its allowance is dropped before any work is spent on it: a flood costs one map lookup a datagram.
    if (this.#senders && !this.#senders.take(`${from.address}|${from.port}`, now)) return;
    // The original exercise has one room: its clients are in the default one.
    if (this.opts.classic && isClassic(data)) return this.opts.classic(data, from, now);
    const proof = readProof(data);
    if (!proof && data[0] === PROOF_MARK) return this.#drop(from, "its proof is malformed");
    const outer = proof ? proof.body : data;
    const sealed = isSealed(outer);
    const plain = envelope && sealed ? envelope.open(outer) : outer;
    if (!plain) {
      if (proof || this.opts.isMember(from)) return this.#drop(from, "it does not open with the room's key");
      this.opts.warnings.refused("wrong passphrase", from, now);
      return new Answer(from, data.length, false, false, this.#wire).reply({ type: "refused", reason: "bad_passphrase" });
    }
    let messages: Request[];
    try {
      messages = decodeRequests(plain);
    } catch (err) {
      // A client of another version is told, in its own framing, which version this server speaks.
      if (err instanceof VersionError && err.version !== undefined && !proof) {
        new Answer(from, data.length, false, false, this.#wire).send(versionRefusal(err.version));
      }
      return this.#drop(from, String(err));
    }
    const answer = proof ? this.#proven(messages, proof, from, data.length, sealed) : this.#unproven(messages, from, data.length, sealed);
    if (typeof answer === "string") return this.#drop(from, answer);
    for (const msg of messages) this.#request(msg, answer, envelope !== undefined && !sealed, now);
  }

  /**
   * A proven datagram: its requests are one session's, and the proof that session's key made, with a counter it
   * has not used. Anything else (forged, replayed, redirected from another session) changes nothing.
   */
  #proven(messages: Request[], proof: Proof, from: Peer, size: number, sealed: boolean): Answer | string {
    const sid = messages.every(inSession) ? messages[0]?.sid : undefined;
    if (sid === undefined || messages.some((m) => (m as SessionRequest).sid !== sid)) return "a proof covers one session's requests only";
    const member = this.opts.memberOf(sid);
    if (!member) return "its session is unknown";
    if (!this.opts.proofs.admits(member, proof)) return "its proof is wrong or replayed";
    return new Answer(from, size, this.#sealedHere(sealed), true, this.#wire, this.opts.proofs.keyOf(member));
  }

  /** An unproven datagram is a stranger's (a knock, a hello, an operator's signed request): a session's requests need a proof. */
  #unproven(messages: Request[], from: Peer, size: number, sealed: boolean): Answer | string {
    if (messages.some(inSession)) return "a session's request without a proof";
    return new Answer(from, size, this.#sealedHere(sealed), false, this.#wire);
  }

  #sealedHere(sealed: boolean): boolean {
    return this.opts.envelope !== undefined && sealed;
  }

  #drop(from: Peer, why: string): void {
    this.opts.log.debug(`dropped a datagram from ${from.address}:${from.port}: ${why}`);
  }

  #request(msg: Request, answer: Answer, inClear: boolean, now: number): void {
    // With a passphrase only the knock travels in the clear: it asks for the salt that everything else needs.
    if (inClear && !travelsInClear(msg))
      return answer.reply({ type: "refused", reason: "passphrase_required", ...(isAdminRequest(msg) ? { id: msg.id } : {}) });
    this.opts.handle(msg, answer, now);
  }
}
