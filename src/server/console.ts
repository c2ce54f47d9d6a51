// The server's admin console: a subprocess reads the operator's lines from the server's stdin; the server acts on them.

import { createInterface } from "node:readline";
import { BAN_WHILE_RUNNING, parseBanLength } from "../core/duration.ts";
import { checkFromConsole, type FromConsole } from "../member/ipc.ts";
import type { Log } from "../runtime/log.ts";
import { spawnSelf } from "../runtime/self.ts";
import type { RunningServer } from "./server.ts";

/** How long the console subprocess gets to end after SIGTERM before SIGKILL (a background job stopped by SIGTTIN ignores SIGTERM). */
const STOP_GRACE_MS = 500;

// ---- In the subprocess ----

/** Sends each line of stdin to the server; resolves at end of input, or when the server goes away. */
export function runConsole(): Promise<void> {
  const input = createInterface({ input: process.stdin, terminal: false });
  input.on("line", (text) => process.send?.({ kind: "line", text } satisfies FromConsole));
  // Ctrl-C at the server's terminal reaches this process too: the server decides, and stops this one.
  const ignore = () => {};
  process.on("SIGINT", ignore);
  process.on("SIGHUP", ignore);
  return new Promise<void>((resolve) => {
    input.on("close", resolve);
    process.on("disconnect", resolve);
    process.on("SIGTERM", resolve);
  }).finally(() => {
    input.close();
    process.stdin.destroy();
  });
}

// ---- In the server ----

export interface ConsoleHandle {
  /** Resolves when the console subprocess has ended (end of input, or stop()). */
  readonly ended: Promise<unknown>;
  /** Ends the subprocess and reaps it. */
  stop(): Promise<void>;
}

export function spawnConsole(onLine: (text: string) => void, log: Log): ConsoleHandle {
  const child = spawnSelf("__console", ["inherit", "ignore", "inherit"], (msg) => {
    const checked = checkFromConsole(msg);
    if ("value" in checked) onLine(checked.value.text);
    else log.debug(`ignored a message from the console subprocess: ${checked.problem}`);
  });
  return {
    ended: child.exited,
    async stop() {
      child.kill("SIGTERM");
      const grace = setTimeout(() => {
        log.debug("console subprocess ignored SIGTERM; killing it");
        child.kill("SIGKILL");
      }, STOP_GRACE_MS);
      await child.exited;
      clearTimeout(grace);
    },
  };
}

/** What the console needs of the server: the operator's acts, as RunningServer (server.ts) offers them. */
export type ConsoleServer = Pick<RunningServer, "rooms" | "announce" | "kick">;

interface ConsoleCommand {
  readonly name: string;
  readonly usage: string;
  readonly help: string;
  /** It acts on the members (ssh-chat's Op): a console that only watches would leave it out, and its help too. */
  readonly op: boolean;
  /** The words after the command. */
  readonly run: (server: ConsoleServer, args: readonly string[], log: Log) => void;
}

/** The console's commands, in the order /help lists them. */
export const CONSOLE_COMMANDS: readonly ConsoleCommand[] = [
  { name: "/who", usage: "/who", help: "list the members", op: false, run: (server, _args, log) => log.info(whoLines(server).join("\n")) },
  {
    name: "/kick",
    usage: "/kick NAME",
    help: "remove a member (the others see it kicked)",
    op: true,
    run: (s, args, log) => kick(s, args, log),
  },
  {
    name: "/ban",
    usage: "/ban NAME [FOR]",
    help: "remove a member and refuse its address FOR 30s, 10m, 2h, 1d (default: while the server runs)",
    op: true,
    run: (server, args, log) => ban(server, args, log),
  },
  { name: "/help", usage: "/help", help: "this list", op: false, run: (_server, _args, log) => log.info(consoleHelp(true).join("\n")) },
];

/** The /help text: a line that is not a command, the commands (`op`: with those that act on members), and the escape. */
export function consoleHelp(op: boolean): string[] {
  const rows: Array<[string, string]> = [
    ...(op ? [["TEXT", "broadcast TEXT to every member as [admin]"] as [string, string]] : []),
    ...CONSOLE_COMMANDS.filter((c) => op || !c.op).map((c): [string, string] => [c.usage, c.help]),
    ...(op ? [["//TEXT", "broadcast a line that starts with /"] as [string, string]] : []),
  ];
  return rows.map(([usage, what]) => `${usage.padEnd(16)} ${what}`);
}

/** What one operator line does. Feedback goes to the log (stderr): the console has no transcript of its own. */
export function consoleLine(server: ConsoleServer, raw: string, log: Log): void {
  const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (line.trim() === "") return;
  if (line.startsWith("/") && !line.startsWith("//")) {
    const [name = "", ...args] = line.trim().split(/\s+/);
    const command = CONSOLE_COMMANDS.find((c) => c.name === name);
    if (!command) return log.warn(`unknown console command ${name}: nothing was sent (type /help)`);
    return command.run(server, args, log);
  }
  const result = server.announce(line.startsWith("//") ? line.slice(1) : line);
  if ("problem" in result) log.error(result.problem);
}

/** One line per room, with its members on every server of a cluster; with only the default room, it goes unnamed. */
export function whoLines(server: Pick<ConsoleServer, "rooms">): string[] {
  const rooms = server.rooms();
  const where = (name: string) => (rooms.length === 1 ? "the room" : `room ${name}`);
  return rooms.map(({ name, names }) =>
    names.length === 0 ? `nobody is in ${where(name)}` : `${names.length} in ${where(name)}: ${names.join(", ")}`,
  );
}

function kick(server: ConsoleServer, [who, ...extra]: readonly string[], log: Log): void {
  if (who === undefined || extra.length > 0) return log.warn("usage: /kick NAME");
  if (!server.kick(who)) log.warn(`nobody named "${who}" is in the room`);
}

function ban(server: ConsoleServer, [who, duration, ...extra]: readonly string[], log: Log): void {
  if (who === undefined || extra.length > 0) return log.warn("usage: /ban NAME [30s|10m|2h|1d]");
  const d = duration === undefined ? { ms: BAN_WHILE_RUNNING } : parseBanLength(duration);
  if ("problem" in d) return log.warn(d.problem);
  if (!server.kick(who, d.ms)) log.warn(`nobody named "${who}" is in the room`);
}
