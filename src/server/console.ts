// The server's admin console: a subprocess reads the operator's lines from the server's stdin; the server acts on them.

import { createInterface } from "node:readline";
import { parseDuration } from "../core/duration.ts";
import { isFromConsole, type FromConsole } from "../member/ipc.ts";
import type { Log } from "../runtime/log.ts";
import { selfCommand } from "../runtime/self.ts";
import type { Room } from "../core/room/room.ts";
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
  ["/kick NAME", "remove a member (the others see it kicked)"],
  ["/ban NAME [FOR]", "remove a member and refuse its address FOR 30s, 10m, 2h, 1d (default: while the server runs)"],
  ["/help", "this list"],
  ["//TEXT", "broadcast a line that starts with /"],
] as const;

/** What one operator line does. Feedback goes to the log (stderr): the console has no transcript of its own. */
export function consoleLine(server: RunningServer, raw: string, log: Log): void {
  const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (line.trim() === "") return;
  if (line.startsWith("/") && !line.startsWith("//")) return command(server, line.trim().split(/\s+/), log);
  const result = server.announce(line.startsWith("//") ? line.slice(1) : line);
  if ("problem" in result) log.error(result.problem);
}

function command(server: RunningServer, [name, ...rest]: string[], log: Log): void {
  switch (name) {
    case "/who": {
      const rooms = server.rooms();
      // With only the default room, it goes unnamed, as before there were rooms.
      const where = (room: Room) => (rooms.length === 1 ? "the room" : `room ${room.name}`);
      const lines = rooms.map((room) => {
        const names = room.names();
        return names.length === 0 ? `nobody is in ${where(room)}` : `${names.length} in ${where(room)}: ${names.join(", ")}`;
      });
      return log.info(lines.join("\n"));
    }
    case "/kick":
    case "/ban": {
      const [who, duration, ...extra] = rest;
      if (who === undefined || extra.length > 0 || (name === "/kick" && duration !== undefined)) {
        return log.warn(`usage: ${name === "/kick" ? "/kick NAME" : "/ban NAME [30s|10m|2h|1d]"}`);
      }
      let banFor: number | undefined;
      if (name === "/ban") {
        const d = duration === undefined ? { seconds: Infinity } : parseDuration(duration);
        if ("problem" in d) return log.warn(d.problem);
        banFor = d.seconds * 1000;
      }
      if (!server.kick(who, banFor)) log.warn(`nobody named "${who}" is in the room`);
      return;
    }
    case "/help":
      return log.info(HELP.map(([c, what]) => `${c.padEnd(16)} ${what}`).join("\n"));
    default:
      return log.warn(`unknown console command ${name}: nothing was sent (type /help)`);
  }
}
