// The room server's shell: socket → ingress (flood gate, envelope, decode) → dispatch → room → links to the members.
// One socket serves every room: a hello names its room, and any later request finds its room by the session id.
// The units are composed here; each holds its own state (answer, ingress, dispatch, operator, rooms, fanout, housekeeping).

import { randomBytes } from "node:crypto";
import type { Cluster } from "../cluster/cluster.ts";
import { type BanLength, banFromWire } from "../core/duration.ts";
import type { Allowance, Broadcast, Rate } from "../core/room/room.ts";
import { AdminGate } from "../core/wire/admin-auth.ts";
import { Cookies } from "../core/wire/cookie.ts";
import { Envelope, newSalt } from "../core/wire/envelope.ts";
import type { Log } from "../runtime/log.ts";
import { openUdp } from "../runtime/udp.ts";
import { WebLink } from "../web/web-link.ts";
import { type RunningWeb, startWeb, type WebOptions } from "../web/web-server.ts";
import { WebSockets } from "../web/web-sockets.ts";
import { type Checkpointer, startCheckpointer, WAL_PAGES_CAP } from "./checkpointer.ts";
import { ClassicLink, classicRequest } from "./classic.ts";
import { Dispatch } from "./dispatch.ts";
import { DatagramLink } from "./fanout.ts";
import { Housekeeping } from "./housekeeping.ts";
import { DEFAULT_ALLOWANCE, Ingress } from "./ingress.ts";
import type { MemberTransport } from "./member-link.ts";
import { Operator } from "./operator.ts";
import { ServerProofs } from "./proofs.ts";
import { reportEvent, Warnings } from "./report.ts";
import { type HostedRoom, Rooms } from "./rooms.ts";
import { SqliteStore } from "./sqlite-store.ts";
import { afterWrites, heldAnswers, Turn } from "./turn.ts";

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
  /** Each member's allowance of says (`--burst`, `--rate`); undefined: unlimited. */
  rate: Allowance | undefined;
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
  /** The TCP port of the web page and its WebSocket (0: any free one), or "off"; absent: the UDP port's number. */
  web?: number | "off";
  log: Log;
}

/** One room as the console sees it. */
export interface RoomSummary {
  readonly name: string;
  /** Its members' names, on every server of a cluster. */
  readonly names: string[];
}

