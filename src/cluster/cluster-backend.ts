// A room shared by the servers of a cluster. The local Room still does everything about this server's members
// (sessions, order of their says, rates, leaving), but its events are not sent from here: they are appended to
// the room's log in JetStream, and every server, this one included, fans out what comes back from the log, in the
// log's order and with the log's sequence numbers. So members of every server see one room, exactly once, in one order.

import { type BanLength, banToWire } from "../core/duration.ts";
import { ownJoin, repair, repairSpan, welcomePage } from "../core/room/replay.ts";
import type { Broadcast, Member, Peer, Room } from "../core/room/room.ts";
import { EventRing } from "../core/room/store.ts";
import {
  checkName,
  decodeReplies,
  encode,
  isRoomEvent,
  LIMITS,
  type Nick,
  nameKey,
  type RoomEvent,
  type Welcome,
} from "../core/wire/protocol.ts";
import { lookKey } from "../core/wire/skeleton.ts";
import type { Log } from "../runtime/log.ts";
import type { Fanout, Requester, RoomBackend, Submission } from "../server/room-backend.ts";
import { AppendQueue } from "./append-queue.ts";
import type { ClusterLink, LogRecord } from "./nats.ts";
import { goneMessageId, type NameHolder, sayMessageId, storingKey } from "./wire.ts";

export class ClusterBackend implements RoomBackend {
  readonly #ring = new EventRing();
  /** The last event of the log this server has seen. */
  #lastSeq: number;
  /** Events up to here were in the log before this server opened the room: kept for repairs, never fanned out. */
  readonly #liveFrom: number;
  /** Promises waiting for the log to reach a sequence number. */
  readonly #waiting: Array<{ seq: number; resolve: () => void }> = [];
  /** Names being claimed right now (a hello is repeated every 500 ms while its claim is on its way). */
  readonly #claiming = new Set<string>();
  /**
   * Says relayed and not yet stored by the log, by member address and say id: a repeat of one is acknowledged
   * only once it is stored (and not at all if the log refuses it), never before.
   */
  readonly #storing = new Map<string, Promise<number>>();
  /** The room's events on their way to the log, in the room's order. */
  readonly #appends = new AppendQueue((event, opts) => this.link.publish(this.room.name, event, opts));

