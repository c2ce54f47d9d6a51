// A fault-injecting UDP relay between one chat member and the server: seeded drops, duplicates, reorders and delays.

import { isIP } from "node:net";
import { openTestSocket, type UdpEndpoint } from "./socket.ts";

export interface Faults {
  /** Probability 0..1 that a datagram is dropped. */
  loss: number;
  /** Probability 0..1 that a datagram is sent twice (the copy also subject to delay). */
  duplicate: number;
  /** Probability 0..1 that a datagram is held back by reorderDelayMs, so the next one(s) overtake it. */
  reorder: number;
  /** Base delay added to every datagram (default 0); jitter up to delayMs/2 extra. */
  delayMs?: number;
  /** Extra hold-back of a reordered datagram (default 20). */
  reorderDelayMs?: number;
}

export interface DirectionStats {
  /** Datagrams that reached the relay in this direction. */
  received: number;
  /** Originals handed to the kernel (a datagram still waiting on a timer is not counted yet). */
  forwarded: number;
  /** Originals not sent: fault-injected loss, no member known yet, or a send that failed twice. */
  dropped: number;
  /** Extra copies handed to the kernel. */
  duplicated: number;
  /** Originals that were held back to be overtaken. */
  reordered: number;
}

export interface RelayStats {
  toServer: DirectionStats;
  toMember: DirectionStats;
}

/** The mulberry32 PRNG: tiny, fast and good enough to make fault patterns reproducible from one seed. */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Socket = UdpEndpoint;
interface Endpoint {
  address: string;
  port: number;
}

const emptyStats = (): DirectionStats => ({ received: 0, forwarded: 0, dropped: 0, duplicated: 0, reordered: 0 });

function checkFaults(f: Faults): Required<Faults> {
  const probability = (name: string, v: number) => {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`faults.${name} must be a probability in 0..1, got ${v}`);
    return v;
  };
  const millis = (name: string, v: number) => {
    if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`faults.${name} must be a finite number of ms >= 0, got ${v}`);
    return v;
  };
  return {
    loss: probability("loss", f.loss),
    duplicate: probability("duplicate", f.duplicate),
    reorder: probability("reorder", f.reorder),
    delayMs: millis("delayMs", f.delayMs ?? 0),
    reorderDelayMs: millis("reorderDelayMs", f.reorderDelayMs ?? 20),
  };
}

export class LossyRelay {
  readonly port: number;
  readonly address: string;
  readonly stats: RelayStats = { toServer: emptyStats(), toMember: emptyStats() };
  /** Every datagram that came through, both ways, when started with `capture` (what a sniffer on the path sees). */
  readonly captured: Uint8Array[] = [];
  #capture = false;

  #faults: Required<Faults>;
  // One stream per direction, so the member→server pattern does not depend on how much the server says back.
  readonly #rngToServer: () => number;
  readonly #rngToMember: () => number;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #member: Endpoint | undefined;
  #closed = false;

  private constructor(
    private readonly memberSide: Socket,
    private readonly upstream: Socket,
    private readonly server: Endpoint,
    seed: number,
    faults: Required<Faults>,
  ) {
    this.port = memberSide.port;
    this.address = `127.0.0.1:${memberSide.port}`;
    this.#faults = faults;
    this.#rngToServer = mulberry32(seed);
    this.#rngToMember = mulberry32(seed ^ 0x9e3779b9);
  }

  static async start(opts: {
    serverPort: number;
    seed: number;
    faults: Faults;
    serverHost?: string;
    capture?: boolean;
  }): Promise<LossyRelay> {
    const faults = checkFaults(opts.faults);
    const serverHost = opts.serverHost ?? "127.0.0.1";
    const family = isIP(serverHost);
    // send() only takes IP literals, and an IPv4-bound socket cannot reach an IPv6 server.
    if (family === 0) throw new Error(`serverHost must be an IP address, got ${JSON.stringify(serverHost)}`);
    const server: Endpoint = { address: serverHost, port: opts.serverPort };

    // The sockets exist before the relay object does, so their handlers reach it through this variable.
    let relay: LossyRelay | undefined;
    // openTestSocket has openUdp's guards: an ICMP "port unreachable" (server or member gone) is never fatal.
    const memberSide = await openTestSocket((data, from) => {
      if (relay) relay.#fromMember(data, from);
    });
    let upstream: Socket;
    try {
      upstream = await openTestSocket(
        (data, from) => {
          if (relay) relay.#fromServer(data, from);
        },
        family === 6 ? "::1" : "127.0.0.1",
      );
    } catch (err) {
      memberSide.close();
      throw err;
    }
    relay = new LossyRelay(memberSide, upstream, server, opts.seed, faults);
    relay.#capture = opts.capture ?? false;
    return relay;
  }

  setFaults(faults: Faults): void {
    this.#faults = checkFaults(faults);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.memberSide.close();
    this.upstream.close();
  }

  #fromMember(data: Uint8Array, from: Endpoint): void {
    if (this.#closed) return;
    // Last sender wins, so a member that rebinds (or restarts) keeps getting the server's replies.
    this.#member = from;
    if (this.#capture) this.captured.push(data.slice());
    this.#relay(data, this.stats.toServer, this.#rngToServer, this.upstream, () => this.server);
  }

  #fromServer(data: Uint8Array, from: Endpoint): void {
    if (this.#closed) return;
    if (from.port !== this.server.port || from.address !== this.server.address) return;
    if (this.#capture) this.captured.push(data.slice());
    // Resolved at send time: a delayed reply goes to wherever the member is by then.
    this.#relay(data, this.stats.toMember, this.#rngToMember, this.memberSide, () => this.#member);
  }

  #relay(data: Uint8Array, stats: DirectionStats, rng: () => number, via: Socket, to: () => Endpoint | undefined): void {
    stats.received++;
    const f = this.#faults;
    // Always draw the same number of values per datagram, so one decision never shifts the ones after it.
    const lossRoll = rng();
    const duplicateRoll = rng();
    const reorderRoll = rng();
    const jitter = rng();
    const copyJitter = rng();

    if (lossRoll < f.loss) {
      stats.dropped++;
      return;
    }
    const reordered = reorderRoll < f.reorder;
    if (reordered) stats.reordered++;
    const delay = (j: number) => (f.delayMs > 0 ? f.delayMs + j * (f.delayMs / 2) : 0);

    this.#schedule(data, delay(jitter) + (reordered ? f.reorderDelayMs : 0), reordered, (bytes) => {
      if (this.#send(via, bytes, to())) stats.forwarded++;
      else stats.dropped++;
    });
    if (duplicateRoll < f.duplicate) {
      this.#schedule(data, delay(copyJitter), false, (bytes) => {
        if (this.#send(via, bytes, to())) stats.duplicated++;
      });
    }
  }

  #schedule(data: Uint8Array, ms: number, deferAlways: boolean, run: (data: Uint8Array) => void): void {
    // Synchronous when there is nothing to wait for, so a fault-free relay keeps datagrams in order.
    if (ms === 0 && !deferAlways) return run(data);
    // The receive buffer may be reused once the handler returns.
    const copy = data.slice();
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) run(copy);
    }, ms);
    this.#timers.add(timer);
  }

  #send(via: Socket, data: Uint8Array, to: Endpoint | undefined): boolean {
    if (!to || this.#closed) return false;
    return via.send(data, to); // openUdp's send retries the one send an earlier ICMP error spoils
  }
}
