// The rooms this server holds: opened here or in the cluster, restored after a restart, at most LIMITS.maxRooms open;
// an empty room is closed (forgotten when nothing was said in it), and new rooms per IP address are limited.

import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import type { Cluster } from "../cluster/cluster.ts";
import type { ClusterBackend } from "../cluster/cluster-backend.ts";
import { DEFAULT_LOGINS, DEFAULT_NEW_ROOMS, Gate } from "../core/room/gate.ts";
import type { Allowance, Broadcast, Peer, Rate } from "../core/room/room.ts";
import { Room } from "../core/room/room.ts";
import { MemoryStore, type RoomStore } from "../core/room/store.ts";
import { DEFAULT_ROOM, LIMITS, nameKey } from "../core/wire/protocol.ts";
import type { Log } from "../runtime/log.ts";
import { type MemberTransport, RoomLinks } from "./member-link.ts";
import { LocalBackend, type RoomBackend } from "./room-backend.ts";
import { roomFile, roomsIn, SqliteStore } from "./sqlite-store.ts";

/** One room this server holds. */
export interface HostedRoom {
  readonly room: Room;
  readonly store: RoomStore;
  /** Where its events are numbered and kept: here (LocalBackend), or in a cluster's shared log (ClusterBackend). */
  readonly backend: RoomBackend;
  /** In a cluster: the same backend, as the cluster's sweep needs it. */
  readonly shared?: ClusterBackend;
  /** How its events reach this server's members, one link per protocol. */
  readonly links: RoomLinks;
}

export interface RoomsOptions {
  /** Directory of the room databases, or ":memory:". */
  data: string;
  /** The server's port: the database files are per port. */
  port: number;
  history: number;
  /** Each member's allowance of says; undefined: unlimited. */
  rate: Allowance | undefined;
  /** The server's peer timeout, which each room's welcome tells (absent: TIMERS'). */
  peerTimeoutMs?: number;
  /** New logins per IP address, counted once for the server (every room's); undefined: unlimited; absent: ABUSE's. */
  logins?: Rate | undefined;
  /** New rooms one IP address may make; undefined: unlimited; absent: ABUSE's (DEFAULT_NEW_ROOMS). */
  newRooms?: Rate | undefined;
  maxMembers: number;
  cluster?: Cluster | undefined;
  /** The protocols members speak: each room gets one link of each. */
  transports: readonly MemberTransport[];
  /** Called for every event after it went to the members (the console's report). */
  onEvent?: (h: HostedRoom, b: Broadcast) => void;
  /** The clock (Date.now): restored members count as heard from now. */
  now: () => number;
  /** When a room database writes what its room committed (the server's turn end); absent: at once. */
  writeLater?: (write: () => void) => void;
  /** Another process checkpoints the room databases (checkpointer.ts): they do only past this many pages of log. */
  walPagesCap?: number;
  log: Log;
}

export class Rooms {
  /** By name (checkRoom's form). */
  readonly #rooms = new Map<string, HostedRoom>();
  /** Cluster rooms being opened (the stream checked, the log followed): a second hello waits for the same. */
  readonly #opening = new Map<string, Promise<HostedRoom>>();
  #lobby: HostedRoom | undefined;
  /** The door all the rooms share: a ban without a room, a kick's memory and the logins per address hold in each. */
  readonly #gate: Gate;

  constructor(private readonly opts: RoomsOptions) {
    this.#gate = new Gate("logins" in opts ? opts.logins : DEFAULT_LOGINS, "newRooms" in opts ? opts.newRooms : DEFAULT_NEW_ROOMS);
  }

  /** The default room; undefined until start() has opened it (datagrams are dropped until then: senders repeat them). */
  get lobby(): HostedRoom | undefined {
    return this.#lobby;
  }

  get(name: string): HostedRoom | undefined {
    return this.#rooms.get(name);
  }

