// The room server's shell: socket → flood gate → envelope → decode → room → encode once → send to whom the room says.
// One socket serves every room: a hello names its room, and any later request finds its room by the session id.

import { randomBytes } from "node:crypto";
import { AdminGate } from "../core/wire/admin-auth.ts";
import { Cookies } from "../core/wire/cookie.ts";
import { Envelope, isSealed, newSalt, travelsInClear } from "../core/wire/envelope.ts";
import { limiterFor } from "../core/limiter.ts";
import {
  ABUSE,
  checkRoom,
  decode,
  DEFAULT_ROOM,
  encode,
  encodeFrame,
  isAdminRequest,
  isRequest,
  LIMITS,
  MAX_PAYLOAD_BYTES,
  MAX_TEXT_BYTES,
  nameKey as nameKeyOf,
  SEAL_OVERHEAD_BYTES,
  textBytes,
  TIMERS,
  type AdminRequest,
  type Challenge,
  type Members,
  type Message,
  type Bye,
  type Hello,
  type Names,
  type Nack,
  type Ping,
  type Reply,
  type Request,
  type Say,
} from "../core/wire/protocol.ts";
import { Room, type Broadcast, type Outcome, type Peer, type Rate } from "../core/room/room.ts";
import { CLASSIC_REFUSAL, CLASSIC_REPLY, classicLine, isClassic, parseClassic } from "../core/wire/classic.ts";
import { Packer } from "../core/room/packer.ts";
import { MemoryStore, type RoomStore } from "../core/room/store.ts";
import type { Cluster } from "../cluster/cluster.ts";
import { ClusterBackend } from "../cluster/cluster-backend.ts";
import { LocalBackend, type RoomBackend } from "./room-backend.ts";
import type { Log } from "../runtime/log.ts";
import { roomFile, roomsIn, SqliteStore } from "./sqlite-store.ts";
import { openUdp, type UdpEndpoint } from "../runtime/udp.ts";

export interface ServerOptions {
  host: string;
  port: number;
  /** The admin secret operator requests are signed with; a function is given the bound port (the token file is per port). */
  token: string | ((port: number) => string);
  /** With a passphrase, every datagram but the knock and its challenge is sealed (envelope.ts). */
  passphrase?: string;
  /** Directory of the room database, or ":memory:" to keep nothing. */
  data: string;
  /** Messages replayed to a member who joins. */
  history: number;
  /** A member not heard from for this long is removed ("timeout"). */
  peerTimeoutMs: number;
  /** Messages per member; undefined: unlimited. */
  rate: Rate | undefined;
  /** New logins per IP address; undefined: unlimited. Default: ABUSE's. */
  logins?: Rate | undefined;
  /** Datagrams per sender (address and port), counted before decoding; undefined: unlimited. Default: ABUSE's. */
  datagrams?: Rate | undefined;
  maxMembers: number;
  /** No line on the console per join, leave and admin broadcast. */
  quiet?: boolean;
  /** Also speak the original exercise's text protocol (`L name`, `C name text`, `Q name`). */
  classic?: boolean;
  /** A NATS server with JetStream (nats://HOST:PORT): the rooms' logs and names are shared with the other servers there. */
  cluster?: string;
  log: Log;
}

const CLASSIC_TEXT = new TextEncoder();

/** One room this server holds, with what its fan-out needs. */
interface Hosted {
  readonly room: Room;
  readonly store: RoomStore;
  /** The room's events of this turn, sent together when it ends (setImmediate: after every datagram already read). */
  readonly packer: Packer;
  flushing: boolean;
  lastBroadcastAt: number;
  /** Where its events are numbered and kept: here (LocalBackend), or in a cluster's shared log (ClusterBackend). */
  backend: RoomBackend;
}

/** In a cluster: how often the server looks for rooms made on other servers. */
const ROOM_SCAN_MS = 2000;

/** How often the server looks for silent members and for an idle room that needs a tick. */
const HOUSEKEEPING_MS = 250;
/** How many recent operator requests are remembered (by sender and id), so a retry is answered again but acted on once. */
const ADMIN_MEMORY = 256;
/** Refusals of strangers (wrong token, wrong passphrase) are logged at most this often, so a flood cannot flood the log. */
const WARN_EVERY_MS = 5000;

