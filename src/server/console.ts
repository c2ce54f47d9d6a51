// The server's admin console: a subprocess reads the operator's lines from the server's stdin; the server acts on them.

import { createInterface } from "node:readline";
import { isatty } from "node:tty";
import { formatWithOptions } from "node:util";
import type { ConsolaReporter, LogObject } from "consola";
import { BAN_WHILE_RUNNING, parseBanLength } from "../core/duration.ts";
import { inForeground } from "../runtime/foreground.ts";
import type { Log } from "../runtime/log.ts";
import { spawnSelf } from "../runtime/self.ts";
import { checkFromConsole, checkToConsole, type FromConsole, type ToConsole } from "./console-ipc.ts";
import { ConsoleTerminal } from "./console-terminal.ts";
import type { RunningServer } from "./server.ts";

/** How long the console subprocess gets to end after "stop" before SIGKILL (a background job stopped by SIGTTIN reads nothing). */
const STOP_GRACE_MS = 500;

/** How long Tab waits for the server's list of names before it gives up (the server is ours: it answers at once). */
const NAMES_WAIT_MS = 1000;

/**
 * Whether the console takes the terminal: its keyboard (stdin) and the screen the server's log lines go to (stderr),
 * as `chat join` does with stdin and stdout. Asked of the file descriptors, not of process.stdin: the server must not
 * open a reader on the input its console reads. Not in a background job: raw mode there would stop the server too.
 */
export const consoleInTerminal = (): boolean => isatty(0) && isatty(2) && process.env.TERM !== "dumb" && inForeground();

// ---- In the subprocess ----

/** What runs the console once the server has said how: plain lines, or the terminal. */
interface ConsoleInput {
  print(text: string): void;
  close(): void;
}

/**
 * Hands each line the operator types to the server; resolves at end of input, on "stop", or when the server goes
 * away. In a terminal it prints the server's log lines above the prompt, which the server sends it for that.
 */
export function runConsole(log: Log): Promise<void> {
  const send = (m: FromConsole) => process.send?.(m);
  let input: ConsoleInput | undefined;
  let names: ((names: string[]) => void) | undefined;
  // Ctrl-C at the server's terminal reaches this process too (in cooked mode): the server decides, and stops this one.
  const ignore = () => {};
  process.on("SIGINT", ignore);
  process.on("SIGHUP", ignore);
  return new Promise<void>((resolve) => {
    process.on("message", (raw) => {
      const checked = checkToConsole(raw);
      if (!("value" in checked)) return log.debug(`ignored a message from the server: ${checked.problem}`);
      const m: ToConsole = checked.value;
      if (m.kind === "start") input ??= m.terminal ? terminalInput(send, resolve, (n) => (names = n)) : lineInput(send, resolve);
      else if (m.kind === "log") input?.print(m.text);
      else if (m.kind === "names") names?.(m.names);
      else resolve();
    });
    process.on("disconnect", resolve);
    process.on("SIGTERM", resolve);
  }).finally(() => {
    input?.close();
    process.stdin.destroy();
  });
}

/** Piped input (or a terminal the console does not take): one line at a time, as typed. */
function lineInput(send: (m: FromConsole) => void, end: () => void): ConsoleInput {
  const input = createInterface({ input: process.stdin, terminal: false });
  input.on("line", (text) => send({ kind: "line", text }));
  input.on("close", end);
  return { print: (text) => process.stderr.write(`${text}\n`), close: () => input.close() };
}

/** The terminal: prompt, line editor, Tab completion, and the server's log lines above. */
function terminalInput(send: (m: FromConsole) => void, end: () => void, onNames: (n: (names: string[]) => void) => void): ConsoleInput {
  const color = !process.env.NO_COLOR;
  const askNames = () =>
    new Promise<readonly string[]>((resolve) => {
      const timer = setTimeout(() => resolve([]), NAMES_WAIT_MS);
      onNames((names) => {
        clearTimeout(timer);
        resolve(names);
      });
      send({ kind: "names" });
    });
  const line = { commands: CONSOLE_COMMANDS.map((c) => c.name), takesName: ["/kick", "/ban"] };
  const events = { submit: (text: string) => send({ kind: "line", text }), interrupt: () => send({ kind: "interrupt" }), eof: end };
  const terminal = new ConsoleTerminal(events, color, line, askNames);
  terminal.start();
  send({ kind: "ready" });
  return { print: (text) => terminal.print(text), close: () => terminal.stop() };
}

