// `chat serve` once its flags are read: the server started, what it tells the operator, the console, and the stop.

import { networkInterfaces } from "node:os";
import { dirname } from "node:path";
import { renderUnicodeCompact } from "uqr";
import { formatHostPort } from "../core/address.ts";
import { EXIT } from "../exit-codes.ts";
import { loadOrCreateToken, tokenFile } from "../runtime/admin-token.ts";
import { privacyProblem } from "../runtime/dirs.ts";
import type { Log } from "../runtime/log.ts";
import { consoleInTerminal, consoleLine, memberNames, spawnConsole } from "./console.ts";
import { type RunningServer, type ServerOptions, startServer } from "./server.ts";

export interface ServeOptions extends Omit<ServerOptions, "token"> {
  /** The admin token given (--admin-token or CHAT_ADMIN_TOKEN); absent: the one kept in this port's token file. */
  token?: string | undefined;
}

/**
 * Serves until SIGINT, SIGTERM or SIGHUP; resolves with the exit code. `options` is called once the signals are
 * listened for: one that came during start-up would otherwise kill the process outright, console and all.
 */
export async function serveUntilStopped(log: Log, options: () => ServeOptions): Promise<number> {
  let interrupt = () => {};
  const stopped = new Promise<void>((resolve) => {
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(s, () => resolve());
    interrupt = resolve;
  });
  const { token, ...opts } = options();
  let tokenNote = "admin token: the one given (--admin-token or CHAT_ADMIN_TOKEN)";
  const fromFile = (port: number) => {
    const file = tokenFile(port);
    const kept = loadOrCreateToken(file);
    tokenNote = `admin token ${kept.created ? "written to" : "kept in"} ${file} (only you can read it; chat admin on this machine finds it)`;
    return kept.token;
  };
  const server = await startServer({ ...opts, token: token ?? fromFile });
  startupReport(server, opts, tokenNote, log);

  const terminal = consoleInTerminal();
  // Said where someone types: a pipe is a script, which knows.
  if (terminal) log.info("what you type here is broadcast to every member as [admin]; /help lists the console commands");
  const acts = { line: (line: string) => consoleLine(server, line, log), interrupt, names: () => memberNames(server) };
  const operator = spawnConsole(acts, log, terminal);
  void operator.ended.then(() => log.debug("console input ended; the server goes on"));
  await stopped;
  await server.stop();
  await operator.stop();
  log.info("server stopped");
  return EXIT.ok;
}

/** The operator's first lines: where the server listens, where the rooms are kept, the token, how to join. */
function startupReport(server: RunningServer, opts: Omit<ServeOptions, "token">, tokenNote: string, log: Log): void {
  log.info(`listening on ${formatHostPort({ host: server.address, port: server.port })}`);
  if (server.clusterId) log.info(`in the cluster at ${opts.cluster} as server ${server.clusterId}: rooms are kept in its JetStream`);
  else log.info(server.dataFile ? `room database: ${server.dataFile}` : "room kept in memory only: nothing survives a restart");
  const open = server.dataFile && privacyProblem(dirname(server.dataFile)); // a folder the user made: said, not changed
  if (open) log.warn(`the data directory ${dirname(server.dataFile!)} is not private: ${open}; its databases are 0600 all the same`);
  log.info(tokenNote);
  if (opts.passphrase) log.info("passphrase set: every datagram is encrypted; members join with the same --passphrase");
  log.info(`members join with: chat join NAME --server ${joinHint(server.address, server.port)}`);
  if (opts.passphrase && opts.web !== "off") log.info("no web page: this room has a passphrase, and a browser would join over plain HTTP");
  if (server.webPort === undefined) return;
  const urls = webUrls(server.address, server.webPort);
  for (const url of urls) log.info(`or in a browser: ${url}`);
  // A phone in the room scans it instead of typing the address.
  if (process.stderr.isTTY && urls[0]) log.log(renderUnicodeCompact(urls[0]));
}

/** The page's addresses: this machine's LAN addresses for a wildcard bind, else the address bound. */
export function webUrls(address: string, port: number): string[] {
  const wildcard = address === "0.0.0.0" || address === "::";
  const hosts = wildcard ? lanAddresses() : [address];
  if (hosts.length === 0) hosts.push("127.0.0.1");
  return hosts.map((host) => `http://${formatHostPort({ host, port })}/`);
}

const lanAddresses = () =>
  Object.values(networkInterfaces())
    .flat()
    .filter((i) => i && i.family === "IPv4" && !i.internal)
    .map((i) => i!.address);

/** How others reach this server: for a wildcard bind, this machine's LAN addresses. */
export function joinHint(address: string, port: number): string {
  const wildcard = address === "0.0.0.0" || address === "::";
  const lan = wildcard
    ? Object.values(networkInterfaces())
        .flat()
        .filter((i) => i && i.family === "IPv4" && !i.internal)
        .map((i) => i!.address)
    : [];
  if (lan.length > 0) return lan.map((a) => formatHostPort({ host: a, port })).join(" or ");
  return formatHostPort({ host: wildcard ? "127.0.0.1" : address, port });
}
