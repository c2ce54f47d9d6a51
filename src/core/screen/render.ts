// What a member sees: each event as a human line (English or Chinese, optionally coloured) or as one JSON line, made safe for a terminal.

import type { Utterance } from "../member/outbox.ts";
import { type AwayMark, type AwayNotice, DEFAULT_ROOM, type HiddenEvent, nameKey, type RoomEvent, type Welcome } from "../wire/protocol.ts";

/**
 * A line of the member's own in the transcript: the server said it is stopping, or the backlog shown on joining
 * ends here (`history_end`: shown to a person only; JSON lines mark history with `history: true` instead).
 */
export interface StatusItem {
  type: "status";
  text: "server_stopped" | "history_end";
  /** The member's clock (the server said nothing more). */
  ts: number;
}

/** The server's answer to a private message to an away member, at the member's clock (it carries no time). */
export type AwayItem = AwayNotice & { ts: number };

/** The answer to /ignore or /unignore, for this member alone: who is ignored now, and whom the command added or removed. */
export interface IgnoringItem {
  type: "ignoring";
  names: string[];
  added?: string;
  removed?: string;
  /** The member's clock. */
  ts: number;
}

/**
 * Everything the transcript shows: the room's events (a hidden one is never shown), the welcome (with `room` after a
 * /join moved the member: a screen made for the first room names the new one from it), a status, /ignore's answer and an away notice.
 */
export type Shown = Exclude<RoomEvent, HiddenEvent> | (Welcome & { room?: string }) | StatusItem | IgnoringItem | AwayItem;

/** How an own line still pending is marked: on its way, waiting for the room's allowance, or for the server to be back. */
export type PendingMark = "sending" | "queued" | "waiting";

export type Lang = "en" | "zh";

export interface View {
  json: boolean;
  /** ANSI colours (only ever on when stdout is a terminal and NO_COLOR is unset). */
  color: boolean;
  lang: Lang;
  /** Formats an event's time as `HH:MM` in front of its line; absent: no timestamps. */
  clock?: (ts: number) => string;
  /** This member's name: a message that mentions it is highlighted. */
  self?: string;
  /** The member's room: every JSON line names it; a human welcome names it unless it is the default room. */
  room?: string;
}

/**
 * The language of the human lines: Chinese when the locale's language is `zh`. The first of LC_ALL, LC_MESSAGES and
 * LANG that names a language decides (POSIX order); "C" and "POSIX" name none, so `LC_ALL=C.UTF-8 LANG=zh_CN` is Chinese.
 */
export function langOf(env: Readonly<Record<string, string | undefined>>): Lang {
  for (const value of [env.LC_ALL, env.LC_MESSAGES, env.LANG]) {
    if (!value || /^(C|POSIX)([._@]|$)/.test(value)) continue;
    return value.startsWith("zh") ? "zh" : "en";
  }
  return "en";
}

/** `history`: the event happened before this member joined (the backlog). */
export function render(item: Shown, view: View, history = false): string {
  return view.json ? jsonLine(item, history, view.room) : humanLine(item, view, history);
}

// ---- Human lines ----

