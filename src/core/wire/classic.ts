// The original exercise's text protocol (`chat serve --classic`): its three requests, and the room's events as its lines.

import { sanitize } from "../screen/render.ts";
import { MAX_TEXT_BYTES, type RoomEvent } from "./protocol.ts";

/**
 * What a classic client sends, one per datagram of UTF-8 text: `L name` logs in, `C name text` says something,
 * `Q name` leaves. The name in `C` and `Q` is the client's claim; the server goes by the address it logged in from.
 */
export type ClassicRequest =
  | { kind: "login"; name: string }
  | { kind: "chat"; name: string; text: string }
  | { kind: "quit"; name: string };

/** What the server answers a classic client itself. */
export const CLASSIC_REPLY = {
  ok: "OK",
  /** To a client that sent `Q`, and to one the operator removed. */
  exit: "EXIT",
} as const;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const LETTERS = { L: "login", C: "chat", Q: "quit" } as const;

/** Whether a datagram looks like the classic protocol (`L `, `C ` or `Q `) rather than this one's JSON. */
export const isClassic = (data: Uint8Array) =>
  data.length >= 3 && (data[0] === 0x4c || data[0] === 0x43 || data[0] === 0x51) && data[1] === 0x20;

/** A classic request, or undefined for anything else (not UTF-8, no name, an empty or too long text). */
export function parseClassic(data: Uint8Array): ClassicRequest | undefined {
  if (!isClassic(data)) return undefined;
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return undefined;
  }
  const kind = LETTERS[text[0] as keyof typeof LETTERS];
  const rest = text.slice(2).replace(/\r?\n$/, "");
  const space = rest.indexOf(" ");
  const name = space < 0 ? rest : rest.slice(0, space);
  if (name === "") return undefined;
  if (kind !== "chat") return { kind, name };
  const said = space < 0 ? "" : rest.slice(space + 1);
  if (said === "" || new TextEncoder().encode(said).length > MAX_TEXT_BYTES) return undefined;
  return { kind, name, text: said };
}

/**
 * An event as the original server's line for a classic member; undefined for what it has no line for. The text is
 * made safe for a terminal here, since the original clients print whatever they get.
 */
export function classicLine(event: RoomEvent): string | undefined {
  switch (event.type) {
    case "join":
      return `欢迎 ${event.name} 进入聊天室`;
    case "message":
      return `${event.from} : ${sanitize(event.text)}`;
    case "action":
      return `* ${event.from} ${sanitize(event.text)}`;
    case "leave":
      return `${event.name} 退出了聊天室`;
    case "admin":
      return `管理员消息 : ${sanitize(event.text)}`;
    case "private":
      return `${event.from} 悄悄对你说 : ${sanitize(event.text)}`;
    case "hidden":
      return undefined;
  }
}
