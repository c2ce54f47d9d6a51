// The tests' own UDP sockets on 127.0.0.1: runtime/udp.ts's openUdp, so they have its guards against Bun's ICMP bugs.

import type { Peer } from "../../src/core/room/room.ts";
import { createLog } from "../../src/runtime/log.ts";
import { openUdp, type UdpEndpoint } from "../../src/runtime/udp.ts";

export type { UdpEndpoint };

/**
 * A socket on a free port of `hostname` that hands every datagram to `onDatagram`. An ICMP "port unreachable" (a
 * peer that went away) is a debug line, never fatal; any other socket error is a warning on stderr.
 */
export function openTestSocket(
  onDatagram: (data: Uint8Array, from: Peer) => void = () => {},
  hostname = "127.0.0.1",
): Promise<UdpEndpoint> {
  return openUdp({ hostname, port: 0, log: createLog(false), onDatagram });
}

/** The peer at `port` on 127.0.0.1, where the tests' servers listen. */
export const local = (port: number): Peer => ({ address: "127.0.0.1", port });

/** A UDP port on 127.0.0.1 that was free a moment ago and is closed now: nobody answers there. */
export async function freeUdpPort(): Promise<number> {
  const socket = await openTestSocket();
  const { port } = socket;
  socket.close();
  return port;
}
