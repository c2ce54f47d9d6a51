// Fakes of the server's own interfaces for its unit tests: a recording UDP endpoint, a recording log, a room.

import { createConsola, LogLevels } from "consola";
import { type Peer, Room } from "../../../src/core/room/room.ts";
import { MemoryStore } from "../../../src/core/room/store.ts";
import { PROOF_BYTES, PROOF_MARK, type Reply } from "../../../src/core/wire/protocol.ts";
import type { Log } from "../../../src/runtime/log.ts";
import type { UdpEndpoint } from "../../../src/runtime/udp.ts";
import { DatagramLink } from "../../../src/server/fanout.ts";
import { ServerProofs } from "../../../src/server/proofs.ts";
import { Rooms } from "../../../src/server/rooms.ts";

export const NOW = 1_795_000_000_000;
export const peer = (port: number): Peer => ({ address: `10.0.${port >> 8}.${port & 255}`, port });
export const nonce = (n: number) => n.toString(16).padStart(16, "0");
const text = new TextDecoder();

/** One datagram as the socket was asked to send it. */
export interface Sent {
  readonly to: Peer;
  readonly bytes: Uint8Array;
  /** The bytes as text (what the JSON protocol and the classic lines are), after the proof if there is one. */
  readonly text: string;
}

/** A datagram's bytes after its proof (proof.ts), if it has one: what the tests read. */
export const unproven = (bytes: Uint8Array) => (bytes[0] === PROOF_MARK ? bytes.subarray(PROOF_BYTES) : bytes);

/** A UdpEndpoint that sends nothing and records every datagram, one entry per addressee. */
export class RecordingUdp implements UdpEndpoint {
  readonly address = "127.0.0.1";
  readonly port = 4000;
  readonly sent: Sent[] = [];
  /** How many sendToAll calls were made: one per datagram's worth of fan-out. */
  fanouts = 0;

  send(bytes: Uint8Array, to: Peer): boolean {
    // A copy, as the kernel takes one: the fan-out proves its next copies into the same buffer.
    this.sent.push({ to, bytes: bytes.slice(), text: text.decode(unproven(bytes)) });
    return true;
  }

  sendToAll(bytes: Uint8Array, peers: readonly Peer[], except?: Peer): number {
    this.fanouts++;
    let n = 0;
    for (const p of peers) if (p !== except && this.send(bytes, p)) n++;
    return n;
  }

  sendEach(datagrams: readonly Uint8Array[], peers: readonly Peer[]): number {
    this.fanouts++;
    let n = 0;
    peers.forEach((p, i) => {
      if (this.send(datagrams[i]!, p)) n++;
    });
    return n;
  }

  close(): void {}

  /** What `to` was sent, as text. */
  to(to: Peer): string[] {
    return this.sent.filter((s) => s.to.address === to.address && s.to.port === to.port).map((s) => s.text);
  }

  /** Everything sent so far, forgotten here. */
  take(): Sent[] {
    return this.sent.splice(0);
  }
}

/** A logger that keeps its lines ("level message"), debug included. */
export function recordingLog(): { log: Log; lines: string[] } {
  const lines: string[] = [];
  const log = createConsola({
    level: LogLevels.debug,
    throttle: 0,
    reporters: [{ log: (o) => lines.push(`${o.type} ${o.args.map(String).join(" ")}`) }],
  });
  return { log, lines };
}

/** A real Room on a MemoryStore, with predictable session ids. */
export function newRoom(opts: { name?: string; maxMembers?: number } = {}): Room {
  let sids = 0;
  return new Room({
    ...(opts.name ? { name: opts.name } : {}),
    store: new MemoryStore("00112233aabbccdd"),
    newSessionId: () => (++sids).toString(16).padStart(32, "0"),
    history: 20,
    now: NOW,
    rate: undefined,
    maxMembers: opts.maxMembers ?? 1000,
  });
}

/** Logs `name` in from `at` and returns its session id. */
export function enter(room: Room, name: string, at: Peer, now = NOW): string {
  const out = room.hello({ type: "hello", name, nonce: nonce(at.port) }, at, now);
  const welcome = out.replies[0];
  if (welcome?.type !== "welcome") throw new Error(`${name} was not welcomed: ${JSON.stringify(out.replies)}`);
  return welcome.sid;
}

/** A requester that keeps its replies, with a budget of `budget` plain bytes. */
export function recordingRequester(from: Peer, budget = Infinity) {
  const replies: Reply[] = [];
  const sent: Uint8Array[] = [];
  let trusted = false;
  return {
    from,
    replies,
    sent,
    trusted: () => trusted,
    reply: (msg: Reply) => void replies.push(msg),
    send: (datagram: Uint8Array) => void sent.push(datagram),
    trust: () => {
      trusted = true;
    },
    plainBudget: () => budget,
    proveWith: (_key: Uint8Array) => {},
  };
}

/** The server's rooms on memory stores, reaching their members through a DatagramLink on `udp` (no seal, no wait). */
export async function memoryRooms(udp: RecordingUdp, log: Log, clock: () => number = () => NOW): Promise<Rooms> {
  const rooms = new Rooms({
    data: ":memory:",
    port: udp.port,
    history: 20,
    rate: undefined,
    maxMembers: 1000,
    transports: [(room) => new DatagramLink({ room, udp, seal: (b) => b, proofs: new ServerProofs(), now: clock, later: (f) => f() })],
    now: clock,
    log,
  });
  await rooms.start();
  return rooms;
}
