// The receiver subprocess of `chat join`: owns the member's UDP socket, logs in, prints the room to stdout and sends what the parent hands it.

import { formatHostPort } from "./core/address.ts";
import {
  decode,
  encode,
  isRoomEvent,
  ProtocolError,
  TIMERS,
  type Message,
  type RefusalReason,
} from "./core/protocol.ts";
import { render, type Shown, type View } from "./core/render.ts";
import type { Peer } from "./core/room.ts";
import { EXIT } from "./exit-codes.ts";
import { isToReceiver, type FromReceiver, type ToReceiver } from "./ipc.ts";
import type { Log } from "./log.ts";
import { anyAddressFor, openUdp, resolvePeer, type UdpEndpoint } from "./udp.ts";

type Start = Extract<ToReceiver, { kind: "start" }>;

const REFUSALS: Record<RefusalReason, (name: string) => string> = {
  name_taken: (name) => `the name "${name}" is taken: choose another`,
  bad_name: (name) => `the server refused the name "${name}": use letters, digits, "_", "." or "-" (at most 16)`,
  unknown_session: () => "the server no longer knows this session (did it restart?): join again",
  bad_token: () => "refused: wrong admin token",
  too_long: () => "message not sent: too long",
};

/** Runs until the member has left; resolves to the process's exit code. */
export async function runReceiver(log: Log): Promise<number> {
  const start = await nextStart();
  if (!start) return EXIT.ok; // the parent went away before saying anything
  let server: Peer;
  try {
    server = await resolvePeer(start.server);
  } catch (err) {
    log.error(String(err instanceof Error ? err.message : err));
    return EXIT.error;
  }
  return new Membership(start, server, log).run();
}

