// `chat serve`: the room server, with the operator's console in a subprocess.

import { networkInterfaces } from "node:os";
import { defineCommand } from "citty";
import { formatHostPort, parsePort } from "../core/address.ts";
import { DEFAULT_PORT, LIMITS, TIMERS } from "../core/protocol.ts";
import { consoleLine, spawnConsole } from "../console.ts";
import { EXIT } from "../exit-codes.ts";
import type { Log } from "../log.ts";
import { startServer } from "../server.ts";
import { defaultDataDir } from "../sqlite-store.ts";
import { finish, logFor, verboseArg } from "./_shared.ts";

export const serve = defineCommand({
  meta: { name: "serve", description: "Start a room server; lines typed at its console are broadcast as [admin]" },
  args: {
    host: { type: "string", description: "Address to listen on", default: "0.0.0.0", valueHint: "host" },
    port: { type: "string", description: "UDP port to listen on (0: any free port)", default: String(DEFAULT_PORT), valueHint: "port" },
    "admin-token": {
      type: "string",
      description: "Secret that `chat admin` must present (default: $CHAT_ADMIN_TOKEN; without one, only this machine may broadcast)",
      valueHint: "token",
    },
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
    ...verboseArg,
  },
  async run({ args }) {
    const log = logFor(args.verbose);
    await finish(log, async () => {
      // Listen for the stop signals before anything else: one that came during start-up would otherwise kill
      // the process outright, without stopping the console subprocess.
      const stopped = new Promise<void>((resolve) => {
        for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(s, () => resolve());
      });
      const token = args["admin-token"] ?? process.env.CHAT_ADMIN_TOKEN;
      const server = await startServer({
        host: args.host,
        port: parsePort(args.port),
        data: args.data ?? defaultDataDir(),
        history: parseCount(args.history, "--history"),
        peerTimeoutMs: parseSeconds(args["peer-timeout"], "--peer-timeout", MIN_PEER_TIMEOUT_S) * 1000,
        log,
        ...(token ? { token } : {}),
      });
      log.info(`listening on ${formatHostPort({ host: server.address, port: server.port })}`);
      log.info(server.dataFile ? `room database: ${server.dataFile}` : "room kept in memory only: nothing survives a restart");
      hints(server.address, server.port, token !== undefined, log);

      const operator = spawnConsole((line) => consoleLine(server, line, log), log);
      void operator.ended.then(() => log.debug("console input ended; the server goes on"));

      await stopped;
      server.stop();
      await operator.stop();
      log.info("server stopped");
      return EXIT.ok;
    });
  },
});

function parseCount(raw: string, flag: string): number {
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 0 && n <= 100_000)) throw new Error(`invalid ${flag} ${JSON.stringify(raw)}: expected a whole number 0-100000`);
  return n;
}

/** Below this a member's heartbeats (every TIMERS.heartbeatMs) could miss the deadline with one lost datagram (ngircd's floor). */
const MIN_PEER_TIMEOUT_S = 5;

function parseSeconds(raw: string, flag: string, min: number): number {
  const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= 86_400)) throw new Error(`invalid ${flag} ${JSON.stringify(raw)}: expected seconds, at least ${min}`);
  return n;
}

/** How others reach this server: for a wildcard bind, this machine's LAN addresses. */
function hints(address: string, port: number, hasToken: boolean, log: Log): void {
  const wildcard = address === "0.0.0.0" || address === "::";
  const lan = wildcard
    ? Object.values(networkInterfaces()).flat().filter((i) => i && i.family === "IPv4" && !i.internal).map((i) => i!.address)
    : [];
  const where = lan.length > 0 ? lan.map((a) => formatHostPort({ host: a, port })).join(" or ") : formatHostPort({ host: wildcard ? "127.0.0.1" : address, port });
  log.info(`members join with: chat join NAME --server ${where}`);
  log.info(hasToken ? "admin broadcasts need the admin token" : "admin broadcasts accepted from this machine only (set CHAT_ADMIN_TOKEN to allow others)");
}
