// The second protocol: messages between `chat` and its own subprocesses over Bun's IPC channel, typed and checked here.

import type { HostPort } from "../core/address.ts";
import type { LogLevel } from "../core/member/session.ts";
import type { Lang, Shown } from "../core/screen/render.ts";

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
  | { kind: "leave" };

/** A transcript the receiver writes itself: JSON lines, or human lines in a language. */
export type Output = { to: "stdout"; json: boolean; color: boolean; lang: Lang } | { to: "parent" };

/** The level of a diagnostic line the receiver hands to the parent (the session's own). */
export type { LogLevel };
const LOG_LEVELS: readonly string[] = ["debug", "info", "success", "warn", "error"] satisfies LogLevel[];

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
  /** With output "parent": something for the transcript; `history` when it happened before this member joined. */
  | { kind: "show"; item: Shown; history: boolean }
  /** With output "parent": a diagnostic line, for the parent to print above the line being typed. */
  | { kind: "log"; level: LogLevel; text: string }
  /** What became of the say with this `ref`: relayed, or not (`problem` says why, in a line). */
  | { kind: "settled"; ref: number; problem?: string }
  /** The answer to "who": every member's name. */
  | { kind: "members"; names: string[] }
  /** With output "parent": what the connection is doing (joining, lost), for a status line; no text once in the room. */
  | { kind: "status"; text?: string };

/** What the server's console subprocess tells `chat serve`: one line the operator typed. */
export type FromConsole = { kind: "line"; text: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

const isString = (v: unknown): v is string => typeof v === "string";
const optional = <T>(v: unknown, check: (v: unknown) => v is T) => v === undefined || check(v);

export function isToReceiver(v: unknown): v is ToReceiver {
  if (!isRecord(v)) return false;
  switch (v.kind) {
    case "start": {
      const { servers, output } = v;
      return (
        isString(v.name) &&
        isString(v.room) &&
        isString(v.nonce) &&
        optional(v.passphrase, isString) &&
        Array.isArray(servers) &&
        servers.length > 0 &&
        servers.every((s) => isRecord(s) && isString(s.host) && typeof s.port === "number") &&
        isRecord(output) &&
        (output.to === "parent" ||
          (output.to === "stdout" && typeof output.json === "boolean" && typeof output.color === "boolean" && isString(output.lang)))
      );
    }
    case "say":
      return (
        isString(v.text) &&
        optional(v.to, isString) &&
        optional(v.me, (x): x is boolean => typeof x === "boolean") &&
        optional(v.ref, (x): x is number => typeof x === "number")
      );
    case "who":
    case "leave":
      return true;
    default:
      return false;
  }
}

/** The receiver is our own program: its messages are checked for shape, their protocol contents were checked on arrival. */
export function isFromReceiver(v: unknown): v is FromReceiver {
  if (!isRecord(v)) return false;
  switch (v.kind) {
    case "joined":
      return isString(v.name);
    case "show":
      return isRecord(v.item) && isString(v.item.type) && typeof v.history === "boolean";
    case "log":
      return isString(v.level) && LOG_LEVELS.includes(v.level) && isString(v.text);
    case "settled":
      return typeof v.ref === "number" && optional(v.problem, isString);
    case "members":
      return Array.isArray(v.names) && v.names.every(isString);
    case "status":
      return optional(v.text, isString);
    default:
      return false;
  }
}

export const isFromConsole = (v: unknown): v is FromConsole => isRecord(v) && v.kind === "line" && typeof v.text === "string";
