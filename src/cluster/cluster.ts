// This server's place in a cluster: its link to NATS, a mirror of who holds which name in which room, and which
// servers are alive. A member of a server that died and did not come back through another is told gone by the
// survivors (each may try; the log's message id and the bucket's compare-and-set make it happen once).

import { randomBytes } from "node:crypto";
import type { Log } from "../runtime/log.ts";
import type { ClusterBackend } from "./cluster-backend.ts";
import { ClusterLink } from "./nats.ts";
import { type NameHolder, SERVER_ID_HEX_DIGITS } from "./wire.ts";

/** How often a server says it is alive. */
const HEARTBEAT_MS = 1000;

export class Cluster {
  /** By room, then by name key. */
  readonly #holders = new Map<string, Map<string, NameHolder>>();
  /** When each server was last heard from. */
  readonly #seen = new Map<string, number>();
  readonly #startedAt = Date.now();
  /** Holders being evicted (room, key, revision), so that a sweep does not start the same eviction again. */
  readonly #evicting = new Set<string>();
  readonly #timer: ReturnType<typeof setInterval>;

  private constructor(
    readonly link: ClusterLink,
    private readonly peerTimeoutMs: number,
    private readonly log: Log,
  ) {
    link.onHeartbeat((id) => this.#seen.set(id, Date.now()));
    link.heartbeat();
    this.#timer = setInterval(() => link.heartbeat(), HEARTBEAT_MS);
  }

  static async join(url: string, peerTimeoutMs: number, log: Log): Promise<Cluster> {
    const link = await ClusterLink.connect(url, randomBytes(SERVER_ID_HEX_DIGITS / 2).toString("hex"), log);
    const cluster = new Cluster(link, peerTimeoutMs, log);
    await link.watchNames(
      (room, key, holder) => {
        const names = cluster.holders(room);
        if (holder) names.set(key, holder);
        else names.delete(key);
      },
      // Emptied in place: each room holds on to its map.
      () => {
        for (const names of cluster.#holders.values()) names.clear();
      },
    );
    return cluster;
  }

  get serverId(): string {
    return this.link.serverId;
  }

  /** Who holds which name in `room` (kept up to date: the map itself changes). */
  holders(room: string): Map<string, NameHolder> {
    let names = this.#holders.get(room);
    if (!names) {
      names = new Map();
      this.#holders.set(room, names);
    }
    return names;
  }

  /** A server not heard from for the peer timeout is dead (one never heard from counts from this server's start). */
  #alive(server: string, now: number): boolean {
    if (server === this.serverId) return true;
    return now - (this.#seen.get(server) ?? this.#startedAt) <= this.peerTimeoutMs;
  }

  /** Tells each room that the members of dead servers are gone. */
  sweep(rooms: Iterable<ClusterBackend>, now: number): void {
    for (const room of rooms) {
      for (const [key, holder] of this.holders(room.room.name)) {
        const job = `${room.room.name}\n${key}\n${holder.revision}`;
        if (this.#alive(holder.server, now) || this.#evicting.has(job)) continue;
        this.#evicting.add(job);
        this.log.debug(`${holder.name} was on a server silent for ${this.peerTimeoutMs / 1000} s: telling room ${room.room.name}`);
        void room
          .evict(key, holder)
          .catch((err) => this.log.debug(`evicting ${holder.name}: ${(err as Error).message}`))
          .finally(() => setTimeout(() => this.#evicting.delete(job), this.peerTimeoutMs));
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.link.close();
  }
}