const WORDS = {
  en: {
    joinedAs: (me: string, room?: string) => (room ? `joined room ${room} as ${me}; ` : `joined as ${me}; `),
    alone: "nobody else is here yet",
    alsoHere: (names: string, more: number) => `also here: ${names}${more > 0 ? ` and ${more} more` : ""}`,
    listSeparator: ", ",
    joined: (n: string) => `${n} joined`,
    left: (n: string) => `${n} left`,
    leaveReason: { quit: "", timeout: " (timed out)", kicked: " (kicked)", banned: " (banned)" },
    said: (n: string) => `${n}: `,
    privateFrom: (n: string) => `[private] ${n}: `,
    privateTo: (n: string) => `[private to ${n}] `,
    admin: "[admin] ",
    history: "[history] ",
    sending: " (sending…)",
    queued: " (queued)",
    waiting: " (waiting for the server)",
    serverStopped: "the server stopped; waiting for it to come back…",
    historyEnd: "── end of history ──",
    firstSteps: "/help: commands; Ctrl-D or /quit: leave",
    members: (names: string, count: number) => `here (${count}): ${names}`,
    renamed: (from: string, to: string) => `${from} is now ${to}`,
    awayMark: (reason: string) => (reason === "" ? " (away)" : ` (away: ${reason})`),
    awayNotice: (n: string, reason: string) => `${n} is away${reason === "" ? "" : `: ${reason}`}`,
    ignored: (n: string) => `ignoring ${n}: you will not see their messages (/unignore ${n} undoes it)`,
    unignored: (n: string) => `no longer ignoring ${n}`,
    ignoring: (names: string, count: number) => (count === 0 ? "you are ignoring nobody" : `ignoring (${count}): ${names}`),
  },
  zh: {
    joinedAs: (me: string, room?: string) => `你以 ${me} 的身份进入聊天室${room ? ` ${room}` : ""}，`,
    alone: "目前只有你一人",
    alsoHere: (names: string, more: number) => `在线：${names}${more > 0 ? ` 等另外 ${more} 人` : ""}`,
    listSeparator: "、",
    joined: (n: string) => `${n} 进入聊天室`,
    left: (n: string) => `${n} 退出了聊天室`,
    leaveReason: { quit: "", timeout: "（超时）", kicked: "（被管理员移出）", banned: "（被封禁）" },
    said: (n: string) => `${n} 说：`,
    privateFrom: (n: string) => `${n} 悄悄对你说：`,
    privateTo: (n: string) => `你悄悄对 ${n} 说：`,
    admin: "管理员消息：",
    history: "[历史] ",
    sending: "（发送中…）",
    queued: "（排队中）",
    waiting: "（等待服务器）",
    serverStopped: "服务器已停止，正在等待它恢复…",
    historyEnd: "── 以上为历史消息 ──",
    firstSteps: "/help 查看命令，Ctrl-D 或 /quit 退出",
    members: (names: string, count: number) => `在线（${count} 人）：${names}`,
    renamed: (from: string, to: string) => `${from} 改名为 ${to}`,
    awayMark: (reason: string) => (reason === "" ? "（离开）" : `（离开：${reason}）`),
    awayNotice: (n: string, reason: string) => `${n} 暂时离开${reason === "" ? "" : `：${reason}`}`,
    ignored: (n: string) => `已屏蔽 ${n}：你将看不到 ta 的消息（/unignore ${n} 取消）`,
    unignored: (n: string) => `已取消屏蔽 ${n}`,
    ignoring: (names: string, count: number) => (count === 0 ? "你没有屏蔽任何人" : `已屏蔽（${count} 人）：${names}`),
  },
} as const;

export function humanLine(item: Shown, view: View, history = false): string {
  const paint = view.color ? ansi : plain;
  const w = WORDS[view.lang];
  if (item.type === "status" && item.text === "history_end") return paint.dim(w.historyEnd);
  // A history line has its time where a live line has it, then the mark; all of it dim, so it reads as the past.
  if (history) {
    const when = view.clock && item.type !== "welcome" ? `${view.clock(item.ts)} ` : "";
    return paint.dim(when + w.history + humanLine(item, { json: false, color: false, lang: view.lang }));
  }
  const name = (n: string) => paint.name(sanitize(n));
  const said = (text: string) => highlight(sanitize(text), view.self, paint);
  const time = view.clock && item.type !== "welcome" && item.type !== "ignoring" ? `${paint.dim(view.clock(item.ts))} ` : "";
  switch (item.type) {
    case "welcome": {
      const shown = item.members.map(name).join(w.listSeparator);
      const others = item.count === 0 ? w.alone : w.alsoHere(shown, item.count - item.members.length);
      const where = item.room ?? view.room;
      const room = where !== undefined && where !== DEFAULT_ROOM ? sanitize(where) : undefined;
      return paint.dim(w.joinedAs(name(item.name), room) + others);
    }
    case "join":
      return time + paint.dim(w.joined(name(item.name)));
    case "leave":
      return time + paint.dim(w.left(name(item.name)) + w.leaveReason[item.reason]);
    case "message":
      return time + w.said(name(item.from)) + said(item.text);
    case "action":
      return time + paint.action(`* ${name(item.from)} `) + said(item.text);
    case "private":
      return time + paint.private(w.privateFrom(name(item.from))) + said(item.text);
    case "admin":
      return time + paint.admin(w.admin + sanitize(item.text));
    case "status":
      return time + paint.dim(w.serverStopped);
    case "rename":
      return time + paint.dim(w.renamed(name(item.from), name(item.to)));
    case "away_notice":
      return time + paint.dim(w.awayNotice(name(item.name), sanitize(item.reason)));
    case "ignoring":
      return paint.dim(ignoringLine(item, w, name));
  }
}