// ---- In the server ----

/** What the console does to the server. */
export interface ConsoleActs {
  /** A line typed at the console. */
  line(text: string): void;
  /** Ctrl-C at the console's terminal: what SIGINT does. */
  interrupt(): void;
  /** Every member's name, for Tab. */
  names(): string[];
}

export interface ConsoleHandle {
  /** Resolves when the console subprocess has ended (end of input, or stop()). */
  readonly ended: Promise<unknown>;
  /** Ends the subprocess (after the log lines sent before) and reaps it. */
  stop(): Promise<void>;
}

/**
 * Starts the console. `terminal` (consoleInTerminal()): it takes the terminal, and once it says it has, `log`'s
 * lines go to it to be printed above the prompt; when it ends, they go to stderr again.
 */
export function spawnConsole(acts: ConsoleActs, log: Log, terminal: boolean): ConsoleHandle {
  const reporters = log.options.reporters;
  const own = () => log.setReporters(reporters);
  let alive = true;
  const send = (m: ToConsole): boolean => {
    if (!alive) return false;
    try {
      child.send(m);
      return true;
    } catch (err) {
      // The channel closed before `exited` said so: the console is gone, which the caller handles. Marked first, so
      // that the line below, were it forwarded, finds it gone and goes to stderr.
      alive = false;
      log.debug(`the console subprocess is gone: ${String(err)}`);
      return false;
    }
  };
  const child = spawnSelf("__console", ["inherit", terminal ? 2 : "ignore", "inherit"], (msg) => {
    const checked = checkFromConsole(msg);
    if (!("value" in checked)) return log.debug(`ignored a message from the console subprocess: ${checked.problem}`);
    const m = checked.value;
    if (m.kind === "line") acts.line(m.text);
    else if (m.kind === "interrupt") acts.interrupt();
    else if (m.kind === "names") send({ kind: "names", names: acts.names() });
    else if (terminal) log.setReporters([forwarding(reporters, (text) => send({ kind: "log", text }), own)]);
  });
  send({ kind: "start", terminal });
  const ended = child.exited.then(() => {
    alive = false;
    own();
  });
  return {
    ended,
    async stop() {
      if (!send({ kind: "stop" })) child.kill("SIGTERM");
      const grace = setTimeout(() => {
        log.debug("console subprocess did not stop; killing it");
        child.kill("SIGKILL");
      }, STOP_GRACE_MS);
      await ended;
      clearTimeout(grace);
    },
  };
}

/**
 * A reporter that formats each entry as the logger's own would have written it (consola's icons and colours) and
 * hands the text to `send`; when `send` cannot (the console is gone), `gone` gives the logger its own back, and
 * they write the entry.
 */
function forwarding(reporters: ConsolaReporter[], send: (text: string) => boolean, gone: () => void): ConsolaReporter {
  type Formats = { formatLogObj(entry: LogObject, opts: object): string };
  const first = reporters[0] as Partial<Formats> | undefined;
  return {
    log(entry, ctx) {
      const opts = { columns: 0, ...ctx.options.formatOptions };
      const text = first?.formatLogObj ? first.formatLogObj(entry, opts) : formatWithOptions(opts, ...entry.args);
      if (send(text)) return;
      gone();
      for (const r of reporters) r.log(entry, ctx);
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
    help: "kick, and refuse its address FOR 30s, 10m, 2h or 1d (default: while it runs)",
    op: true,
    run: (server, args, log) => ban(server, args, log),
  },
  {
    name: "/help",
    usage: "/help",
    help: "this list",
    op: false,
    run: (_server, _args, log) => log.info([...consoleHelp(true), ...CONSOLE_KEYS].join("\n")),
  },
];

/** The keys of the console in a terminal, after its commands in /help. */
const CONSOLE_KEYS = [
  "Tab              complete a command, or a name after /kick and /ban (again: the next)",
  "Ctrl-C           clear a typed line; on an empty one, stop the server",
  "Ctrl-D           on an empty line: end the console (the server goes on)",
];

/** Every member's name, in every room, once each: what Tab completes after /kick and /ban. */
export function memberNames(server: Pick<ConsoleServer, "rooms">): string[] {
  return [...new Set(server.rooms().flatMap((r) => r.names))];
}

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
