// The room's events as one member sees them: in order, once, the backlog as history, its own left out, gaps asked for.

import type { Shown } from "../screen/render.ts";
import type { RoomEvent, Welcome } from "../wire/protocol.ts";
import { Repairs } from "./repairs.ts";
import { type Gap, Sequencer } from "./sequencer.ts";

/** Events held while the welcome is still on its way (they can overtake it). */
const MAX_EARLY_EVENTS = 1024;

export class Transcript {
  readonly #stream = new Sequencer();
  readonly #repairs = new Repairs();
  /** Events that overtook the welcome. */
  readonly #early: RoomEvent[] = [];
  /** Names the room's history: a new one after a restart means the old numbers mean nothing any more. */
  #epoch = "";
  /** Events up to this number happened before this member joined: the backlog, shown as history. */
  #historyEnd = 0;
  /** When the last history line shown happened, until the end-of-history line has followed it (once per join). */
  #historyTs: number | undefined;
  /** Whose own events are left out (as the server stores the name, once welcomed). */
  me: string;

  constructor(
    me: string,
    private readonly show: (item: Shown, history: boolean) => void,
    /** This member's own rename went by: it is called `name` from here on. */
    private readonly renamed: (name: string) => void = () => {},
  ) {
    this.me = me;
  }

  /** An event from the server, in whatever order it came. */
  event(event: RoomEvent): void {
    if (this.#stream.started) return this.#handOver(this.#stream.offer(event));
    if (this.#early.length < MAX_EARLY_EVENTS) this.#early.push(event);
  }

  /** The first welcome: the backlog starts the stream (the welcome itself is shown by the caller first). */
  start(welcome: Welcome): void {
    this.me = welcome.name;
    this.#epoch = welcome.epoch;
    this.#historyEnd = welcome.seq;
    this.#historyTs = undefined;
    this.#stream.start(welcome.backlog > 0 ? welcome.backlog : welcome.seq + 1, welcome.seq);
  }

  /** The events that overtook the first welcome, handed over now. */
  releaseEarly(): void {
    for (const event of this.#early.splice(0)) this.#handOver(this.#stream.offer(event));
  }

  /** A welcome back: false when the server started a new history (what was said while away cannot be shown). */
  back(welcome: Welcome): boolean {
    if (welcome.epoch === this.#epoch) {
      this.#stream.known(welcome.seq); // whatever was missed while away is repaired like any gap
      return true;
    }
    this.#epoch = welcome.epoch;
    this.#historyEnd = welcome.seq;
    this.#stream.start(welcome.seq + 1, welcome.seq);
    return false;
  }

  /** A tick: the room's last event, if it is of this history. */
  tick(seq: number, epoch: string): void {
    if (epoch === this.#epoch) this.#stream.known(seq);
  }

  /** This member's own say became event `seq`. */
  own(seq: number): void {
    this.#handOver(this.#stream.own(seq));
  }

  /** Whether a `lost` for `from`..`to` answers a nack of this member's: no other is believed. */
  askedFor(from: number, to: number): boolean {
    return from <= to && this.#repairs.asked(from, to);
  }

  /** The server no longer keeps `from`..`to` (a run askedFor). */
  lost(from: number, to: number): void {
    this.#handOver(this.#stream.skip(from, to));
  }

  /** The missing runs to nack now. */
  repairs(now: number): Gap[] {
    return this.#repairs.due(this.#stream, now);
  }

  #handOver(events: RoomEvent[]): void {
    for (const event of events) {
      if (event.type === "hidden") continue;
      if (event.seq <= this.#historyEnd) {
        if (event.type === "message" || event.type === "admin" || event.type === "action") {
          this.show(event, true);
          this.#historyTs = event.ts;
        }
        continue;
      }
      this.#endHistory();
      if (!isOwn(event, this.me)) this.show(event, false);
      if (event.type === "rename" && event.from === this.me) {
        this.me = event.to;
        this.renamed(event.to);
      }
    }
    if ((this.#stream.next ?? 0) > this.#historyEnd) this.#endHistory();
  }

  /** One line after the backlog, once it has all been handed over (or given up on), before the live room. */
  #endHistory(): void {
    if (this.#historyTs === undefined) return;
    this.show({ type: "status", text: "history_end", ts: this.#historyTs }, true);
    this.#historyTs = undefined;
  }
}

/** The member's own join, leave, message, action or private message: its terminal shows those itself, or not at all. */
function isOwn(event: Exclude<RoomEvent, { type: "hidden" }>, me: string): boolean {
  switch (event.type) {
    case "join":
    case "leave":
      return event.name === me;
    case "message":
    case "action":
    case "private":
      return event.from === me;
    case "admin":
    case "rename": // the renamer sees its own too: it is the answer to its /nick
      return false;
  }
}
