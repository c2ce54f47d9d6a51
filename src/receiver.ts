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
import { render, type View } from "./core/render.ts";
import type { Peer } from "./core/room.ts";
import { EXIT } from "./exit-codes.ts";
import { isToReceiver, type FromReceiver, type ToReceiver } from "./ipc.ts";
import type { Log } from "./log.ts";
import { anyAddressFor, openUdp, resolvePeer } from "./udp.ts";

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

/** One member's life: login, the room, leaving. Owns every timer and the socket; `run` resolves once all are closed. */
class Membership {
  #state: State = "joining";
  #sid = "";
  #nextId = 1;
  /** Messages sent and not yet acknowledged, by id. */
  readonly #pending = new Map<number, string>();
  readonly #view: View;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #finish: (code: number) => void = () => {};

  constructor(private readonly start: Start, private readonly server: Peer, private readonly log: Log) {
    this.#view = { json: start.json, color: start.color };
  }

  async run(): Promise<number> {
    const finished = new Promise<number>((resolve) => (this.#finish = resolve));
    const udp = await openUdp({
      hostname: anyAddressFor(this.server),
      port: 0,
      log: this.log,
      onDatagram: (data, from) => this.#onDatagram(data, from),
    });
    this.#udp = udp;

    const onMessage = (msg: unknown) => {
      if (!isToReceiver(msg)) return this.log.debug("ignored an unknown message from the parent");
      if (msg.kind === "say") this.#say(msg.text);
      else if (msg.kind === "leave") void this.#leave();
    };
    // The parent is gone (even by SIGKILL): tell the room and go too, so no process of ours is left behind.
    const onDisconnect = () => this.#abandon();
    const onTerm = () => void this.#leave();
    const onStdoutError = () => void this.#leave(); // e.g. `chat join bot | head -1`: nobody reads any more
    // Ctrl-C and a closed terminal reach the whole process group: the parent decides, this process waits for "leave".
    const ignore = () => {};
    process.on("message", onMessage);
    process.on("disconnect", onDisconnect);
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", ignore);
    process.on("SIGHUP", ignore);
    process.stdout.on("error", onStdoutError);

    this.#login();
    const code = await finished;

    for (const t of this.#timers) clearTimeout(t);
    udp.close();
    process.off("message", onMessage);
    process.off("disconnect", onDisconnect);
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", ignore);
    process.off("SIGHUP", ignore);
    process.stdout.off("error", onStdoutError);
    return code;
  }

  #udp: { send(d: Uint8Array, to: Peer): boolean } | undefined;

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

  #login(): void {
    const hello = { type: "hello", name: this.start.name, nonce: this.start.nonce } as const;
    const deadline = Date.now() + TIMERS.answerTimeoutMs;
    const attempt = () => {
      if (this.#state !== "joining") return;
      if (Date.now() >= deadline) {
        this.log.error(
          `no answer from ${formatHostPort(this.start.server)} within ${TIMERS.answerTimeoutMs / 1000} s: is \`chat serve\` running there?`,
        );
        return this.#end(EXIT.noAnswer);
      }
      this.#send(hello);
      this.#after(TIMERS.retryMs, attempt);
    };
    attempt();
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
        this.#pending.delete(msg.id);
        if (msg.id === this.#byeId) this.#end(EXIT.ok);
        return;
      case "refused":
        return this.#refused(msg.reason, msg.id);
      default:
        return this.log.debug(`ignored a ${msg.type} from the server`);
    }
  }

  #refused(reason: RefusalReason, id: number | undefined): void {
    const text = REFUSALS[reason](this.start.name);
    if (this.#state === "joining") {
      this.log.error(text);
      return this.#end(EXIT.refused);
    }
    if (reason === "unknown_session") {
      this.log.error(text);
      return this.#end(EXIT.error);
    }
    if (id !== undefined) this.#pending.delete(id);
    this.log.error(text);
  }

  #show(item: Parameters<typeof render>[0]): void {
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
    this.#pending.set(id, text);
  }

  #byeId = -1;

  /** Leaves politely: waits (briefly) for the acks of messages in flight, then says bye until it is acknowledged. */
  async #leave(): Promise<void> {
    if (this.#state === "joining") return this.#end(EXIT.ok);
    if (this.#state !== "in") return;
    this.#state = "leaving";
    const flushDeadline = Date.now() + TIMERS.byeTimeoutMs;
    while (this.#pending.size > 0 && Date.now() < flushDeadline) await new Promise((r) => this.#after(10, () => r(null)));
    if (this.#pending.size > 0) this.log.warn(`${this.#pending.size} message(s) not acknowledged by the server`);
    this.#byeId = this.#nextId++;
    const bye = { type: "bye", sid: this.#sid, id: this.#byeId } as const;
    const deadline = Date.now() + TIMERS.byeTimeoutMs;
    const attempt = () => {
      if (this.#state !== "leaving") return;
      if (Date.now() >= deadline) return this.#end(EXIT.ok); // the bye went out; the server may be gone
      this.#send(bye);
      this.#after(TIMERS.byeRetryMs, attempt);
    };
    attempt();
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
