// The door every room of one server shares: bans and recent kicks (for the whole server, or for one room), the
// login allowance per IP address, counted once for the server however many rooms an address tries, and the
// allowance of new rooms per IP address, so that one address cannot fill the server's rooms.

import type { BanLength } from "../duration.ts";
import { type KeyedLimiter, limiterFor, type Rate } from "../limiter.ts";
import { ABUSE } from "../wire/protocol.ts";

/** How far a kick or a ban reaches: every room of the server (the operator named no room), or its own room only. */
export type Scope = "server" | "room";

/** The default login allowance per IP address: ABUSE's burst, then one every loginEveryMs. */
export const DEFAULT_LOGINS: Rate = { count: ABUSE.loginBurst, windowMs: ABUSE.loginBurst * ABUSE.loginEveryMs };

/** The default allowance of new rooms per IP address: ABUSE's burst, then one every newRoomEveryMs. */
export const DEFAULT_NEW_ROOMS: Rate = { count: ABUSE.newRoomBurst, windowMs: ABUSE.newRoomBurst * ABUSE.newRoomEveryMs };

/**
 * What a server's rooms hold in common at their door. A Room is given one (RoomOptions.gate) by the server, the
 * same for all its rooms; a Room made without one has a door of its own. In a cluster each server has its own:
 * bans and logins are per server, not per cluster.
 */
export class Gate {
  /** New logins per IP address; undefined: unlimited. */
  readonly #logins: KeyedLimiter | undefined;
  /** New rooms per IP address; undefined: unlimited. */
  readonly #newRooms: KeyedLimiter | undefined;
  /** Banned IP addresses, until when (BAN_WHILE_RUNNING: while the server runs), keyed by scopedKey. */
  readonly #bans = new Map<string, number>();
  /** Clients (by kickedKey: the nonce from its address) just kicked, until when: their automatic rejoin is refused. Keyed by scopedKey. */
  readonly #kicked = new Map<string, number>();

  /**
   * `logins`: new logins per IP address; `newRooms`: new rooms per IP address. No defaults here (DEFAULT_LOGINS,
   * DEFAULT_NEW_ROOMS): undefined means unlimited.
   */
  constructor(logins: Rate | undefined, newRooms: Rate | undefined) {
    this.#logins = limiterFor(logins, ABUSE.trackedAddresses);
    this.#newRooms = limiterFor(newRooms, ABUSE.trackedAddresses);
  }

  /** Why a hello into `room` from IP `address` with `nonce` is refused at the door; undefined: it is not. */
  refusal(room: string, address: string, nonce: string, now: number): "banned" | "kicked" | undefined {
    if (until(this.#bans, address, now) || until(this.#bans, scopedKey(address, room), now)) return "banned";
    const client = kickedKey(address, nonce);
    if (until(this.#kicked, client, now) || until(this.#kicked, scopedKey(client, room), now)) return "kicked";
    return undefined;
  }

  /**
   * A member of `room` (its IP address and nonce) was kicked: its client may not log straight back in (for
   * ABUSE.kickMemoryMs), and with `banFor` its address is refused that long. `scope` "server": in every room,
   * those made later included; "room": in `room` only.
   */
  kicked(room: string, member: { address: string; nonce: string }, now: number, banFor?: BanLength, scope: Scope = "server"): void {
    for (const map of [this.#bans, this.#kicked]) for (const [key, end] of map) if (end <= now) map.delete(key);
    const key = (k: string) => (scope === "server" ? k : scopedKey(k, room));
    if (banFor !== undefined) this.#bans.set(key(member.address), now + banFor);
    this.#kicked.set(key(kickedKey(member.address, member.nonce)), now + ABUSE.kickMemoryMs);
  }

  /** Takes one login from IP `address`'s allowance; true when there was one (or logins are not limited). */
  mayLogIn(address: string, now: number): boolean {
    return this.#logins?.take(address, now) ?? true;
  }

  /** Takes one new room from IP `address`'s allowance; true when there was one (or new rooms are not limited). */
  mayMakeRoom(address: string, now: number): boolean {
    return this.#newRooms?.take(address, now) ?? true;
  }
}

/**
 * A kicked client: its nonce, from its IP address. Not the nonce alone, which a login from elsewhere may have
 * learned (a hello in the clear): getting such a login kicked must not keep the real client out.
 */
const kickedKey = (address: string, nonce: string) => `${address}/${nonce}`;

/** The key of an entry for one room only. Room names (checkRoom's form), addresses and nonces hold no space. */
const scopedKey = (key: string, room: string) => `${room} ${key}`;

/** True while `key` has an entry in `ends` that has not passed. */
const until = (ends: ReadonlyMap<string, number>, key: string, now: number) => (ends.get(key) ?? -Infinity) > now;
