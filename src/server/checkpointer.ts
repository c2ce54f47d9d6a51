// The room databases' checkpoints, in a subprocess of `chat serve` (`chat __checkpoint`): SQLite copies each
// database's write-ahead log into its file there, with the fsyncs that takes, so the server's loop never waits on
// the disk for it.

import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import type { Log } from "../runtime/log.ts";
import { spawnSelf } from "../runtime/self.ts";
import { roomFile, roomsIn } from "./sqlite-store.ts";

/** How often the subprocess checkpoints every room database of the server. */
export const CHECKPOINT_EVERY_MS = 200;
/** A server's databases checkpoint themselves only past this many pages of log (40 MB): should the subprocess fall behind, or be gone. */
export const WAL_PAGES_CAP = 10_000;
/** The subprocess gets this long to end when asked, before it is killed. */
const STOP_GRACE_MS = 2000;

/** What the server tells its checkpointer: where the databases are, then to stop. */
type ToCheckpointer = { kind: "start"; data: string; port: number } | { kind: "stop" };

function checkToCheckpointer(raw: unknown): ToCheckpointer | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (m.kind === "stop") return { kind: "stop" };
  if (m.kind === "start" && typeof m.data === "string" && typeof m.port === "number") return { kind: "start", data: m.data, port: m.port };
  return undefined;
}

export interface Checkpointer {
  /** Asks it to stop, kills it after a grace, and waits for it. */
  stop(): Promise<void>;
}

/** Starts the checkpointer of the databases of the server on `port` in `data`. */
export function startCheckpointer(data: string, port: number, log: Log): Checkpointer {
  const child = spawnSelf("__checkpoint", ["ignore", "ignore", "inherit"], () => {});
  const send = (m: ToCheckpointer) => {
    try {
      child.send(m);
      return true;
    } catch {
      return false; // it is gone already: `exited` says so
    }
  };
  let stopping = false;
  send({ kind: "start", data, port });
  void child.exited.then((code) => {
    if (!stopping)
      log.warn(`the checkpoint subprocess ended (${code ?? child.signalCode}): the databases checkpoint themselves from now on`);
  });
  return {
    async stop() {
      stopping = true;
      if (!send({ kind: "stop" })) child.kill("SIGTERM");
      const grace = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await child.exited;
      clearTimeout(grace);
    },
  };
}

/** The subprocess: checkpoints every database of the server every CHECKPOINT_EVERY_MS until told to stop or orphaned. */
export function runCheckpointer(log: Log): Promise<void> {
  const open = new Map<string, Database>();
  let timer: ReturnType<typeof setInterval> | undefined;
  // Ctrl-C at the server's terminal reaches this process too: the server decides, and stops this one.
  process.on("SIGINT", () => {});
  process.on("SIGHUP", () => {});
  return new Promise<void>((resolve) => {
    process.on("message", (raw) => {
      const m = checkToCheckpointer(raw);
      if (!m) return log.debug("ignored a message from the server");
      if (m.kind === "stop") return resolve();
      timer ??= setInterval(() => checkpointAll(m.data, m.port, open, log), CHECKPOINT_EVERY_MS);
    });
    // The server is gone (even killed outright): so is its checkpointer.
    process.on("disconnect", resolve);
    process.on("SIGTERM", resolve);
  }).finally(() => {
    clearInterval(timer);
    for (const db of open.values()) db.close();
  });
}

/** One round: a PASSIVE checkpoint of each room database (it never waits for the server's writes, nor blocks them). */
function checkpointAll(data: string, port: number, open: Map<string, Database>, log: Log): void {
  const files = new Set(roomsIn(data, port).map((room) => roomFile(data, port, room)));
  for (const [file, db] of open) {
    if (files.has(file)) continue;
    db.close(); // the room was forgotten, its files deleted
    open.delete(file);
  }
  for (const file of files) {
    try {
      if (!existsSync(file)) continue;
      let db = open.get(file);
      if (!db) {
        db = new Database(file, { readwrite: true, create: false });
        open.set(file, db);
      }
      db.run("PRAGMA wal_checkpoint(PASSIVE)");
    } catch (err) {
      log.debug(`checkpoint of ${file}: ${String(err)}`);
    }
  }
}
