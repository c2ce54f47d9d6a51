// The receiver subprocess of `chat join`: the member's socket, the room's key, IPC with the parent and stdout, around a MemberSession.

import { formatWithOptions } from "node:util";
import { openFrom } from "../core/member/from-server.ts";
import type { PendingHow } from "../core/member/says.ts";
import { type Ending, type LogLevel, MemberSession, type MemberSink } from "../core/member/session.ts";
import type { Peer } from "../core/room/room.ts";
import { membersJson, membersLine, render, type Shown, type View } from "../core/screen/render.ts";
import { Envelope, travelsInClear } from "../core/wire/envelope.ts";
import { ProofCounter, proofKey, prove, ReplayWindow } from "../core/wire/proof.ts";
import { type AwayMark, encode, type Request } from "../core/wire/protocol.ts";
import { EXIT } from "../exit-codes.ts";
import type { Log } from "../runtime/log.ts";
import { anyAddressFor, openUdp, resolvePeer, type UdpEndpoint } from "../runtime/udp.ts";
import { type FromReceiver, isToReceiver, logLevelOf, type ToReceiver } from "./ipc.ts";

type Start = Extract<ToReceiver, { kind: "start" }>;

/** The receiver's loop runs this often: retransmissions, repairs, heartbeats and timeouts are all checked on it. */
const PUMP_MS = 25;

const EXIT_FOR: Record<Ending, number> = { left: EXIT.ok, refused: EXIT.refused, no_answer: EXIT.noAnswer, undelivered: EXIT.undelivered };

/** Runs until the member has left; resolves to the process's exit code. */
export async function runReceiver(log: Log): Promise<number> {
  const start = await nextStart();
  if (!start) return EXIT.ok; // the parent went away before saying anything
  // In a terminal the parent owns the screen: diagnostics go to it, to be printed above the line being typed.
  if (start.output.to === "parent") {
    log.setReporters([
      { log: (entry) => tell({ kind: "log", level: logLevelOf(entry.type), text: formatWithOptions({ colors: false }, ...entry.args) }) },
    ]);
  }
  let servers: Peer[];
  try {
    servers = await Promise.all(start.servers.map(resolvePeer));
  } catch (err) {
    log.error(String(err instanceof Error ? err.message : err));
    return EXIT.error;
  }
  return new Receiver(start, servers, log).run();
}

const tell = (msg: FromReceiver) => process.send?.(msg);

/** The first message from the parent, which must be "start"; undefined if the parent disconnects first. */
function nextStart(): Promise<Start | undefined> {
  return new Promise((resolve) => {
    const onMessage = (msg: unknown) => {
      if (isToReceiver(msg) && msg.kind === "start") done(msg);
    };
    const onDisconnect = () => done(undefined);
    const done = (value: Start | undefined) => {
      process.off("message", onMessage);
      process.off("disconnect", onDisconnect);
      resolve(value);
    };
    process.on("message", onMessage);
    process.on("disconnect", onDisconnect);
  });
}

/** Carries out what the session does: owns the socket, the key and the one timer; `run` resolves once both are closed. */
class Receiver implements MemberSink {
  readonly #session: MemberSession;
  #udp: UdpEndpoint | undefined;
  /** The room's key, once a challenge gave its salt (only with a passphrase). */
  #envelope: Envelope | undefined;
  /** How this process prints the room itself; undefined when the parent does (a terminal). */
  readonly #view: View | undefined;
  /** The proof layer (proof.ts): the key of this client run's sessions, its counter, and each server's counters seen. */
  readonly #proofKey: Uint8Array;
  readonly #counter = new ProofCounter();
  readonly #windows = new Map<number, ReplayWindow>();
  #finish: (code: number) => void = () => {};

