// Who may log in: the name rule, the server's door (bans, clients just kicked, logins per address: gate.ts), a full
// room, and when a newcomer from the same IP address may take a name from a ghost of its own (liveness.ts).

import type { BanLength } from "../duration.ts";
import { checkName, type Hello, type RefusalReason, TIMERS } from "../wire/protocol.ts";
import type { Gate, Scope } from "./gate.ts";
import { type Member, type Peer, type Roster, samePeer } from "./roster.ts";

export interface AdmissionOptions {
  /** The room's name (checkRoom's form): what a ban or kick for this room only is kept under. */
  room: string;
  /** The server's door, shared by all its rooms: bans, recent kicks, logins per IP address. */
  gate: Gate;
  /** A hello that would make the room larger than this is refused ("room_full"). */
  maxMembers: number;
  /**
   * A newcomer from the IP address of a name's holder may take the name once the holder failed a probe (the ghost
   * rule). Off: the name stays taken until the holder leaves or times out (a cluster's room: the name is the cluster's).
   */
  ghosts?: boolean;
}

/**
 * A hello's verdict: "ok" lets it in (or, when its client holds the name already, welcomes it again); "probe": the
 * name's holder must prove it is alive, and the newcomer is answered nothing meanwhile (its client asks again);
 * "take_over": the holder is a ghost, its session ends and the newcomer is let in.
 */
export type Admitted = "ok" | "probe" | "take_over" | RefusalReason;

export class Admission {
  /**
   * Names contested by a newcomer from their holder's IP address, by the holder's session id and the newcomer's
   * nonce (each newcomer makes the holder prove itself anew): when the contest began.
   */
  readonly #contests = new Map<string, number>();

  constructor(
    private readonly roster: Pick<Roster, "named" | "lookAlike" | "at" | "size">,
    private readonly opts: AdmissionOptions,
  ) {}

  /** `contest`: the newcomer can wait for a probe of a name's holder (a classic client cannot). */
  admit(hello: Pick<Hello, "name" | "nonce">, from: Peer, now: number, contest = true): Admitted {
    const checked = checkName(hello.name);
    if ("problem" in checked) return "bad_name";
    const door = this.opts.gate.refusal(this.opts.room, from.address, hello.nonce, now);
    if (door) return door;
    const holder = this.roster.named(checked.name);
    if (holder) {
      // The same client asking again (its welcome was lost, or it lost the server and came back): no new login.
      if (holder.nonce === hello.nonce && samePeer(holder.peer, from)) return "ok";
      if (contest && this.opts.ghosts !== false && !holder.classic && holder.peer.address === from.address)
        return this.#contest(holder, hello.nonce, from, now);
      return this.#mayLogIn(from, now) ? "name_taken" : "too_many_logins";
    }
    if (!this.#mayLogIn(from, now)) return "too_many_logins";
    // A name that looks like a member's (UTS #39 skeleton, as "аlice" with a Cyrillic а and "alice") is taken too.
    if (this.roster.lookAlike(checked.name)) return "name_taken";
    // A new client on an address that still holds a session takes its place: the room grows by none.
    if (!this.roster.at(from) && this.roster.size >= this.opts.maxMembers) return "room_full";
    return "ok";
  }

  /**
   * `member` was kicked: its client may not log straight back in, and with `banFor` its address is refused that
   * long; `scope` "server" (the default): in every room of the server, "room": in this one only.
   */
  kicked(member: Pick<Member, "peer" | "nonce">, now: number, banFor?: BanLength, scope: Scope = "server"): void {
    this.opts.gate.kicked(this.opts.room, { address: member.peer.address, nonce: member.nonce }, now, banFor, scope);
  }

  /**
   * The ghost rule: a newcomer from the holder's own IP address. The holder's own address and port with another
   * client on it: that port is someone else's now, the old client is gone. Otherwise the holder is probed, and the
   * newcomer's repeated hellos wait: the holder heard from since the contest began keeps its name ("name_taken"),
   * one silent for TIMERS.ghostWaitMs loses it. Only the first hello of a contest uses up a login; a contest lasts
   * TIMERS.nameContestMs, and another newcomer (another nonce) has one of its own.
   */
  #contest(holder: Member, nonce: string, from: Peer, now: number): Admitted {
    if (samePeer(holder.peer, from)) return "take_over";
    const key = `${holder.sid} ${nonce}`;
    const began = this.#contests.get(key);
    if (began === undefined || now - began > TIMERS.nameContestMs) {
      if (!this.#mayLogIn(from, now)) return "too_many_logins";
      for (const [k, at] of this.#contests) if (now - at > TIMERS.nameContestMs) this.#contests.delete(k);
      this.#contests.set(key, now);
      return "probe";
    }
    if (holder.lastSeen > began) return "name_taken";
    if (now - began < TIMERS.ghostWaitMs) return "probe";
    this.#contests.delete(key);
    return "take_over";
  }

  /** Takes one login from `from`'s address allowance, the server's (gate.ts); true when there was one (or no limit). */
  #mayLogIn(from: Peer, now: number): boolean {
    return this.opts.gate.mayLogIn(from.address, now);
  }
}
