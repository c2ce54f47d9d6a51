// Getting in and staying connected: which server, the knock and hellos paced, the challenge's cookie and salt, when to move on.

import { formatHostPort, type HostPort } from "../address.ts";
import { type Challenge, type Hello, type Knock, TIMERS } from "../wire/protocol.ts";
import { memberRefusal } from "../wire/refusals.ts";
import { type Credentials, Login } from "./login.ts";
import { Servers } from "./servers.ts";

/** What the connection tells the world besides what it sends. */
export interface ConnectionSink {
  key(salt: string | undefined): void;
  status(text: string | undefined): void;
  log(level: "info" | "error", text: string): void;
}

export class Connection {
  readonly #servers: Servers;
  readonly #login: Login;
  #startedAt: number;
  /** The salt the room's key was made from (only with a passphrase). */
  #salt: string | undefined;

  constructor(
    private readonly servers: readonly HostPort[],
    credentials: Credentials,
    private readonly passphrase: boolean,
    private readonly sink: ConnectionSink,
    now: number,
  ) {
    this.#servers = new Servers(servers.length, now);
    this.#login = new Login(credentials);
    this.#startedAt = now;
  }

  /** Which of the servers (an index into the list) the member talks to now. */
  get server(): number {
    return this.#servers.at;
  }
  /** How the user knows the current server: as given on the command line. */
  get where(): string {
    return formatHostPort(this.servers[this.#servers.at]!);
  }
  /** A member that has heard nothing for this long has lost its server. */
  get silenceMs(): number {
    return this.#servers.silenceMs;
  }
  get several(): boolean {
    return this.#servers.several;
  }

  begin(now: number): void {
    this.#startedAt = now;
  }

  /** The first login's knock or hello due now; "no_answer" (said) once every server had its answer timeout. */
  joining(now: number): Knock | Hello | "no_answer" | undefined {
    if (now - this.#startedAt >= this.#servers.loginDeadlineMs) {
      const where = this.servers.map(formatHostPort).join(", ");
      const seconds = (TIMERS.answerTimeoutMs / 1000) * this.servers.length;
      this.sink.log("error", `no answer from ${where} within ${seconds} s: is \`chat serve\` running there?`);
      return "no_answer";
    }
    this.#rotate(now);
    return this.#login.due(now, TIMERS.retryMs);
  }

  /** Logging in again after losing the server: the knock or hello due now. */
  rejoining(now: number): Knock | Hello | undefined {
    this.#rotate(now);
    return this.#login.due(now, this.#servers.rejoinEveryMs);
  }

  /**
   * The server is gone: knock again (at the next server, with several). `stopping`: it said so itself, and may
   * answer a knock in the moment before it closes, so with nowhere else to go the first knock waits a rejoin period.
   */
  lost(now: number, stopping = false): void {
    // a restarted server has a new secret (and, with a passphrase, a new salt)
    if (stopping && !this.#servers.several) this.#login.restartLater(now);
    else this.#login.restart();
    if (this.#servers.several) this.#servers.next(now);
  }

  /** The challenge: its cookie, and the room's key from its salt. Returns the line that ends the membership, if any. */
  challenged(msg: Challenge, name: string): string | undefined {
    if (msg.salt !== undefined && !this.passphrase) return memberRefusal("passphrase_required", name);
    if (msg.salt === undefined && this.passphrase)
      return "this server has no passphrase: nothing sealed was sent (join without --passphrase)";
    if (msg.salt !== undefined && msg.salt !== this.#salt) {
      this.#salt = msg.salt;
      this.sink.key(msg.salt);
    }
    this.#login.challenged(msg.cookie);
    return undefined;
  }

  /** Our key may be from before the server restarted with a new salt: knock again for the new one. */
  rekey(): void {
    this.#login.forgetCookie();
    this.#salt = undefined;
    this.sink.key(undefined);
  }

  /** The welcome's round trip, when it can only answer the one hello sent (Karn). */
  rtt(now: number): number | undefined {
    return this.#login.rtt(now);
  }

  /** With several servers, after failoverTryMs without a welcome from this one: the next (each has its own cookie secret and salt). */
  #rotate(now: number): void {
    if (!this.#servers.overdue(now)) return;
    const silent = this.where;
    this.#servers.next(now);
    this.#login.restart();
    this.sink.log("info", `no answer from ${silent}: trying ${this.where}…`);
    this.sink.status(`trying ${this.where}…`);
  }
}
