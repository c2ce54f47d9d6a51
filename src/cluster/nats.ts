// The only module that speaks to NATS: each room's log as a JetStream stream, the cluster's names as a key-value
// bucket with compare-and-set, and the servers' heartbeats. Everything here is plain bytes and strings for the rest.

import {
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type StreamInfo,
} from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { connect, headers, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import type { Log } from "../runtime/log.ts";
import {
  CONNECT_TIMEOUT_MS,
  CONTROL_SUBJECT,
  decodeHolder,
  decodeKickOrder,
  EXCEPT_HEADER,
  encodeHolder,
  encodeKickOrder,
  epochOf,
  type KickOrder,
  keyOf,
  NAMES_BUCKET,
  type NameHolder,
  PRESENCE_SUBJECT,
  PUBLISH_TIMEOUT_MS,
  parseKey,
  RECONNECT_WAIT_MS,
  roomOfStream,
  streamConfig,
  streamOf,
  subjectOf,
} from "./wire.ts";

/** One event of a room's log, as the stream holds it. */
export interface LogRecord {
  readonly seq: number;
  /** The event's frame without `seq` (the stream's sequence number is the event's). */
  readonly data: Uint8Array;
  /** The session id of the member the event leaves out (its own message), for the server that has that member. */
  readonly except?: string;
}

/**
 * This server's link to NATS. It is longer than the house's 250 lines because an adapter follows the library it
 * wraps: connection status, the rooms' streams, the names bucket, the presence and control subjects. What it sends
 * and reads (names, ids, JSON and their checks) is in wire.ts.
 */
export class ClusterLink {
  readonly #subscriptions: Subscription[] = [];
  /** Each room's log being followed: the last event handed over, and the consumer now reading it. */
  readonly #follows = new Map<string, { last: number; onRecord: (record: LogRecord) => void; messages?: ConsumerMessages }>();
  #closed = false;

  private constructor(
    readonly url: string,
    readonly serverId: string,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly names: KV,
    private readonly log: Log,
  ) {
    void this.#watchStatus();
  }

  async #watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === "disconnect") this.log.warn(`lost the cluster's NATS server at ${this.url}; reconnecting…`);
      else if (status.type === "reconnect") {
        this.log.info(`reconnected to the cluster's NATS server at ${this.url}`);
        // Consumers live in the NATS server, which may have restarted without them: follow everything again.
        this.#refollow();
        void this.#rewatch();
      } else this.log.debug(`NATS: ${status.type}`);
    }
  }

  /** Connects (failing with one line when nothing answers) and opens the names bucket. */
  static async connect(url: string, serverId: string, log: Log): Promise<ClusterLink> {
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: url,
        name: `chat ${serverId}`,
        maxReconnectAttempts: -1,
        reconnectTimeWait: RECONNECT_WAIT_MS,
        timeout: CONNECT_TIMEOUT_MS,
      });
    } catch (err) {
      throw new Error(`cannot reach the cluster at ${url}: ${(err as Error).message} (is nats-server -js running there?)`);
    }
    try {
      const jsm = await jetstreamManager(nc);
      const names = await new Kvm(nc).create(NAMES_BUCKET, { history: 1 });
      return new ClusterLink(url, serverId, nc, jetstream(nc), jsm, names, log);
    } catch (err) {
      await nc.close();
      throw new Error(`the NATS server at ${url} has no JetStream: start it with -js (${(err as Error).message})`);
    }
  }

  /** The rooms that have a log in the cluster. */
  async rooms(): Promise<string[]> {
    const rooms: string[] = [];
    for await (const name of this.jsm.streams.names()) {
      const room = roomOfStream(name);
      if (room !== undefined) rooms.push(room);
    }
    return rooms;
  }

  /** Makes sure room's stream exists. `epoch` names its history (the same on every server); `lastSeq` is its last event. */
  async openRoom(room: string): Promise<{ epoch: string; lastSeq: number }> {
    const config = streamConfig(room);
    let info: StreamInfo;
    try {
      info = await this.jsm.streams.info(config.name);
    } catch {
      // Not there yet: this server makes it.
      info = await this.jsm.streams.add(config).catch(() => this.jsm.streams.info(config.name)); // another server made it first
    }
    return { epoch: epochOf(config.name, info.created), lastSeq: info.state.last_seq };
  }

  /** Appends an event; resolves to its sequence number (the first one's, for a message id seen before). */
  async publish(room: string, data: Uint8Array, opts: { msgID?: string; except?: string } = {}): Promise<number> {
    const h = headers();
    if (opts.except !== undefined) h.set(EXCEPT_HEADER, opts.except);
    const ack = await this.js.publish(subjectOf(room), data, {
      headers: h,
      timeout: PUBLISH_TIMEOUT_MS,
      ...(opts.msgID ? { msgID: opts.msgID } : {}),
    });
    return ack.seq;
  }

  /**
   * Calls `onRecord` for every event from `fromSeq` on, in order, each once, as long as the link is open. The
   * consumer lives in the NATS server: after a reconnection (that server may have restarted) a new one goes on
   * from the event after the last one handed over.
   */
  async follow(room: string, fromSeq: number, onRecord: (record: LogRecord) => void): Promise<void> {
    const follow = { last: Math.max(1, fromSeq) - 1, onRecord };
    this.#follows.set(room, follow);
    await this.#consume(room, follow);
  }

  async #consume(
    room: string,
    follow: { last: number; onRecord: (record: LogRecord) => void; messages?: ConsumerMessages },
  ): Promise<void> {
    follow.messages?.stop();
    const consumer = await this.js.consumers.get(streamOf(room), { opt_start_seq: follow.last + 1 });
    const messages = await consumer.consume();
    follow.messages = messages;
    void (async () => {
      for await (const m of messages) {
        if (m.seq <= follow.last) continue; // the consumer before this one got there first
        follow.last = m.seq;
        const except = m.headers?.get(EXCEPT_HEADER);
        follow.onRecord({ seq: m.seq, data: m.data, ...(except ? { except } : {}) });
      }
    })().catch((err) => {
      if (!this.#closed) this.log.error(`the log of room ${room} stopped: ${(err as Error).message}`);
    });
  }

  /** After a reconnection: every room's log followed again from where it was. */
  #refollow(): void {
    for (const [room, follow] of this.#follows) {
      void this.#consume(room, follow).catch((err) =>
        this.log.error(`cannot follow the log of room ${room} again: ${(err as Error).message}`),
      );
    }
  }

  /** Event `seq` of a room's log, if the stream still holds it. */
  async fetch(room: string, seq: number): Promise<Uint8Array | undefined> {
    try {
      return (await this.jsm.streams.getMessage(streamOf(room), { seq }))?.data;
    } catch {
      return undefined;
    }
  }

  /**
   * Takes `name` in `room` for a member of this server: "claimed" when nobody had it, "moved" when the same client
   * (nonce) had it on another server (a failover), "taken" when somebody else has it. Compare-and-set: of two servers
   * claiming one name at once, one wins.
   */
  async claim(room: string, name: string, nameKey: string, nonce: string): Promise<"claimed" | "moved" | "taken"> {
    const key = keyOf(room, nameKey);
    const value = encodeHolder({ name, server: this.serverId, nonce });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.names.create(key, value);
        return "claimed";
      } catch {
        const held = await this.names.get(key);
        if (held?.operation !== "PUT") continue; // deleted in between: try to create again
        const holder = this.#holder(key, held.value, held.revision);
        if (!holder || holder.nonce !== nonce) return "taken";
        try {
          await this.names.update(key, value, held.revision);
          return "moved";
        } catch (err) {
          // Changed in between (its revision moved on): look again.
          this.log.debug(`claiming ${name} in room ${room} again: ${(err as Error).message}`);
        }
      }
    }
    return "taken";
  }

  /** Gives `name` back, if this server still holds it (a member that moved away keeps it). */
  async release(room: string, nameKey: string): Promise<void> {
    const key = keyOf(room, nameKey);
    const held = await this.names.get(key);
    const holder = held && held.operation === "PUT" ? this.#holder(key, held.value, held.revision) : undefined;
    if (holder?.server !== this.serverId) return;
    await this.names
      .delete(key, { previousSeq: held!.revision })
      // Changed since it was read: another server holds the name now, and it is no longer this one's to give back.
      .catch((err) => this.log.debug(`left ${nameKey} in room ${room} to its new holder: ${(err as Error).message}`));
  }

  /** Removes a holder of a dead server, unless it changed since `revision`; true when this call removed it. */
  async evict(room: string, nameKey: string, revision: number): Promise<boolean> {
    return this.names.delete(keyOf(room, nameKey), { previousSeq: revision }).then(
      () => true,
      () => false,
    );
  }

  /**
   * Calls `onChange` with every name holder now and every change after: a mirror of who is where. After a
   * reconnection `onReset` comes first, then every holder again (what was deleted meanwhile is not reported).
   */
  async watchNames(onChange: (room: string, nameKey: string, holder: NameHolder | undefined) => void, onReset: () => void): Promise<void> {
    this.#nameWatch = { onChange, onReset };
    await this.#watchNames();
  }

  #nameWatch:
    | { onChange: (room: string, nameKey: string, holder: NameHolder | undefined) => void; onReset: () => void; stop?: () => void }
    | undefined;

  async #rewatch(): Promise<void> {
    if (!this.#nameWatch) return;
    this.#nameWatch.stop?.();
    this.#nameWatch.onReset();
    await this.#watchNames().catch((err) => this.log.error(`cannot watch the cluster's names again: ${(err as Error).message}`));
  }

  async #watchNames(): Promise<void> {
    const { onChange } = this.#nameWatch!;
    const watch = await this.names.watch({ key: ">" });
    this.#nameWatch!.stop = () => watch.stop();
    void (async () => {
      for await (const e of watch) {
        const key = parseKey(e.key);
        if (key) onChange(key.room, key.nameKey, e.operation === "PUT" ? this.#holder(e.key, e.value, e.revision) : undefined);
      }
    })().catch((err) => {
      if (!this.#closed) this.log.error(`the cluster's names stopped updating: ${(err as Error).message}`);
    });
  }

  /** Says this server is alive now; `onBeat` hears every server's (this one's included). */
  heartbeat(): void {
    this.nc.publish(PRESENCE_SUBJECT, this.serverId);
  }

  onHeartbeat(onBeat: (serverId: string) => void): void {
    this.#subscriptions.push(this.nc.subscribe(PRESENCE_SUBJECT, { callback: (_err, m) => onBeat(m.string()) }));
  }

  /** Asks the server `to` to kick (or, with `banSeconds`, ban; 0: while it runs) its member `name` of `room`. */
  control(msg: KickOrder): void {
    this.nc.publish(CONTROL_SUBJECT, encodeKickOrder(msg));
  }

  /** Calls `onKick` for every order addressed to this server. */
  onControl(onKick: (order: KickOrder) => void): void {
    this.#subscriptions.push(
      this.nc.subscribe(CONTROL_SUBJECT, {
        callback: (_err, m) => {
          const order = decodeKickOrder(m.string());
          if ("problem" in order) return this.log.debug(`ignored a control message that is not one: ${order.problem}`);
          if (order.value.to === this.serverId) onKick(order.value);
        },
      }),
    );
  }

  /** The holder a names bucket entry stands for, or undefined (logged) when its value is not one. */
  #holder(key: string, value: Uint8Array, revision: number): NameHolder | undefined {
    const holder = decodeHolder(value, revision);
    if ("problem" in holder) return void this.log.debug(`ignored the names bucket's ${key}: ${holder.problem}`);
    return holder.value;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const f of this.#follows.values()) f.messages?.stop();
    for (const s of this.#subscriptions) s.unsubscribe();
    await this.nc.drain().catch(() => this.nc.close());
  }
}
