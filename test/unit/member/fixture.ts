// What the member session tests share: a sink that records every effect, a fake clock, and the server's side of an exchange.

import type { HostPort } from "../../../src/core/address.ts";
import type { PendingHow } from "../../../src/core/member/says.ts";
import { type Ending, type LogLevel, MemberSession, type MemberSink } from "../../../src/core/member/session.ts";
import type { Shown } from "../../../src/core/screen/render.ts";
import type { AwayMark, Challenge, Message, MessageEvent, RefusalReason, Request, Welcome } from "../../../src/core/wire/protocol.ts";

export type Effect =
  | { kind: "send"; msg: Request; to: number }
  | { kind: "key"; salt: string | undefined }
  | { kind: "show"; item: Shown; history: boolean }
  | { kind: "status"; text: string | undefined }
  | { kind: "joined"; name: string }
  | { kind: "settled"; ref: number; problem?: string }
  | { kind: "pending"; ref: number; how: PendingHow }
  | { kind: "members"; names: string[]; away?: AwayMark[] }
  | { kind: "renamed"; name: string }
  | { kind: "log"; level: LogLevel; text: string }
  | { kind: "end"; how: Ending };

/** Records what the session does, in order; `take()` hands over what came since the last take. */
export class Recorder implements MemberSink {
  effects: Effect[] = [];
  /** Set once the session exists: which server a send goes to. */
  server: () => number = () => 0;

  send(msg: Request): void {
    this.effects.push({ kind: "send", msg, to: this.server() });
  }
  key(salt: string | undefined): void {
    this.effects.push({ kind: "key", salt });
  }
  show(item: Shown, history: boolean): void {
    this.effects.push({ kind: "show", item, history });
  }
  status(text: string | undefined): void {
    this.effects.push({ kind: "status", text });
  }
  joined(name: string): void {
    this.effects.push({ kind: "joined", name });
  }
  settled(ref: number, problem?: string): void {
    this.effects.push(problem === undefined ? { kind: "settled", ref } : { kind: "settled", ref, problem });
  }
  pending(ref: number, how: PendingHow): void {
    this.effects.push({ kind: "pending", ref, how });
  }
  members(names: string[], away: AwayMark[] = []): void {
    this.effects.push(away.length === 0 ? { kind: "members", names } : { kind: "members", names, away });
  }
  renamed(name: string): void {
    this.effects.push({ kind: "renamed", name });
  }
  log(level: LogLevel, text: string): void {
    this.effects.push({ kind: "log", level, text });
  }
  end(how: Ending): void {
    this.effects.push({ kind: "end", how });
  }

  take(): Effect[] {
    return this.effects.splice(0);
  }
  /** What was sent since the last take (and takes everything). */
  sent(): Request[] {
    return this.take().flatMap((e) => (e.kind === "send" ? [e.msg] : []));
  }
  /** The types sent since the last take (and takes everything). */
  sentTypes(): string[] {
    return this.sent().map((m) => m.type);
  }
}

export const SID = "a".repeat(32);
export const SID2 = "b".repeat(32);
export const NONCE = "0123456789abcdef";
export const A: HostPort = { host: "127.0.0.1", port: 8001 };
export const B: HostPort = { host: "127.0.0.1", port: 8002 };

export const challenge = (cookie = "c".repeat(32), salt?: string): Challenge =>
  salt === undefined ? { type: "challenge", cookie } : { type: "challenge", cookie, salt };

export function welcome(fields: Partial<Welcome> = {}): Welcome {
  return { type: "welcome", sid: SID, name: "ann", members: [], count: 0, seq: 0, backlog: 0, epoch: "e1", ts: 1, ...fields };
}

export const message = (seq: number, from = "bob", text = `m${seq}`): MessageEvent => ({ type: "message", seq, ts: 1, from, text });
export const refused = (reason: RefusalReason, id?: number): Message =>
  id === undefined ? { type: "refused", reason } : { type: "refused", reason, id };

/** A session with its recorder and a clock that starts at 1000 ms. */
export function member(opts: { servers?: HostPort[]; room?: string; passphrase?: boolean } = {}) {
  const sink = new Recorder();
  const clock = { now: 1000 };
  const session = new MemberSession(
    { name: "ann", room: opts.room ?? "lobby", nonce: NONCE, servers: opts.servers ?? [A], passphrase: opts.passphrase ?? false },
    sink,
    clock.now,
  );
  sink.server = () => session.server;
  /** Moves the clock on and runs the session's loop, as the receiver's 25 ms timer does. */
  const advance = (ms: number) => {
    clock.now += ms;
    session.tick(clock.now);
  };
  const receive = (...msgs: Message[]) => session.receive(msgs, clock.now);
  /** Knock, challenge, hello, welcome: in the room, with nothing recorded. */
  const login = (w: Partial<Welcome> = {}) => {
    session.begin(clock.now);
    receive(challenge());
    receive(welcome(w));
    sink.take();
  };
  return { session, sink, clock, advance, receive, login };
}
