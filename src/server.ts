// The room server's shell: socket → decode → room → encode once → send to whom the room says.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isLoopback } from "./core/address.ts";
import { decode, encode, isRequest, MAX_TEXT_BYTES, textBytes, TIMERS, type Announce, type Request } from "./core/protocol.ts";
import { Room, type Broadcast, type Outcome, type Peer } from "./core/room.ts";
import { MemoryStore, type RoomStore } from "./core/store.ts";
import type { Log } from "./log.ts";
import { roomFile, SqliteStore } from "./sqlite-store.ts";
import { openUdp, type UdpEndpoint } from "./udp.ts";

export interface ServerOptions {
  host: string;
  port: number;
  /** The admin secret; without one, only announces from this machine are accepted. */
  token?: string;
  /** Directory of the room database, or ":memory:" to keep nothing. */
  data: string;
  /** Messages replayed to a member who joins. */
  history: number;
  /** A member not heard from for this long is removed ("timeout"). */
  peerTimeoutMs: number;
  log: Log;
}

/** How often the server looks for silent members and for an idle room that needs a tick. */
const HOUSEKEEPING_MS = 250;

export interface RunningServer {
  readonly address: string;
  readonly port: number;
  readonly room: Room;
  /** The database file, or undefined with `--data :memory:`. */
  readonly dataFile: string | undefined;
  /** An administrator broadcast from the console. Returns a one-line problem, or how many members it reached. */
  announce(text: string): { reached: number } | { problem: string };
  stop(): void;
}

/** How many recent announce ids are remembered, so a repeated announce is acknowledged again but shown once. */
const ANNOUNCE_MEMORY = 256;

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { log } = opts;
  const tokenDigest = opts.token === undefined ? undefined : digest(opts.token);
  const recentAnnounces = new Map<string, Outcome>();
  let udp: UdpEndpoint | undefined;
  let room: Room | undefined; // until the store is open, datagrams are dropped (their senders repeat them)
  let lastBroadcastAt = 0;

  const mayAnnounce = (msg: Announce, from: Peer) =>
    tokenDigest === undefined
      ? isLoopback(from.address)
      : msg.token !== undefined && timingSafeEqual(digest(msg.token), tokenDigest);

  function handle(room: Room, msg: Request, from: Peer, now: number): Outcome {
    switch (msg.type) {
      case "hello":
        return room.hello(msg, from, now);
      case "say":
        return room.say(msg, from, now);
      case "ping":
        return room.ping(msg, from, now);
      case "nack":
        return room.nack(msg, from, now);
      case "bye":
        return room.bye(msg, from, now);
      case "announce": {
        if (!mayAnnounce(msg, from)) {
          log.warn(`refused an admin broadcast from ${from.address}:${from.port}: ${tokenDigest ? "wrong token" : "not from this machine, and no admin token is set"}`);
          return { replies: [{ type: "refused", reason: "bad_token", id: msg.id }], resend: [], broadcasts: [] };
        }
        const key = `${from.address}|${from.port}|${msg.id}`;
        const seen = recentAnnounces.get(key);
        if (seen) return { ...seen, broadcasts: [] };
        const outcome = room.announce(msg, now);
        recentAnnounces.set(key, outcome);
        if (recentAnnounces.size > ANNOUNCE_MEMORY) recentAnnounces.delete(recentAnnounces.keys().next().value!);
        return outcome;
      }
    }
  }

  /** Sends what the room decided: replies and repairs to the requester (if any), then the broadcasts. */
  function deliver(room: Room, outcome: Pick<Outcome, "broadcasts"> & Partial<Outcome>, from?: Peer): void {
    if (from) {
      for (const reply of outcome.replies ?? []) udp?.send(encode(reply), from);
      for (const datagram of outcome.resend ?? []) udp?.send(datagram, from);
    }
    for (const b of outcome.broadcasts) {
      const targets: Peer[] = [];
      for (const m of room.members()) if (m.sid !== b.except) targets.push(m.peer);
      udp?.sendToAll(b.datagram, targets);
      lastBroadcastAt = Date.now();
      report(room, b, targets.length);
    }
  }

  function report(room: Room, { event: e }: Broadcast, reached: number): void {
    if (e.type === "join") log.info(`${e.name} joined (${room.size} in the room)`);
    else if (e.type === "leave") log.info(`${e.name} left${e.reason === "quit" ? "" : ` (${e.reason})`} (${room.size} in the room)`);
    else if (e.type === "admin") log.info(`admin broadcast to ${reached} member(s)`);
  }

  /** Removes silent members, and ticks when the room has been quiet for a heartbeat (so a lost last event shows). */
  function housekeeping(room: Room): void {
    const now = Date.now();
    deliver(room, { broadcasts: room.sweep(now, opts.peerTimeoutMs) });
    if (room.size > 0 && now - lastBroadcastAt >= TIMERS.heartbeatMs) {
      udp?.sendToAll(room.tick(now), [...room.members()].map((m) => m.peer));
      lastBroadcastAt = now;
    }
  }

  udp = await openUdp({
    hostname: opts.host,
    port: opts.port,
    log,
    onDatagram(data, from) {
      if (!room) return;
      let messages;
      try {
        messages = decode(data);
      } catch (err) {
        return log.debug(`dropped a datagram from ${from.address}:${from.port}: ${String(err)}`);
      }
      for (const msg of messages) {
        if (!isRequest(msg)) {
          log.debug(`dropped a ${msg.type} from ${from.address}:${from.port}: only the server sends those`);
          continue;
        }
        deliver(room, handle(room, msg, from, Date.now()), from);
      }
    },
  });

  let store: RoomStore;
  try {
    store = opts.data === ":memory:" ? new MemoryStore(randomBytes(8).toString("hex")) : new SqliteStore(roomFile(opts.data, udp.port));
  } catch (err) {
    udp.close();
    throw err;
  }
  const theRoom = new Room({ store, newSessionId: () => randomBytes(16).toString("hex"), history: opts.history, now: Date.now() });
  room = theRoom;
  if (theRoom.size > 0) log.info(`restored ${theRoom.size} member(s) and ${theRoom.seq} event(s)`);
  const timer = setInterval(() => housekeeping(theRoom), HOUSEKEEPING_MS);

  return {
    address: udp.address,
    port: udp.port,
    room: theRoom,
    dataFile: store instanceof SqliteStore ? store.file : undefined,
    announce(text) {
      const bytes = textBytes(text);
      if (bytes > MAX_TEXT_BYTES) return { problem: `not sent: ${bytes} bytes (max ${MAX_TEXT_BYTES})` };
      const outcome = theRoom.announce({ id: 0, text }, Date.now());
      if (outcome.replies[0]?.type !== "ack") return { problem: "not sent: too long once encoded" };
      deliver(theRoom, outcome);
      return { reached: theRoom.size };
    },
    stop() {
      clearInterval(timer);
      udp?.close();
      store.close();
    },
  };
}

/** Tokens are compared as SHA-256 digests, so the comparison takes the same time whatever their lengths. */
const digest = (token: string) => createHash("sha256").update(token).digest();
