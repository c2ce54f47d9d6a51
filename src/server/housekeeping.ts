// The server's periodic work: silent members probed, then removed, quiet rooms ticked, empty rooms with nothing said in
// them forgotten, and in a cluster, dead servers' members told gone and rooms made elsewhere opened here.

import type { Cluster } from "../cluster/cluster.ts";
import type { Log } from "../runtime/log.ts";
import type { Rooms } from "./rooms.ts";

/** How often the server looks for silent members and for an idle room that needs a tick. */
export const HOUSEKEEPING_MS = 250;
/** In a cluster: how often the server looks for rooms made on other servers. */
export const ROOM_SCAN_MS = 2000;

export interface HousekeepingOptions {
  rooms: Rooms;
  cluster?: Cluster | undefined;
  /** A member not heard from for this long is removed ("timeout"). */
  peerTimeoutMs: number;
  log: Log;
}

export class Housekeeping {
  #lastRoomScan: number;

  constructor(
    private readonly opts: HousekeepingOptions,
    now: number,
  ) {
    this.#lastRoomScan = now;
  }

  /** One turn, every HOUSEKEEPING_MS. */
  turn(now: number): void {
    const { rooms, cluster, peerTimeoutMs } = this.opts;
    for (const { room, backend, links } of rooms.all()) {
      const { broadcasts, probes } = room.sweep(now, peerTimeoutMs);
      for (const member of probes) links.probe(member);
      void backend.submit({ broadcasts });
      links.idle(now, () => backend.tick(now));
    }
    rooms.vacate(); // after the sweep: a room its last member timed out of goes now
    if (!cluster) return;
    cluster.sweep(
      rooms.all().flatMap((h) => (h.shared ? [h.shared] : [])),
      now,
    );
    if (now - this.#lastRoomScan >= ROOM_SCAN_MS) {
      this.#lastRoomScan = now;
      void cluster.link.rooms().then(
        (names) => rooms.openMissing(names),
        // NATS is away (it comes back, or the link says so itself): the next scan asks again.
        (err) => this.opts.log.debug(`cannot list the cluster's rooms: ${(err as Error).message}`),
      );
    }
  }

  /** Runs turn() every HOUSEKEEPING_MS until the returned function is called. */
  start(clock: () => number = Date.now): () => void {
    const timer = setInterval(() => this.turn(clock()), HOUSEKEEPING_MS);
    return () => clearInterval(timer);
  }
}
