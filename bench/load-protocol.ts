// The boundary between the harness (run.ts) and its load process (load.ts): arguments, IPC marks, and the one result line.

import { parseArgs } from "node:util";
import { ABUSE } from "../src/core/wire/protocol.ts";

/** What the load process does, given as command-line flags (so it can also be run by hand). */
export interface LoadOptions {
  /** The servers, on 127.0.0.1: member i talks to ports[i % ports.length] (several: the servers of a cluster). */
  ports: number[];
  members: number;
  /** How many of the members are browser members (a WebSocket each, the last ones; the sender is a UDP member unless all are). */
  web: number;
  /** The servers' web ports (`chat serve --web`): browser member j talks to webPorts[j % webPorts.length]. Empty without any. */
  webPorts: number[];
  /** "count": `messages` as fast as the protocol allows; "rate": `rate` messages/s for `seconds`; "idle": heartbeats only for `seconds`. */
  mode: "count" | "rate" | "idle";
  messages: number;
  rate: number;
  seconds: number;
  /** Bytes of each message text. */
  textBytes: number;
  /** How long, after the last message is acknowledged, receivers may take to repair what they missed. */
  drainSeconds: number;
}

export function loadArgs(o: LoadOptions): string[] {
  return [
    "--port",
    o.ports.join(","),
    "--members",
    String(o.members),
    "--web",
    String(o.web),
    ...(o.webPorts.length ? ["--web-port", o.webPorts.join(",")] : []),
    "--mode",
    o.mode,
    "--messages",
    String(o.messages),
    "--rate",
    String(o.rate),
    "--seconds",
    String(o.seconds),
    "--text-bytes",
    String(o.textBytes),
    "--drain",
    String(o.drainSeconds),
  ];
}

/** The inverse of loadArgs. Throws a one-line Error naming a bad flag. */
export function parseLoadArgs(argv: string[]): LoadOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      members: { type: "string", default: "100" },
      web: { type: "string", default: "0" },
      "web-port": { type: "string" },
      mode: { type: "string", default: "count" },
      messages: { type: "string", default: "1000" },
      rate: { type: "string", default: "0" },
      seconds: { type: "string", default: "1" },
      "text-bytes": { type: "string", default: "100" },
      drain: { type: "string", default: "5" },
    },
  });
  const num = (name: string, raw: string | undefined, min: number) => {
    const n = Number(raw);
    if (raw === undefined || !Number.isFinite(n) || n < min)
      throw new Error(`--${name}: expected a number ≥ ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const mode = values.mode;
  if (mode !== "count" && mode !== "rate" && mode !== "idle")
    throw new Error(`--mode: expected count, rate or idle, got ${JSON.stringify(mode)}`);
  const members = num("members", values.members, 2);
  const web = num("web", values.web, 0);
  const webPorts = values["web-port"] === undefined ? [] : values["web-port"].split(",").map((p) => num("web-port", p, 1));
  if (web > members) throw new Error(`--web: ${web} browser members of only ${members}`);
  if (web > 0 && webPorts.length === 0) throw new Error("--web: browser members need --web-port");
  // The server lets one address open this many WebSockets, and every browser member here is on 127.0.0.1.
  if (web > ABUSE.webConnectionsPerAddress * webPorts.length)
    throw new Error(`--web: at most ${ABUSE.webConnectionsPerAddress} browser members per server (one address's connections)`);
  return {
    ports: (values.port ?? "").split(",").map((p) => num("port", p, 1)),
    members,
    web,
    webPorts,
    mode,
    messages: num("messages", values.messages, 0),
    rate: num("rate", values.rate, 0),
    seconds: num("seconds", values.seconds, 0),
    textBytes: num("text-bytes", values["text-bytes"], 20),
    drainSeconds: num("drain", values.drain, 0),
  };
}

/** Load → harness over IPC: the measured window opens or closes now (the harness samples the server's CPU). */
export interface Mark {
  kind: "mark";
  at: "start" | "end";
}
export const isMark = (m: unknown): m is Mark =>
  typeof m === "object" && m !== null && (m as Mark).kind === "mark" && ((m as Mark).at === "start" || (m as Mark).at === "end");

/** What a run's receivers got, all of them or one kind. Times in ms; null where nothing arrived. */
export interface Deliveries {
  /** sent × receivers. */
  expected: number;
  /** Unique (receiver, seq) message events handed over in order. */
  delivered: number;
  lossPct: number;
  /** First send to the last delivery (or to the end of the drain). */
  windowSeconds: number;
  deliveriesPerSecond: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** What one kind of receiver got: the UDP members or the browser members (the sender is not a receiver). */
export interface KindResult extends Deliveries {
  members: number;
  receivers: number;
  /** Receivers of this kind still missing messages when the drain ended. */
  incomplete: number;
}

/** The load process's one line on stdout. Times in ms unless named otherwise; null where it does not apply. */
export interface LoadResult extends Deliveries {
  members: number;
  /** Members that got a welcome. */
  joined: number;
  /** First knock to last welcome. */
  joinSeconds: number;
  /** Messages the sender wrote (each acknowledged or not). */
  sent: number;
  /** Messages the server acknowledged with a seq. */
  acked: number;
  /** Says sent again by the sender (timeouts and `waiting`). */
  retries: number;
  /** Says the sender gave up on (no ack within TIMERS.giveUpMs). */
  gaveUp: number;
  /** Nack datagrams sent by receivers. */
  nacks: number;
  /** Events the server said it no longer keeps (`lost`). */
  lostEvents: number;
  pings: number;
  /** Refusals by reason (none expected). */
  refused: Record<string, number>;
  /** Datagrams and WebSocket messages received, and those that did not decode. */
  datagrams: number;
  undecodable: number;
  /** Sends the kernel refused (other than the ICMP echo of a closed port). */
  sendErrors: number;
  /** Datagrams the kernel dropped over the window, full receive buffers: at the members' sockets (this process read too
   *  slowly) and at the server's (the server did); null where /proc/net/udp is not readable. */
  dropsAtMembers: number | null;
  dropsAtServer: number | null;
  /** Receivers still missing messages when the drain ended. */
  incomplete: number;
  /** The same figures for each kind of receiver. */
  udp: KindResult;
  web: KindResult;
  /** WebSockets the server closed during the run (none expected). */
  webClosed: number;
}
