// `chat admin`: one signed operator request (broadcast, kick, ban, who), repeated until the server answers or the time is up.

import { randomBytes } from "node:crypto";
import { formatHostPort, type HostPort } from "../core/address.ts";
import { type BanLength, banInWords, banToWire } from "../core/duration.ts";
import { openFrom } from "../core/member/from-server.ts";
import type { Peer } from "../core/room/room.ts";
import { sign, type UnsignedAdmin } from "../core/wire/admin-auth.ts";
import { Envelope } from "../core/wire/envelope.ts";
import { DEFAULT_ROOM, encode, KNOCK_BYTES, MAX_PAYLOAD_BYTES, type Message, padded, TIMERS } from "../core/wire/protocol.ts";
import { operatorRefusal } from "../core/wire/refusals.ts";
import { EXIT } from "../exit-codes.ts";
import type { Log } from "../runtime/log.ts";
import { anyAddressFor, openUdp, resolvePeer, type UdpEndpoint } from "../runtime/udp.ts";

export type AdminAction =
  | { kind: "announce"; text: string }
  | { kind: "kick"; name: string }
  | { kind: "ban"; name: string; length: BanLength }
  | { kind: "who" };

export interface AdminOptions {
  server: HostPort;
  action: AdminAction;
  /** The room the action concerns (checkRoom's form); undefined: every room (for --who: the default room). */
  room?: string;
  /**
   * The admin token, or why there is none: then the server is knocked at first, so that a server that does not answer
   * is reported as such (exit 3) and the missing token (exit 1) only once one has.
   */
  token: string | { missing: string };
  passphrase?: string;
  log: Log;
}

const MAX_WAIT_MS = 1000;

class Failure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Resolves to the exit code: 0 once the server has carried the request out. */
export async function runAdmin(opts: AdminOptions): Promise<number> {
  const { log } = opts;
  let server: Peer;
  try {
    server = await resolvePeer(opts.server);
  } catch (err) {
    log.error((err as Error).message);
    return EXIT.error;
  }
  const link = new Link(
    server,
    opts,
    await openUdp({
      hostname: anyAddressFor(server),
      port: 0,
      log,
      onDatagram: (data, from) => link.received(data, from),
    }),
  );
  try {
    // Always first: the challenge says which server run answers here, and every request is signed for that one alone.
    await link.knock();
    if (typeof opts.token !== "string") throw new Failure(EXIT.error, opts.token.missing);
    await act(link, opts);
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof Failure)) throw err;
    log.error(err.message);
    return err.code;
  } finally {
    link.close();
  }
}

async function act(link: Link, opts: AdminOptions): Promise<void> {
  const { action, log } = opts;
  const id = randomBytes(4).readUInt32BE(); // one id for every copy: the server acts once and answers each
  const room = opts.room === undefined ? {} : { room: opts.room };
  switch (action.kind) {
    case "announce": {
      const ack = await link.request(() => link.signed({ type: "announce", id, text: action.text, ...room }), id);
      return log.success(
        `broadcast to ${ack.type === "ack" ? (ack.count ?? 0) : 0} member(s)${opts.room === undefined ? "" : ` in room ${opts.room}`}`,
      );
    }
    case "kick":
    case "ban": {
      const request = () =>
        action.kind === "kick"
          ? link.signed({ type: "kick", id, name: action.name, ...room })
          : link.signed({ type: "ban", id, name: action.name, seconds: banToWire(action.length), ...room });
      await link.request(request, id, action.name);
      const how = action.kind === "kick" ? "kicked" : `banned ${banInWords(action.length)}`;
      return log.success(`${action.name}: ${how}`);
    }
    case "who": {
      const names: string[] = [];
      for (let from = 0, page = 0; ; page++) {
        const pageId = (id + page) >>> 0; // a late answer to the page before cannot pass for this one
        const reply = await link.request(() => link.signed({ type: "who", id: pageId, from, ...room }), pageId);
        if (reply.type !== "members") continue;
        names.push(...reply.names);
        if (reply.next === 0 || reply.next <= from) break;
        from = reply.next;
      }
      for (const name of names) process.stdout.write(`${name}\n`);
      const where = `room ${opts.room ?? DEFAULT_ROOM}`;
      return log.info(names.length === 0 ? `nobody is in ${where}` : `${names.length} in ${where}`);
    }
  }
}