export interface RunningServer {
  readonly address: string;
  readonly port: number;
  /** The rooms, the default one first. */
  rooms(): Room[];
  /** The default room's database file, or undefined with `--data :memory:` or in a cluster. */
  readonly dataFile: string | undefined;
  /** In a cluster: this server's id among the others. */
  readonly clusterId: string | undefined;
  /** An administrator broadcast from the console, to every room. Returns a one-line problem, or how many members it reached. */
  announce(text: string): { reached: number } | { problem: string };
  /** Kicks (or, with `banForMs`, bans) a member from every room it is in, from the console; false when nobody has that name. */
  kick(name: string, banForMs?: number): boolean;
  stop(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { log } = opts;
  const cookies = new Cookies(randomBytes(32));
  const salt = opts.passphrase === undefined ? undefined : newSalt();
  const envelope = opts.passphrase === undefined ? undefined : Envelope.fromPassphrase(opts.passphrase, salt!);
  const allowance =
    "datagrams" in opts
      ? opts.datagrams
      : { count: ABUSE.datagramBurst, windowMs: (ABUSE.datagramBurst * 1000) / ABUSE.datagramsPerSecond };
  const senders = limiterFor(allowance, ABUSE.trackedAddresses);
  const recentAdmin = new Map<string, Reply[]>();
  const warned = new Map<string, { at: number; count: number }>();
  let udp: UdpEndpoint | undefined;
  /** By name (checkRoom's form). Until the default room is open, datagrams are dropped (their senders repeat them). */
  const rooms = new Map<string, Hosted>();
  let lobby: Hosted | undefined;
  let cluster: Cluster | undefined;
  /** Cluster rooms being opened (the stream checked, the log followed): a second hello waits for the same. */
  const opening = new Map<string, Promise<Hosted>>();

  /** Sealed in a room with a passphrase: the bytes that go on the wire. */
  const wire = (plain: Uint8Array) => (envelope ? envelope.seal(plain) : plain);

  /** Logs a refusal of a stranger, summarizing repeats: at most one line per kind every WARN_EVERY_MS. */
  function warnThrottled(kind: string, from: Peer, now: number): void {
    const w = warned.get(kind) ?? { at: -Infinity, count: 0 };
    w.count++;
    if (now - w.at >= WARN_EVERY_MS) {
      log.warn(`refused ${w.count === 1 ? "a request" : `${w.count} requests`} (${kind}), the last from ${from.address}:${from.port}`);
      w.at = now;
      w.count = 0;
    }
    warned.set(kind, w);
  }

  /**
   * Answers one datagram. A stranger (not a member, nor a hello with a good cookie) is never sent more bytes than
   * its datagram held, so the server cannot be used to amplify a flood towards a forged source address.
   */
  class Answer {
    budget: number;
    constructor(
      readonly from: Peer,
      received: number,
      readonly sealed: boolean,
      member: boolean,
    ) {
      this.budget = member ? Infinity : received;
    }
    /** The sender has proven it receives at its address (a hello with a good cookie). */
    trust(): void {
      this.budget = Infinity;
    }
    send(plain: Uint8Array): void {
      const bytes = this.sealed ? wire(plain) : plain;
      if (bytes.length > this.budget) return log.debug(`not sent to ${this.from.address}:${this.from.port}: larger than what it sent`);
      this.budget -= bytes.length;
      udp?.send(bytes, this.from);
    }
    reply(msg: Reply): void {
      this.send(encode(msg));
    }
  }

  function handle(lobby: Hosted, msg: Request, answer: Answer, now: number): void {
    const from = answer.from;
    switch (msg.type) {
      case "knock":
        return answer.reply(challenge(from, now));
      case "hello": {
        if (!cookies.check(msg.cookie, from, now)) return answer.reply(challenge(from, now));
        answer.trust();
        const checked = checkRoom(msg.room ?? DEFAULT_ROOM);
        if ("problem" in checked) return answer.reply({ type: "refused", reason: "bad_room" });
        return void enter(checked.name, msg, answer, now);
      }
      case "say":
      case "ping":
      case "nack":
      case "bye":
      case "names":
        // A session id belongs to one room; one that none knows gets the default room's "unknown_session".
        return member(roomOf(msg.sid) ?? lobby, msg, answer, now);
      default:
        return operator(msg, answer, now);
    }
  }

  /** A hello whose cookie was good, into room `name`, which is opened if it is new (in a cluster: its stream first). */
  async function enter(name: string, msg: Hello, answer: Answer, now: number): Promise<void> {
    let h = rooms.get(name);
    if (!h) {
      if (rooms.size + opening.size >= LIMITS.maxRooms && !opening.has(name))
        return answer.reply({ type: "refused", reason: "too_many_rooms" });
      try {
        h = cluster ? await openClusterRoom(name) : openRoom(name);
      } catch (err) {
        return log.error(`cannot open room ${name}: ${(err as Error).message}`);
      }
    }
    // One address is in one room: a client that moved to another room has left the one it was in.
    for (const other of rooms.values()) {
      const stale = other !== h ? other.room.memberAt(answer.from) : undefined;
      if (stale) deliver(other, { broadcasts: other.room.remove(stale.sid, "quit", now) });
    }
    await h.backend.hello(msg, answer.from, answer);
  }

  function member(h: Hosted, msg: Say | Ping | Nack | Bye | Names, answer: Answer, now: number): void {
    const { room } = h;
    const from = answer.from;
    if (msg.type === "nack" || msg.type === "names") {
      // The numbers and the names are the room log's: the room only says whether the request is a member's.
      const member = room.authenticate(msg.sid, from);
      if (!member) return answer.reply({ type: "refused", reason: "unknown_session", ...(msg.type === "names" ? { id: msg.id } : {}) });
      member.lastSeen = now;
      if (msg.type === "nack") return void h.backend.repair(member, msg.from, msg.to, answer);
      return answer.reply(namesPage(h.backend.names(), msg.id, msg.from, MAX_PAYLOAD_BYTES));
    }
    switch (msg.type) {
      case "say":
        return deliver(h, room.say(msg, from, now), answer);
      case "ping":
        return deliver(h, room.ping(msg, from, now), answer);
      case "bye":
        return deliver(h, room.bye(msg, from, now), answer);
    }
  }

  /** The room whose member has session id `sid`. */
  function roomOf(sid: string): Hosted | undefined {
    for (const h of rooms.values()) if (h.room.peerOf(sid)) return h;
    return undefined;
  }

  /** True when `peer` is a member of some room: members are sent more than they send. */
  function isMember(peer: Peer): boolean {
    for (const h of rooms.values()) if (h.room.memberAt(peer)) return true;
    return false;
  }

  /** The rooms an operator request concerns: the one it names, or (where `all`) every room; undefined: no such room. */
  function roomsFor(room: string | undefined, all: boolean): Hosted[] | undefined {
    if (room === undefined) return all ? [...rooms.values()] : [lobby!];
    const checked = checkRoom(room);
    const h = "problem" in checked ? undefined : rooms.get(checked.name);
    return h ? [h] : undefined;
  }

  const challenge = (from: Peer, now: number): Challenge =>
    salt ? { type: "challenge", cookie: cookies.issue(from, now), salt } : { type: "challenge", cookie: cookies.issue(from, now) };

  /** A signed operator request: checked, then carried out once however often it is repeated. */
  function operator(msg: AdminRequest, answer: Answer, now: number): void {
    const verdict = gate.check(msg, now);
    if (verdict !== "ok") {
      warnThrottled(`admin ${verdict.replace("_", " ")}`, answer.from, now);
      return answer.reply({ type: "refused", reason: verdict, id: msg.id });
    }
    const key = `${answer.from.address}|${answer.from.port}|${msg.type}|${msg.id}`;
    const seen = msg.type === "who" ? undefined : recentAdmin.get(key);
    if (seen) {
      for (const r of seen) answer.reply(r);
      return;
    }
    const targets = roomsFor(msg.room, msg.type !== "who");
    if (!targets) return answer.reply({ type: "refused", reason: "no_such_room", id: msg.id });
    let replies: Reply[];
    switch (msg.type) {
      case "announce": {
        const result = announce(targets, msg.text, now);
        replies = [
          "problem" in result ? { type: "refused", reason: "too_long", id: msg.id } : { type: "ack", id: msg.id, count: result.reached },
        ];
        break;
      }
      case "kick":
      case "ban": {
        const banFor = msg.type === "kick" ? undefined : msg.seconds === 0 ? Infinity : msg.seconds * 1000;
        const done = targets.filter((h) => kick(h, msg.name, now, banFor)).length > 0;
        replies = [done ? { type: "ack", id: msg.id } : { type: "refused", reason: "no_such_member", id: msg.id }];
        break;
      }
      case "who": {
        const names = targets[0]!.backend.names();
        return answer.reply(namesPage(names, msg.id, msg.from, answer.budget - (answer.sealed ? SEAL_OVERHEAD_BYTES : 0)));
      }
    }
    recentAdmin.set(key, replies);
    if (recentAdmin.size > ADMIN_MEMORY) recentAdmin.delete(recentAdmin.keys().next().value!);
    for (const r of replies) answer.reply(r);
  }

  /** An administrator broadcast to `targets`: the same text, one event in each room. */
  function announce(targets: readonly Hosted[], text: string, now: number): { reached: number } | { problem: "too_long" } {
    let reached = 0;
    for (const h of targets) {
      const outcome = h.room.announce({ id: 0, text }, now);
      const ack = outcome.replies[0];
      if (ack?.type !== "ack") return { problem: "too_long" }; // the same text fits in every room or in none
      reached += h.backend.names().length;
      deliver(h, { broadcasts: outcome.broadcasts });
    }
    return { reached };
  }

  /** Kicks (with `banFor`, bans) `name` from room `h`: here, or through the server of the cluster that has it. */
  function kick(h: Hosted, name: string, now: number, banFor?: number): boolean {
    return kickHere(h, name, now, banFor) || h.backend.kickElsewhere(name, banFor);
  }

  function kickHere(h: Hosted, name: string, now: number, banFor?: number): boolean {
    const done = h.room.kick(name, now, banFor);
    if (!done) return false;
    // Tell the member itself, so its client stops instead of logging straight back in.
    const told = done.kicked.classic
      ? CLASSIC_TEXT.encode(CLASSIC_REPLY.exit)
      : wire(encode({ type: "refused", reason: banFor === undefined ? "kicked" : "banned" }));
    udp?.send(told, done.kicked.peer);
    deliver(h, { broadcasts: done.broadcasts });
    return true;
  }

  /** One page of member names, from the `from`th on, as many as fit in `bytes`. */
  function namesPage(names: readonly string[], id: number, from: number, bytes: number): Members {
    const page: Members = { type: "members", id, names: [], total: names.length, next: 0 };
    let size = textBytes(encodeFrame({ ...page, next: names.length }));
    for (let i = from; i < names.length; i++) {
      size += textBytes(JSON.stringify(names[i])) + 1;
      if (size > Math.min(bytes, MAX_PAYLOAD_BYTES)) {
        page.next = i;
        break;
      }
      page.names.push(names[i]!);
    }
    return page;
  }

  /** Sends what the room decided: replies and repairs to the requester (if any), then the broadcasts. */
  function deliver(h: Hosted, outcome: Pick<Outcome, "broadcasts"> & Partial<Outcome>, answer?: Answer): void {
    // Embedded, the events go to fanout() at once; in a cluster, through the shared log, on every server.
    void h.backend.submit(outcome, answer);
  }

  /** Sends one event to the room's members: packed with the turn's others, or alone for a private message. */
  function fanout(h: Hosted, b: Broadcast): void {
    const { room } = h;
    toClassic(room, b);
    if (b.only) {
      // A private message and its stand-in go out alone, after everything queued before them.
      flush(h);
      const addressee = room.peerOf(b.only.to);
      if (addressee && !room.classicPeers().includes(addressee)) udp?.send(wire(b.datagram), addressee);
      sendToMembers(h, wire(b.only.hidden), exceptPeer(room, b.except), addressee);
    } else {
      h.packer.add(b.datagram, b.except);
      if (!h.flushing) {
        h.flushing = true;
        setImmediate(() => flush(h));
      }
    }
    report(h, b);
  }

  /** An event for the classic members (`--classic`), as the original server's line, encoded once, one per datagram. */
  function toClassic(room: Room, b: Broadcast): void {
    const classic = room.classicPeers();
    if (classic.length === 0) return;
    const line = classicLine(b.event);
    if (line === undefined) return;
    const bytes = CLASSIC_TEXT.encode(line);
    if (b.only) {
      const addressee = room.peerOf(b.only.to);
      if (addressee && classic.includes(addressee)) udp?.send(bytes, addressee);
      return;
    }
    udp?.sendToAll(bytes, classic, exceptPeer(room, b.except));
  }

  /**
   * A datagram of the original exercise's text protocol. Its clients prove nothing (no cookie, no session): the
   * member is whoever logged in from that address, and everything it gets is one line per datagram.
   */
  function classic(h: Hosted, data: Uint8Array, from: Peer, now: number): void {
    const { room } = h;
    const request = parseClassic(data);
    if (!request) return log.debug(`dropped a malformed classic datagram from ${from.address}:${from.port}`);
    const answer = (text: string) => void udp?.send(CLASSIC_TEXT.encode(text), from);
    switch (request.kind) {
      case "login": {
        const outcome = room.classicLogin(request.name, from, now);
        const first = outcome.replies[0];
        if (first?.type === "refused") return answer(CLASSIC_REFUSAL[first.reason] ?? CLASSIC_REFUSAL.other);
        answer(CLASSIC_REPLY.ok);
        return deliver(h, { broadcasts: outcome.broadcasts });
      }
      case "chat":
        return deliver(h, { broadcasts: room.classicSay(request.text, from, now) });
      case "quit": {
        const left = room.classicQuit(from, now);
        if (!left) return;
        answer(CLASSIC_REPLY.exit);
        return deliver(h, { broadcasts: left });
      }
    }
  }

  /** Sends what the packer holds: every event of this turn, in as few datagrams as they fit in. */
  function flush(h: Hosted): void {
    h.flushing = false;
    if (h.packer.pending === 0) return;
    for (const packet of h.packer.take()) sendToMembers(h, wire(packet.bytes), exceptPeer(h.room, packet.except));
  }

  /** The address of the member an event leaves out (its own join, message or leave), if it is still in the room. */
  const exceptPeer = (room: Room, sid: string | undefined) => (sid === undefined ? undefined : room.peerOf(sid));

  function sendToMembers(h: Hosted, datagram: Uint8Array, except?: Peer, alsoExcept?: Peer): void {
    const peers = alsoExcept ? h.room.peers().filter((p) => p !== alsoExcept) : h.room.peers();
    udp?.sendToAll(datagram, peers, except);
    h.lastBroadcastAt = Date.now();
  }

  /** The console's line for what the operator wants to know of: who came, who went, what the administrator said. */
  function report(h: Hosted, { event: e }: Broadcast): void {
    if (opts.quiet) return;
    const { room } = h;
    // The default room goes unnamed, so a server with one room reads as it did before there were rooms.
    const where = room.name === DEFAULT_ROOM ? "the room" : `room ${room.name}`;
    // In a cluster the room's members are on every server: count them all.
    const size = h.backend.names().length;
    if (e.type === "join") log.info(`${e.name} joined (${size} in ${where})`);
    else if (e.type === "leave") log.info(`${e.name} left${e.reason === "quit" ? "" : ` (${e.reason})`} (${size} in ${where})`);
    else if (e.type === "admin")
      log.info(
        `admin broadcast ${JSON.stringify(e.text)} to ${size} member(s)${room.name === DEFAULT_ROOM ? "" : ` in room ${room.name}`}`,
      );
  }

  /** Removes silent members, and ticks when the room has been quiet for a heartbeat (so a lost last event shows). */
  function housekeeping(h: Hosted): void {
    const now = Date.now();
    deliver(h, { broadcasts: h.room.sweep(now, opts.peerTimeoutMs) });
    if (h.room.size > 0 && now - h.lastBroadcastAt >= TIMERS.heartbeatMs) {
      flush(h); // a tick must not announce an event that has not gone out yet
      sendToMembers(h, wire(h.backend.tick(now)));
    }
  }

  function onDatagram(lobby: Hosted, data: Uint8Array, from: Peer): void {
    const now = Date.now();
    // A sender over its allowance is dropped before any work is spent on it: a flood costs one map lookup a datagram.
    if (senders && !senders.take(`${from.address}|${from.port}`, now)) return;
    // The original exercise has one room: its clients are in the default one.
    if (opts.classic && isClassic(data)) return classic(lobby, data, from, now);
    const member = isMember(from);
    let plain = data;
    const sealed = isSealed(data);
    if (envelope && sealed) {
      const opened = envelope.open(data);
      if (!opened) {
        if (member) return log.debug(`dropped a datagram from ${from.address}:${from.port} that does not open with the room's key`);
        warnThrottled("wrong passphrase", from, now);
        return new Answer(from, data.length, false, false).reply({ type: "refused", reason: "bad_passphrase" });
      }
      plain = opened;
    }
    let messages: Message[];
    try {
      messages = decode(plain);
    } catch (err) {
      return log.debug(`dropped a datagram from ${from.address}:${from.port}: ${String(err)}`);
    }
    const answer = new Answer(from, data.length, envelope !== undefined && sealed, member);
    for (const msg of messages) {
      if (!isRequest(msg)) {
        log.debug(`dropped a ${msg.type} from ${from.address}:${from.port}: only the server sends those`);
        continue;
      }
      // With a passphrase only the knock travels in the clear: it asks for the salt that everything else needs.
      if (envelope && !sealed && !travelsInClear(msg)) {
        answer.reply({ type: "refused", reason: "passphrase_required", ...(isAdminRequest(msg) ? { id: msg.id } : {}) });
        continue;
      }
      handle(lobby, msg, answer, now);
    }
  }

  /** A room with the server's rules; `elsewhere`, in a cluster: who holds a name on another server. */
  function newRoom(name: string, store: RoomStore, elsewhere?: (name: string) => string | undefined): Room {
    return new Room({
      name,
      store,
      newSessionId: () => randomBytes(16).toString("hex"),
      history: opts.history,
      now: Date.now(),
      rate: opts.rate,
      ...("logins" in opts ? { logins: opts.logins } : {}),
      maxMembers: opts.maxMembers,
      ...(elsewhere ? { elsewhere } : {}),
    });
  }

  /** Opens room `name` of the cluster: its stream, a room for this server's members, and the log followed. */
  function openClusterRoom(name: string): Promise<Hosted> {
    const pending = opening.get(name);
    if (pending) return pending;
    const opened = (async () => {
      const c = cluster!;
      const { epoch, lastSeq } = await c.link.openRoom(name);
      const holders = c.holders(name);
      const store = new MemoryStore(epoch);
      const room = newRoom(name, store, (n) => {
        const holder = holders.get(nameKeyOf(n));
        return holder && holder.server !== c.serverId ? holder.name : undefined;
      });
      const shared = new ClusterBackend(room, epoch, lastSeq, c.link, holders, (b) => fanout(h, b), opts.history, log);
      const h: Hosted = { room, store, packer: new Packer(), flushing: false, lastBroadcastAt: 0, backend: shared };
      await shared.follow();
      rooms.set(name, h);
      return h;
    })().finally(() => opening.delete(name));
    opening.set(name, opened);
    return opened;
  }

  /** Opens room `name` (checkRoom's form) with its store: a database file per room with --data, else memory. */
  function openRoom(name: string): Hosted {
    const store =
      opts.data === ":memory:" ? new MemoryStore(randomBytes(8).toString("hex")) : new SqliteStore(roomFile(opts.data, udp!.port, name));
    const room = newRoom(name, store);
    const h: Hosted = {
      room,
      store,
      packer: new Packer(),
      flushing: false,
      lastBroadcastAt: 0,
      backend: new LocalBackend(room, (b) => fanout(h, b)),
    };
    rooms.set(name, h);
    if (room.size > 0)
      log.info(`restored ${room.size} member(s) and ${room.seq} event(s)${name === DEFAULT_ROOM ? "" : ` in room ${name}`}`);
    return h;
  }

  udp = await openUdp({
    hostname: opts.host,
    port: opts.port,
    log,
    onDatagram(data, from) {
      if (lobby) onDatagram(lobby, data, from);
    },
  });

  let gate: AdminGate;
  try {
    gate = new AdminGate(typeof opts.token === "string" ? opts.token : opts.token(udp.port));
    if (opts.cluster !== undefined) {
      // Imported here: the NATS client is loaded by a server of a cluster only, not by every start of chat.
      const { Cluster } = await import("../cluster/cluster.ts");
      cluster = await Cluster.join(opts.cluster, opts.peerTimeoutMs, log);
      // Another server's operator kicking or banning a member of this one.
      cluster.link.onControl((order) => {
        const h = rooms.get(order.room);
        const banFor = order.banSeconds === undefined ? undefined : order.banSeconds === 0 ? Infinity : order.banSeconds * 1000;
        if (h && kickHere(h, order.name, Date.now(), banFor))
          log.debug(`${order.name} kicked from room ${order.room} at another server's request`);
      });
      // Every room the cluster has, so that a broadcast to every room reaches them all.
      for (const name of new Set([DEFAULT_ROOM, ...(await cluster.link.rooms())])) await openClusterRoom(name);
      lobby = rooms.get(DEFAULT_ROOM);
    } else {
      lobby = openRoom(DEFAULT_ROOM);
      // The rooms a crashed or stopped server had come back with it, members and all.
      if (opts.data !== ":memory:") for (const name of roomsIn(opts.data, udp.port)) if (!rooms.has(name)) openRoom(name);
    }
  } catch (err) {
    for (const h of rooms.values()) h.store.close();
    await cluster?.close();
    udp.close();
    throw err;
  }
  const defaultRoom = lobby!;
  let lastRoomScan = Date.now();
  const timer = setInterval(() => {
    rooms.forEach(housekeeping);
    if (!cluster) return;
    const now = Date.now();
    cluster.sweep(
      [...rooms.values()].flatMap((h) => (h.backend instanceof ClusterBackend ? [h.backend] : [])),
      now,
    );
    // Rooms made on other servers: open them here too, for broadcasts to every room.
    if (now - lastRoomScan >= ROOM_SCAN_MS) {
      lastRoomScan = now;
      void cluster.link.rooms().then(
        (names) => {
          for (const name of names) if (!rooms.has(name) && rooms.size < LIMITS.maxRooms) void openClusterRoom(name).catch(() => {});
        },
        () => {},
      );
    }
  }, HOUSEKEEPING_MS);

  return {
    address: udp.address,
    port: udp.port,
    rooms: () => [...rooms.values()].map((h) => h.room),
    dataFile: defaultRoom.store instanceof SqliteStore ? defaultRoom.store.file : undefined,
    clusterId: cluster?.serverId,
    announce(text) {
      const bytes = textBytes(text);
      if (bytes > MAX_TEXT_BYTES) return { problem: `not sent: ${bytes} bytes (max ${MAX_TEXT_BYTES})` };
      const result = announce([...rooms.values()], text, Date.now());
      return "problem" in result ? { problem: "not sent: too long once encoded" } : result;
    },
    kick: (name, banForMs) => [...rooms.values()].filter((h) => kick(h, name, Date.now(), banForMs)).length > 0,
    async stop() {
      clearInterval(timer);
      for (const h of rooms.values()) {
        flush(h);
        h.store.close();
      }
      udp?.close();
      await cluster?.close();
    },
  };
}
