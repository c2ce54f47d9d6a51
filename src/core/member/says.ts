// What becomes of a member's says: checked before they are queued, sent and resent by the Outbox, settled, refused or given up on.

import { encode, ProtocolError, type RefusalReason, type Say } from "../wire/protocol.ts";
import { memberRefusal } from "../wire/refusals.ts";
import { Outbox, type Outgoing, type Utterance } from "./outbox.ts";

/** Where the says' fates go: a problem is logged, and the parent told what became of the say it shows as pending. */
export interface SaysSink {
  log(level: "debug" | "error", text: string): void;
  settled(ref: number, problem?: string): void;
}

export class Says {
  /** Also numbers the bye and the /who, so that their ids can never be mistaken for a say's. */
  readonly outbox = new Outbox();

  constructor(private readonly sink: SaysSink) {}

  /** Queues a say; false (and settled with the problem) when it could never be sent. */
  add(said: Utterance & { ref?: number }, now: number): boolean {
    try {
      encode({ type: "say", sid: "0".repeat(32), id: 0, base: 0, ...sayFields(said) });
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.settled(said.ref, `message not sent: ${err.message}`);
      return false;
    }
    this.outbox.add(said, now);
    return true;
  }

  /** The says to send now under session `sid`: new ones while the window has room, and retransmissions. */
  due(sid: string, now: number): Say[] {
    return this.outbox.due(now).map((item) => {
      if (item.tries > 1) this.sink.log("debug", `say ${item.id}: try ${item.tries} (timeout ${Math.round(item.rto)} ms)`);
      return { type: "say", sid, id: item.id, base: this.outbox.base, ...sayFields(item) };
    });
  }

  acked(id: number, now: number): void {
    const acked = this.outbox.ack(id, now);
    if (acked) this.settled(acked.ref);
  }

  /** The server refused say `id` (if it is one of ours); `me` is the member's name, for the line. */
  refused(id: number, reason: RefusalReason, me: string): void {
    const dropped = this.outbox.drop(id);
    if (dropped) this.settled(dropped.ref, refusedLine(reason, dropped, me));
  }

  /** Says queued too long without an ack, reported. */
  expire(now: number): void {
    for (const item of this.outbox.expire(now)) this.#undelivered(item);
  }

  /** Every say still waiting, reported (leaving without waiting longer). */
  abandon(): void {
    for (const item of this.outbox.abandon()) this.#undelivered(item);
  }

  /** Tells the parent what became of the say `ref` it is showing as pending; a problem is reported either way. */
  settled(ref: number | undefined, problem?: string): void {
    if (problem) this.sink.log("error", problem);
    if (ref !== undefined) this.sink.settled(ref, problem);
  }

  #undelivered(item: Outgoing): void {
    this.settled(item.ref, `not delivered (the server did not confirm it): ${JSON.stringify(item.text)}`);
  }
}

/** What a say carries of an utterance: its text, and whom it is for (`to`) or that it is an action (`me`). */
const sayFields = (u: Utterance): Pick<Say, "text" | "to" | "me"> =>
  u.to !== undefined ? { text: u.text, to: u.to } : u.me ? { text: u.text, me: true } : { text: u.text };

/** The line for a say the server refused: which one, and why. */
function refusedLine(reason: RefusalReason, said: Outgoing, me: string): string {
  if (reason === "no_such_member" && said.to !== undefined) return `not sent to ${said.to}: nobody in the room has that name`;
  return `${memberRefusal(reason, me)}: ${JSON.stringify(said.text)}`;
}
