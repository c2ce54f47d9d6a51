// The one place that touches Bun.udpSocket, with guards against its live bugs (see ../shared/BUN-NOTES.md §1, §7).

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { HostPort } from "../core/address.ts";
import type { Peer } from "../core/room/room.ts";
import type { Log } from "./log.ts";

export interface UdpEndpoint {
  readonly address: string;
  readonly port: number;
  /** Sends one datagram; false (logged at debug) when the kernel would not take it. Never throws. */
  send(datagram: Uint8Array, to: Peer): boolean;
  /** Sends the same datagram to every peer but `except`, in batches; returns how many were handed to the kernel. */
  sendToAll(datagram: Uint8Array, peers: readonly Peer[], except?: Peer): number;
  /** Sends `datagrams[i]` to `peers[i]` for each i, in batches; returns how many were handed to the kernel. */
  sendEach(datagrams: readonly Uint8Array[], peers: readonly Peer[]): number;
  close(): void;
}

export interface UdpOptions {
  hostname: string;
  port: number;
  log: Log;
  /** Called for every datagram; an exception in it is logged, never fatal. */
  onDatagram(data: Uint8Array, from: Peer): void;
  /** Called when a peer's port turned out closed (ICMP port unreachable): which peer, the kernel does not say. */
  onRefused?(): void;
}

const BATCH = 64;

/** The `code` of a system error (ECONNREFUSED, EADDRINUSE, ...), or "" for anything else. */
export const errorCode = (err: unknown) => (err && typeof err === "object" && "code" in err ? String(err.code) : "");

/** Binds a socket (port 0: the OS picks one). Rejects with a one-line Error when the address cannot be bound. */
export async function openUdp(opts: UdpOptions): Promise<UdpEndpoint> {
  const socket = await bind(opts);
  const send = (datagram: Uint8Array, to: Peer) => sendRetryingOnce(socket, datagram, to, opts);
  /** One sendMany's arguments, reused from call to call: the fan-out allocates nothing per member. */
  const packet: Array<Uint8Array | string | number> = [];
  return {
    address: socket.address.address,
    port: socket.port,
    send,
    sendToAll: (datagram, peers, except) => sendInBatches(socket, packet, send, () => datagram, peers, except),
    sendEach: (datagrams, peers) => sendInBatches(socket, packet, send, (i) => datagrams[i]!, peers),
    close: () => socket.close(),
  };
}

type Socket = Bun.udp.Socket<"uint8array">;

async function bind(opts: UdpOptions): Promise<Socket> {
  try {
    return await Bun.udpSocket({ hostname: opts.hostname, port: opts.port, binaryType: "uint8array", socket: handlers(opts) });
  } catch (err) {
    const where = `${opts.hostname}:${opts.port}`;
    if (errorCode(err) === "EADDRINUSE")
      throw new Error(`cannot listen on ${where}: the port is already in use (pick another with --port)`);
    if (errorCode(err) === "EADDRNOTAVAIL") throw new Error(`cannot listen on ${where}: no such address on this machine`);
    throw new Error(`cannot open a UDP socket on ${where}: ${String(err)}`);
  }
}

function handlers({ log, onDatagram, onRefused }: UdpOptions): Bun.udp.SocketHandler<"uint8array"> {
  return {
    data(_s, data, port, address) {
      try {
        onDatagram(data, { address, port });
      } catch (err) {
        log.warn(`dropped a datagram from ${address}:${port}: ${String(err)}`);
      }
    },
    // Without this handler an ICMP "port unreachable" (a peer that went away) kills the process.
    // Bun calls it with the error alone, although its types say (socket, error).
    error(a: unknown, b?: unknown) {
      const err = b ?? a;
      if (errorCode(err) === "ECONNREFUSED") {
        log.debug("a peer's port is closed (ICMP port unreachable)");
        onRefused?.();
      } else log.warn(`udp socket: ${String(err)}`);
    },
  };
}

function sendRetryingOnce(socket: Socket, datagram: Uint8Array, to: Peer, { log, onRefused }: UdpOptions): boolean {
  // After an ICMP error the next send() throws ECONNREFUSED once and is lost: a second try goes through.
  for (let attempt = 1; ; attempt++) {
    try {
      return socket.send(datagram, to.port, to.address);
    } catch (err) {
      if (attempt === 1 && errorCode(err) === "ECONNREFUSED") {
        onRefused?.();
        continue;
      }
      log.debug(`send to ${to.address}:${to.port} failed: ${String(err)}`);
      return false;
    }
  }
}

/** Datagram `datagramAt(i)` to `peers[i]`, BATCH at a time with sendMany; what a batch could not send goes one by one. */
function sendInBatches(
  socket: Socket,
  packet: Array<Uint8Array | string | number>,
  send: (datagram: Uint8Array, to: Peer) => boolean,
  datagramAt: (i: number) => Uint8Array,
  peers: readonly Peer[],
  except?: Peer,
): number {
  let sent = 0;
  for (let i = 0; i < peers.length; ) {
    packet.length = 0;
    const first = i;
    for (; i < peers.length && packet.length < BATCH * 3; i++) {
      const p = peers[i]!;
      if (p !== except) packet.push(datagramAt(i), p.port, p.address);
    }
    const wanted = packet.length / 3;
    let n: number;
    try {
      n = socket.sendMany(packet);
    } catch {
      n = 0; // same stale-ICMP failure as in send(): fall through to the one-by-one retry below
    }
    sent += n;
    // sendMany stops at the first failure: retry that one alone (send() knows the ICMP dance), then the rest.
    if (n < wanted) {
      let k = 0;
      for (let j = first; j < i; j++) {
        if (peers[j] === except) continue;
        if (k++ < n) continue;
        if (send(datagramAt(j), peers[j]!)) sent++;
      }
    }
  }
  return sent;
}

/** The peer to send to: send() takes IP literals only, so a host name is looked up first. Throws a one-line Error. */
export async function resolvePeer({ host, port }: HostPort): Promise<Peer> {
  if (isIP(host)) return { address: host, port };
  try {
    return { address: (await lookup(host)).address, port };
  } catch {
    throw new Error(`cannot resolve the host name "${host}"`);
  }
}

/** The wildcard address of the family that can reach `peer`. */
export const anyAddressFor = (peer: Peer) => (peer.address.includes(":") ? "::" : "0.0.0.0");