  constructor(
    private readonly start: Start,
    private readonly servers: readonly Peer[],
    private readonly logger: Log,
  ) {
    const out = start.output;
    this.#view = out.to === "stdout" ? { json: out.json, color: out.color, lang: out.lang, self: start.name, room: start.room } : undefined;
    const { name, room, nonce } = start;
    this.#proofKey = proofKey(nonce);
    this.#session = new MemberSession(
      { name, room, nonce, servers: start.servers, passphrase: start.passphrase !== undefined },
      this,
      Date.now(),
    );
  }

  get #server(): Peer {
    return this.servers[this.#session.server]!;
  }

  async run(): Promise<number> {
    const finished = new Promise<number>((resolve) => (this.#finish = resolve));
    const session = this.#session;
    this.#udp = await openUdp({
      hostname: anyAddressFor(this.#server),
      port: 0,
      log: this.logger,
      onDatagram: (data, from) => {
        const proof = { key: this.#proofKey, window: this.#windowOf(this.#session.server) };
        const opened = openFrom(data, from, this.#server, this.#envelope, this.start.passphrase !== undefined, proof);
        if ("ignored" in opened) return this.logger.debug(opened.ignored);
        session.receive(opened.messages, Date.now());
      },
      // The only peer of this socket is the server: its port closed means it is gone.
      onRefused: () => session.portClosed(Date.now()),
    });
    const leave = () => session.leave(Date.now());
    const ignore = () => {};
    const listeners: Array<[NodeJS.EventEmitter, string, (arg: unknown) => void]> = [
      [process, "message", (msg: unknown) => this.#fromParent(msg)],
      // The parent is gone (even by SIGKILL): tell the room and go too, so no process of ours is left behind.
      [process, "disconnect", () => session.abandon(Date.now())],
      [process, "SIGTERM", leave],
      // Ctrl-C and a closed terminal reach the whole process group: the parent decides, and sends "leave".
      [process, "SIGINT", ignore],
      [process, "SIGHUP", ignore],
      [process.stdout, "error", leave], // e.g. `chat join bot | head -1`: nobody reads any more
    ];
    for (const [target, event, fn] of listeners) target.on(event, fn);
    const timer = setInterval(() => session.tick(Date.now()), PUMP_MS);
    session.begin(Date.now());
    const code = await finished;

    clearInterval(timer);
    this.#udp.close();
    for (const [target, event, fn] of listeners) target.off(event, fn);
    return code;
  }

  #windowOf(server: number): ReplayWindow {
    const known = this.#windows.get(server);
    if (known) return known;
    const window = new ReplayWindow();
    this.#windows.set(server, window);
    return window;
  }

  #fromParent(msg: unknown): void {
    if (!isToReceiver(msg)) return this.logger.debug("ignored an unknown message from the parent");
    const now = Date.now();
    if (msg.kind === "say") {
      const { kind: _, ...said } = msg;
      this.#session.say(said, now);
    } else if (msg.kind === "who") this.#session.who(now);
    else if (msg.kind === "nick") this.#session.nick(msg.name, now);
    else if (msg.kind === "away") this.#session.away(msg.reason, now);
    else if (msg.kind === "ignore") this.#session.ignore(msg.name, msg.on, now);
    else if (msg.kind === "join") this.#session.move(msg.room, now);
    else if (msg.kind === "leave") this.#session.leave(now);
  }

  // ---- The session's effects ----

  send(msg: Request): void {
    const plain = encode(msg);
    // Only the knock goes in the clear: it asks for the salt the key is made from.
    const sealed = this.#envelope && !travelsInClear(msg) ? this.#envelope.seal(plain) : plain;
    // What the session sends (it names its sid) is proven: the server takes nothing of a session's without its proof.
    const bytes = "sid" in msg ? prove(this.#proofKey, "member", this.#counter.next(Date.now()), sealed) : sealed;
    this.#udp?.send(bytes, this.#server);
  }

  key(salt: string | undefined): void {
    this.#envelope = salt === undefined ? undefined : Envelope.fromPassphrase(this.start.passphrase!, salt);
  }

  show(item: Shown, history: boolean): void {
    if (!this.#view) return void tell({ kind: "show", item, history });
    if (item.type === "welcome") this.#view.room = this.#session.room; // a /join: every JSON line names the new room
    // JSON marks each history line itself (`history: true`): the end-of-history line is for people.
    if (this.#view.json && item.type === "status" && item.text === "history_end") return;
    process.stdout.write(`${render(item, this.#view, history)}\n`);
  }

  status(text: string | undefined): void {
    if (!this.#view) tell({ kind: "status", ...(text === undefined ? {} : { text }) });
  }

  joined(name: string): void {
    tell({ kind: "joined", name });
  }

  settled(ref: number, problem?: string): void {
    tell({ kind: "settled", ref, ...(problem ? { problem } : {}) });
  }

  pending(ref: number, how: PendingHow): void {
    if (!this.#view) tell({ kind: "pending", ref, how });
  }

  renamed(name: string): void {
    if (this.#view) this.#view.self = name; // mentions of the new name are highlighted
    tell({ kind: "renamed", name });
  }

  members(names: string[], away: AwayMark[]): void {
    if (!this.#view) return void tell({ kind: "members", names, away });
    const view = this.#view;
    process.stdout.write(`${view.json ? membersJson(names, view.room, away) : membersLine(names, view, away)}\n`);
  }

  replyTo(name: string): void {
    tell({ kind: "reply_to", name });
  }

  log(level: LogLevel, text: string): void {
    this.logger[level](text);
  }

  end(how: Ending): void {
    this.#finish(EXIT_FOR[how]);
  }
}
