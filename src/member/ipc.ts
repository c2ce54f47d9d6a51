// The second protocol: messages between `chat` and its own subprocesses over Bun's IPC channel, typed and checked here.

import type { HostPort } from "../core/address.ts";
import type { PendingHow } from "../core/member/says.ts";
import type { LogLevel } from "../core/member/session.ts";
import type { Lang, Shown } from "../core/screen/render.ts";
import {
  anyString,
  bool,
  type Checked,
  check,
  fieldOf,
  finiteNumber,
  listOf,
  object,
  oneOf,
  optional,
  variant,
} from "../core/wire/fields.ts";
import type { AwayMark } from "../core/wire/protocol.ts";

/** What `chat join` tells its receiver subprocess. */
export type ToReceiver =
  | {
      kind: "start";
      name: string;
      room: string;
      nonce: string;
      passphrase?: string;
      /** The servers of one cluster, tried in order: the member moves to the next when its server is gone. */
      servers: HostPort[];
      /** How the receiver prints the room on stdout itself; "parent": it hands what to show to `chat join` (a terminal). */
      output: Output;
    }
  | { kind: "say"; text: string; to?: string; me?: boolean; ref?: number }
  | { kind: "who" }
  /** /nick NAME */
  | { kind: "nick"; name: string }
  /** /away REASON (perhaps empty), or /back (no reason). */
  | { kind: "away"; reason?: string }
  /** /ignore NAME (`on`), /unignore NAME; without a name: list them. */
  | { kind: "ignore"; name?: string; on: boolean }
  /** /join ROOM (checkRoom's form): move to that room of the same server. */
  | { kind: "join"; room: string }
  | { kind: "leave" };

/** A transcript the receiver writes itself: JSON lines, or human lines in a language. */
export type Output = { to: "stdout"; json: boolean; color: boolean; lang: Lang } | { to: "parent" };

/** The level of a diagnostic line the receiver hands to the parent (the session's own). */
export type { LogLevel };

const LOG_LEVELS: LogLevel[] = ["debug", "info", "success", "warn", "error"];

/** The level a consola entry of this type travels at. */
export function logLevelOf(type: string): LogLevel {
  if (type === "error" || type === "fatal" || type === "fail") return "error";
  if (type === "warn") return "warn";
  if (type === "success" || type === "ready") return "success";
  if (type === "debug" || type === "trace" || type === "verbose") return "debug";
  return "info";
}

/** What the receiver tells `chat join`. Failures end the receiver with an exit code. */
export type FromReceiver =
  | { kind: "joined"; name: string }
  /** The member's own rename went through: it is called `name` from now on. */
  | { kind: "renamed"; name: string }
  /** With output "parent": something for the transcript; `history` when it happened before this member joined. */
  | { kind: "show"; item: Shown; history: boolean }
  /** With output "parent": a diagnostic line, for the parent to print above the line being typed. */
  | { kind: "log"; level: LogLevel; text: string }
  /** What became of the say with this `ref`: relayed, or not (`problem` says why, in a line). */
  | { kind: "settled"; ref: number; problem?: string }
  /** With output "parent": how the say `ref` is pending now (queued for the room's allowance, sending, waiting for the server). */
  | { kind: "pending"; ref: number; how: PendingHow }
  /** The answer to "who": every member's name, and those away with their reasons. */
  | { kind: "members"; names: string[]; away?: AwayMark[] }
  /** Whom /reply answers now: the last member who sent a private message. */
  | { kind: "reply_to"; name: string }
  /** With output "parent": what the connection is doing (joining, lost), for a status line; no text once in the room. */
  | { kind: "status"; text?: string };

/** What the server's console subprocess tells `chat serve`: one line the operator typed. */
export type FromConsole = { kind: "line"; text: string };

// The receiver and the console are our own program, but a message is still checked for shape before it is used:
// a bad one is a bug to be seen in a log line, never a crash of the parent.
const HOST_PORT = object<HostPort>({ host: anyString, port: finiteNumber });
const OUTPUT = variant<Output, "to">("to", {
  stdout: { json: bool, color: bool, lang: oneOf<Lang>(["en", "zh"]) },
  parent: {},
});
const TO_RECEIVER = variant<ToReceiver, "kind">("kind", {
  start: {
    name: anyString,
    room: anyString,
    nonce: anyString,
    passphrase: optional(anyString),
    servers: listOf(HOST_PORT, "servers", 1),
    output: OUTPUT,
  },
  say: { text: anyString, to: optional(anyString), me: optional(bool), ref: optional(finiteNumber) },
  who: {},
  nick: { name: anyString },
  away: { reason: optional(anyString) },
  ignore: { name: optional(anyString), on: bool },
  join: { room: anyString },
  leave: {},
});
/** Its contents were checked on arrival, by the receiver's decoder: here only its shape. */
const SHOWN = fieldOf<Shown>(object<{ type: string }>({ type: anyString }).check);
const FROM_RECEIVER = variant<FromReceiver, "kind">("kind", {
  joined: { name: anyString },
  renamed: { name: anyString },
  show: { item: SHOWN, history: bool },
  log: { level: oneOf<LogLevel>(LOG_LEVELS), text: anyString },
  settled: { ref: finiteNumber, problem: optional(anyString) },
  pending: { ref: finiteNumber, how: oneOf<PendingHow>(["queued", "sending", "waiting"]) },
  members: { names: listOf(anyString, "names"), away: optional(listOf(object<AwayMark>({ name: anyString, reason: anyString }), "marks")) },
  reply_to: { name: anyString },
  status: { text: optional(anyString) },
});
const FROM_CONSOLE = object<FromConsole>({ kind: oneOf(["line"]), text: anyString });

/** What is wrong with a message to the receiver, or the message. */
export const checkToReceiver = (v: unknown): Checked<ToReceiver> => check(TO_RECEIVER, v);
export const checkFromReceiver = (v: unknown): Checked<FromReceiver> => check(FROM_RECEIVER, v);
export const checkFromConsole = (v: unknown): Checked<FromConsole> => check(FROM_CONSOLE, v);

export const isToReceiver = (v: unknown): v is ToReceiver => "value" in checkToReceiver(v);
export const isFromReceiver = (v: unknown): v is FromReceiver => "value" in checkFromReceiver(v);
export const isFromConsole = (v: unknown): v is FromConsole => "value" in checkFromConsole(v);
