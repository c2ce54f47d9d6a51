// `chat serve`: the room server, with the operator's console in a subprocess.

import { type ArgsDef, defineCommand, type ParsedArgs } from "citty";
import { parsePort } from "../core/address.ts";
import type { Allowance, Rate } from "../core/room/room.ts";
import { ABUSE, DEFAULT_PORT, LIMITS, TIMERS } from "../core/wire/protocol.ts";
import { tokenProblem } from "../runtime/admin-token.ts";
import type { Log } from "../runtime/log.ts";
import { type ServeOptions, serveUntilStopped } from "../server/serve.ts";
import { defaultDataDir } from "../server/sqlite-store.ts";
import { verboseArg } from "./_args.ts";
import { commandLog, runBody } from "./_finish.ts";

const SERVE_ARGS = {
  host: { type: "string", description: "Address to listen on", default: "0.0.0.0", valueHint: "host" },
  port: { type: "string", description: "UDP port to listen on (0: any free port)", default: String(DEFAULT_PORT), valueHint: "port" },
  "admin-token": {
    type: "string",
    description: "Secret that `chat admin` signs with (default: $CHAT_ADMIN_TOKEN, else a random one kept in a file only you can read)",
    valueHint: "token",
  },
  passphrase: {
    type: "string",
    description: "Encrypt every datagram with a key from this passphrase; members need it too (default: $CHAT_PASSPHRASE)",
    valueHint: "words",
  },
  rate: {
    type: "string",
    description: "Messages each member may send, sustained (after its burst): COUNT/SECONDS, or off",
    default: `${ABUSE.rateCount}/${ABUSE.rateWindowMs / 1000}`,
    valueHint: "n/s",
  },
  burst: {
    type: "string",
    description: "Messages each member may send at once (a pasted snippet) before --rate paces it",
    default: String(ABUSE.rateBurst),
    valueHint: "n",
  },
  logins: {
    type: "string",
    description: "New logins each IP address may start: COUNT/SECONDS, or off",
    default: `${ABUSE.loginBurst}/${(ABUSE.loginBurst * ABUSE.loginEveryMs) / 1000}`,
    valueHint: "n/s",
  },
  datagrams: {
    type: "string",
    description: "Datagrams each sender (address and port) may send before they are dropped unread: COUNT/SECONDS, or off",
    default: `${ABUSE.datagramBurst}/${ABUSE.datagramBurst / ABUSE.datagramsPerSecond}`,
    valueHint: "n/s",
  },
  "max-members": { type: "string", description: "Members the room holds at most", default: String(ABUSE.maxMembers), valueHint: "n" },
  data: {
    type: "string",
    description: `Directory of the room database, kept across restarts; ":memory:" keeps nothing (default: ${defaultDataDir()})`,
    valueHint: "dir",
  },
  history: { type: "string", description: "Messages replayed to a member who joins", default: String(LIMITS.history), valueHint: "n" },
  "peer-timeout": {
    type: "string",
    description: "A member silent this long is removed (the others see it time out)",
    default: String(TIMERS.peerTimeoutMs / 1000),
    valueHint: "seconds",
  },
  classic: {
    type: "boolean",
    description: "Also let the original exercise's clients in (text protocol L/C/Q: no reliability, no security)",
    default: false,
  },
  cluster: {
    type: "string",
    description: "Share the rooms with the other servers on this NATS server (JetStream on): nats://HOST:PORT",
    valueHint: "url",
  },
  web: {
    type: "string",
    description: "TCP port of the web page, where a browser joins the room (0: any free port), or off (default: the UDP port's number)",
    valueHint: "port|off",
  },
  quiet: { type: "boolean", description: "No console line per join, leave and admin broadcast", default: false },
  ...verboseArg,
} as const satisfies ArgsDef;

export const serve = defineCommand({
  meta: { name: "serve", description: "Start a room server; lines typed at its console are broadcast as [admin]" },
  args: SERVE_ARGS,
  run({ args, data }) {
    const log = commandLog(data, args.verbose);
    return runBody(log, () => serveUntilStopped(log, () => serveOptions(args, log)));
  },
});

