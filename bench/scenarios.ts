// The benchmark's scenarios, full and --quick: what each asks of the server (numbers only, no I/O).

import type { LoadOptions } from "./load-protocol.ts";

/** Every message text is this long, as in the reference cells (/work/shared/bench). */
export const TEXT_BYTES = 100;

/** A run of the load process against a fresh server. */
export interface LoadScenario {
  kind: "load";
  name: string;
  load: Omit<LoadOptions, "ports">;
}

/** Wall time of the compiled `chat admin "bench"` round trip, the median of `runs`. */
export interface AdminScenario {
  kind: "admin";
  name: string;
  runs: number;
}

/** A load run against `servers` chat servers sharing the room through one nats-server (JetStream), members split evenly. */
export interface ClusterScenario {
  kind: "cluster";
  name: string;
  servers: number;
  load: Omit<LoadOptions, "ports">;
}

export type Scenario = LoadScenario | AdminScenario | ClusterScenario;

const count = (members: number, messages: number, drainSeconds: number): LoadScenario["load"] => ({
  members,
  mode: "count",
  messages,
  rate: 0,
  seconds: 0,
  textBytes: TEXT_BYTES,
  drainSeconds,
});
const rate = (members: number, perSecond: number, seconds: number, drainSeconds: number): LoadScenario["load"] => ({
  members,
  mode: "rate",
  messages: 0,
  rate: perSecond,
  seconds,
  textBytes: TEXT_BYTES,
  drainSeconds,
});
const idle = (members: number, seconds: number): LoadScenario["load"] => ({
  members,
  mode: "idle",
  messages: 0,
  rate: 0,
  seconds,
  textBytes: TEXT_BYTES,
  drainSeconds: 0,
});

export function scenarios(quick: boolean): Scenario[] {
  return quick
    ? [
        { kind: "load", name: "throughput", load: count(50, 3000, 3) },
        { kind: "load", name: "latency", load: rate(100, 1000, 1, 3) },
        { kind: "load", name: "scale", load: rate(200, 200, 1, 3) },
        { kind: "load", name: "idle", load: idle(500, 3) },
        { kind: "admin", name: "admin", runs: 3 },
        { kind: "cluster", name: "cluster throughput", servers: 2, load: count(50, 2000, 3) },
        { kind: "cluster", name: "cluster latency", servers: 2, load: rate(100, 500, 1, 3) },
      ]
    : [
        { kind: "load", name: "throughput", load: count(100, 20_000, 5) },
        { kind: "load", name: "latency", load: rate(100, 1000, 5, 5) },
        { kind: "load", name: "scale", load: rate(1000, 200, 5, 5) },
        { kind: "load", name: "idle", load: idle(5000, 10) },
        { kind: "admin", name: "admin", runs: 5 },
        // Next to throughput and latency above: the same sizes, the members split between two servers of a cluster.
        { kind: "cluster", name: "cluster throughput", servers: 2, load: count(100, 20_000, 5) },
        { kind: "cluster", name: "cluster latency", servers: 2, load: rate(100, 1000, 5, 5) },
      ];
}

/** The reference cells of /work/shared/bench/README.md, as `udpload` arguments (smaller with --quick). */
export function referenceCells(quick: boolean): Array<{ name: string; args: string[] }> {
  const b = ["-b", String(TEXT_BYTES)];
  return quick
    ? [
        { name: "throughput", args: ["-n", "50", "-s", "1", "-m", "3000", ...b, "-r", "0"] },
        { name: "latency", args: ["-n", "100", "-s", "1", "-r", "1000", "-d", "1", ...b] },
        { name: "scale", args: ["-n", "200", "-s", "1", "-r", "200", "-d", "1", ...b] },
      ]
    : [
        { name: "throughput", args: ["-n", "100", "-s", "1", "-m", "20000", ...b, "-r", "0"] },
        { name: "latency", args: ["-n", "100", "-s", "1", "-r", "1000", "-d", "5", ...b] },
        { name: "scale", args: ["-n", "1000", "-s", "1", "-r", "200", "-d", "5", ...b] },
      ];
}
