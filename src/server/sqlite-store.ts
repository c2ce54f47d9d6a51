// The room's durable store: an embedded SQLite database (bun:sqlite, WAL), so that a crashed server comes back with everything it acknowledged.

import { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import { closeSync, constants, existsSync, fchmodSync, openSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { BACKLOG_TYPES, type Change, EventRing, type RoomStore, type StoredMember } from "../core/room/store.ts";
import { checkRoom, DEFAULT_ROOM, LIMITS } from "../core/wire/protocol.ts";
import { makePrivateDir } from "../runtime/dirs.ts";

/** The SQL list of BACKLOG_TYPES, e.g. ('message', 'admin', 'action'). */
const BACKLOG_SQL = `(${[...BACKLOG_TYPES].map((t) => `'${t}'`).join(", ")})`;
/** Events kept on disk; older ones are pruned (repairs and backlog never reach that far back). */
const KEEP_EVENTS = LIMITS.keptEvents;
/** Prune once every this many writes (transactions). */
const PRUNE_EVERY = 1000;
/** A client's last id is forgotten after a week without a message. */
const CLIENT_MEMORY_MS = 7 * 24 * 3600 * 1000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, datagram BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS members (
    sid TEXT PRIMARY KEY, name TEXT NOT NULL, nonce TEXT NOT NULL, address TEXT NOT NULL, port INTEGER NOT NULL, joined_at INTEGER NOT NULL);
  -- "nonce" holds a client key (roster.ts clientKey: the nonce, the name and the IP address), the column name kept for old files
  CREATE TABLE IF NOT EXISTS clients (nonce TEXT PRIMARY KEY, last_id INTEGER NOT NULL, seen_at INTEGER NOT NULL);
`;

/**
 * SQLite's files beside a database in WAL mode. It makes them with the database file's own mode, so a database made
 * 0600 has private side files; they are set once more after opening all the same, as they may predate that.
 */
const SIDE_FILES = ["-wal", "-shm"];

/**
 * Creates `file` if needed and sets it to 0600 whatever the umask: a room's database holds private messages, session
 * ids and nonces, which no other user of the machine may read.
 */
function makePrivate(file: string): void {
  const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}

/** The per-user data directory now lives in runtime/dirs.ts; re-exported for the importers of this module. */
export { defaultDataDir } from "../runtime/dirs.ts";

/** The database file of the room served on `port` from `dir`. */
/** The database of one room of the server on `port`; the default room keeps the name it had before there were rooms. */
export const roomFile = (dir: string, port: number, room: string = DEFAULT_ROOM) =>
  join(dir, room === DEFAULT_ROOM ? `room-${port}.db` : `room-${port}-${room}.db`);

/** The rooms that have a database in `dir` for the server on `port` (the default room among them only if it has one). */
export function roomsIn(dir: string, port: number): string[] {
  if (!existsSync(dir)) return [];
  const prefix = `room-${port}-`;
  return readdirSync(dir).flatMap((f) => {
    if (f === `room-${port}.db`) return [DEFAULT_ROOM];
    if (!f.startsWith(prefix) || !f.endsWith(".db")) return [];
    const checked = checkRoom(f.slice(prefix.length, -3));
    return "problem" in checked ? [] : [checked.name];
  });
}

export class SqliteStore implements RoomStore {
  readonly epoch: string;
  readonly lastSeq: number;
  readonly #db: Database;
  readonly #ring = new EventRing();
  #seq: number;
  #writes = 0;
  /** Whether it holds an event worth keeping: asked once at opening, then set by commits. */
  #history: boolean;
  /** Writes changes in one transaction. */
  readonly #write: (changes: readonly Change[]) => void;
  /** Changes committed but not yet written: the turn's, written together at its end (`later`). */
  #pending: Change[] = [];
  readonly #eventQuery;
  readonly #backlogQuery;
  readonly #lastIdQuery;

  /**
   * Opens (creating if needed) the database at `file`. Throws a one-line Error when it cannot. `later`: when the
   * changes committed now are written (the server's turn end, so that a turn's says make one transaction); without
   * it, each commit is written at once. `walPagesCap`: checkpoint only past this many pages of log (another
   * process checkpoints, checkpointer.ts); without it, SQLite's default (1,000 pages), here.
   */
  constructor(
    readonly file: string,
    private readonly later?: (write: () => void) => void,
    walPagesCap?: number,
  ) {
    try {
      makePrivateDir(dirname(file)); // an existing folder the user made is left as it is (serve warns when it is open to others)
      makePrivate(file);
      this.#db = new Database(file, { create: true, strict: true });
      this.#db.run("PRAGMA journal_mode = WAL");
      for (const side of SIDE_FILES) if (existsSync(file + side)) makePrivate(file + side);
      // WAL with synchronous=NORMAL loses nothing committed when the process dies (only a power cut could).
      this.#db.run("PRAGMA synchronous = NORMAL");
      this.#db.run("PRAGMA busy_timeout = 2000");
      if (walPagesCap !== undefined) this.#db.run(`PRAGMA wal_autocheckpoint = ${Math.floor(walPagesCap)}`);
      this.#db.exec(SCHEMA);
    } catch (err) {
      throw new Error(`cannot open the room database ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const db = this.#db;
    const meta = db.query<{ value: string }, [string]>("SELECT value FROM meta WHERE key = ?");
    let epoch = meta.get("epoch")?.value;
    if (!epoch) {
      epoch = randomBytes(8).toString("hex");
      db.query("INSERT INTO meta (key, value) VALUES ('epoch', ?)").run(epoch);
    }
    this.epoch = epoch;
    this.lastSeq = db.query<{ seq: number | null }, []>("SELECT max(seq) AS seq FROM events").get()?.seq ?? 0;
    this.#seq = this.lastSeq;
    this.#history = db.query(`SELECT 1 AS one FROM events WHERE type IN ${BACKLOG_SQL} LIMIT 1`).get() !== null;

    this.#eventQuery = db.query<{ datagram: Uint8Array }, [number]>("SELECT datagram FROM events WHERE seq = ?");
    this.#backlogQuery = db.query<{ seq: number }, [number, number]>(
      `SELECT seq FROM events WHERE type IN ${BACKLOG_SQL} AND seq > ? ORDER BY seq DESC LIMIT 1 OFFSET ?`,
    );
    this.#lastIdQuery = db.query<{ last_id: number }, [string]>("SELECT last_id FROM clients WHERE nonce = ?");
    const insertEvent = db.query("INSERT INTO events (seq, type, datagram) VALUES (?, ?, ?)");
    const insertMember = db.query("INSERT OR REPLACE INTO members (sid, name, nonce, address, port, joined_at) VALUES (?, ?, ?, ?, ?, ?)");
    const deleteMember = db.query("DELETE FROM members WHERE sid = ?");
    const upsertClient = db.query(
      "INSERT INTO clients (nonce, last_id, seen_at) VALUES (?, ?, ?) ON CONFLICT (nonce) DO UPDATE SET last_id = excluded.last_id, seen_at = excluded.seen_at",
    );
    this.#write = db.transaction((changes: readonly Change[]) => {
      for (const change of changes) {
        for (const e of change.events) insertEvent.run(e.seq, e.type, e.datagram);
        for (const m of change.joined) insertMember.run(m.sid, m.name, m.nonce, m.address, m.port, m.joinedAt);
        for (const sid of change.left) deleteMember.run(sid);
        for (const [client, id] of change.delivered) upsertClient.run(client, id, Date.now());
      }
    });
  }

  members(): StoredMember[] {
    this.flush();
    return this.#db
      .query<{ sid: string; name: string; nonce: string; address: string; port: number; joined_at: number }, []>(
        // In the order they joined: a rename rewrites a member's row, which must not move it to the end of /who.
        "SELECT sid, name, nonce, address, port, joined_at FROM members ORDER BY joined_at, rowid",
      )
      .all()
      .map((r) => ({ sid: r.sid, name: r.name, nonce: r.nonce, address: r.address, port: r.port, joinedAt: r.joined_at }));
  }

  lastId(client: string): number | undefined {
    this.flush();
    return this.#lastIdQuery.get(client)?.last_id;
  }

  /**
   * Takes `change` as part of the room's history at once (the ring, the numbering, what reads see) and writes it
   * now, or with the rest of the turn's. Nothing the server sends may depend on it before then: the server's turn
   * writes first and sends after (turn.ts), and anything sent out of turn commits first (Turn.commitNow).
   */
  commit(change: Change): void {
    for (const e of change.events) {
      this.#ring.add(e);
      this.#seq = e.seq;
      if (BACKLOG_TYPES.has(e.type)) this.#history = true;
    }
    if (!this.later) return this.#writeNow([change]);
    if (this.#pending.length === 0) this.later(() => this.flush());
    this.#pending.push(change);
  }

  /** Writes what was committed and not yet written. */
  flush(): void {
    if (this.#pending.length === 0) return;
    const changes = this.#pending;
    this.#pending = [];
    this.#writeNow(changes);
  }

  #writeNow(changes: readonly Change[]): void {
    this.#write(changes);
    if (++this.#writes % PRUNE_EVERY === 0) this.#prune();
  }

  event(seq: number): Uint8Array | undefined {
    const inRing = this.#ring.get(seq)?.datagram;
    if (inRing) return inRing;
    this.flush();
    return this.#eventQuery.get(seq)?.datagram;
  }

  backlogStart(count: number, span: number): number {
    const fromRing = this.#ring.backlogStart(this.#seq, count, span);
    if (fromRing.complete || count === 0) return fromRing.start;
    // Older than the ring: ask the database for the count-th most recent message within the span.
    this.flush();
    const oldest = this.#backlogQuery.get(Math.max(0, this.#seq - span), count - 1);
    if (oldest) return oldest.seq;
    const first = this.#db
      .query<{ seq: number | null }, [number]>(`SELECT min(seq) AS seq FROM events WHERE type IN ${BACKLOG_SQL} AND seq > ?`)
      .get(Math.max(0, this.#seq - span));
    return first?.seq ?? 0;
  }

  hasHistory(): boolean {
    return this.#history; // pruning may have taken every message since: the room is then kept until it is next opened
  }

  close(): void {
    this.flush();
    this.#db.close();
  }

  discard(): void {
    this.#pending = [];
    this.#db.close();
    // Gone for good: a restart finds no file, so it does not reopen the room.
    for (const f of [this.file, ...SIDE_FILES.map((side) => this.file + side)]) rmSync(f, { force: true });
  }

  #prune(): void {
    this.#db.query("DELETE FROM events WHERE seq <= ?").run(this.#seq - KEEP_EVENTS);
    this.#db.query("DELETE FROM clients WHERE seen_at < ?").run(Date.now() - CLIENT_MEMORY_MS);
  }
}
