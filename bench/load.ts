// The load process: N members speaking the real protocol to a chat server (over UDP, or as browser members over a
// WebSocket each), one sender; prints one JSON result line on stdout.
//
// Phases: open N sockets; log them all in (at most JOIN_WINDOW logins under way at once); wait for the join storm to
// end; start every member's event stream after the last join (the O(N²) join events are not what is measured, and
// repairing them would flood the room); then send (count or rate mode) or only heartbeat (idle mode); then let the
// receivers repair what they missed. The window marks go to the harness over IPC, which samples the server's CPU.

import { randomBytes } from "node:crypto";
import { LIMITS, type RoomEvent } from "../src/core/wire/protocol.ts";
import { udpDrops } from "../test/helpers/procfs.ts";
import { waitAtMost } from "../test/helpers/wait.ts";
import { type Counters, countingLog, Member, type MemberHost, noCounters, type Reach } from "./load-member.ts";
import { type KindResult, type LoadOptions, type LoadResult, type Mark, parseLoadArgs } from "./load-protocol.ts";
import { FrameCache, Latencies, sentAt, stampedText, Tally } from "./load-tools.ts";

/** Logins under way at once: enough to keep the server busy, few enough not to overflow its socket buffer. */
const JOIN_WINDOW = 64;
/** The join storm is over when no datagram arrived for this long. */
const QUIET_MS = 300;
/** How often the sender's outbox is checked for retransmissions and the rate pacer runs. */
const SEND_TICK_MS = 2;
/** How often lagging members repair (the real client's loop runs every 25 ms). */
const REPAIR_TICK_MS = 25;
/** How often members are checked for a heartbeat due (the real client checks on its 25 ms loop). */
const HEARTBEAT_TICK_MS = 25;
const PROGRESS_MS = 1000;

