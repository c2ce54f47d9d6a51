// What a member is sent again of the room's past: the welcome with its backlog, repairs, and pages of names, each cut
// to fit one datagram. Both kinds of room (the embedded Room and a cluster's ClusterBackend) answer with these.

import {
  type AwayMark,
  decodeReplies,
  encode,
  encodeFrame,
  isEncoded,
  LIMITS,
  type Lost,
  MAX_PAYLOAD_BYTES,
  type Members,
  nameKey,
  type PrivateEvent,
  textBytes,
  type Welcome,
} from "../wire/protocol.ts";
import type { Broadcast } from "./event-log.ts";
import type { Member } from "./roster.ts";

/** The stored datagram of event `seq`, while it is kept. */
export type EventAt = (seq: number) => Uint8Array | undefined;

/** Whom a replay is for: what decides which private messages it may read. */
export type Viewer = Pick<Member, "name" | "joinedAt">;

/**
 * A stored event as `member` may see it: a private message only by its two parties, and only by the sessions that
 * were in the room when it was sent (a later member under the same name must not read it); `hidden` for anyone else.
 */
export function asSeenBy(member: Viewer, datagram: Uint8Array): Uint8Array {
  if (!isEncoded(datagram, "private")) return datagram;
  const event = decodeReplies(datagram)[0] as PrivateEvent;
  const party = [event.from, event.to].some((n) => nameKey(n) === nameKey(member.name));
  return party && member.joinedAt < event.ts ? datagram : encode({ type: "hidden", seq: event.seq });
}

/** The join of member `sid` among a request's broadcasts: a new session's welcome names it as its `seq`. */
export const ownJoin = (broadcasts: readonly Broadcast[], sid: string): Broadcast | undefined =>
  broadcasts.find((b) => b.event.type === "join" && b.except === sid);

/** Events `start`..`end` as `member` may see them, skipping those no longer kept; none when `start` is 0 (no backlog). */
export function backlog(start: number, end: number, eventAt: EventAt, member: Viewer): Uint8Array[] {
  const resend: Uint8Array[] = [];
  for (let seq = start; start > 0 && seq <= end; seq++) {
    const datagram = eventAt(seq);
    if (datagram) resend.push(asSeenBy(member, datagram));
  }
  return resend;
}

export interface WelcomeFacts {
  readonly member: Pick<Member, "sid" | "name" | "joinedAt">;
  /**
   * The names of the other members (on every server of a cluster), in the order they are listed: all of them, or
   * at least the first NAMES_THAT_MIGHT_FIT (no more fit in a welcome).
   */
  readonly others: readonly string[];
  /** How many others there are in all (others.length when it lists all). */
  readonly count: number;
  /** The last event's number, as the member will count. */
  readonly seq: number;
  readonly epoch: string;
  readonly ts: number;
  /** The room's allowance of says and the server's peer timeout, as the welcome tells them (Room.limits). */
  readonly limits?: Pick<Welcome, "burst" | "refillMs" | "timeoutMs">;
  /** The backlog's first event (0: none) and its last: the welcome's `seq`, the member's own join in a new session. */
  readonly backlog: { readonly start: number; readonly end: number };
  readonly eventAt: EventAt;
}

/** A welcome never lists more names than this: each takes 4 bytes of its frame at least (`"a",`). */
export const NAMES_THAT_MIGHT_FIT = Math.ceil(MAX_PAYLOAD_BYTES / 4);

/** The welcome, listing as many of the others as fit in one datagram (and counting them all), and the backlog after it. */
export function welcomePage(facts: WelcomeFacts): { welcome: Welcome; resend: Uint8Array[] } {
  const { member, others } = facts;
  const resend = backlog(facts.backlog.start, facts.backlog.end, facts.eventAt, member);
  const welcome: Welcome = {
    type: "welcome",
    sid: member.sid,
    name: member.name,
    members: [],
    count: facts.count,
    seq: facts.seq,
    backlog: resend.length > 0 ? facts.backlog.start : 0,
    epoch: facts.epoch,
    ts: facts.ts,
    ...facts.limits,
  };
  // Sized with the limits in: the names are what is left of the datagram once every other field is there.
  welcome.members = namesThatFit(welcome, others, 0, MAX_PAYLOAD_BYTES);
  return { welcome, resend };
}

/**
 * The events a nack may have again: from its `from` (at least 1) to its `to`, cut to the first LIMITS.maxRepair of
 * them and to the last event. Empty (`last` below `first`) when `from` is past `to` or past the last event: such a
 * nack is answered with nothing (PROTOCOL.md §5.4).
 */
export function repairSpan(from: number, to: number, lastSeq: number): { readonly first: number; readonly last: number } {
  const first = Math.max(1, from);
  return { first, last: Math.min(to, first + LIMITS.maxRepair - 1, lastSeq) };
}

/** The events of `span` as `member` may see them; each run of those no longer kept is one `lost` range. */
export function repair(span: ReturnType<typeof repairSpan>, eventAt: EventAt, member: Viewer): { resend: Uint8Array[]; lost: Lost[] } {
  const resend: Uint8Array[] = [];
  const lost: Lost[] = [];
  let lostFrom = 0;
  for (let seq = span.first; seq <= span.last; seq++) {
    const datagram = eventAt(seq);
    if (datagram) resend.push(asSeenBy(member, datagram));
    if (!datagram && lostFrom === 0) lostFrom = seq;
    if (lostFrom !== 0 && (datagram || seq === span.last)) {
      lost.push({ type: "lost", from: lostFrom, to: datagram ? seq - 1 : seq });
      lostFrom = 0;
    }
  }
  return { resend, lost };
}

/**
 * One page of member names, from the `from`th on, as many as fit in `bytes`; `next` is where the next page starts
 * (0: none). `aways`: who is away, and why: the page marks those of its names (their marks take room from the names).
 */
export function namesPage(names: readonly string[], id: number, from: number, bytes: number, aways: readonly AwayMark[] = []): Members {
  const page: Members = { type: "members", id, names: [], total: names.length, next: 0 };
  const awayOf = new Map(aways.map((a) => [nameKey(a.name), a]));
  // Sized with the largest `next` it may carry, so that setting it cannot push the page over.
  page.names = namesThatFit({ ...page, next: names.length }, names, from, Math.min(bytes, MAX_PAYLOAD_BYTES), awayOf);
  const end = from + page.names.length;
  if (end < names.length) page.next = end;
  const away = page.names.flatMap((n) => awayOf.get(nameKey(n)) ?? []);
  if (away.length > 0) page.away = away;
  return page;
}

/**
 * The names from the `from`th on that fit in `frame` (whose list is empty) within `bytes`, each quoted, with its comma;
 * with `awayOf`, a name that is away also takes its mark's bytes (and the first, the `away` field's).
 */
export function namesThatFit(
  frame: Welcome | Members,
  names: readonly string[],
  from: number,
  bytes: number,
  awayOf?: ReadonlyMap<string, AwayMark>,
): string[] {
  const fit: string[] = [];
  let size = textBytes(encodeFrame(frame));
  let marks = 0;
  for (let i = from; i < names.length; i++) {
    size += textBytes(JSON.stringify(names[i])) + 1;
    const mark = awayOf?.get(nameKey(names[i]!));
    if (mark) size += textBytes(JSON.stringify(mark)) + 1 + (marks++ === 0 ? `,"away":[]`.length : 0);
    if (size > bytes) break;
    fit.push(names[i]!);
  }
  return fit;
}
