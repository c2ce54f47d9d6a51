// The room server's shell: socket → decode → room → encode once → send to whom the room says.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isLoopback } from "./core/address.ts";
import { decode, encode, isRequest, MAX_TEXT_BYTES, textBytes, type Announce, type Request } from "./core/protocol.ts";
import { Room, type Outcome, type Peer } from "./core/room.ts";
import type { Log } from "./log.ts";
import { openUdp, type UdpEndpoint } from "./udp.ts";

export interface ServerOptions {
  host: string;
  port: number;
  /** The admin secret; without one, only announces from this machine are accepted. */
  token?: string;
  log: Log;
}

export interface RunningServer {
  readonly address: string;
  readonly port: number;
  readonly room: Room;
  /** An administrator broadcast from the console. Returns a one-line problem, or how many members it reached. */
  announce(text: string): { reached: number } | { problem: string };
  stop(): void;
}

/** How many recent announce ids are remembered, so a repeated announce is acknowledged again but shown once. */
const ANNOUNCE_MEMORY = 256;

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { log } = opts;
  const room = new Room(() => randomBytes(16).toString("hex"));
  const tokenDigest = opts.token === undefined ? undefined : digest(opts.token);
  const recentAnnounces = new Map<string, Outcome>();
  let udp: UdpEndpoint | undefined;

  const mayAnnounce = (msg: Announce, from: Peer) =>
    tokenDigest === undefined
      ? isLoopback(from.address)
      : msg.token !== undefined && timingSafeEqual(digest(msg.token), tokenDigest);

  function handle(msg: Request, from: Peer, now: number): Outcome {
    switch (msg.type) {
      case "hello":
        return room.hello(msg, from, now);
      case "say":
        return room.say(msg, from, now);
      case "bye":
        return room.bye(msg, from, now);
      case "announce": {
        if (!mayAnnounce(msg, from)) {
          log.warn(`refused an admin broadcast from ${from.address}:${from.port}: ${tokenDigest ? "wrong token" : "not from this machine, and no admin token is set"}`);
          return { reply: { type: "refused", reason: "bad_token", id: msg.id }, broadcasts: [] };
        }
        const key = `${from.address}|${from.port}|${msg.id}`;
        const seen = recentAnnounces.get(key);
        if (seen) return { ...(seen.reply ? { reply: seen.reply } : {}), broadcasts: [] };
        const outcome = room.announce(msg, now);
        recentAnnounces.set(key, outcome);
        if (recentAnnounces.size > ANNOUNCE_MEMORY) recentAnnounces.delete(recentAnnounces.keys().next().value!);
        return outcome;
      }
    }
  }

  function deliver(outcome: Outcome, from?: Peer): void {
    if (outcome.reply && from) udp?.send(encode(outcome.reply), from);
    for (const b of outcome.broadcasts) {
      const targets: Peer[] = [];
      for (const m of room.members()) if (m.sid !== b.except) targets.push(m.peer);
      udp?.sendToAll(b.datagram, targets);
      const e = b.event;
      if (e.type === "join") log.info(`${e.name} joined (${room.size} in the room)`);
      else if (e.type === "leave") log.info(`${e.name} left${e.reason === "quit" ? "" : ` (${e.reason})`} (${room.size} in the room)`);
      else if (e.type === "admin") log.info(`admin broadcast to ${targets.length} member(s)`);
    }
  }

  udp = await openUdp({
    hostname: opts.host,
    port: opts.port,
    log,
    onDatagram(data, from) {
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
        deliver(handle(msg, from, Date.now()), from);
      }
    },
  });

  return {
    address: udp.address,
    port: udp.port,
    room,
    announce(text) {
      const bytes = textBytes(text);
      if (bytes > MAX_TEXT_BYTES) return { problem: `not sent: ${bytes} bytes (max ${MAX_TEXT_BYTES})` };
      const outcome = room.announce({ id: 0, text }, Date.now());
      if (outcome.reply?.type !== "ack") return { problem: "not sent: too long once encoded" };
      deliver(outcome);
      return { reached: room.size };
    },
    stop: () => udp?.close(),
  };
}

/** Tokens are compared as SHA-256 digests, so the comparison takes the same time whatever their lengths. */
const digest = (token: string) => createHash("sha256").update(token).digest();
