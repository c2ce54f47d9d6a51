// The server's admin console: a subprocess reads the operator's lines from the server's stdin; the server acts on them.

import { createInterface } from "node:readline";
import { isFromConsole, type FromConsole } from "./ipc.ts";
import type { Log } from "./log.ts";
import { selfCommand } from "./self.ts";
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
  const child = Bun.spawn(selfCommand("__console"), {
    stdio: ["inherit", "ignore", "inherit"],
    serialization: "json",
    ipc(msg) {
      if (isFromConsole(msg)) onLine(msg.text);
    },
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

const HELP = [
  ["TEXT", "broadcast TEXT to every member as [admin]"],
  ["/who", "list the members"],
  ["/help", "this list"],
  ["//TEXT", "broadcast a line that starts with /"],
] as const;

/** What one operator line does. Feedback goes to the log (stderr): the console has no transcript of its own. */
export function consoleLine(server: RunningServer, raw: string, log: Log): void {
  const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (line.trim() === "") return;
  if (line.startsWith("/") && !line.startsWith("//")) {
    const [name] = line.split(/\s+/, 1);
    if (name === "/who") {
      const names = [...server.room.members()].map((m) => m.name);
      return log.info(names.length === 0 ? "nobody is in the room" : `${names.length} in the room: ${names.join(", ")}`);
    }
    if (name === "/help") return log.info(HELP.map(([c, what]) => `${c.padEnd(7)} ${what}`).join("\n"));
    return log.warn(`unknown console command ${name}: nothing was sent (type /help)`);
  }
  const result = server.announce(line.startsWith("//") ? line.slice(1) : line);
  if ("problem" in result) log.error(result.problem);
}
