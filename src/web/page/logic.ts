// The web page's rules that need no browser: reconnect backoff, the tab title, the status line, names' colours, its words.

import type { MemberState } from "../../core/member/session.ts";
import { type Lang, nameColor } from "../../core/screen/render.ts";

/** Reconnecting starts this soon and doubles up to the cap: a server restarting is back in about a second, Wi-Fi in a few. */
export const BACKOFF_BASE_MS = 250;
export const BACKOFF_CAP_MS = 5000;

/**
 * How long to wait before reconnect attempt `attempt` (from 0): "full jitter", a random share of the exponential
 * bound, so that a classroom of pages whose server restarted does not knock again all in the same instant.
 */
export function backoffMs(attempt: number, random: number): number {
  const bound = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 30));
  return Math.floor(random * bound);
}

/** The tab's title: the room, with the number of lines not yet seen while the tab was hidden in front. */
export const titleFor = (room: string | undefined, unread: number): string =>
  room === undefined ? "chat" : unread > 0 ? `(${unread}) ${room} — chat` : `${room} — chat`;

/** What the status line says, by the session's state; `wasLost`: the member has been away at least once. */
export type Phase = "connecting" | "reconnecting" | "in" | "back";
export function phaseOf(state: MemberState | undefined, wasLost: boolean): Phase | undefined {
  switch (state) {
    case undefined:
    case "joining":
      return "connecting";
    case "lost":
      return "reconnecting";
    case "in":
    case "leaving":
      return wasLost ? "back" : "in";
    case "done":
      return undefined;
  }
}

/** A CSS class per name, from the terminal's colour for it (render.ts's nameColor: the same for everyone, every time). */
export const colorClass = (name: string): string => `c${nameColor(name)}`;

/** `bytes` random bytes as lowercase hex (from crypto.getRandomValues). */
export const hexOf = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** Two digits each: the time a line happened, as the terminal's /timestamp shows it. */
export function clock(ts: number): string {
  const d = new Date(ts);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/** The page's own words (the lines of the room are render.ts's, in the same two languages). */
export const PAGE_WORDS = {
  en: {
    name: "Name",
    join: "Join",
    message: "Message",
    send: "Send",
    members: "Members",
    transcript: "Transcript",
    connecting: "connecting…",
    reconnecting: "reconnecting…",
    in: (room: string, name: string) => `in ${room} as ${name}`,
    back: (room: string, name: string) => `back in ${room} as ${name}`,
    left: "you left the room",
    unreachable: (where: string) => `could not reach the server at ${where}`,
  },
  zh: {
    name: "名字",
    join: "进入",
    message: "消息",
    send: "发送",
    members: "在线成员",
    transcript: "聊天记录",
    connecting: "正在连接…",
    reconnecting: "正在重新连接…",
    in: (room: string, name: string) => `你以 ${name} 的身份在 ${room}`,
    back: (room: string, name: string) => `已重新进入 ${room}，身份 ${name}`,
    left: "你已退出聊天室",
    unreachable: (where: string) => `无法连接服务器 ${where}`,
  },
} as const satisfies Record<Lang, unknown>;

/** The status line for a phase. */
export function statusLine(phase: Phase | undefined, lang: Lang, room: string, name: string): string {
  const w = PAGE_WORDS[lang];
  switch (phase) {
    case undefined:
      return "";
    case "connecting":
      return w.connecting;
    case "reconnecting":
      return w.reconnecting;
    case "in":
      return w.in(room, name);
    case "back":
      return w.back(room, name);
  }
}