  constructor(
    readonly room: Room,
    readonly epoch: string,
    lastSeq: number,
    private readonly link: ClusterLink,
    /** Who holds which name in this room, cluster-wide (a mirror of the names bucket). */
    private readonly holders: ReadonlyMap<string, NameHolder>,
    private readonly fanout: Fanout,
    private readonly history: number,
    private readonly log: Log,
  ) {
    this.#lastSeq = lastSeq;
    this.#liveFrom = lastSeq;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Starts following the log, from far enough back to repair and replay what members may ask for. */
  follow(): Promise<void> {
    return this.link.follow(this.room.name, this.#lastSeq - LIMITS.repairWindow + 1, (r) => this.#onRecord(r));
  }

  /** The cluster-wide names of the room's members. */
  names(): string[] {
    // This server's own members count even before the bucket's change has come back to the mirror.
    // A name this server gave back (a member that left or was renamed) is not the mirror's to keep listing meanwhile.
    const mine = (h: NameHolder) => h.server === this.link.serverId && !this.room.memberNamed(h.name);
    const names = new Map([...this.holders].filter(([, h]) => !mine(h)).map(([key, h]) => [key, h.name]));
    for (const name of this.room.names()) names.set(nameKey(name), name);
    return [...names.values()];
  }

  /** A hello: the name is claimed cluster-wide first (or taken over from another server by the same client). */
  async hello(msg: Parameters<Room["hello"]>[0], from: Parameters<Room["hello"]>[1], answer: Requester): Promise<void> {
    const key = nameKey(msg.name);
    if (this.room.memberNamed(msg.name)) return this.submit(this.room.hello(msg, from, Date.now()), answer); // ours: the room decides
    if (this.#claiming.has(key)) return;
    // A name that looks like one held on another server (the mirror's names): taken, as in one room (admission.ts).
    // Two look-alikes claimed at once on two servers both get in: the bucket is keyed by nameKey, not by skeleton.
    const look = lookKey(msg.name);
    if (this.names().some((n) => nameKey(n) !== key && lookKey(n) === look)) return answer.reply({ type: "refused", reason: "name_taken" });
    this.#claiming.add(key);
    try {
      const claim = await this.link.claim(this.room.name, msg.name.normalize("NFC"), key, msg.nonce);
      if (claim === "taken") return answer.reply({ type: "refused", reason: "name_taken" });
      const outcome = this.room.hello(msg, from, Date.now(), claim === "moved");
      if (outcome.replies[0]?.type === "refused") await this.link.release(this.room.name, key);
      if (claim === "moved") this.log.info(`${msg.name} moved here from another server (room ${this.room.name})`);
      await this.submit(outcome, answer);
    } catch (err) {
      this.log.error(`cannot log ${msg.name} in: the cluster did not answer (${(err as Error).message})`);
    } finally {
      this.#claiming.delete(key);
    }
  }

  /**
   * A rename: the new name is claimed cluster-wide first (refused when another server's member has it or one like it),
   * then the room renames (its own rules: the name rule, the limit), and the old name is given back. A name that
   * changes only in case keeps its key, whose holder the claim rewrites (the same client's: a "move").
   */
  async rename(msg: Nick, from: Peer, answer: Requester): Promise<void> {
    const member = this.room.authenticate(msg.sid, from);
    const checked = checkName(msg.name);
    if (!member || "problem" in checked || checked.name === member.name)
      return this.submit(this.room.rename(msg, from, Date.now()), answer); // the room decides alone
    const { name } = checked;
    const key = nameKey(name);
    const old = nameKey(member.name);
    const look = lookKey(name);
    const lookAlike = this.names().some((n) => nameKey(n) !== key && nameKey(n) !== old && lookKey(n) === look);
    if (lookAlike) return this.submit(this.room.rename(msg, from, Date.now(), "name_taken"), answer);
    if (this.#claiming.has(key)) return; // its claim is on its way: the member asks again
    this.#claiming.add(key);
    try {
      const claim = await this.link.claim(this.room.name, name, key, member.nonce);
      if (claim === "taken") return await this.submit(this.room.rename(msg, from, Date.now(), "name_taken"), answer);
      const outcome = this.room.rename(msg, from, Date.now());
      const renamed = outcome.replies[0]?.type === "ack";
      if (key !== old) await this.link.release(this.room.name, renamed ? old : key);
      else if (!renamed) await this.link.claim(this.room.name, member.name, key, member.nonce); // its case as it was
      await this.submit(outcome, answer);
    } catch (err) {
      this.log.error(`cannot rename ${member.name}: the cluster did not answer (${(err as Error).message})`);
    } finally {
      this.#claiming.delete(key);
    }
  }

  /**
   * What the room decided: its events go to the log (a say's message with an id, so that a copy sent again after a
   * failover is stored once), and the replies wait for the log's sequence numbers, which are the ones members know.
   */
  async submit(outcome: Submission, answer?: Requester): Promise<void> {
    const replies = outcome.replies ?? [];
    const ackIds = new Map<number, number>();
    for (const r of replies) if (r.type === "ack" && r.seq !== undefined) ackIds.set(r.seq, r.id);
    const appends = outcome.broadcasts.map((b) => {
      const id = ackIds.get(b.event.seq);
      const appended = this.#append(b, id);
      const sender = b.except === undefined ? undefined : this.room.memberOf(b.except);
      if (id !== undefined && sender) {
        const key = storingKey(sender.peer, id);
        this.#storing.set(key, appended);
        void appended.then(
          () => this.#storing.delete(key),
          () => this.#storing.delete(key),
        );
      }
      return appended;
    });
    const settled = await Promise.allSettled(appends);
    const failed = outcome.broadcasts.filter((_, i) => settled[i]!.status === "rejected");
    if (failed.length > 0) {
      const why = (settled.find((s) => s.status === "rejected") as PromiseRejectedResult).reason as Error;
      this.log.warn(`the room's log did not take ${failed.length} event(s) (${why.message}): they will be sent again`);
      for (const b of failed) this.#notStored(b, ackIds.get(b.event.seq));
      return;
    }
    const globals = new Map(outcome.broadcasts.map((b, i) => [b.event.seq, (settled[i] as PromiseFulfilledResult<number>).value]));
    if (!answer) return;
    for (const r of replies) {
      if (r.type === "ack" && r.seq !== undefined) answer.reply({ ...r, seq: globals.get(r.seq) ?? this.#lastSeq });
      else if (r.type === "ack" && r.seq === undefined && this.#storing.has(storingKey(answer.from, r.id))) {
        // A repeat of a say the log is still storing: acknowledge it only once it is stored.
        const seq = await this.#storing.get(storingKey(answer.from, r.id))!.catch(() => undefined);
        if (seq !== undefined) answer.reply({ ...r, seq });
      } else if (r.type === "welcome") await this.#welcome(r, outcome.broadcasts, globals, answer);
      else answer.reply(r);
    }
  }

  /** Appends one event; a leave also gives the name back to the cluster. */
  #append(b: Broadcast, sayId: number | undefined): Promise<number> {
    const sender = b.except === undefined ? undefined : this.room.memberOf(b.except);
    if (b.event.type === "leave") {
      const { name } = b.event;
      const key = nameKey(name);
      // A member that moved to another server (it timed out here, or its old session ended) has not left the room.
      if (this.holders.get(key)?.server !== this.link.serverId) return Promise.resolve(this.#lastSeq);
      const seq = this.#appends.append(encode(b.event));
      // Fails when the log did not take the leave (it is appended again, and the name given back then) or the bucket did not answer.
      void seq.then(() => this.link.release(this.room.name, key)).catch((err) => this.#debug(`giving ${name} back`, err));
      return seq;
    }
    const msgID = sayId !== undefined && sender ? sayMessageId(this.room.name, sender.nonce, sayId) : undefined;
    return this.#appends.append(encode(b.event), { ...(msgID ? { msgID } : {}), ...(b.except ? { except: b.except } : {}) });
  }

  /** An event the log did not store: a say is relayed again when repeated, a join undone, anything else tried again. */
  #notStored(b: Broadcast, sayId: number | undefined): void {
    if (sayId !== undefined && b.except !== undefined) return this.room.unrelay(b.except, sayId); // its member repeats it
    if (b.event.type === "join" && b.except !== undefined) {
      // No welcome went out: the client's next hello is a login again, and its join is appended then.
      const { name } = b.event;
      this.room.forget(b.except);
      void this.link.release(this.room.name, nameKey(name)).catch((err) => this.#debug(`giving ${name} back`, err));
      return;
    }
    setTimeout(() => void this.#append(b, undefined).catch(() => this.#notStored(b, undefined)), RETRY_APPEND_MS);
  }

  /** The welcome with the log's numbers, sent once the log has come back to this server up to the member's own join. */
  async #welcome(local: Welcome, broadcasts: readonly Broadcast[], globals: ReadonlyMap<number, number>, answer: Requester): Promise<void> {
    const member = this.room.memberOf(local.sid);
    if (!member) return;
    const join = ownJoin(broadcasts, member.sid);
    const seq = join ? globals.get(join.event.seq)! : this.#lastSeq;
    await this.#reached(seq);
    const end = seq; // up to the last event, the member's own join included (PROTOCOL.md §5.6)
    const others = this.names().filter((n) => nameKey(n) !== nameKey(member.name));
    const { welcome, resend } = welcomePage({
      member,
      others,
      count: others.length,
      seq,
      epoch: this.epoch,
      ts: local.ts,
      limits: this.room.limits(),
      backlog: { start: this.history > 0 ? this.#ring.backlogStart(end, this.history, LIMITS.backlogSpan).start : 0, end },
      eventAt: (s) => this.#ring.get(s)?.datagram,
    });
    answer.reply(welcome);
    for (const datagram of resend) answer.send(datagram);
  }

  /** A member's nack: the events from the ring, or else from the log; what neither has is reported lost. */
  async repair(member: Member, from: number, to: number, answer: Requester): Promise<void> {
    const span = repairSpan(from, to, this.#lastSeq);
    const found = new Map<number, Uint8Array | undefined>();
    for (let seq = span.first; seq <= span.last; seq++) found.set(seq, this.#ring.get(seq)?.datagram ?? (await this.#fetch(seq)));
    const { resend, lost } = repair(span, (seq) => found.get(seq), member);
    for (const datagram of resend) answer.send(datagram);
    for (const range of lost) answer.reply(range);
  }

  async #fetch(seq: number): Promise<Uint8Array | undefined> {
    const data = await this.link.fetch(this.room.name, seq);
    const event = data && this.#eventOf(data, seq);
    return event ? encode(event) : undefined;
  }

  /** The heartbeat of an idle room: the log's last number as this server has it. */
  tick(now: number): Uint8Array {
    return encode({ type: "tick", seq: this.#lastSeq, epoch: this.epoch, ts: now });
  }

  kickElsewhere(name: string, banFor?: BanLength): boolean {
    const holder = this.holders.get(nameKey(name));
    if (!holder || holder.server === this.link.serverId) return false;
    const ban = banFor === undefined ? {} : { banSeconds: banToWire(banFor) };
    this.link.control({ to: holder.server, room: this.room.name, name: holder.name, ...ban });
    return true;
  }

  /** A member of a dead server that never came back: the room is told it timed out, once whichever server tells it. */
  async evict(key: string, holder: NameHolder): Promise<void> {
    const leave: RoomEvent = { type: "leave", seq: 0, ts: Date.now(), name: holder.name, reason: "timeout" };
    await this.link.publish(this.room.name, encode(leave), { msgID: goneMessageId(this.room.name, key, holder.revision) });
    await this.link.evict(this.room.name, key, holder.revision);
  }

  #onRecord(record: LogRecord): void {
    const event = this.#eventOf(record.data, record.seq);
    if (!event) return this.log.debug(`room ${this.room.name}: event ${record.seq} of the log is not one this version reads`);
    this.#lastSeq = Math.max(this.#lastSeq, record.seq);
    const datagram = encode(event);
    this.#ring.add({ seq: record.seq, type: event.type, datagram });
    if (record.seq > this.#liveFrom) {
      const except = record.except !== undefined && this.room.memberOf(record.except) ? { except: record.except } : {};
      if (event.type === "private") {
        // Only its addressee, if it is this server's member, gets it; the others get a stand-in for its number.
        const to = this.room.memberNamed(event.to)?.sid ?? "";
        this.fanout({ event, datagram, ...except, only: { to, hidden: encode({ type: "hidden", seq: record.seq }) } });
      } else {
        this.fanout({ event, datagram, ...except });
      }
    }
    for (let i = this.#waiting.length - 1; i >= 0; i--) {
      if (this.#waiting[i]!.seq <= this.#lastSeq) this.#waiting.splice(i, 1)[0]!.resolve();
    }
  }

  #eventOf(data: Uint8Array, seq: number): RoomEvent | undefined {
    try {
      const [msg] = decodeReplies(data);
      return msg && isRoomEvent(msg) ? ({ ...msg, seq } as RoomEvent) : undefined;
    } catch {
      return undefined;
    }
  }

  #debug(what: string, err: unknown): void {
    this.log.debug(`room ${this.room.name}: ${what}: ${(err as Error).message}`);
  }

  #reached(seq: number): Promise<void> {
    if (this.#lastSeq >= seq) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push({ seq, resolve }));
  }
}

/** How soon an event that is not a say (a leave, an admin broadcast) is appended again after the log refused it. */
const RETRY_APPEND_MS = 1000;