const log = (line: string) => process.stderr.write(`[load] ${line}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class Load implements MemberHost {
  readonly counters: Counters = noCounters();
  readonly lagging = new Set<Member>();
  readonly members: Member[] = [];
  readonly #cache = new FrameCache();
  /** Logins under way, and the index of the next member to start one. */
  readonly #joining = new Set<Member>();
  #nextLogin = 0;
  #joined = 0;
  #firstKnockAt = Number.NaN;
  #lastWelcomeAt = Number.NaN;
  #roomSeq = 0;
  // The sender's side: how many messages in all, how many may exist by now (the mode's schedule), how many do.
  #total = 0;
  #target: () => number = () => 0;
  #created = 0;
  #acked = 0;
  #lastSeq = 0;
  #retries = 0;
  #gaveUp = 0;
  #firstSendAt = Number.NaN;
  // The receivers' side, each kind apart.
  readonly #udp = new Tally();
  readonly #web = new Tally();

  constructor(readonly opts: LoadOptions) {}

  get sender(): Member {
    return this.members[0]!;
  }

  frames(data: Uint8Array) {
    return this.#cache.frames(data);
  }

  textFrames(text: string) {
    return this.#cache.text(text);
  }

  welcomed(member: Member, seq: number, now: number): void {
    this.#joining.delete(member);
    this.#joined++;
    this.#lastWelcomeAt = now;
    this.#roomSeq = Math.max(this.#roomSeq, seq);
    this.#startLogins(now);
  }

  delivered(member: Member, event: RoomEvent & { type: "message" }, now: number): void {
    if (member === this.sender || event.from !== this.sender.name) return;
    (member.isWeb ? this.#web : this.#udp).add(now, now - sentAt(event.text));
  }

  acked(member: Member, id: number, seq: number | undefined, now: number): void {
    if (member !== this.sender || !member.outbox.ack(id, now)) return; // a repeated ack
    this.#acked++;
    if (seq !== undefined) {
      this.#lastSeq = Math.max(this.#lastSeq, seq);
      member.own(seq, now);
    }
    this.#send(now);
  }

  waiting(member: Member, id: number, now: number): void {
    if (member !== this.sender) return;
    member.outbox.hurry(id, now);
    this.#send(now);
  }

  // ---- Phases ----

  /** The UDP members first (the sender among them, unless every member is a browser's), then the browser members. */
  async open(): Promise<void> {
    const { ports, webPorts, members, web } = this.opts;
    const udp = members - web;
    for (let i = 0; i < members; i++) {
      const reach: Reach =
        i < udp ? { kind: "udp", port: ports[i % ports.length]! } : { kind: "web", port: webPorts[(i - udp) % webPorts.length]! };
      this.members.push(new Member(`m${i}`, randomBytes(8).toString("hex"), this, reach));
    }
    const log = countingLog(this.counters);
    // A WebSocket is a TCP handshake and an HTTP upgrade: fewer at once than sockets, so the server's backlog holds them.
    const batch = web > 0 ? 100 : 500;
    for (let i = 0; i < this.members.length; i += batch) await Promise.all(this.members.slice(i, i + batch).map((m) => m.open(log)));
  }

  #startLogins(now: number): void {
    while (this.#joining.size < JOIN_WINDOW && this.#nextLogin < this.members.length) {
      const m = this.members[this.#nextLogin++]!;
      this.#joining.add(m);
      if (Number.isNaN(this.#firstKnockAt)) this.#firstKnockAt = now;
      m.login(now);
    }
  }

  /** Logs everyone in; resolves with false when the logins stopped progressing for 10 s. */
  async join(): Promise<boolean> {
    const retry = setInterval(() => {
      const now = performance.now();
      for (const m of this.#joining) m.login(now); // each resends only after TIMERS.retryMs
    }, 20);
    this.#startLogins(performance.now());
    let seen = -1;
    let progressAt = performance.now();
    const ok = await waitAtMost(() => {
      if (this.#joined !== seen) [seen, progressAt] = [this.#joined, performance.now()];
      return this.#joined === this.members.length || performance.now() - progressAt > 10_000;
    }, Number.POSITIVE_INFINITY);
    clearInterval(retry);
    return ok === true && this.#joined === this.members.length;
  }

  /** Waits out the fan-out of the joins (every join goes to every member), then starts every stream after it. */
  async settle(): Promise<void> {
    let count = -1;
    let quietSince = performance.now();
    await waitAtMost(() => {
      if (this.counters.datagrams !== count) [count, quietSince] = [this.counters.datagrams, performance.now()];
      return performance.now() - quietSince >= QUIET_MS;
    }, 120_000);
    const now = performance.now();
    for (const m of this.members) {
      if (!m.isIn) continue;
      m.startStream(this.#roomSeq + 1);
      m.spreadHeartbeat(now);
    }
  }

  /** Sends as the mode says; resolves when every message is acknowledged or given up on. */
  async talk(): Promise<void> {
    const { mode, rate, seconds } = this.opts;
    const total = mode === "count" ? this.opts.messages : mode === "rate" ? Math.round(rate * seconds) : 0;
    const webReceivers = this.#receivers(true).length;
    this.#web.latencies = new Latencies(total * webReceivers);
    this.#udp.latencies = new Latencies(total * (this.members.length - 1 - webReceivers));
    if (total === 0) return sleep(seconds * 1000);
    const startedAt = performance.now();
    this.#firstSendAt = startedAt;
    const allowed = () => (mode === "count" ? total : Math.min(total, Math.floor(((performance.now() - startedAt) * rate) / 1000) + 1));
    this.#target = allowed;
    this.#total = total;
    const tick = setInterval(() => {
      const now = performance.now();
      this.#gaveUp += this.sender.outbox.expire(now).length;
      this.#send(now);
    }, SEND_TICK_MS);
    this.#send(startedAt);
    await waitAtMost(() => this.#created === total && this.sender.outbox.size === 0, Number.POSITIVE_INFINITY);
    clearInterval(tick);
  }

  /** New messages as the mode allows (count mode: keep the window full; rate mode: the schedule), then whatever is due. */
  #send(now: number): void {
    const outbox = this.sender.outbox;
    const limit = this.#target();
    const cap = this.opts.mode === "count" ? LIMITS.sendWindow : Number.POSITIVE_INFINITY;
    while (this.#created < limit && outbox.size < cap) {
      outbox.add(stampedText(now, this.opts.textBytes), now);
      this.#created++;
    }
    this.#retries += this.sender.flush(now);
  }

  /** The members of one kind, but the sender. */
  #receivers(web: boolean): Member[] {
    return this.members.filter((m) => m !== this.sender && m.isWeb === web);
  }

  /** Tells every receiver the last event (what the server's next tick would, 2 s later) and lets them repair. */
  async drain(): Promise<void> {
    if (this.#total === 0) return;
    const receivers = this.members.slice(1);
    for (const m of receivers) m.know(this.#lastSeq);
    await waitAtMost(() => receivers.every((m) => m.caughtUp), this.opts.drainSeconds * 1000);
  }

  /** The timers every phase shares: heartbeats, repairs, progress lines. */
  background(): () => void {
    const timers = [
      setInterval(() => {
        const now = performance.now();
        for (const m of this.members) m.heartbeat(now);
      }, HEARTBEAT_TICK_MS),
      setInterval(() => {
        const now = performance.now();
        for (const m of this.lagging) m.repair(now);
      }, REPAIR_TICK_MS),
      setInterval(() => log(this.#progress()), PROGRESS_MS),
    ];
    return () => timers.forEach(clearInterval);
  }

  #progress(): string {
    if (this.#joined < this.members.length) return `joined ${this.#joined}/${this.members.length}`;
    const c = this.counters;
    const delivered = this.opts.web ? `${this.#udp.delivered} over UDP + ${this.#web.delivered} over WebSockets` : this.#udp.delivered;
    return `sent ${this.#created}, acked ${this.#acked}, delivered ${delivered}, retries ${this.#retries}, nacks ${c.nacks}, lagging ${this.lagging.size}, pings ${c.pings}`;
  }

  /** Kernel drops at the members' sockets and at the server's, since `before` (a udpDrops() snapshot). */
  drops(before: Map<number, number>): { dropsAtMembers: number | null; dropsAtServer: number | null } {
    const after = udpDrops();
    if (after.size === 0) return { dropsAtMembers: null, dropsAtServer: null };
    const delta = (port: number) => (after.get(port) ?? 0) - (before.get(port) ?? 0);
    return {
      dropsAtMembers: this.members.reduce((sum, m) => sum + (m.udpPort === undefined ? 0 : delta(m.udpPort)), 0),
      dropsAtServer: this.opts.ports.reduce((sum, p) => sum + delta(p), 0),
    };
  }

  /** One kind's figures; the window runs from the first send to the kind's last delivery (idle: the whole window). */
  #kind(web: boolean, tally: Tally, windowStartedAt: number, windowEndedAt: number): KindResult {
    const receivers = this.#receivers(web);
    const expected = this.#created * receivers.length;
    const end = Number.isNaN(tally.lastDeliveryAt) ? windowEndedAt : tally.lastDeliveryAt;
    const start = Number.isNaN(this.#firstSendAt) ? windowStartedAt : this.#firstSendAt;
    const windowSeconds = (this.#total === 0 ? windowEndedAt - windowStartedAt : end - start) / 1000;
    return {
      members: this.members.filter((m) => m.isWeb === web).length,
      receivers: receivers.length,
      expected,
      delivered: tally.delivered,
      lossPct: expected === 0 ? 0 : (100 * (expected - tally.delivered)) / expected,
      windowSeconds,
      deliveriesPerSecond: windowSeconds > 0 ? tally.delivered / windowSeconds : 0,
      ...tally.latencies.summary(),
      incomplete: this.#total === 0 ? 0 : receivers.filter((m) => !m.caughtUp).length,
    };
  }

  result(windowStartedAt: number, windowEndedAt: number, drops: ReturnType<Load["drops"]>): LoadResult {
    const udp = this.#kind(false, this.#udp, windowStartedAt, windowEndedAt);
    const web = this.#kind(true, this.#web, windowStartedAt, windowEndedAt);
    const expected = udp.expected + web.expected;
    const delivered = udp.delivered + web.delivered;
    const windowSeconds = Math.max(udp.windowSeconds, web.delivered ? web.windowSeconds : 0);
    return {
      members: this.members.length,
      joined: this.#joined,
      joinSeconds: (this.#lastWelcomeAt - this.#firstKnockAt) / 1000,
      sent: this.#created,
      acked: this.#acked,
      expected,
      delivered,
      lossPct: expected === 0 ? 0 : (100 * (expected - delivered)) / expected,
      windowSeconds,
      deliveriesPerSecond: windowSeconds > 0 ? delivered / windowSeconds : 0,
      ...this.#udp.latencies.concat(this.#web.latencies).summary(),
      retries: this.#retries,
      gaveUp: this.#gaveUp,
      nacks: this.counters.nacks,
      lostEvents: this.counters.lostEvents,
      pings: this.counters.pings,
      refused: this.counters.refused,
      datagrams: this.counters.datagrams,
      undecodable: this.counters.undecodable,
      sendErrors: this.counters.sendErrors,
      ...drops,
      incomplete: udp.incomplete + web.incomplete,
      udp,
      web,
      webClosed: this.counters.webClosed,
    };
  }
}

async function main(): Promise<void> {
  const opts = parseLoadArgs(process.argv.slice(2));
  // Started by the harness: go when it goes, so no load process is ever left behind.
  if (process.send) process.on("disconnect", () => process.exit(1));
  const mark = (at: Mark["at"]) => process.send?.({ kind: "mark", at } satisfies Mark);
  const load = new Load(opts);
  await load.open();
  const web = opts.web ? ` (${opts.web} of them WebSockets to 127.0.0.1:${opts.webPorts.join(",")})` : "";
  log(`${opts.members} sockets open${web}; joining 127.0.0.1:${opts.ports.join(",")}`);
  const stop = load.background();
  const everyone = await load.join();
  if (!everyone) log(`only some of the ${opts.members} members got in: the others count as receivers that got nothing`);
  if (!load.sender.isIn) throw new Error("the sender could not log in");
  await load.settle();
  log(`in and settled; ${opts.mode === "idle" ? `idling ${opts.seconds} s` : "sending"}`);
  const dropsBefore = udpDrops();
  mark("start");
  const startedAt = performance.now();
  await load.talk();
  await load.drain();
  const endedAt = performance.now();
  mark("end");
  stop();
  const result = load.result(startedAt, endedAt, load.drops(dropsBefore));
  for (const m of load.members) m.close();
  await Bun.write(Bun.stdout, `${JSON.stringify(result)}\n`);
  process.exit(0);
}

await main();