function ignoringLine(item: IgnoringItem, w: (typeof WORDS)[Lang], name: (n: string) => string): string {
  if (item.added !== undefined) return w.ignored(name(item.added));
  if (item.removed !== undefined) return w.unignored(name(item.removed));
  return w.ignoring(item.names.map(name).join(w.listSeparator), item.names.length);
}

/** The member's own line as it was sent: `pending` (true: sending) until the server has confirmed it. `ts` is when it was. */
export function ownLine(said: Utterance, me: string, view: View, ts: number, pending: boolean | PendingMark): string {
  const paint = view.color ? ansi : plain;
  const w = WORDS[view.lang];
  const time = view.clock ? `${paint.dim(view.clock(ts))} ` : "";
  const text = sanitize(said.text);
  const line =
    said.to !== undefined
      ? paint.private(w.privateTo(paint.name(sanitize(said.to)))) + text
      : said.me
        ? paint.action(`* ${paint.name(sanitize(me))} `) + text
        : w.said(paint.name(sanitize(me))) + text;
  if (pending === false) return time + line;
  return paint.dim(time + line + w[pending === true ? "sending" : pending]);
}

/** The one line after joining in a terminal: how to get help and how to leave. */
export function firstStepsLine(view: View): string {
  const w = WORDS[view.lang];
  return view.color ? ansi.dim(w.firstSteps) : w.firstSteps;
}

/** The answer to /who, for a person: an away member's name is followed by its mark, `bob (away: lunch)`. */
export function membersLine(names: readonly string[], view: View, away: readonly AwayMark[] = []): string {
  const paint = view.color ? ansi : plain;
  const w = WORDS[view.lang];
  const reasons = new Map(away.map((a) => [nameKey(a.name), a.reason]));
  const shown = (n: string) => {
    const reason = reasons.get(nameKey(n));
    return paint.name(sanitize(n)) + (reason === undefined ? "" : w.awayMark(sanitize(reason)));
  };
  return paint.dim(w.members(names.map(shown).join(w.listSeparator), names.length));
}

/** Whether an event should ring the terminal's bell: a private message, or a message that mentions `self`. */
export function rings(item: Shown, self: string | undefined): boolean {
  if (item.type === "private") return true;
  if (item.type !== "message" && item.type !== "action") return false;
  return self !== undefined && mentionPattern(self).test(item.text);
}

/**
 * Where `name` appears in a text as a word of its own: not inside a longer run of ASCII letters and digits ("alice"
 * is not in "malice"), but anywhere between CJK characters, which have no spaces between words.
 */
