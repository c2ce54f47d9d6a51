// Where a room's events are kept and numbered, and who is in it: one interface, two kinds. The embedded one (here)
// is the Room with its store (memory or SQLite) in this process; a cluster's (cluster/cluster-backend.ts) is a stream
// in JetStream shared by several servers. The server's shell talks to either the same way.

import type { BanLength } from "../core/duration.ts";
import type { Broadcast, Member, Outcome, Peer, Room } from "../core/room/room.ts";
import type { Hello, Nick, Reply } from "../core/wire/protocol.ts";

/** Someone to answer: a reply, or the bytes of a stored event. */
export interface Requester {
  /** Where the request came from. */
  readonly from: Peer;
  reply(msg: Reply): void;
  send(datagram: Uint8Array): void;
}

/**
 * What the room decided, to be sent: its broadcasts always; replies and stored events when a requester is answered
 * (an operator's kick or a sweep has broadcasts only).
 */
export type Submission = Pick<Outcome, "broadcasts"> & Partial<Outcome>;

/** What the server's shell lends a room log: how to send one event to this server's members of the room. */
export type Fanout = (b: Broadcast) => void;

export interface RoomBackend {
  /** This server's members of the room: sessions, the order of their says, rates, leaving. */
  readonly room: Room;
  /** A hello whose cookie was good: the member is let in (or refused) and answered. */
  hello(msg: Omit<Hello, "cookie">, from: Peer, answer: Requester): void | Promise<void>;
  /** What the room decided: replies (and stored events) to the requester, events to the members, in order. */
  submit(outcome: Submission, answer?: Requester): void | Promise<void>;
  /** A member's /nick: the room renames it (in a cluster, once the new name is the member's among the cluster's names). */
  rename(msg: Nick, from: Peer, answer: Requester): void | Promise<void>;
  /** A member's nack: events `from`..`to` again, or `lost` for those no longer kept. */
  repair(member: Member, from: number, to: number, answer: Requester): void | Promise<void>;
  /** The names of the room's members (on every server). */
  names(): string[];
  /** The heartbeat of an idle room: the last event's number. */
  tick(now: number): Uint8Array;
  /**
   * Has the server that holds member `name`, if that is another server of a cluster, kick it (`banFor`: ban it,
   * BAN_WHILE_RUNNING: while that server runs). False when no other server has such a member.
   */
  kickElsewhere(name: string, banFor?: BanLength): boolean;
}

/** How a backend sends a member a `probe` (the ghost rule's, through the room's links). */
export type Prober = (member: Member) => void;

/** The embedded room log: the Room numbers and stores its events itself, and they go straight to the members. */
export class LocalBackend implements RoomBackend {
  constructor(
    readonly room: Room,
    private readonly fanout: Fanout,
    private readonly probe: Prober = () => {},
  ) {}

  hello(msg: Omit<Hello, "cookie">, from: Peer, answer: Requester): void {
    this.submit(this.room.hello(msg, from, Date.now()), answer);
  }

  submit(outcome: Submission, answer?: Requester): void {
    if (answer) {
      for (const reply of outcome.replies ?? []) answer.reply(reply);
      for (const datagram of outcome.resend ?? []) answer.send(datagram);
    }
    for (const b of outcome.broadcasts) this.fanout(b);
    for (const member of outcome.probes ?? []) this.probe(member);
  }

  rename(msg: Nick, from: Peer, answer: Requester): void {
    this.submit(this.room.rename(msg, from, Date.now()), answer);
  }

  repair(member: Member, from: number, to: number, answer: Requester): void {
    this.submit(this.room.nack({ type: "nack", sid: member.sid, from, to }, member.peer, Date.now()), answer);
  }

  names(): string[] {
    return this.room.names();
  }

  tick(now: number): Uint8Array {
    return this.room.tick(now);
  }

  kickElsewhere(): boolean {
    return false; // there is no elsewhere
  }
}
