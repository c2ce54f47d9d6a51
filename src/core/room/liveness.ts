// Whether a member is still there: when a silent member is probed, when it is removed, and when a newcomer from the
// holder's own IP address may take a name from a ghost (a session whose client is gone).

import type { Member } from "./roster.ts";

/**
 * Timers of the probes (docs/PROTOCOL.md §5.5). The member answers a `probe` at once with a `ping`; the server
 * needs nothing else from it, so these are the server's alone (the member only needs TIMERS' heartbeat).
 */
export const PROBE = {
  /** A member silent for this share of the peer timeout is probed... */
  silentShare: 0.6,
  /** ...and again this often, until it answers or the peer timeout has passed. */
  everyMs: 500,
  /** A name's holder probed for a newcomer from its IP address, not heard from within this long, is taken for a ghost. */
  ghostWaitMs: 1000,
  /** A contest for a name is forgotten this long after it began: a later newcomer makes the holder prove itself again. */
  contestLifeMs: 3000,
} as const;

/** What the sweep does about one member now: leave it, probe it, or remove it ("timeout"). */
export type Liveness = "keep" | "probe" | "remove";

/** The sweep's rule for `member` at `now`, with the server's peer timeout `timeoutMs`. */
export function livenessOf(member: Pick<Member, "lastSeen" | "probedAt">, now: number, timeoutMs: number): Liveness {
  const silent = now - member.lastSeen;
  if (silent > timeoutMs) return "remove";
  if (silent < timeoutMs * PROBE.silentShare) return "keep";
  // Probed since it was last heard from, and not long ago: wait for the answer.
  const probed = member.probedAt;
  if (probed !== undefined && probed >= member.lastSeen && now - probed < PROBE.everyMs) return "keep";
  return "probe";
}
