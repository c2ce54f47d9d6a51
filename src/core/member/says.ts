// What becomes of a member's says: checked, queued in order at the room's pace, sent and resent by the Outbox, settled, refused or given up on.

import { encode, ProtocolError, type RefusalReason, type Say } from "../wire/protocol.ts";
import { memberRefusal } from "../wire/refusals.ts";
import { Outbox, type Outgoing, type Utterance } from "./outbox.ts";
import { Pacer } from "./pacer.ts";

/** How a say still pending is shown: waiting for the room's allowance, on its way, or waiting for the server to be back. */
export type PendingHow = "queued" | "sending" | "waiting";

/** Where the says' fates go: a problem is logged, and the parent told what became of the say it shows as pending. */
export interface SaysSink {
  log(level: "debug" | "error", text: string): void;
  settled(ref: number, problem?: string): void;
  /** How the say `ref` is pending now (told when it changes). */
  pending(ref: number, how: PendingHow): void;
}

/** A say not yet handed to the Outbox; `was`: the id it had when the server refused it for rate. */
interface Queued extends Utterance {
  readonly ref?: number;
  readonly was?: number;
}

export class Says {
  /** Also numbers the bye and the /who, so that their ids can never be mistaken for a say's. */
  readonly outbox = new Outbox();
  readonly pacer = new Pacer();
  /** Says beyond the allowance, in the order they were said; they get their ids when they leave. */
  readonly #queue: Queued[] = [];
  /** How each pending say was last shown, by ref. */
  readonly #shown = new Map<number, PendingHow>();
  /** Says that will never be sent any more: given up on, refused for good, or abandoned. */
  #undelivered = 0;

  constructor(private readonly sink: SaysSink) {}

  /** Says queued or in flight. */
  get size(): number {
    return this.#queue.length + this.outbox.size;
  }
  get undelivered(): number {
    return this.#undelivered;
  }

  /** Queues a say; false (and settled with the problem) when it could never be sent. */
  add(said: Utterance & { ref?: number }, now: number): boolean {
    try {
      encode({ type: "say", sid: "0".repeat(32), id: 0, base: 0, ...sayFields(said) });
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.#undelivered++;
      this.settled(said.ref, `message not sent: ${err.message}`);
      return false;
    }
    this.#queue.push(said);
    this.#release(now);
    return true;
  }

  /** The says to send now under session `sid`: new ones while the allowance and the window allow, and retransmissions. */
  due(sid: string, now: number): Say[] {
    this.#release(now);
    return this.outbox.due(now).map((item) => {
      if (item.tries > 1) this.sink.log("debug", `say ${item.id}: try ${item.tries} (timeout ${Math.round(item.rto)} ms)`);
      return { type: "say", sid, id: item.id, base: this.outbox.base, ...sayFields(item) };
    });
  }

  /** Welcomed (again): the room's allowance, and everything in flight goes to this session. */
  welcomed(allowance: { burst?: number; refillMs?: number }, now: number): void {
    this.pacer.reset(allowance, this.outbox.size, now);
  }

  acked(id: number, now: number): void {
    const acked = this.outbox.ack(id, now);
    if (!acked) return;
    this.pacer.settled(true, now);
    this.settled(acked.ref);
  }

  /** The server refused say `id` (if it is one of ours); `me` is the member's name, for the line. */
  refused(id: number, reason: RefusalReason, me: string, now: number): void {
    const dropped = this.outbox.drop(id);
    if (!dropped) return;
    if (reason === "rate_limited") return this.#requeue(dropped, now);
    this.pacer.settled(false, now);
    this.#undelivered++;
    this.settled(dropped.ref, refusedLine(reason, dropped, me));
  }

  /** Says sent to a server that answers but never acknowledged them, reported. */
  expire(now: number): void {
    for (const item of this.outbox.expire(now)) {
      this.pacer.settled(true, now);
      this.#undelivered++;
      this.settled(item.ref, `not delivered (the server did not confirm it): ${JSON.stringify(item.text)}`);
    }
  }

  /** Every say still waiting, reported one a line (leaving without waiting longer). */
  abandon(): void {
    const left: Queued[] = [...this.outbox.abandon(), ...this.#queue.splice(0)];
    for (const item of left) {
      this.#undelivered++;
      this.settled(item.ref, `not delivered: ${JSON.stringify(item.text)}`);
    }
  }

  /** A say that never reached the queue (held for a room the member did not get into): reported, undelivered. */
  neverSent(said: Utterance & { ref?: number }): void {
    this.#undelivered++;
    this.settled(said.ref, `not delivered: ${JSON.stringify(said.text)}`);
  }

  /** Tells the parent what became of the say `ref` it is showing as pending; a problem is reported either way. */
  settled(ref: number | undefined, problem?: string): void {
    if (problem) this.sink.log("error", problem);
    if (ref === undefined) return;
    this.#shown.delete(ref);
    this.sink.settled(ref, problem);
  }

  /** Tells the parent how each pending say is to be shown, where that changed; `lost`: the member is out of the room. */
  report(lost: boolean): void {
    const mark = (ref: number | undefined, how: PendingHow) => {
      if (ref === undefined || this.#shown.get(ref) === how) return;
      this.#shown.set(ref, how);
      this.sink.pending(ref, how);
    };
    for (const item of this.outbox.values()) mark(item.ref, lost ? "waiting" : "sending");
    for (const item of this.#queue) mark(item.ref, lost ? "waiting" : "queued");
  }

  /** Hands queued says to the Outbox, in order, as the allowance lets them go. */
  #release(now: number): void {
    while (this.#queue.length > 0 && this.pacer.may(now)) {
      const next = this.#queue.shift()!;
      this.outbox.add({ ...sayFields(next), ...withRef(next.ref) }, now);
      this.pacer.sent();
    }
  }

  /**
   * Refused for rate (a server that announced no allowance, or one stricter than it said): back to the head of the
   * queue, after those refused before it, to go again under a new id once the allowance has a token again.
   */
  #requeue(item: Outgoing, now: number): void {
    this.sink.log("debug", `say ${item.id} refused for rate: queued again`);
    this.pacer.refusedForRate(now);
    let at = 0;
    while (at < this.#queue.length && this.#queue[at]!.was !== undefined && this.#queue[at]!.was! < item.id) at++;
    this.#queue.splice(at, 0, { ...sayFields(item), ...withRef(item.ref), was: item.id });
  }
}

/** What a say carries of an utterance: its text, and whom it is for (`to`) or that it is an action (`me`). */
const sayFields = (u: Utterance): Pick<Say, "text" | "to" | "me"> =>
  u.to !== undefined ? { text: u.text, to: u.to } : u.me ? { text: u.text, me: true } : { text: u.text };

const withRef = (ref: number | undefined): { ref?: number } => (ref === undefined ? {} : { ref });

/** The line for a say the server refused: which one, and why. */
function refusedLine(reason: RefusalReason, said: Outgoing, me: string): string {
  if (reason === "no_such_member" && said.to !== undefined) return `not sent to ${said.to}: nobody in the room has that name`;
  return `${memberRefusal(reason, me)}: ${JSON.stringify(said.text)}`;
}
