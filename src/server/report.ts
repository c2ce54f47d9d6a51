// What the operator reads on the console: who came, who went, who renamed, what the administrator said; refusals of strangers, throttled.

import type { Broadcast, Peer } from "../core/room/room.ts";
import { DEFAULT_ROOM } from "../core/wire/protocol.ts";
import type { Log } from "../runtime/log.ts";

/** Refusals of strangers (wrong token, wrong passphrase) are logged at most this often, so a flood cannot flood the log. */
export const WARN_EVERY_MS = 5000;

/** After "bob left": the same words as a member's terminal and the README (`bob left (timed out)`). */
const LEAVE_WORDS = { quit: "", timeout: " (timed out)", kicked: " (kicked)", banned: " (banned)" } as const;

/**
 * The console's line for an event of room `room`, whose members (on every server of a cluster) are `size`.
 * The default room goes unnamed, so a server with one room reads as it did before there were rooms.
 */
export function reportEvent(log: Log, room: string, size: () => number, { event: e }: Broadcast): void {
  // `size` is counted only for the lines that say it: a message, the common event, says nothing on the console.
  const where = room === DEFAULT_ROOM ? "the room" : `room ${room}`;
  if (e.type === "join") log.info(`${e.name} joined (${size()} in ${where})`);
  else if (e.type === "leave") log.info(`${e.name} left${LEAVE_WORDS[e.reason]} (${size()} in ${where})`);
  else if (e.type === "rename") log.info(`${e.from} is now ${e.to}${room === DEFAULT_ROOM ? "" : ` (room ${room})`}`);
  else if (e.type === "admin")
    log.info(`admin broadcast ${JSON.stringify(e.text)} to ${size()} member(s)${room === DEFAULT_ROOM ? "" : ` in room ${room}`}`);
}

/** Refusals of strangers, summarized: at most one line per kind every WARN_EVERY_MS. */
export class Warnings {
  readonly #warned = new Map<string, { at: number; count: number }>();

  constructor(private readonly log: Log) {}

  refused(kind: string, from: Peer, now: number): void {
    const w = this.#warned.get(kind) ?? { at: -Infinity, count: 0 };
    w.count++;
    if (now - w.at >= WARN_EVERY_MS) {
      this.log.warn(`refused ${w.count === 1 ? "a request" : `${w.count} requests`} (${kind}), the last from ${from.address}:${from.port}`);
      w.at = now;
      w.count = 0;
    }
    this.#warned.set(kind, w);
  }
}
