// Who may log in: the name rule, bans, clients just kicked, logins per address, and a full room.

import type { BanLength } from "../duration.ts";
import { type KeyedLimiter, limiterFor, type Rate } from "../limiter.ts";
import { ABUSE, checkName, type Hello, type RefusalReason } from "../wire/protocol.ts";
import { type Member, type Peer, type Roster, samePeer } from "./roster.ts";

export interface AdmissionOptions {
  /** New logins per IP address; undefined: unlimited. */
  logins: Rate | undefined;
  /** A hello that would make the room larger than this is refused ("room_full"). */
  maxMembers: number;
}

/** A hello's verdict: "ok" lets it in (or, when its client holds the name already, welcomes it again). */
export type Admitted = "ok" | RefusalReason;

export class Admission {
  /** New logins per IP address. */
  readonly #logins: KeyedLimiter | undefined;
  /** Banned IP addresses, until when (BAN_WHILE_RUNNING: while this server runs). */
  readonly #bans = new Map<string, number>();
  /** Clients (by nonce) just kicked, until when: their automatic rejoin is refused. */
  readonly #kicked = new Map<string, number>();

  constructor(
    private readonly roster: Pick<Roster, "named" | "at" | "size">,
    private readonly opts: AdmissionOptions,
  ) {
    this.#logins = limiterFor(opts.logins, ABUSE.trackedAddresses);
  }

  admit(hello: Pick<Hello, "name" | "nonce">, from: Peer, now: number): Admitted {
    const checked = checkName(hello.name);
    if ("problem" in checked) return "bad_name";
    if (until(this.#bans, from.address, now)) return "banned";
    if (until(this.#kicked, hello.nonce, now)) return "kicked";
    const holder = this.roster.named(checked.name);
    if (holder) {
      // The same client asking again (its welcome was lost, or it lost the server and came back): no new login.
      if (holder.nonce === hello.nonce && samePeer(holder.peer, from)) return "ok";
      return this.#mayLogIn(from, now) ? "name_taken" : "too_many_logins";
    }
    if (!this.#mayLogIn(from, now)) return "too_many_logins";
    // A new client on an address that still holds a session takes its place: the room grows by none.
    if (!this.roster.at(from) && this.roster.size >= this.opts.maxMembers) return "room_full";
    return "ok";
  }

  /** `member` was kicked: its client may not log straight back in, and with `banFor` its address is refused that long. */
  kicked(member: Pick<Member, "peer" | "nonce">, now: number, banFor?: BanLength): void {
    for (const map of [this.#bans, this.#kicked]) for (const [key, end] of map) if (end <= now) map.delete(key);
    if (banFor !== undefined) this.#bans.set(member.peer.address, now + banFor);
    this.#kicked.set(member.nonce, now + ABUSE.kickMemoryMs);
  }

  /** Takes one login from `from`'s address allowance; true when there was one (or logins are not limited). */
  #mayLogIn(from: Peer, now: number): boolean {
    return this.#logins?.take(from.address, now) ?? true;
  }
}

/** True while `key` has an entry in `ends` that has not passed. */
const until = (ends: ReadonlyMap<string, number>, key: string, now: number) => (ends.get(key) ?? -Infinity) > now;