/** The flags, checked, as serveUntilStopped() takes them. Throws a one-line Error naming a bad flag. */
function serveOptions(args: ParsedArgs<typeof SERVE_ARGS>, log: Log): ServeOptions {
  const token = args["admin-token"] || process.env.CHAT_ADMIN_TOKEN;
  const short = token && tokenProblem(token, args["admin-token"] ? "--admin-token" : "CHAT_ADMIN_TOKEN");
  if (short) throw new Error(`${short}: choose a longer one, or give none and chat makes one`);
  const passphrase = args.passphrase || process.env.CHAT_PASSPHRASE;
  if (passphrase && args.classic)
    throw new Error("--classic cannot be combined with a passphrase: classic clients send and read only plain text");
  if (args.cluster !== undefined && args.data !== undefined)
    throw new Error("--data and --cluster do not go together: in a cluster the rooms are kept in JetStream");
  if (args.cluster !== undefined && !/^nats:\/\/[^\s/]+:\d{1,5}$/.test(args.cluster)) {
    throw new Error(`invalid --cluster ${JSON.stringify(args.cluster)}: expected nats://HOST:PORT, e.g. nats://127.0.0.1:4222`);
  }
  return {
    host: args.host,
    port: parsePort(args.port),
    data: args.data ?? defaultDataDir(),
    history: parseCount(args.history, "--history"),
    peerTimeoutMs: parseSeconds(args["peer-timeout"], "--peer-timeout", MIN_PEER_TIMEOUT_S) * 1000,
    rate: allowance(parseRate(args.rate, "--rate", "5/5"), parseCount(args.burst, "--burst", 1)),
    logins: parseRate(args.logins, "--logins", "20/20"),
    datagrams: parseRate(args.datagrams, "--datagrams", "2000/2"),
    maxMembers: parseCount(args["max-members"], "--max-members", 1),
    quiet: args.quiet,
    classic: args.classic,
    ...(args.cluster !== undefined ? { cluster: args.cluster } : {}),
    ...(args.web !== undefined ? { web: parseWeb(args.web) } : {}),
    log,
    token,
    ...(passphrase ? { passphrase } : {}),
  };
}

function parseCount(raw: string, flag: string, min = 0): number {
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= 100_000)) throw new Error(`invalid ${flag} ${JSON.stringify(raw)}: expected a whole number ${min}-100000`);
  return n;
}

/** `--rate`, `--logins`, `--datagrams`: COUNT/SECONDS (seconds may end in "s"), or "off". */
function parseRate(raw: string, flag: string, example: string): Rate | undefined {
  if (raw === "off") return undefined;
  const m = /^(\d{1,6})\/(\d{1,5}(?:\.\d+)?)s?$/.exec(raw);
  const count = Number(m?.[1]);
  const seconds = Number(m?.[2]);
  if (!m || !(count >= 1) || !(seconds > 0 && seconds <= 86_400)) {
    throw new Error(`invalid ${flag} ${JSON.stringify(raw)}: expected COUNT/SECONDS such as ${example}, or off`);
  }
  return { count, windowMs: seconds * 1000 };
}

/** `--rate` and `--burst` as the room takes them: a bucket of `burst`, refilled one message per SECONDS/COUNT. */
function allowance(rate: Rate | undefined, burst: number): Allowance | undefined {
  return rate && { burst, refillMs: rate.windowMs / rate.count };
}

/** Below this a member's heartbeats (every TIMERS.heartbeatMs) could miss the deadline with one lost datagram (ngircd's floor). */
const MIN_PEER_TIMEOUT_S = 5;

function parseSeconds(raw: string, flag: string, min: number): number {
  const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= 86_400)) throw new Error(`invalid ${flag} ${JSON.stringify(raw)}: expected seconds, at least ${min}`);
  return n;
}

/** `--web`: a TCP port (0: any free one) or off. */
function parseWeb(raw: string): number | "off" {
  if (raw === "off") return "off";
  if (/^\d{1,5}$/.test(raw) && Number(raw) <= 65535) return Number(raw);
  throw new Error(`invalid --web ${JSON.stringify(raw)}: expected a TCP port 0-65535, or off`);
}
