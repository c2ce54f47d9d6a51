// What a member sees: each event as a human line (optionally coloured) or as one JSON line, made safe for a terminal.

import type { RoomEvent, Welcome } from "./protocol.ts";

/** Everything the transcript shows: the room's events and the one welcome. */
export type Shown = RoomEvent | Welcome;

export interface View {
  json: boolean;
  /** ANSI colours (only ever on when stdout is a terminal and NO_COLOR is unset). */
  color: boolean;
}

/** `history`: the event happened before this member joined (the backlog). */
export function render(item: Shown, view: View, history = false): string {
  return view.json ? jsonLine(item, history) : humanLine(item, view.color, history);
}

// ---- Human lines ----

const LEAVE_SUFFIX = { quit: "", timeout: " (timed out)", kicked: " (kicked)", banned: " (banned)" } as const;

export function humanLine(item: Shown, color: boolean, history = false): string {
  const paint = color ? ansi : plain;
  if (history) return paint.dim(`[history] ${humanLine(item, false)}`);
  const name = (n: string) => paint.bold(sanitize(n));
  switch (item.type) {
    case "welcome": {
      const shown = item.members.map(name).join(", ");
      const more = item.count > item.members.length ? ` and ${item.count - item.members.length} more` : "";
      const others = item.count === 0 ? "nobody else is here yet" : `also here: ${shown}${more}`;
      return paint.dim(`joined as ${name(item.name)}; ${others}`);
    }
    case "join":
      return paint.dim(`${name(item.name)} joined`);
    case "message":
      return `${name(item.from)}: ${sanitize(item.text)}`;
    case "leave":
      return paint.dim(`${name(item.name)} left${LEAVE_SUFFIX[item.reason]}`);
    case "admin":
      return paint.admin(`[admin] ${sanitize(item.text)}`);
  }
}

const style = (open: string, close: string) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const ansi = { bold: style("1", "22"), dim: style("2", "22"), admin: style("1;33", "22;39") };
const same = (s: string) => s;
const plain = { bold: same, dim: same, admin: same };

/**
 * Text from the network made harmless for a terminal: C0 controls, ESC and DEL become their visible
 * Control Pictures (so "\x1b[2J" shows as "␛[2J" and a newline cannot fake a second line), C1 controls
 * become U+FFFD, and bidirectional overrides and isolates, which can reorder what is shown, are removed.
 */
export function sanitize(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return "\u2421";
    if (code <= 0x9f) return "\ufffd";
    return "";
  });
}
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

// ---- JSON lines ----

/** One JSON object, no newline inside. Every event carries `ts`; the session id and the epoch are never printed. */
export function jsonLine(item: Shown, history = false): string {
  const out =
    item.type === "welcome"
      ? { type: "welcome", name: item.name, members: item.members, count: item.count, seq: item.seq, ts: item.ts }
      : history
        ? { ...item, history: true }
        : item;
  // JSON.stringify escapes C0 controls itself; C1 controls and bidi overrides it leaves raw, so escape those too.
  return JSON.stringify(out).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
const JSON_UNSAFE = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
