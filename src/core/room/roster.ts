// Who is in the room: its members by session id, by name and by address, and the address lists the fan-out sends to.

import type { TokenBucket } from "../limiter.ts";
import { nameKey } from "../wire/protocol.ts";
import { lookKey } from "../wire/skeleton.ts";
import type { SayOrder } from "./say-order.ts";

/** Where a member's datagrams come from, and where the server sends its replies and events. */
export interface Peer {
  address: string;
  port: number;
}

export interface Member {
  /** Session id: the secret a member proves itself with in every request. */
  readonly sid: string;
  /** As the member chose it (NFC-normalized); a rename (`/nick`) changes it, through Roster.rename. */
  name: string;
  readonly peer: Peer;
  /** The hello's nonce, the same for a client's whole run: it ties says to their client across sessions and restarts. */
  readonly nonce: string;
  readonly joinedAt: number;
  /** When the server last heard from this member: silence past the peer timeout removes it. */
  lastSeen: number;
  /** When the server last sent it a `probe` (liveness.ts), if ever. */
  probedAt?: number;
  /** Its says, relayed in the order it sent them and at the room's rate. */
  readonly says: SayOrder;
  /** Away (`/away`): why ("" for no reason), and the members (session ids) already told so by an away_notice. */
  away?: { readonly reason: string; readonly told: Set<string> };
  /** Its renames' allowance (ABUSE.renameBurst, renameEveryMs), made at its first rename. */
  renames?: TokenBucket;
  /** A client of the original exercise's text protocol (`--classic`): no session, no reliability, no heartbeats. */
  readonly classic?: boolean;
}

export const samePeer = (a: Peer, b: Peer) => a.port === b.port && a.address === b.address;

/**
 * Members that joined from a browser have a peer of their own kind: their IP address, and past the end of UDP's
 * port range a number their page chose for its WebSocket (src/web/web-peer.ts), the same on every reconnect. So
 * every rule by address (bans, logins, ghosts) holds for them, and no datagram is ever sent to one.
 */
export const FIRST_WEB_PORT = 0x1_0000;
export const isWebPeer = (p: Peer) => p.port >= FIRST_WEB_PORT;

/** How a member is reached: this protocol's datagrams, the original exercise's lines, or a browser's WebSocket. */
export type Reach = "datagram" | "classic" | "web";
export const reachOf = (m: Member): Reach => (m.classic ? "classic" : isWebPeer(m.peer) ? "web" : "datagram");

/**
 * Whose say numbering a member continues: its client run (the nonce) under its name from its IP address. The
 * three together, so that a login that learned the nonce (sniffed from a hello in the clear) but comes from
 * elsewhere, or under another name, numbers its says apart and cannot make the member's next ones look like repeats.
 */
export const clientKey = (m: { nonce: string; name: string; address: string }) => `${m.nonce} ${nameKey(m.name)} ${m.address}`;
const peerKey = (p: Peer) => `${p.address}|${p.port}`;

/** The members, in the order they joined, with an index for each way a request finds its member. */
export class Roster {
  readonly #bySid = new Map<string, Member>();
  readonly #byName = new Map<string, Member>();
  /** By lookKey: the check that a newcomer's name does not look like a member's. */
  readonly #byLook = new Map<string, Member>();
  readonly #byPeer = new Map<string, Member>();
  /** peers(), classicPeers() and each reach's members, until the membership changes: the fan-out reads them for every event. */
  #peers: Peer[] | undefined;
  #classicPeers: Peer[] | undefined;
  #reached: Map<Reach, Member[]> | undefined;

  get size(): number {
    return this.#bySid.size;
  }

  members(): IterableIterator<Member> {
    return this.#bySid.values();
  }

  /** The addresses of the members that speak this protocol by datagram, in one array kept between membership changes. */
  peers(): readonly Peer[] {
    this.#peers ??= this.reached("datagram").map((m) => m.peer);
    return this.#peers;
  }

  /** The members reached one way (reachOf), likewise kept: each link sends to its own. */
  reached(reach: Reach): readonly Member[] {
    this.#reached ??= new Map();
    let members = this.#reached.get(reach);
    if (!members) {
      members = [...this.#bySid.values()].filter((m) => reachOf(m) === reach);
      this.#reached.set(reach, members);
    }
    return members;
  }

  /** The addresses of the classic members (`--classic`), likewise kept. */
  classicPeers(): readonly Peer[] {
    this.#classicPeers ??= [...this.#bySid.values()].filter((m) => m.classic).map((m) => m.peer);
    return this.#classicPeers;
  }

  /** The member with session id `sid`. */
  get(sid: string): Member | undefined {
    return this.#bySid.get(sid);
  }

  /** The member holding `name`, compared without regard to case. */
  named(name: string): Member | undefined {
    return this.#byName.get(nameKey(name));
  }

  /** A member whose name looks like `name` (the same confusable skeleton, lookKey), whatever its case or script. */
  lookAlike(name: string): Member | undefined {
    return this.#byLook.get(lookKey(name));
  }

  /** The member whose datagrams come from `peer`. */
  at(peer: Peer): Member | undefined {
    return this.#byPeer.get(peerKey(peer));
  }

  /** The names of the members, in the order they joined. */
  names(): string[] {
    return [...this.#bySid.values()].map((m) => m.name);
  }

  add(member: Member): void {
    this.#peers = this.#classicPeers = this.#reached = undefined;
    this.#bySid.set(member.sid, member);
    this.#byName.set(nameKey(member.name), member);
    this.#byLook.set(lookKey(member.name), member);
    this.#byPeer.set(peerKey(member.peer), member);
  }

  /** `member` is called `name` from now on: every index by name follows. */
  rename(member: Member, name: string): void {
    // Dropped and added again, then put back in its place among the others: /who keeps the order they joined in.
    const order = [...this.#bySid.values()];
    this.drop(member);
    member.name = name;
    this.add(member);
    this.#bySid.clear();
    for (const m of order) this.#bySid.set(m.sid, m);
  }

  drop(member: Member): void {
    this.#peers = this.#classicPeers = this.#reached = undefined;
    this.#bySid.delete(member.sid);
    this.#byName.delete(nameKey(member.name));
    // Two members may share a skeleton (names from before the rule, a ghost's newcomer): the key goes to the other.
    const look = lookKey(member.name);
    if (this.#byLook.get(look) === member) {
      this.#byLook.delete(look);
      const other = [...this.#bySid.values()].find((m) => lookKey(m.name) === look);
      if (other) this.#byLook.set(look, other);
    }
    this.#byPeer.delete(peerKey(member.peer));
  }
}
