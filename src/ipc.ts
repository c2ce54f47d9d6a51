// The second protocol: messages between `chat` and its own subprocesses over Bun's IPC channel, typed and checked here.

import type { HostPort } from "./core/address.ts";

/** What `chat join` tells its receiver subprocess. */
export type ToReceiver =
  | { kind: "start"; name: string; nonce: string; server: HostPort; json: boolean; color: boolean; passphrase?: string }
  | { kind: "say"; text: string }
  | { kind: "leave" };

/** What the receiver tells `chat join`: only that the login succeeded; failures end the receiver with an exit code. */
export type FromReceiver = { kind: "joined" };

/** What the server's console subprocess tells `chat serve`: one line the operator typed. */
export type FromConsole = { kind: "line"; text: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

export function isToReceiver(v: unknown): v is ToReceiver {
  if (!isRecord(v)) return false;
  switch (v.kind) {
    case "start": {
      const server = v.server;
      return typeof v.name === "string" && typeof v.nonce === "string" && typeof v.json === "boolean" &&
        typeof v.color === "boolean" && (v.passphrase === undefined || typeof v.passphrase === "string") &&
        isRecord(server) && typeof server.host === "string" && typeof server.port === "number";
    }
    case "say":
      return typeof v.text === "string";
    case "leave":
      return true;
    default:
      return false;
  }
}

export const isFromReceiver = (v: unknown): v is FromReceiver => isRecord(v) && v.kind === "joined";

export const isFromConsole = (v: unknown): v is FromConsole => isRecord(v) && v.kind === "line" && typeof v.text === "string";
