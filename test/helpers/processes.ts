// Starting chat processes for tests, reading their output line by line with deadlines, and proving none is left behind.

import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readPrivateToken, tokenFile } from "../../src/runtime/admin-token.ts";
import { isGone, readProc } from "./procfs.ts";
import { Reaper } from "./reaper.ts";
import { waitUntil } from "./wait.ts";

const root = join(import.meta.dir, "..", "..");

/** The compiled binary the end-to-end tests run (`npm test` builds it first; CHAT_BIN overrides). */
export const CHAT_BIN = process.env.CHAT_BIN ?? join(root, "dist", "chat");
/** The same program from source, to prove the subprocesses work there too. */
export const CHAT_SOURCE = [process.execPath, join(root, "src", "cli.ts")];

export function chatBinary(): string[] {
  if (!existsSync(CHAT_BIN)) throw new Error(`${CHAT_BIN} is missing: run \`bun run build\` first (npm test does)`);
  return [CHAT_BIN];
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
/**
 * The admin token files of the servers and admins the tests start: every chat is given it as XDG_STATE_HOME
 * (unless a test gives its own), and adminToken() reads there.
 */
export const STATE_HOME = join(tmpdir(), "chat-test-state-home");

/** Every chat started and not yet reaped: module state on purpose, since each test file's afterEach(killAll) empties it. */
const reaper = new Reaper(0);

export function startChat(args: string[], opts: { env?: Record<string, string | undefined>; command?: string[]; cwd?: string } = {}): Chat {
  mkdirSync(dataHome, { recursive: true });
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
      XDG_STATE_HOME: STATE_HOME,
      ...opts.env,
    },
  });
  reaper.track(proc);
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
export async function spawnServe(extra: string[] = [], opts: Parameters<typeof startChat>[1] = {}) {
  // (In a cluster the rooms live in JetStream: --data does not go with --cluster.)
  const data = extra.includes("--data") || extra.includes("--cluster") ? [] : ["--data", ":memory:"];
  const rate = extra.includes("--rate") ? [] : ["--rate", "off"];
  const server = startChat(["serve", "--host", "127.0.0.1", "--port", "0", ...data, ...rate, ...extra], opts);
  const line = await server.err.waitFor(/listening on 127\.0\.0\.1:\d+/);
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(line)![1]);
  return { ...server, port, address: `127.0.0.1:${port}` };
}

/** The admin token a server the tests started (without --admin-token or XDG_STATE_HOME) keeps in its token file. */
export function adminToken(port: number): string {
  const token = readPrivateToken(tokenFile(port, { XDG_STATE_HOME: STATE_HOME }));
  if (!token) throw new Error(`no admin token file for port ${port}`);
  return token;
}

/** `chat join NAME --json`, resolved once its welcome is printed. */
export async function joinRoom(name: string, address: string, opts: Parameters<typeof startChat>[1] = {}) {
  const member = startChat(["join", name, "--server", address, "--json"], opts);
  const welcome = await member.event({ type: "welcome", name });
  return { ...member, welcome };
}

/** Waits until every pid is gone (not running, not a zombie). */
export function waitGone(pids: number[], ms = 5000): Promise<true> {
  return waitUntil(
    () => pids.every(isGone),
    ms,
    () => `processes to be gone: ${pids.map((p) => `${p}(${readProc(p)?.state ?? "gone"} ${readProc(p)?.cmdline ?? ""})`).join(", ")}`,
  );
}

/** For afterEach: kills every process a test started, and their subprocesses, and reaps them. */
export const killAll = (): Promise<void> => reaper.all();
