// Starting chat processes for tests, reading their output line by line with deadlines, and proving none is left behind.

import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readPrivateToken, tokenFile } from "../../src/runtime/admin-token.ts";

const root = join(import.meta.dir, "..", "..");

/** The compiled binary the end-to-end tests run (`npm test` builds it first; CHAT_BIN overrides). */
export const CHAT_BIN = process.env.CHAT_BIN ?? join(root, "dist", "chat");
/** The same program from source, to prove the subprocesses work there too. */
export const CHAT_SOURCE = [process.execPath, join(root, "src", "cli.ts")];

export function chatBinary(): string[] {
  if (!existsSync(CHAT_BIN)) throw new Error(`${CHAT_BIN} is missing: run \`bun run build\` first (npm test does)`);
  return [CHAT_BIN];
}

/**
 * Polls `check` until it returns a value other than undefined/false, or fails after `ms` naming `what` (a function
 * is asked only then, so that it can say what things looked like at the deadline).
 */
export async function waitUntil<T>(check: () => T | undefined | false, ms: number, what: string | (() => string)): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === "string" ? what : what()}`);
    await Bun.sleep(10);
  }
}

/** Lines of one output stream, collected as they arrive. */
export class Lines {
  readonly lines: string[] = [];
  #partial = "";
  readonly closed: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.closed = this.#pump(stream);
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const parts = (this.#partial + decoder.decode(chunk, { stream: true })).split("\n");
      this.#partial = parts.pop()!;
      this.lines.push(...parts);
    }
    if (this.#partial) this.lines.push(this.#partial);
  }

  /** The first line (from index `from`) that matches, waiting up to `ms`. */
  waitFor(match: string | RegExp | ((line: string) => boolean), ms = 5000, from = 0): Promise<string> {
    const test = typeof match === "function" ? match : (l: string) => (typeof match === "string" ? l.includes(match) : match.test(l));
    return waitUntil(
      () => this.lines.slice(from).find(test),
      ms,
      () => `a line matching ${String(match)}; got:\n${this.text()}`,
    );
  }

  text(): string {
    return this.lines.join("\n");
  }
}

export interface Chat {
  readonly proc: Bun.Subprocess<"pipe", "pipe", "pipe">;
  readonly pid: number;
  readonly out: Lines;
  readonly err: Lines;
  write(text: string): void;
  /** Closes stdin (end of input). */
  end(): void;
  /** Parsed JSON lines of stdout (for --json members). */
  events(): Array<Record<string, unknown>>;
  /** Waits for a JSON event matching every given field. */
  event(fields: Record<string, unknown>, ms?: number): Promise<Record<string, unknown>>;
}

/** Whatever a test forgets to point elsewhere (`chat serve` without --data) lands here, never in the real home. */
const dataHome = join(tmpdir(), "chat-test-data-home");
mkdirSync(dataHome, { recursive: true });
/** Admin token files land here, for the servers and admins the tests start and for the tests themselves (adminToken). */
process.env.XDG_STATE_HOME = join(tmpdir(), "chat-test-state-home");

const running = new Set<Bun.Subprocess>();
const watched = new Set<number>();

export function startChat(args: string[], opts: { env?: Record<string, string | undefined>; command?: string[]; cwd?: string } = {}): Chat {
  const proc = Bun.spawn([...(opts.command ?? chatBinary()), ...args], {
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    env: {
      ...process.env,
      NO_COLOR: "1",
      CHAT_SERVER: undefined,
      CHAT_ADMIN_TOKEN: undefined,
      CHAT_PASSPHRASE: undefined,
      XDG_DATA_HOME: dataHome,
      ...opts.env,
    },
  });
  running.add(proc);
  watched.add(proc.pid);
  const out = new Lines(proc.stdout);
  const err = new Lines(proc.stderr);
  const events = () => out.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
  const matches = (e: Record<string, unknown>, fields: Record<string, unknown>) =>
    Object.entries(fields).every(([k, v]) => JSON.stringify(e[k]) === JSON.stringify(v));
  return {
    proc,
    pid: proc.pid,
    out,
    err,
    write: (text) => {
      proc.stdin.write(text);
      proc.stdin.flush();
    },
    end: () => void proc.stdin.end(),
    events,
    event: (fields, ms = 5000) =>
      waitUntil(
        () => events().find((e) => matches(e, fields)),
        ms,
        () => `event ${JSON.stringify(fields)}; got:\n${out.text()}\nstderr:\n${err.text()}`,
      ),
  };
}

/** Runs chat to completion with its stdin closed: exit code, stdout and stderr lines. */
export async function runChat(args: string[], opts: Parameters<typeof startChat>[1] = {}) {
  const chat = startChat(args, opts);
  chat.end();
  const [code] = await Promise.all([chat.proc.exited, chat.out.closed, chat.err.closed]);
  return { code, out: chat.out.lines, err: chat.err.lines };
}

/**
 * `chat serve` on 127.0.0.1 and a free port; resolves once it is listening. Unless `extra` says otherwise, the room is
 * kept in memory and messages are not rate-limited (tests of delivery send many; the flood tests set --rate).
 */
export async function startServer(extra: string[] = [], opts: Parameters<typeof startChat>[1] = {}) {
  // (In a cluster the rooms live in JetStream: --data does not go with --cluster.)
  const data = extra.includes("--data") || extra.includes("--cluster") ? [] : ["--data", ":memory:"];
  const rate = extra.includes("--rate") ? [] : ["--rate", "off"];
  const server = startChat(["serve", "--host", "127.0.0.1", "--port", "0", ...data, ...rate, ...extra], opts);
  const line = await server.err.waitFor(/listening on 127\.0\.0\.1:\d+/);
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(line)![1]);
  return { ...server, port, address: `127.0.0.1:${port}` };
}

/** The admin token a server the tests started (without --admin-token) keeps in its token file. */
export function adminToken(port: number): string {
  const token = readPrivateToken(tokenFile(port));
  if (!token) throw new Error(`no admin token file for port ${port}`);
  return token;
}

/** `chat join NAME --json`, resolved once its welcome is printed. */
export async function joinRoom(name: string, address: string, opts: Parameters<typeof startChat>[1] = {}) {
  const member = startChat(["join", name, "--server", address, "--json"], opts);
  const welcome = await member.event({ type: "welcome", name });
  return { ...member, welcome };
}

// ---- Process table ----

interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  cmdline: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name in parentheses may itself contain spaces or parentheses: split after the last ")".
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
    return { pid, ppid: Number(rest[1]), state: rest[0]!, cmdline };
  } catch {
    return undefined; // gone (or going) between listing and reading
  }
}

function allProcs(): ProcInfo[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readProc(Number(d)))
    .filter((p): p is ProcInfo => p !== undefined);
}

/** Every live descendant of `pid` (children, their children, ...). */
export function descendants(pid: number): ProcInfo[] {
  const procs = allProcs();
  const found: ProcInfo[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const p of procs) {
      if (p.ppid === parent) {
        found.push(p);
        queue.push(p.pid);
      }
    }
  }
  return found;
}

/** True once `pid` no longer exists; a zombie (exited, not reaped) still counts as there. */
export const isGone = (pid: number) => readProc(pid) === undefined;

export const processState = (pid: number) => readProc(pid)?.state;

/**
 * The wait status of a process that has exited but is not reaped yet (a zombie), from the last field of its
 * /proc stat (Linux 3.5+): for a parent that may be slow to collect it. Undefined while it runs, or once it is gone.
 */
export function zombieStatus(pid: number): { code: number } | { signal: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat
      .slice(stat.lastIndexOf(")") + 2)
      .trim()
      .split(" ");
    if (fields[0] !== "Z") return undefined;
    const status = Number(fields.at(-1));
    return (status & 0x7f) === 0 ? { code: (status >> 8) & 0xff } : { signal: status & 0x7f };
  } catch {
    return undefined;
  }
}

/** Waits until every pid is gone (not running, not a zombie). */
export function waitGone(pids: number[], ms = 5000): Promise<true> {
  return waitUntil(
    () => pids.every(isGone),
    ms,
    `processes to be gone: ${pids.map((p) => `${p}(${readProc(p)?.state ?? "gone"} ${readProc(p)?.cmdline ?? ""})`).join(", ")}`,
  );
}

/** For afterEach: kills every process a test started, and their subprocesses, and reaps them. */
export async function killAll(): Promise<void> {
  const extra = [...watched].flatMap((pid) => descendants(pid).map((p) => p.pid));
  for (const proc of running) proc.kill("SIGKILL");
  for (const pid of extra) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await Promise.all([...running].map((p) => p.exited));
  running.clear();
  watched.clear();
}