function mentionPattern(name: string): RegExp {
  // Outside a class "-" is no metacharacter, and escaping it is an error in a Unicode pattern.
  const escaped = nameKey(name).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![A-Za-z0-9_])${escaped}(?![A-Za-z0-9_])`, "giu");
}

function highlight(text: string, self: string | undefined, paint: Paint): string {
  if (self === undefined || paint === plain) return text;
  return text.replace(mentionPattern(self), (m) => paint.mention(m));
}

/** A stable colour per name (FNV-1a of its case-folded form), so everyone sees alice in the same colour every time. */
export function nameColor(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(nameKey(name))) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return NAME_COLORS[hash % NAME_COLORS.length]!;
}
/**
 * Readable on dark and light backgrounds alike; red is left for errors, yellow for the administrator and magenta
 * (both shades) for private messages, so no name can be mistaken for a private line.
 */
export const NAME_COLORS = [32, 34, 36, 92, 94, 96] as const;
/** The colour of private messages: in no name's palette. */
export const PRIVATE_COLOR = 35;

const style = (open: string, close: string) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
type Paint = Record<"name" | "dim" | "admin" | "action" | "private" | "mention", (s: string) => string>;
const ansi: Paint = {
  name: (n) => `\x1b[1;${nameColor(n)}m${n}\x1b[22;39m`,
  dim: style("2", "22"),
  admin: style("1;33", "22;39"),
  action: style("3", "23"),
  private: style(String(PRIVATE_COLOR), "39"),
  mention: style("1;7", "22;27"),
};
const same = (s: string) => s;
const plain: Paint = { name: same, dim: same, admin: same, action: same, private: same, mention: same };

/**
 * Text from the network made harmless for a terminal: C0 controls, ESC and DEL become their visible Control Pictures
 * (so "\x1b[2J" shows as "␛[2J" and a newline cannot fake a second line), C1 controls become U+FFFD, U+2028 and
 * U+2029 (a line and a paragraph break by their meaning) become ␤, and invisible format characters (general category
 * Cf: ZWSP, word joiner, BOM, LRM, RLM, ALM, the bidi embeddings, overrides and isolates, soft hyphen, …) are removed:
 * they draw nothing, so showing them as escapes would only clutter text that uses them innocently, while leaving them
 * lets a sender reorder a line or hide something in a word. Kept, because without them the text draws wrongly: a ZWJ
 * inside an emoji sequence (👩‍💻), a ZWJ or ZWNJ between two letters of a script it shapes (Indic conjuncts, Persian), and the
 * tag characters of a subdivision flag (🏴 England).
 */
export function sanitize(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return "\u2421";
    if (code <= 0x9f) return "\ufffd";
    if (code === 0x2028 || code === 0x2029) return "\u2424";
    return "";
  });
}
/**
 * After a letter or mark of a script whose shaping a ZWJ or ZWNJ changes (Arabic, Syriac, the Indic scripts, …): not
 * Latin, Greek, Cyrillic, the CJK scripts or a combining mark of any script (Inherited), where a joiner draws nothing
 * and changes nothing, so `al\u200Dice` could only be there to look like `alice` while being another string.
 */
const JOINS = String.raw`(?:(?<=[\p{L}\p{M}])(?<![\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}\p{sc=Inherited}\p{sc=Han}\p{sc=Hangul}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Bopomofo}]))`;
const UNSAFE = new RegExp(
  [
    String.raw`[\u0000-\u001f\u007f-\u009f\u2028\u2029]`,
    // ZWJ in an emoji sequence: after a pictograph (perhaps with its skin tone or VS16), before a pictograph.
    String.raw`(?<![\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F]|${JOINS})\u200D`,
    String.raw`\u200D(?!\p{Extended_Pictographic}|[\p{L}\p{M}])`,
    String.raw`(?<!${JOINS})\u200C|\u200C(?![\p{L}\p{M}])`,
    // Tags only in a tag sequence: after the black flag or another tag.
    String.raw`(?<![\u{1F3F4}\u{E0020}-\u{E007E}])[\u{E0020}-\u{E007F}]`,
    String.raw`(?![\u200C\u200D\u{E0020}-\u{E007F}])\p{Cf}`,
  ].join("|"),
  "gu",
);

// ---- JSON lines ----

/**
 * One JSON object, no newline inside. Every event carries `ts`, and `room` when the member's room is known; the
 * session id and the epoch are never printed.
 */
export function jsonLine(item: Shown, history = false, room?: string): string {
  const out =
    item.type === "welcome"
      ? { type: "welcome", name: item.name, members: item.members, count: item.count, seq: item.seq, ts: item.ts }
      : history
        ? { ...item, history: true }
        : { ...item };
  const where = (item.type === "welcome" ? item.room : undefined) ?? room;
  return safeJson(where === undefined ? out : { ...out, room: where });
}

/** The answer to /who, for a program; `away` (those away, with their reasons) only when someone is. */
export const membersJson = (names: readonly string[], room?: string, away: readonly AwayMark[] = []) =>
  safeJson({
    type: "members",
    names,
    count: names.length,
    ...(away.length > 0 ? { away } : {}),
    ...(room === undefined ? {} : { room }),
  });

/**
 * JSON.stringify escapes C0 controls itself; C1 controls, U+2028/U+2029 and invisible format characters it leaves raw,
 * so escape those too: a program parses back exactly the text that was sent, and a person who looks at the JSON in a
 * terminal sees `\u200b` where the sender hid something. ZWJ, ZWNJ and tags stay raw, so emoji stay legible.
 */
const safeJson = (value: unknown) =>
  JSON.stringify(value).replace(JSON_UNSAFE, (c) =>
    // Code unit by code unit: an astral format character (U+1D173) is escaped as its surrogate pair, as JSON does.
    Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`).join(""),
  );
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029]|(?!\u200C|\u200D|[\u{E0020}-\u{E007F}])\p{Cf}/gu;
