// Whether a member is still there: when a silent member is probed, when it is removed, and when a newcomer from the
// holder's own IP address may take a name from a ghost (a session whose client is gone).

import { TIMERS } from "../wire/protocol.ts";
import type { Member } from "./roster.ts";

/** What the sweep does about one member now: leave it, probe it, or remove it ("timeout"). */
export type Liveness = "keep" | "probe" | "remove";

/** The sweep's rule for `member` at `now`, with the server's peer timeout `timeoutMs`. */
export function livenessOf(member: Pick<Member, "lastSeen" | "probedAt">, now: number, timeoutMs: number): Liveness {
  const silent = now - member.lastSeen;
  if (silent > timeoutMs) return "remove";
  if (silent < timeoutMs * TIMERS.probeAtShare) return "keep";
  // Probed since it was last heard from, and not long ago: wait for the answer.
  const probed = member.probedAt;
  if (probed !== undefined && probed >= member.lastSeen && now - probed < TIMERS.probeEveryMs) return "keep";
  return "probe";
}
