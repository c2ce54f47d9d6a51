// Starting the harness's servers (chat, nats-server, the reference): tracked by the Reaper, which stops them (also on Ctrl-C).

import type { Subprocess } from "bun";
import type { Reaper } from "../test/helpers/reaper.ts";

/** A process gets this long to end after SIGTERM before SIGKILL (the harness's Reaper). */
export const STOP_GRACE_MS = 3000;
/** Lines of a server's stderr kept to explain a failure. */
const TAIL_LINES = 20;

export interface Server {
  readonly pid: number;
  readonly port: number;
  readonly child: Subprocess;
  /** The last lines it wrote on stderr (colors removed). */
  tail(): string;
  /** The first stderr line among the last ones kept or the next ones that matches `re` (another port it printed). */
  line(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with a one-line reason if it exits before stop() is called. */
  readonly died: Promise<string>;
  stop(): Promise<void>;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Starts a server and waits for the line on its stderr (`logsTo`: or its stdout, as ngircd's) that says it listens
 * (`ready` captures the port). Throws with its last lines when it exits first or takes longer than `timeoutMs`.
 */
export async function spawnServe(
  cmd: string[],
  ready: RegExp,
  reaper: Reaper,
  timeoutMs = 15_000,
  logsTo: "stderr" | "stdout" = "stderr",
): Promise<Server> {
  // Should the harness be killed outright (SIGKILL), the kernel sends the server SIGTERM (PR_SET_PDEATHSIG), so no
  // server outlives it; setpriv execs the server, so the pid stays the server's. Without setpriv: a plain start.
  const guard = Bun.which("setpriv") ? ["setpriv", "--pdeathsig", "TERM", "--"] : [];
  const child = reaper.track(
    Bun.spawn([...guard, ...cmd], {
      stdin: "ignore",
      stdout: logsTo === "stdout" ? "pipe" : "ignore",
      stderr: logsTo === "stderr" ? "pipe" : "ignore",
      env: { ...process.env, NO_COLOR: "1", CHAT_DEBUG: "" },
    }),
  );
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; found: (m: RegExpExecArray) => void }> = [];
  let port: number | undefined;
  let onPort: (p: number) => void = () => {};
  const portSeen = new Promise<number>((resolve) => (onPort = resolve));
  // Keep reading its log for the server's whole life, so a full pipe never blocks it.
  const log = (logsTo === "stdout" ? child.stdout : child.stderr) as ReadableStream<Uint8Array>;
  void (async () => {
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of log) {
      buffered += decoder.decode(chunk, { stream: true });
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl).replace(ANSI, "");
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        if (lines.length > TAIL_LINES) lines.shift();
        for (let i = waiters.length - 1; i >= 0; i--) {
          const m = waiters[i]!.re.exec(line);
          if (m) waiters.splice(i, 1)[0]!.found(m);
        }
        const m = port === undefined ? ready.exec(line) : null;
        if (m) {
          port = Number(m[1]);
          onPort(port);
        }
      }
    }
  })();
  let stopping = false;
  const tail = () => lines.join("\n");
  const died = child.exited.then((code) => (stopping ? "" : `${cmd[0]} exited (${code}) unexpectedly:\n${tail()}`));
  const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), timeoutMs).unref());
  const first = await Promise.race([portSeen, died, timeout]);
  if (typeof first !== "number") {
    await reaper.stop(child);
    await Bun.sleep(50); // let the last stderr lines arrive
    throw new Error(first === "timeout" ? `${cmd.join(" ")}: no "listening" line within ${timeoutMs / 1000} s:\n${tail()}` : first);
  }
  return {
    pid: child.pid,
    port: first,
    child,
    tail,
    line(re, ms = timeoutMs) {
      for (const l of lines) {
        const m = re.exec(l);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${cmd[0]}: no line matching ${re} within ${ms / 1000} s:\n${tail()}`)),
          ms,
        ).unref();
        waiters.push({
          re,
          found: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
    died,
    async stop() {
      stopping = true;
      await reaper.stop(child);
    },
  };
}