  /** Every room, the default one first. */
  all(): HostedRoom[] {
    return [...this.#rooms.values()];
  }

  /** The room whose member has session id `sid`. */
  roomOf(sid: string): HostedRoom | undefined {
    for (const h of this.#rooms.values()) if (h.room.peerOf(sid)) return h;
    return undefined;
  }

  /** True when `peer` is a member of some room: members are sent more than they send. */
  isMember(peer: Peer): boolean {
    for (const h of this.#rooms.values()) if (h.room.memberAt(peer)) return true;
    return false;
  }

  /**
   * Opens the default room and, without a cluster, the rooms a stopped server left members in (the others wait,
   * closed, for someone to enter them: 5.13); in a cluster, every room it has.
   */
  async start(): Promise<void> {
    const { cluster, data } = this.opts;
    if (cluster) {
      // Every room the cluster has, so that a broadcast to every room reaches them all.
      for (const name of new Set([DEFAULT_ROOM, ...(await cluster.link.rooms())])) await this.#openShared(cluster, name);
      this.#lobby = this.#rooms.get(DEFAULT_ROOM);
      return;
    }
    this.#lobby = this.#openLocal(DEFAULT_ROOM);
    if (data === ":memory:") return;
    for (const name of roomsIn(data, this.opts.port)) {
      // More rooms with members than the server holds (left by an older server): the rest open at their members' hellos.
      if (this.#rooms.size >= LIMITS.maxRooms) break;
      if (this.#rooms.has(name)) continue;
      // The rooms a crashed or stopped server had come back with it, members and all; an empty one is closed again.
      const h = this.#openLocal(name);
      if (this.#closable(h)) this.#close(h);
    }
  }

  /**
   * Room `name` (checkRoom's form) for a hello from IP `address`, opened if it is not open: a room closed with its
   * history is reopened; a new one (in a cluster: its stream first) uses one of the address's new rooms
   * ("too_many_new_rooms" without one). At LIMITS.maxRooms an empty room gives its place up; with none empty,
   * "too_many_rooms".
   */
  async enter(name: string, address: string, now: number): Promise<HostedRoom | "too_many_rooms" | "too_many_new_rooms"> {
    const h = this.#rooms.get(name);
    if (h) return h;
    const { cluster } = this.opts;
    if (cluster && this.#opening.has(name)) return this.#openShared(cluster, name);
    const full = this.#rooms.size + this.#opening.size >= LIMITS.maxRooms;
    const vacant = full ? [...this.#rooms.values()].find((r) => this.#closable(r)) : undefined;
    if (full && !vacant) return "too_many_rooms";
    if (!this.#kept(name) && !this.#gate.mayMakeRoom(address, now)) return "too_many_new_rooms";
    if (vacant) this.#close(vacant);
    return cluster ? this.#openShared(cluster, name) : this.#openLocal(name);
  }

  /** Housekeeping's turn: an empty room with nothing worth keeping is forgotten (with --data: its file deleted). */
  vacate(): void {
    for (const h of [...this.#rooms.values()]) if (this.#closable(h) && !h.store.hasHistory()) this.#close(h);
  }

  /**
   * An empty room may be closed, but never the default one, nor a cluster's: its stream is the cluster's, shared
   * with servers that may have members in it, and each server holds every room of the cluster for its broadcasts.
   */
  #closable(h: HostedRoom): boolean {
    return h.room.name !== DEFAULT_ROOM && !h.shared && h.room.size === 0;
  }

  /**
   * Closes an empty room. With history: its file is kept, and the room reopens (members see its backlog) when
   * someone enters it; with --data :memory: the history goes with it, as that server keeps nothing. Without history:
   * forgotten, its file deleted, so that a restart does not bring it back.
   */
  #close(h: HostedRoom): void {
    this.#rooms.delete(h.room.name);
    h.links.flush();
    const kept = h.store.hasHistory();
    try {
      if (kept) h.store.close();
      else h.store.discard();
    } catch (err) {
      // The room is closed all the same (a file left behind is deleted when a restart finds it empty): the server goes on.
      return this.opts.log.warn(`cannot close room ${h.room.name}'s database: ${(err as Error).message}`);
    }
    this.opts.log.debug(`room ${h.room.name} is empty: ${kept ? "closed, its history kept" : "forgotten, nothing was said in it"}`);
  }

  /** True when room `name` was closed with its history (its file is there): reopening it makes no new room. */
  #kept(name: string): boolean {
    const { cluster, data, port } = this.opts;
    return !cluster && data !== ":memory:" && existsSync(roomFile(data, port, name));
  }

  /** In a cluster: rooms made on other servers are opened here too (all at once), for broadcasts to every room. */
  openMissing(names: readonly string[]): void {
    const { cluster, log } = this.opts;
    if (!cluster) return;
    for (const name of names) {
      if (this.#rooms.has(name) || this.#rooms.size >= LIMITS.maxRooms) continue;
      // The next scan tries again: a failure here is worth a debug line only.
      void this.#openShared(cluster, name).catch((err) => log.debug(`cannot open room ${name} yet: ${(err as Error).message}`));
    }
  }

  /** Tells every member of every room that this server is stopping (sent as it is: the caller repeats it). */
  stopping(): void {
    for (const h of this.#rooms.values()) {
      h.links.flush(); // what the members were owed goes first
      h.links.stopping();
    }
  }

  /** Sends what every room holds back, and closes their stores. */
  close(): void {
    for (const h of this.#rooms.values()) {
      h.links.flush();
      h.store.close();
    }
  }

  /**
   * A room with the server's rules; `elsewhere`, in a cluster: who holds a name on another server. A cluster's room
   * leaves out the ghost rule: a name is the cluster's, taken and given back through NATS, not the room's to hand on.
   */
  #newRoom(name: string, store: RoomStore, elsewhere?: (name: string) => string | undefined): Room {
    const { opts } = this;
    return new Room({
      name,
      store,
      newSessionId: () => randomBytes(16).toString("hex"),
      history: opts.history,
      now: opts.now(),
      rate: opts.rate,
      gate: this.#gate,
      maxMembers: opts.maxMembers,
      ...(opts.peerTimeoutMs !== undefined ? { peerTimeoutMs: opts.peerTimeoutMs } : {}),
      ...(elsewhere ? { elsewhere, ghosts: false } : {}),
    });
  }

  /** The room's events, as its backend hands them out: to the links, then to the report. */
  #fanout(h: () => HostedRoom): (b: Broadcast) => void {
    return (b) => {
      const hosted = h();
      hosted.links.deliver(b);
      this.opts.onEvent?.(hosted, b);
    };
  }

  /** Opens room `name` with its store: a database file per room with --data, else memory. */
  #openLocal(name: string): HostedRoom {
    const { data, port, log } = this.opts;
    const store =
      data === ":memory:"
        ? new MemoryStore(randomBytes(8).toString("hex"))
        : new SqliteStore(roomFile(data, port, name), this.opts.writeLater, this.opts.walPagesCap);
    const room = this.#newRoom(name, store);
    const links = new RoomLinks(this.opts.transports.map((t) => t(room)));
    const h: HostedRoom = {
      room,
      store,
      links,
      backend: new LocalBackend(
        room,
        this.#fanout(() => h),
        (member) => links.probe(member),
      ),
    };
    this.#rooms.set(name, h);
    if (room.size > 0)
      log.info(`restored ${room.size} member(s) and ${room.seq} event(s)${name === DEFAULT_ROOM ? "" : ` in room ${name}`}`);
    return h;
  }

  /** Opens room `name` of the cluster: its stream, a room for this server's members, and the log followed. */
  #openShared(cluster: Cluster, name: string): Promise<HostedRoom> {
    const pending = this.#opening.get(name);
    if (pending) return pending;
    const opened = (async () => {
      // Imported here, as the cluster itself is: the NATS client is loaded by a server of a cluster only.
      const { ClusterBackend } = await import("../cluster/cluster-backend.ts");
      const { epoch, lastSeq } = await cluster.link.openRoom(name);
      const holders = cluster.holders(name);
      const store = new MemoryStore(epoch);
      const room = this.#newRoom(name, store, (n) => {
        const holder = holders.get(nameKey(n));
        return holder && holder.server !== cluster.serverId ? holder.name : undefined;
      });
      const links = new RoomLinks(this.opts.transports.map((t) => t(room)));
      const { history, log } = this.opts;
      const shared = new ClusterBackend(
        room,
        epoch,
        lastSeq,
        cluster.link,
        holders,
        this.#fanout(() => h),
        history,
        log,
      );
      const h: HostedRoom = { room, store, links, backend: shared, shared };
      await shared.follow();
      this.#rooms.set(name, h);
      return h;
    })().finally(() => this.#opening.delete(name));
    this.#opening.set(name, opened);
    return opened;
  }
}
