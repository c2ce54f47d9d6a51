// The harness's child processes and temp dirs: started here, tracked, and always stopped and removed (also on Ctrl-C).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

/** A process gets this long to end after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 3000;
/** Lines of a server's stderr kept to explain a failure. */
const TAIL_LINES = 20;

/** Every child and temp dir the harness made and has not yet cleaned up. */
export class Reaper {
  readonly #children = new Set<Subprocess>();
  readonly #dirs = new Set<string>();

  track<T extends Subprocess>(child: T): T {
    this.#children.add(child);
    void child.exited.then(() => this.#children.delete(child));
    return child;
  }

  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.#dirs.add(dir);
    return dir;
  }

  removeDir(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
    this.#dirs.delete(dir);
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
  async stop(child: Subprocess): Promise<void> {
    child.kill("SIGTERM");
    const kill = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    await child.exited;
    clearTimeout(kill);
  }

  /** Stops every child still running and removes every temp dir. */
  async all(): Promise<void> {
    await Promise.all([...this.#children].map((c) => this.stop(c)));
    for (const dir of [...this.#dirs]) this.removeDir(dir);
  }
}

export interface Server {
  readonly pid: number;
  readonly port: number;
  readonly child: Subprocess;
  /** The last lines it wrote on stderr (colors removed). */
  tail(): string;
  /** Resolves with a one-line reason if it exits before stop() is called. */
  readonly died: Promise<string>;
  stop(): Promise<void>;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Starts a server and waits for the stderr line that says it listens (`ready` captures the port). Throws with its
 * last stderr lines when it exits first or takes longer than `timeoutMs`.
 */
export async function startServer(cmd: string[], ready: RegExp, reaper: Reaper, timeoutMs = 15_000): Promise<Server> {
  // Should the harness be killed outright (SIGKILL), the kernel sends the server SIGTERM (PR_SET_PDEATHSIG), so no
  // server outlives it; setpriv execs the server, so the pid stays the server's. Without setpriv: a plain start.
  const guard = Bun.which("setpriv") ? ["setpriv", "--pdeathsig", "TERM", "--"] : [];
  const child = reaper.track(
    Bun.spawn([...guard, ...cmd], {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1", CHAT_DEBUG: "" },
    }),
  );
  const lines: string[] = [];
  let port: number | undefined;
  let onPort: (p: number) => void = () => {};
  const portSeen = new Promise<number>((resolve) => (onPort = resolve));
  // Keep reading stderr for the server's whole life, so a full pipe never blocks it.
  void (async () => {
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of child.stderr) {
      buffered += decoder.decode(chunk, { stream: true });
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl).replace(ANSI, "");
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        if (lines.length > TAIL_LINES) lines.shift();
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
    died,
    async stop() {
      stopping = true;
      await reaper.stop(child);
    },
  };
}

/** A free UDP port on 127.0.0.1, for servers that cannot be given port 0 (relay_limit). */
export async function freeUdpPort(): Promise<number> {
  const s = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0, socket: { error() {} } });
  const port = s.port;
  s.close();
  return port;
}