/** The first message from the parent, which must be "start"; undefined if the parent disconnects first. */
function nextStart(): Promise<Start | undefined> {
  return new Promise((resolve) => {
    const onMessage = (msg: unknown) => {
      if (!isToReceiver(msg) || msg.kind !== "start") return;
      done(msg);
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

type State = "joining" | "in" | "leaving" | "done";

/** One member's life: login, the room, leaving. Owns the socket and every timer; `run` resolves once all are closed. */
class Membership {
  #state: State = "joining";
  #sid = "";
  #nextId = 1;
  /** Ids of messages sent and not yet acknowledged. */
  readonly #pending = new Set<number>();
  /** Called when #pending empties (a leave waits for it). */
  #onFlushed: (() => void) | undefined;
  #byeId: number | undefined;
  #udp: UdpEndpoint | undefined;
  readonly #view: View;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #finish: (code: number) => void = () => {};

  constructor(private readonly start: Start, private readonly server: Peer, private readonly log: Log) {
    this.#view = { json: start.json, color: start.color };
  }

  async run(): Promise<number> {
    const finished = new Promise<number>((resolve) => (this.#finish = resolve));
    this.#udp = await openUdp({
      hostname: anyAddressFor(this.server),
      port: 0,
      log: this.log,
      onDatagram: (data, from) => this.#onDatagram(data, from),
    });
    const leave = () => void this.#leave();
    const ignore = () => {};
    const listeners: Array<[NodeJS.EventEmitter, string, (...args: any[]) => void]> = [
      [process, "message", (msg: unknown) => this.#fromParent(msg)],
      // The parent is gone (even by SIGKILL): tell the room and go too, so no process of ours is left behind.
      [process, "disconnect", () => this.#abandon()],
      [process, "SIGTERM", leave],
      // Ctrl-C and a closed terminal reach the whole process group: the parent decides, and sends "leave".
      [process, "SIGINT", ignore],
      [process, "SIGHUP", ignore],
      [process.stdout, "error", leave], // e.g. `chat join bot | head -1`: nobody reads any more
    ];
    for (const [target, event, fn] of listeners) target.on(event, fn);

    this.#login();
    const code = await finished;

    for (const t of this.#timers) clearTimeout(t);
    this.#udp.close();
    for (const [target, event, fn] of listeners) target.off(event, fn);
    return code;
  }

  #fromParent(msg: unknown): void {
    if (!isToReceiver(msg)) return this.log.debug("ignored an unknown message from the parent");
    if (msg.kind === "say") this.#say(msg.text);
    else if (msg.kind === "leave") void this.#leave();
  }

  #send(msg: Message): void {
    this.#udp?.send(encode(msg), this.server);
  }

  #after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #end(code: number): void {
    this.#state = "done";
    this.#finish(code);
  }

  /** Sends `msg` now and every `everyMs` while `state` lasts; after `forMs`, calls `expire` instead. */
  #repeat(msg: Message, state: State, everyMs: number, forMs: number, expire: () => void): void {
    const deadline = Date.now() + forMs;
    const attempt = () => {
      if (this.#state !== state) return;
      if (Date.now() >= deadline) return expire();
      this.#send(msg);
      this.#after(everyMs, attempt);
    };
    attempt();
  }

  #login(): void {
    const hello = { type: "hello", name: this.start.name, nonce: this.start.nonce } as const;
    this.#repeat(hello, "joining", TIMERS.retryMs, TIMERS.answerTimeoutMs, () => {
      const seconds = TIMERS.answerTimeoutMs / 1000;
      this.log.error(`no answer from ${formatHostPort(this.start.server)} within ${seconds} s: is \`chat serve\` running there?`);
      this.#end(EXIT.noAnswer);
    });
  }

  #onDatagram(data: Uint8Array, from: Peer): void {
    if (from.port !== this.server.port || from.address !== this.server.address) {
      return this.log.debug(`ignored a datagram from ${from.address}:${from.port}, which is not the server`);
    }
    let messages: Message[];
    try {
      messages = decode(data);
    } catch (err) {
      return this.log.debug(`ignored a bad datagram from the server: ${String(err)}`);
    }
    for (const msg of messages) this.#handle(msg);
  }

  #handle(msg: Message): void {
    if (this.#state === "done") return;
    if (isRoomEvent(msg)) return this.#show(msg);
    switch (msg.type) {
      case "welcome":
        if (this.#state !== "joining") return; // a repeated welcome for a repeated hello
        this.#state = "in";
        this.#sid = msg.sid;
        this.#show(msg);
        process.send?.({ kind: "joined" } satisfies FromReceiver);
        return;
      case "ack":
        if (msg.id === this.#byeId) return this.#end(EXIT.ok);
        return this.#acknowledged(msg.id);
      case "refused":
        return this.#refused(msg.reason, msg.id);
      default:
        return this.log.debug(`ignored a ${msg.type} from the server`);
    }
  }

  #acknowledged(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#onFlushed?.();
  }

  #refused(reason: RefusalReason, id: number | undefined): void {
    this.log.error(REFUSALS[reason](this.start.name));
    if (this.#state === "joining") return this.#end(EXIT.refused);
    if (reason === "unknown_session") return this.#end(EXIT.error);
    if (id !== undefined) this.#acknowledged(id); // answered, if not carried out: nothing to wait for
  }

  #show(item: Shown): void {
    process.stdout.write(render(item, this.#view) + "\n");
  }

  #say(text: string): void {
    if (this.#state !== "in") return this.log.warn("not in the room: message not sent");
    const id = this.#nextId++;
    try {
      this.#send({ type: "say", sid: this.#sid, id, text });
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return this.log.error(`message not sent: ${err.message}`);
    }
    this.#pending.add(id);
  }

  /** Leaves politely: waits (briefly) for the acks of messages in flight, then says bye until it is acknowledged. */
  async #leave(): Promise<void> {
    if (this.#state === "joining") return this.#end(EXIT.ok);
    if (this.#state !== "in") return;
    this.#state = "leaving";
    if (this.#pending.size > 0) {
      await new Promise<void>((resolve) => {
        this.#onFlushed = resolve;
        this.#after(TIMERS.byeTimeoutMs, resolve);
      });
      if (this.#pending.size > 0) this.log.warn(`${this.#pending.size} message(s) not acknowledged by the server`);
    }
    this.#byeId = this.#nextId++;
    const bye = { type: "bye", sid: this.#sid, id: this.#byeId } as const;
    // No ack within the time: the bye went out, and the server may simply be gone.
    this.#repeat(bye, "leaving", TIMERS.byeRetryMs, TIMERS.byeTimeoutMs, () => this.#end(EXIT.ok));
  }

  /** The parent died: no time to wait for acks. Two byes, as IP Messenger does, in case one is lost. */
  #abandon(): void {
    if (this.#state === "in" || this.#state === "leaving") {
      const bye = { type: "bye", sid: this.#sid, id: this.#nextId++ } as const;
      this.#send(bye);
      this.#send(bye);
    }
    this.#end(EXIT.ok);
  }
}
