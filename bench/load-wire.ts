// The two ways a load member reaches the server: a UDP socket (session requests proven) or a browser's WebSocket to /ws (no proof).

import type { Peer } from "../src/core/room/room.ts";
import { ProofCounter, proofKey, prove } from "../src/core/wire/proof.ts";
import type { Message } from "../src/core/wire/protocol.ts";
import type { Log } from "../src/runtime/log.ts";
import { openUdp } from "../src/runtime/udp.ts";

/** What a member sends through and, for UDP, the local port by which /proc/net/udp knows it. */
export interface Wire {
  /** `inSession`: a request with the sid, which goes proven over UDP (the connection is the session's over a WebSocket). */
  send(bytes: Uint8Array, inSession: boolean): boolean;
  close(): void;
  /** The local UDP port; undefined for a WebSocket (no /proc/net/udp row). */
  readonly udpPort: number | undefined;
}

/** Where the frames of each datagram or message go: undefined when they did not decode. */
export type Receive = (frames: readonly Message[] | undefined) => void;

/** A UDP socket to 127.0.0.1:`serverPort`, with the adapter's guards; each datagram's frames through `decode` (FrameCache). */
export async function udpWire(
  serverPort: number,
  nonce: string,
  log: Log,
  decode: (datagram: Uint8Array) => readonly Message[] | undefined,
  receive: Receive,
): Promise<Wire> {
  const server: Peer = { address: "127.0.0.1", port: serverPort };
  const key = proofKey(nonce);
  const counter = new ProofCounter();
  const udp = await openUdp({ hostname: "127.0.0.1", port: 0, log, onDatagram: (data) => receive(decode(data)) });
  return {
    send: (bytes, inSession) => udp.send(inSession ? prove(key, "member", counter.next(Date.now()), bytes) : bytes, server),
    close: () => udp.close(),
    udpPort: udp.port,
  };
}

const text = new TextDecoder();

/**
 * A page's WebSocket, `ws://127.0.0.1:PORT/ws?client=CLIENT` (one TCP connection, as a browser tab has): each text
 * message is one datagram's frames, through `decode` (a FrameCache keyed by the text: every browser member gets the
 * same text for an event). Rejects when the server refuses the upgrade; `closed` runs if the server closes it later.
 */
export function webWire(
  webPort: number,
  client: string,
  decode: (message: string) => readonly Message[] | undefined,
  receive: Receive,
  closed: () => void,
): Promise<Wire> {
  const socket = new WebSocket(`ws://127.0.0.1:${webPort}/ws?client=${client}`);
  let open = false;
  let closing = false;
  socket.onmessage = (e) => receive(typeof e.data === "string" ? decode(e.data) : undefined);
  return new Promise((resolve, reject) => {
    socket.onopen = () => {
      open = true;
      resolve({
        send: (bytes) => {
          if (socket.readyState !== WebSocket.OPEN) return false;
          socket.send(text.decode(bytes));
          return true;
        },
        close: () => {
          closing = true;
          socket.close();
        },
        udpPort: undefined,
      });
    };
    socket.onclose = () => {
      if (!open) reject(new Error(`the WebSocket to 127.0.0.1:${webPort}/ws was refused`));
      else if (!closing) closed();
    };
  });
}
