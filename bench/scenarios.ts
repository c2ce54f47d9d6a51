// The benchmark's scenarios, one table with a --quick and a full size each: what each asks of the server (numbers only, no I/O).

import type { LoadOptions } from "./load-protocol.ts";

/** Every message text is this long, as in the reference cells (/work/shared/bench). */
export const TEXT_BYTES = 100;

/** A run of the load process against a fresh server. */
export interface LoadScenario {
  kind: "load";
  name: string;
  load: Omit<LoadOptions, "ports" | "webPorts">;
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
  load: Omit<LoadOptions, "ports" | "webPorts">;
}

export type Scenario = LoadScenario | AdminScenario | ClusterScenario;

const count = (members: number, messages: number, drainSeconds: number): LoadScenario["load"] => ({
  members,
  web: 0,
  mode: "count",
  messages,
  rate: 0,
  seconds: 0,
  textBytes: TEXT_BYTES,
  drainSeconds,
});
const rate = (members: number, perSecond: number, seconds: number, drainSeconds: number): LoadScenario["load"] => ({
  members,
  web: 0,
  mode: "rate",
  messages: 0,
  rate: perSecond,
  seconds,
  textBytes: TEXT_BYTES,
  drainSeconds,
});
const idle = (members: number, seconds: number): LoadScenario["load"] => ({
  members,
  web: 0,
  mode: "idle",
  messages: 0,
  rate: 0,
  seconds,
  textBytes: TEXT_BYTES,
  drainSeconds: 0,
});

/** `web` of the members are browser members (a WebSocket each to the server's /ws), the rest UDP members. */
const browsers = (web: number, l: LoadScenario["load"]): LoadScenario["load"] => ({ ...l, web });

type Unnamed<S> = S extends Scenario ? Omit<S, "name"> : never;
const load = (l: LoadScenario["load"]): Unnamed<LoadScenario> => ({ kind: "load", load: l });
const admin = (runs: number): Unnamed<AdminScenario> => ({ kind: "admin", runs });
const cluster = (servers: number, l: ClusterScenario["load"]): Unnamed<ClusterScenario> => ({ kind: "cluster", servers, load: l });

/**
 * Every scenario once, with its sizes for --quick (CI, under 15 s in all) and for a full run. The cluster rows have
 * the sizes of throughput and latency, the members split between two servers of a cluster; `web throughput` and `web`
 * have 100 members (throughput's and latency's sizes), half of them browsers (the sender a UDP member), and
 * `web idle` only browser members, within one address's 1,024 WebSockets.
 */
// biome-ignore format: a table, aligned by column
const SCENARIOS: ReadonlyArray<readonly [name: string, quick: Unnamed<Scenario>, full: Unnamed<Scenario>]> = [
  // name                 --quick                            full
  ["throughput",          load(count(50, 3000, 3)),          load(count(100, 20_000, 5))],
  ["latency",             load(rate(100, 1000, 0.5, 3)),     load(rate(100, 1000, 5, 5))],
  ["scale",               load(rate(200, 200, 0.5, 3)),      load(rate(1000, 200, 5, 5))],
  ["scale busy",          load(rate(200, 1000, 0.5, 3)),     load(rate(1000, 2000, 5, 5))],
  ["idle",                load(idle(500, 1)),                load(idle(5000, 10))],
  ["web throughput",      load(browsers(50, count(100, 2000, 3))),    load(browsers(50, count(100, 20_000, 5)))],
  ["web",                 load(browsers(50, rate(100, 1000, 0.5, 3))),load(browsers(50, rate(100, 1000, 5, 5)))],
  ["web idle",            load(browsers(200, idle(200, 1))),  load(browsers(1000, idle(1000, 10)))],
  ["admin",               admin(3),                          admin(5)],
  ["cluster throughput",  cluster(2, count(50, 2000, 3)),    cluster(2, count(100, 20_000, 5))],
  ["cluster latency",     cluster(2, rate(100, 500, 0.5, 3)),cluster(2, rate(100, 1000, 5, 5))],
];

export const scenarios = (quick: boolean): Scenario[] => SCENARIOS.map(([name, small, full]) => ({ name, ...(quick ? small : full) }));

/** Traffic among UDP members only: what chatload drives (it speaks neither WebSockets nor idles), and udpload too. */
export const isUdpTraffic = (load: LoadScenario["load"]) => load.web === 0 && load.mode !== "idle";

/** The cells `--reference` runs again against the C relay and ngircd: the one-server cells of UDP traffic. */
export const isReferenceCell = (s: Scenario): s is LoadScenario => s.kind === "load" && isUdpTraffic(s.load);
