// A real terminal for tests: a private tmux server running one command in a pane of a given size, read back with capture-pane.

import { isGone, processState, zombieStatus } from "./procfs.ts";
import { waitUntil } from "./wait.ts";

/**
 * Whether the terminal tests can run. Without tmux they are skipped, except where CHAT_REQUIRE_TMUX is set (.ci/run
 * sets it, after installing tmux): there a missing tmux fails loudly instead of passing by skipping.
 */
export const hasTmux = Bun.which("tmux") !== null;
if (!hasTmux && process.env.CHAT_REQUIRE_TMUX) throw new Error("tmux is missing: the terminal tests need it (apt-get install tmux)");
if (!hasTmux) console.warn("tmux is missing: the tmux terminal tests are skipped");

let sockets = 0;

/** One tmux server on a socket of its own (never the user's), with one pane running `command`. */
export class TmuxPane {
  readonly #socket: string;
  #pids: number[] = [];

  private constructor(socket: string) {
    this.#socket = socket;
  }

  /** Starts `command` in a `columns`×`rows` pane; the pane stays (dead) after the command exits, to read its status. */
  static async start(
    command: string[],
    opts: { columns: number; rows: number; env?: Record<string, string | undefined> },
  ): Promise<TmuxPane> {
    const pane = new TmuxPane(`chat-test-${process.pid}-${++sockets}`);
    const env = {
      ...process.env,
      NO_COLOR: undefined,
      CHAT_SERVER: undefined,
      CHAT_ADMIN_TOKEN: undefined,
      CHAT_PASSPHRASE: undefined,
      ...opts.env,
    };
    const quoted = command.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
    // -f /dev/null: no user configuration; remain-on-exit is set before the pane exists, so no exit goes unseen.
    await pane.#tmux(
      [
        "-f",
        "/dev/null",
        "start-server",
        ";",
        "set-option",
        "-g",
        "remain-on-exit",
        "on",
        ";",
        "new-session",
        "-d",
        "-s",
        "test",
        "-x",
        String(opts.columns),
        "-y",
        String(opts.rows),
        `exec ${quoted}`,
      ],
      env,
    );
    pane.#pids = (await pane.#tmux(["display-message", "-p", "-t", "test", "#{pid} #{pane_pid}"])).trim().split(" ").map(Number);
    return pane;
  }

  /** The pid of the command in the pane. */
  get pid(): number {
    return this.#pids[1]!;
  }

  /** Types `text` as it is (no key names). */
  async type(text: string): Promise<void> {
    await this.#tmux(["send-keys", "-t", "test", "-l", text]);
  }

  /** Presses keys by tmux's names: "Enter", "C-c", "Left", "BSpace"... */
  async press(...keys: string[]): Promise<void> {
    await this.#tmux(["send-keys", "-t", "test", ...keys]);
  }

  /** Resizes the window, as a person dragging its corner. */
  async resize(columns: number, rows: number): Promise<void> {
    await this.#tmux(["resize-window", "-t", "test", "-x", String(columns), "-y", String(rows)]);
  }

  /** The visible screen, one string per row, trailing spaces removed. */
  async screen(): Promise<string[]> {
    const text = await this.#tmux(["capture-pane", "-p", "-t", "test"]);
    return text
      .replace(/\n$/, "")
      .split("\n")
      .map((row) => row.trimEnd());
  }

  /** The screen with colours and attributes as SGR escape sequences. */
  async screenWithAttributes(): Promise<string> {
    return this.#tmux(["capture-pane", "-p", "-e", "-t", "test"]);
  }

  /** Rows the pane has pushed into its scrollback so far (tmux's history_size). */
  async scrollback(): Promise<number> {
    return Number((await this.#tmux(["display-message", "-p", "-t", "test", "#{history_size}"])).trim());
  }

  /** The terminal's cursor: column and row, from 0. */
  async cursor(): Promise<{ x: number; y: number }> {
    const [x, y] = (await this.#tmux(["display-message", "-p", "-t", "test", "#{cursor_x} #{cursor_y}"])).trim().split(" ").map(Number);
    return { x: x!, y: y! };
  }

  /** Waits until `check` holds for the screen; fails after `ms` showing what the screen had. */
  async waitForScreen(check: (rows: string[]) => boolean, what: string, ms = 5000): Promise<string[]> {
    let last: string[] = [];
    try {
      return await this.#poll(check, ms, (rows) => (last = rows));
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${what}; the screen:\n${last.join("\n")}`);
    }
  }

  /** The exit status of the pane's command, once it has exited. */
  async exitStatus(ms = 5000): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      const [dead, status, signal] = (
        await this.#tmux(["display-message", "-p", "-t", "test", "#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}"])
      )
        .trim()
        .split(":");
      // tmux may see the pane's terminal close a moment before it has collected the exit status.
      if (dead === "1" && status !== "") return Number(status);
      if (dead === "1" && signal !== "") throw new Error(`the command in the pane was killed by signal ${signal}`);
      // ...and now and then it never does: read the status of the unreaped process itself.
      const zombie = zombieStatus(this.pid);
      if (zombie && "code" in zombie) return zombie.code;
      if (zombie) throw new Error(`the command in the pane was killed by signal ${zombie.signal}`);
      if (Date.now() > deadline) throw new Error(`the command in the pane did not exit within ${ms} ms`);
      await Bun.sleep(20);
    }
  }

  /**
   * Ends the pane's command (SIGHUP, as when a terminal window closes) and waits until tmux has reaped it, then ends
   * the tmux server and waits until it has exited. The server was daemonized, so init reaps it, in its own time: an
   * exited server (a zombie) counts as ended.
   */
  async close(): Promise<void> {
    if (this.#pids.length === 0) return;
    const [server, command] = this.#pids as [number, number];
    this.#pids = [];
    try {
      process.kill(command, "SIGHUP");
      await this.exitStatus(3000);
    } catch {
      // already gone, or it ignored SIGHUP: kill-server below sends another, and then SIGKILL follows
    }
    await this.#tmux(["kill-server"]).catch(() => undefined);
    const ended = (pid: number) => isGone(pid) || processState(pid) === "Z";
    try {
      await waitUntil(() => ended(server) && ended(command), 3000, "tmux and its pane to end");
    } catch {
      for (const pid of [server, command]) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      await waitUntil(() => ended(server) && ended(command), 3000, "tmux and its pane to end after SIGKILL");
    }
  }

  async #poll(check: (rows: string[]) => boolean, ms: number, seen: (rows: string[]) => void): Promise<string[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const rows = await this.screen();
      seen(rows);
      if (check(rows)) return rows;
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms`);
      await Bun.sleep(20);
    }
  }

  async #tmux(args: string[], env?: Record<string, string | undefined>): Promise<string> {
    const proc = Bun.spawn(["tmux", "-L", this.#socket, ...args], { stdout: "pipe", stderr: "pipe", ...(env ? { env } : {}) });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`tmux ${args.join(" ")}: ${err.trim() || `exit ${code}`}`);
    return out;
  }
}