type Answer = Extract<Message, { type: "ack" | "members" }>;

/** The admin's socket and what it is waiting for. */
class Link {
  #envelope: Envelope | undefined;
  /** The id of the server run that answered the knock: every signed request names it. */
  #server = "";
  #waiting: ((msg: Message) => void) | undefined;

  constructor(
    private readonly server: Peer,
    private readonly opts: AdminOptions,
    private readonly udp: UdpEndpoint,
  ) {}

  /** `msg` for the server that answered the knock, signed now. */
  signed(msg: UnsignedAdmin): Uint8Array {
    const { token } = this.opts;
    if (typeof token !== "string" || this.#server === "") throw new Error("signing before the knock or without a token"); // a bug
    // A who is padded to a full datagram (the server never answers a stranger with more bytes than it sent); the mac covers the pad.
    const padTo = msg.type === "who" ? MAX_PAYLOAD_BYTES : undefined;
    const plain = encode(sign(msg, { token, server: this.#server }, Date.now(), padTo));
    return this.#envelope ? this.#envelope.seal(plain) : plain;
  }

  /** Makes sure a server answers there and learns its id; with a passphrase, takes the room's salt and derives the key. */
  async knock(): Promise<void> {
    const knock = encode(padded({ type: "knock" }, KNOCK_BYTES));
    const challenge = await this.#exchange(
      () => knock,
      (m) => (m.type === "challenge" ? m : undefined),
    );
    if (challenge.server === undefined) {
      const where = formatHostPort(this.opts.server);
      throw new Failure(
        EXIT.refused,
        `the server at ${where} does not say its id: it is older than this chat admin, which cannot sign for it`,
      );
    }
    this.#server = challenge.server;
    if (this.opts.passphrase === undefined) return;
    if (challenge.salt === undefined) {
      throw new Failure(EXIT.refused, "the server has no passphrase: not sending it anything sealed (drop --passphrase)");
    }
    this.#envelope = Envelope.fromPassphrase(this.opts.passphrase!, challenge.salt);
  }

  /** Sends the request (made anew for each try) until the answer to `id` comes. A refusal throws. */
  request(make: () => Uint8Array, id: number, name?: string): Promise<Answer> {
    return this.#exchange(make, (m) => {
      if (m.type === "refused" && (m.id === id || m.id === undefined)) {
        const where = this.opts.room === undefined ? "any room" : `room ${this.opts.room}`;
        const line = m.reason === "no_such_member" ? `refused: nobody named "${name}" is in ${where}` : operatorRefusal(m.reason);
        throw new Failure(EXIT.refused, line);
      }
      return (m.type === "ack" || m.type === "members") && m.id === id ? m : undefined;
    });
  }

  /** Retries with backoff (half the retry interval, doubling, at most 1 s apart) until `match` takes a reply. */
  #exchange<T>(make: () => Uint8Array, match: (msg: Message) => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline = Date.now() + TIMERS.answerTimeoutMs;
      let wait: number = TIMERS.retryMs / 2;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.#waiting = undefined;
        fn();
      };
      this.#waiting = (msg) => {
        try {
          const value = match(msg);
          if (value !== undefined) done(() => resolve(value));
        } catch (err) {
          done(() => reject(err));
        }
      };
      const attempt = () => {
        if (Date.now() >= deadline) {
          const where = formatHostPort(this.opts.server);
          return done(() =>
            reject(
              new Failure(
                EXIT.noAnswer,
                `no answer from ${where} within ${TIMERS.answerTimeoutMs / 1000} s: is \`chat serve\` running there?`,
              ),
            ),
          );
        }
        this.udp.send(make(), this.server);
        timer = setTimeout(attempt, Math.min(wait, deadline - Date.now()));
        wait = Math.min(wait * 2, MAX_WAIT_MS);
      };
      attempt();
    });
  }

  received(data: Uint8Array, from: Peer): void {
    const opened = openFrom(data, from, this.server, this.#envelope, this.opts.passphrase !== undefined);
    if ("ignored" in opened) return this.opts.log.debug(opened.ignored);
    for (const msg of opened.messages) this.#waiting?.(msg);
  }

  close(): void {
    this.udp.close();
  }
}
