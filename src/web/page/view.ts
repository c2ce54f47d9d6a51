// The room as the page shows it: the transcript (one element per line, its text the terminal's line) and the member list.

import type { PendingHow } from "../../core/member/says.ts";
import { type Lang, ownLine, rings, type Shown, sanitize, type View } from "../../core/screen/render.ts";
import { nameKey } from "../../core/wire/protocol.ts";
import { clock, colorClass } from "./logic.ts";

type Said = { text: string; to?: string; me?: boolean };

/** Whose name a line starts from (coloured as the terminal colours it), if any. */
function nameIn(item: Shown): string | undefined {
  switch (item.type) {
    case "join":
    case "leave":
      return item.name;
    case "message":
    case "action":
    case "private":
      return item.from;
    default:
      return undefined;
  }
}

export class RoomView {
  /** This member's own lines still pending, by the ref the session was given. */
  readonly #own = new Map<number, HTMLElement>();
  /** Who is here, by nameKey: from the welcome, then joins and leaves, and every /who answer. */
  readonly #roster = new Map<string, string>();
  me = "";

  constructor(
    private readonly log: HTMLElement,
    private readonly list: HTMLElement,
    private readonly view: View,
    private readonly render: (item: Shown, history: boolean) => string,
  ) {}

  get lang(): Lang {
    return this.view.lang;
  }

  clear(): void {
    this.log.replaceChildren();
    this.list.replaceChildren();
    this.#own.clear();
    this.#roster.clear();
  }

  /** An event (or the welcome, or the server's goodbye), as the terminal's line. */
  event(item: Shown, history: boolean): void {
    const text = this.render(item, history);
    // The name is found after the history mark, so a member called "history" is coloured where its name is.
    const from = history ? text.length - this.render(item, false).length : 0;
    const line = this.#line(text, nameIn(item), from, item.ts);
    if (history) line.classList.add("history");
    if (item.type === "private") line.classList.add("private");
    else if (item.type === "admin") line.classList.add("admin");
    else if (rings(item, this.me)) line.classList.add("mention");
    if (item.type === "welcome") {
      this.me = item.name; // before the list is drawn, which marks the member's own name
      this.roster([...item.members, item.name]);
    }
    if (!history && item.type === "join") this.#add(item.name);
    if (!history && item.type === "leave") this.#remove(item.name);
    this.#append(line);
  }

  /** The member's own line, shown at once, marked pending until the server confirms it. */
  own(ref: number, said: Said, ts: number): void {
    const line = this.#line(ownLine(said, this.me, this.view, ts, false), this.me, 0, ts);
    line.classList.add("own");
    this.#own.set(ref, line);
    this.pending(ref, "sending");
    this.#append(line);
  }

  pending(ref: number, how: PendingHow): void {
    const line = this.#own.get(ref);
    if (!line) return;
    // The mark is drawn by CSS from the attribute, so the line's text stays the line the others see.
    line.dataset.pending = ownLineMark(this.view, how);
    line.classList.add("pending");
  }

  settled(ref: number, problem: string | undefined): void {
    const line = this.#own.get(ref);
    if (!line) return;
    this.#own.delete(ref);
    line.classList.remove("pending");
    delete line.dataset.pending;
    if (problem) line.classList.add("failed");
  }

  /** A line of the page's own (a problem, /help), not an event of the room. */
  note(text: string, kind: "note" | "warn" | "error" | "help" = "note"): void {
    const line = this.#line(text, undefined, 0, Date.now());
    line.classList.add(kind === "help" ? "note" : kind, kind);
    this.#append(line);
  }

  /** The others' names, as the room spells them: what Tab completes. */
  names(): string[] {
    return [...this.#roster.values()].filter((n) => nameKey(n) !== nameKey(this.me));
  }

  /** The whole list, as a /who answer or the welcome gives it. */
  roster(names: readonly string[]): void {
    this.#roster.clear();
    for (const n of names) this.#roster.set(nameKey(n), n);
    this.#drawRoster();
  }

  #add(name: string): void {
    this.#roster.set(nameKey(name), name);
    this.#drawRoster();
  }

  #remove(name: string): void {
    this.#roster.delete(nameKey(name));
    this.#drawRoster();
  }

  #drawRoster(): void {
    const names = [...this.#roster.values()].sort((a, b) => nameKey(a).localeCompare(nameKey(b)));
    this.list.replaceChildren(
      ...names.map((n) => {
        const item = document.createElement("li");
        item.textContent = sanitize(n);
        item.className = colorClass(n);
        if (nameKey(n) === nameKey(this.me)) item.classList.add("me");
        return item;
      }),
    );
  }

  /** One line: text nodes only (never HTML), the name in a span of its colour, the time in an attribute. */
  #line(text: string, name: string | undefined, from: number, ts: number): HTMLElement {
    const line = document.createElement("li");
    line.dataset.time = clock(ts);
    const shown = name === undefined ? "" : sanitize(name);
    const at = shown === "" ? -1 : text.indexOf(shown, from);
    if (at < 0) line.textContent = text;
    else {
      const span = document.createElement("span");
      span.className = `n ${colorClass(name!)}`;
      span.textContent = shown;
      line.append(text.slice(0, at), span, text.slice(at + shown.length));
    }
    return line;
  }

  /** Appends, and keeps the newest line in sight if the reader was at the bottom. */
  #append(line: HTMLElement): void {
    const log = this.log;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(line);
    if (atBottom) log.scrollTop = log.scrollHeight;
  }
}

/** What the terminal appends to a pending own line (" (sending…)", "（排队中）"), taken from render.ts's own words. */
function ownLineMark(view: View, how: PendingHow): string {
  return ownLine({ text: "" }, "", view, 0, how).slice(ownLine({ text: "" }, "", view, 0, false).length);
}
