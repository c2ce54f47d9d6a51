// Operator requests (`chat admin`, and the console): signed requests checked, refusals answered within an allowance per
// address, each request acted on once: announce, kick, ban, who.

import { type BanLength, banFromWire } from "../core/duration.ts";
import type { Scope } from "../core/room/gate.ts";
import { namesPage } from "../core/room/replay.ts";
import type { AdminGate } from "../core/wire/admin-auth.ts";
import { type AdminRequest, checkRoom, MAX_TEXT_BYTES, type Reply, receivedFrame, textBytes } from "../core/wire/protocol.ts";
import type { Log } from "../runtime/log.ts";
import { AdminRefusals } from "./admin-refusals.ts";
import type { BudgetedRequester } from "./answer.ts";
import type { Warnings } from "./report.ts";
import type { HostedRoom, Rooms } from "./rooms.ts";

/** How many recent operator requests are remembered (by sender and id), so a retry is answered again but acted on once. */
export const ADMIN_MEMORY = 256;

export class Operator {
  /** The replies to recent requests, by sender and id, oldest first. */
  readonly #recent = new Map<string, Reply[]>();

  constructor(
    private readonly gate: AdminGate,
    private readonly rooms: Rooms,
    private readonly warnings: Warnings,
    /** Where a refusal left unanswered is said (a debug line); none: nowhere. */
    private readonly log?: Log,
    /** How many refusals each IP address is answered. */
    private readonly refusals = new AdminRefusals(),
  ) {}

  /** This server run's id, which the challenge tells and every signed request must name. */
  get serverId(): string {
    return this.gate.server;
  }

  /** A signed operator request: checked (over the bytes it came in), then carried out once however often it is repeated. */
  handle(msg: AdminRequest, answer: BudgetedRequester, now: number): void {
    const verdict = this.gate.check(msg, now, receivedFrame(msg));
    if (verdict !== "ok") {
      this.warnings.refused(`admin ${verdict.replace("_", " ")}`, answer.from, now);
      if (!this.refusals.mayAnswer(answer.from.address, now))
        return this.log?.debug(
          `admin ${verdict} from ${answer.from.address}:${answer.from.port}: not answered (its address had its refusals)`,
        );
      return answer.reply({ type: "refused", reason: verdict, id: msg.id });
    }
    const key = `${answer.from.address}|${answer.from.port}|${msg.type}|${msg.id}`;
    const seen = msg.type === "who" ? undefined : this.#recent.get(key);
    if (seen) {
      for (const r of seen) answer.reply(r);
      return;
    }
    const targets = this.#roomsFor(msg.room, msg.type !== "who");
    if (!targets) return answer.reply({ type: "refused", reason: "no_such_room", id: msg.id });
    if (msg.type === "who") return answer.reply(namesPage(targets[0]!.backend.names(), msg.id, msg.from, answer.plainBudget()));
    const replies = this.#act(msg, targets, now);
    this.#recent.set(key, replies);
    if (this.#recent.size > ADMIN_MEMORY) this.#recent.delete(this.#recent.keys().next().value!);
    for (const r of replies) answer.reply(r);
  }

  /** What an announce, kick or ban does, as the replies it gets (kept for its repeats). */
  #act(msg: Exclude<AdminRequest, { type: "who" }>, targets: readonly HostedRoom[], now: number): Reply[] {
    if (msg.type === "announce") {
      const result = this.announce(targets, msg.text, now);
      return [
        "problem" in result ? { type: "refused", reason: "too_long", id: msg.id } : { type: "ack", id: msg.id, count: result.reached },
      ];
    }
    const banFor = msg.type === "kick" ? undefined : banFromWire(msg.seconds);
    // Without a room it holds in every room of this server; with one, in that room only.
    const scope: Scope = msg.room === undefined ? "server" : "room";
    const done = targets.filter((h) => this.kick(h, msg.name, now, banFor, scope)).length > 0;
    return [done ? { type: "ack", id: msg.id } : { type: "refused", reason: "no_such_member", id: msg.id }];
  }

  /** The console's broadcast to every room: a one-line problem, or how many members it reached. */
  announceEverywhere(text: string, now: number): { reached: number } | { problem: string } {
    const bytes = textBytes(text);
    if (bytes > MAX_TEXT_BYTES) return { problem: `not sent: ${bytes} bytes (max ${MAX_TEXT_BYTES})` };
    const result = this.announce(this.rooms.all(), text, now);
    return "problem" in result ? { problem: "not sent: too long once encoded" } : result;
  }

  /** An administrator broadcast to `targets`: the same text, one event in each room. */
  announce(targets: readonly HostedRoom[], text: string, now: number): { reached: number } | { problem: "too_long" } {
    let reached = 0;
    for (const h of targets) {
      const outcome = h.room.announce({ id: 0, text }, now);
      if (outcome.replies[0]?.type !== "ack") return { problem: "too_long" }; // the same text fits in every room or in none
      reached += h.backend.names().length;
      void h.backend.submit({ broadcasts: outcome.broadcasts });
    }
    return { reached };
  }

  /** The console's kick (with `banFor`, ban) from every room; false when nobody has that name. */
  kickEverywhere(name: string, now: number, banFor?: BanLength): boolean {
    return this.rooms.all().filter((h) => this.kick(h, name, now, banFor)).length > 0;
  }

  /** Kicks (with `banFor`, bans) `name` from room `h`: here, or through the server of the cluster that has it. */
  kick(h: HostedRoom, name: string, now: number, banFor?: BanLength, scope?: Scope): boolean {
    return this.kickHere(h, name, now, banFor, scope) || h.backend.kickElsewhere(name, banFor);
  }

  /**
   * Kicks `name` if it is a member on this server: it is told, and the room sees it go. `scope`: Room.kick's (absent:
   * every room of this server, as for another server's order, which does not say whether a room was named).
   */
  kickHere(h: HostedRoom, name: string, now: number, banFor?: BanLength, scope?: Scope): boolean {
    const done = h.room.kick(name, now, banFor, scope);
    if (!done) return false;
    // Tell the member itself, so its client stops instead of logging straight back in.
    h.links.removed(done.kicked, banFor === undefined ? "kicked" : "banned");
    void h.backend.submit({ broadcasts: done.broadcasts });
    return true;
  }

  /** The rooms a request concerns: the one it names, or (where `all`) every room; undefined: no such room. */
  #roomsFor(room: string | undefined, all: boolean): HostedRoom[] | undefined {
    if (room === undefined) return all ? this.rooms.all() : [this.rooms.lobby!];
    const checked = checkRoom(room);
    const h = "problem" in checked ? undefined : this.rooms.get(checked.name);
    return h ? [h] : undefined;
  }
}