export interface RunningServer {
  readonly address: string;
  readonly port: number;
  /** The rooms, the default one first. */
  rooms(): RoomSummary[];
  /** The default room's database file, or undefined with `--data :memory:` or in a cluster. */
  readonly dataFile: string | undefined;
  /** The TCP port the web page is served on; undefined when it is not (`--web off`, or a passphrase). */
  readonly webPort: number | undefined;
  /** In a cluster: this server's id among the others. */
  readonly clusterId: string | undefined;
  /** An administrator broadcast from the console, to every room. Returns a one-line problem, or how many members it reached. */
  announce(text: string): { reached: number } | { problem: string };
  /** Kicks (or, with `banFor`, bans) a member from every room it is in, from the console; false when nobody has that name. */
  kick(name: string, banFor?: BanLength): boolean;
  stop(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { log } = opts;
  const salt = opts.passphrase === undefined ? undefined : newSalt();
  const envelope = salt === undefined ? undefined : Envelope.fromPassphrase(opts.passphrase!, salt);
  const seal = (plain: Uint8Array) => (envelope ? envelope.seal(plain) : plain);
  const warnings = new Warnings(log);
  // Until the rooms are open there is no ingress, and datagrams are dropped (their senders repeat them).
  let ingress: Ingress | undefined;
  const turn = new Turn();
  const socket = await openUdp({
    hostname: opts.host,
    port: opts.port,
    log,
    onDatagram: (data, from) => {
      ingress?.receive(data, from, Date.now());
      turn.read();
    },
  });
  // Nothing leaves before what it depends on is stored: a turn's writes are committed before any of its datagrams.
  const udp = afterWrites(socket, turn);

  let gate: AdminGate;
  let cluster: Cluster | undefined;
  try {
    gate = new AdminGate(typeof opts.token === "string" ? opts.token : opts.token(udp.port));
    if (opts.cluster !== undefined) cluster = await joinCluster(opts.cluster, opts.peerTimeoutMs, log);
  } catch (err) {
    udp.close();
    throw err;
  }
  const proofs = new ServerProofs();
  const sockets = new WebSockets(() => turn.commitNow());
  const transports: MemberTransport[] = [
    (room) => new DatagramLink({ room, udp, seal, proofs, now: Date.now, later: (flush) => turn.at("events", flush) }),
    (room) => new WebLink(room, sockets, Date.now, (flush) => turn.at("events", flush)),
  ];
  if (opts.classic) transports.unshift((room) => new ClassicLink(room, udp)); // first, as the classic lines always went
  // The room databases, if any, are checkpointed by a subprocess (checkpointer.ts): the loop never waits on the disk.
  const databases = opts.data !== ":memory:" && cluster === undefined;
  const report = (h: HostedRoom, b: Broadcast) => reportEvent(log, h.room.name, () => h.backend.names().length, b);
  // The room rules (data, history, rate, logins, maxMembers) and the log as given; `logins` absent stays absent.
  const rooms = new Rooms({
    ...opts,
    port: udp.port,
    cluster,
    transports,
    ...(opts.quiet ? {} : { onEvent: report }),
    now: Date.now,
    writeLater: (write) => turn.at("store", write),
    ...(databases ? { walPagesCap: WAL_PAGES_CAP } : {}),
  });
  const operator = new Operator(gate, rooms, warnings, log);
  if (cluster) obeyKickOrders(cluster, rooms, operator, log);
  try {
    await rooms.start();
  } catch (err) {
    rooms.close();
    await cluster?.close();
    udp.close();
    throw err;
  }

  const dispatch = new Dispatch({ rooms, cookies: new Cookies(randomBytes(32)), salt, operator, log });
  ingress = new Ingress({
    allowance: "datagrams" in opts ? opts.datagrams : DEFAULT_ALLOWANCE,
    envelope,
    // The original exercise has one room: its clients are in the default one.
    classic: opts.classic ? (data, from, now) => classicRequest(rooms.lobby!.backend, data, from, now, udp, log) : undefined,
    isMember: (peer) => rooms.isMember(peer),
    memberOf: (sid) => rooms.roomOf(sid)?.room.memberOf(sid),
    proofs,
    handle: (msg, answer, now) => dispatch.handle(msg, answer, now),
    // Answers go out at the turn's end, after its writes: an ack never leaves before the say it acknowledges is stored.
    send: (datagram, to) => turn.at("replies", () => udp.send(datagram, to)),
    warnings,
    log,
  });
  let web: RunningWeb | undefined;
  try {
    web = webFor(opts, udp.port, sockets, (msg, answer, now) => {
      dispatch.handle(msg, heldAnswers(answer, turn), now);
      turn.read();
    });
  } catch (err) {
    rooms.close();
    await cluster?.close();
    udp.close();
    throw err;
  }
  const housekeeping = new Housekeeping({ rooms, cluster, peerTimeoutMs: opts.peerTimeoutMs, log }, Date.now());
  const checkpoints = databases ? startCheckpointer(opts.data, udp.port, log) : undefined;
  return running(udp, rooms, operator, housekeeping, cluster, web, checkpoints);
}

/**
 * The web page, unless it is off. Not with a passphrase: a browser would join over plain HTTP, and the room's words
 * would cross the network in the clear (said at start by serve.ts).
 */
function webFor(opts: ServerOptions, udpPort: number, sockets: WebSockets, handle: WebOptions["handle"]): RunningWeb | undefined {
  if (opts.web === "off" || opts.passphrase !== undefined) return undefined;
  const port = opts.web ?? (opts.port === 0 ? 0 : udpPort);
  return startWeb({
    hostname: opts.host,
    port,
    sockets,
    handle,
    allowance: "datagrams" in opts ? opts.datagrams : DEFAULT_ALLOWANCE,
    log: opts.log,
  });
}

/** Another server's operator kicking or banning a member of this one. */
function obeyKickOrders(cluster: Cluster, rooms: Rooms, operator: Operator, log: Log): void {
  cluster.link.onControl((order) => {
    const h = rooms.get(order.room);
    if (h && operator.kickHere(h, order.name, Date.now(), order.banSeconds === undefined ? undefined : banFromWire(order.banSeconds)))
      log.debug(`${order.name} kicked from room ${order.room} at another server's request`);
  });
}

/** Joins the cluster at `url`, importing the NATS client only now: a server outside a cluster never loads it. */
async function joinCluster(url: string, peerTimeoutMs: number, log: Log): Promise<Cluster> {
  const { Cluster } = await import("../cluster/cluster.ts");
  return Cluster.join(url, peerTimeoutMs, log);
}

/** How long after its first `stopping` the server sends the second, then closes. */
export const GOODBYE_AGAIN_MS = 100;

/** The server as `chat serve` holds it, from the moment its rooms are open. */
function running(
  udp: { address: string; port: number; close(): void },
  rooms: Rooms,
  operator: Operator,
  housekeeping: Housekeeping,
  cluster: Cluster | undefined,
  web: RunningWeb | undefined,
  checkpoints: Checkpointer | undefined,
): RunningServer {
  const lobby = rooms.lobby!;
  const stopHousekeeping = housekeeping.start();
  return {
    address: udp.address,
    port: udp.port,
    rooms: () => rooms.all().map((h) => ({ name: h.room.name, names: h.backend.names() })),
    dataFile: lobby.store instanceof SqliteStore ? lobby.store.file : undefined,
    webPort: web?.port,
    clusterId: cluster?.serverId,
    announce: (text) => operator.announceEverywhere(text, Date.now()),
    kick: (name, banFor) => operator.kickEverywhere(name, Date.now(), banFor),
    async stop() {
      stopHousekeeping();
      // The goodbye, twice (as IP Messenger sends its BR_EXIT): one lost datagram does not leave a member waiting.
      rooms.stopping();
      await Bun.sleep(GOODBYE_AGAIN_MS);
      rooms.stopping();
      // Before the databases close: the last connection to close checkpoints the log and removes it.
      await checkpoints?.stop();
      rooms.close();
      udp.close();
      await web?.stop();
      await cluster?.close();
    },
  };
}
