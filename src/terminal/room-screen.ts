// The room as a person sees it in a terminal: the transcript above, own messages pending until confirmed, the prompt below.

import { formatWithOptions } from "node:util";
import type { ConsolaReporter } from "consola";
import type { Utterance } from "../core/member/outbox.ts";
import type { PendingHow } from "../core/member/says.ts";
import { helpLines } from "../core/screen/commands.ts";
import type { Completer } from "../core/screen/complete.ts";
import type { Styled } from "../core/screen/input-layout.ts";
import { firstStepsLine, type Lang, membersLine, nameColor, ownLine, render, rings, type Shown, type View } from "../core/screen/render.ts";
import type { AwayMark } from "../core/wire/protocol.ts";
import type { Log } from "../runtime/log.ts";
import { Terminal, type TerminalEvents } from "./terminal.ts";

export interface ScreenOptions {
  name: string;
  room: string;
  color: boolean;
  lang: Lang;
  log: Log;
}

/** A diagnostic as one line among the chat's: coloured by how bad it is, with a word for it when colour is off. */
function diagnostic(type: string, text: string, color: boolean): string {
  const bad = type === "error" || type === "fatal" || type === "fail";
  if (!color) return bad ? `error: ${text}` : type === "warn" ? `warning: ${text}` : text;
  const sgr = bad ? "31" : type === "warn" ? "33" : type === "success" || type === "ready" ? "32" : "2";
  return `\x1b[${sgr}m${text}\x1b[0m`;
}

/** Local time of day, `HH:MM`. */
const hhmm = (ts: number) => {
  const d = new Date(ts);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
};

export class RoomScreen {
  readonly #terminal: Terminal;
  readonly #view: View;
  readonly #log: Log;
  #name: string;
  /** Own messages sent and not yet confirmed by the server, by their ref, in the order they were typed. */
  readonly #pending = new Map<number, { said: Utterance; ts: number; how: PendingHow }>();
  /** What the connection is doing, shown above the prompt while there is something to say. */
  #status: string | undefined;
  /** The first-steps line has been shown (after the first welcome only). */
  #greeted = false;
  /** The logger's own reporters, given back by stop(). */
  #reporters: ConsolaReporter[] | undefined;

  constructor(opts: ScreenOptions, events: TerminalEvents) {
    this.#name = opts.name;
    this.#log = opts.log;
    this.#view = { json: false, color: opts.color, lang: opts.lang, clock: hhmm, self: opts.name, room: opts.room };
    this.#terminal = new Terminal(events, this.#prompt());
  }

  /** Takes the terminal; diagnostics from now on are printed above the line being typed too, one line each. */
  start(): void {
    this.#reporters = this.#log.options.reporters;
    const color = this.#view.color;
    this.#log.setReporters([
      { log: (e) => this.#terminal.print(diagnostic(e.type, formatWithOptions({ colors: false }, ...e.args), color), "stderr") },
    ]);
    this.#terminal.start();
  }

  stop(): void {
    this.#terminal.stop();
    if (this.#reporters) this.#log.setReporters(this.#reporters);
  }

  /** What Tab completes in the line being typed. */
  setCompleter(completer: Completer): void {
    this.#terminal.setCompleter(completer);
  }

  /** The server's form of the name (it may differ in Unicode normalization from what was typed). */
  joined(name: string): void {
    this.#name = name;
    this.#view.self = name;
    this.#terminal.setPrompt(this.#prompt());
  }

  show(item: Shown, history: boolean): void {
    this.#terminal.print(render(item, this.#view, history), "stdout", !history && rings(item, this.#name));
    // A newcomer is told once, right under "joined as", where help is and how to leave.
    if (item.type === "welcome" && !this.#greeted) {
      this.#greeted = true;
      this.#terminal.print(firstStepsLine(this.#view));
    }
  }

  sending(ref: number, said: Utterance): void {
    this.#pending.set(ref, { said, ts: Date.now(), how: "sending" });
    this.#showPending();
  }

  /** The say `ref` waits for the room's allowance, is on its way, or waits for the server to be back. */
  pending(ref: number, how: PendingHow): void {
    const entry = this.#pending.get(ref);
    if (!entry || entry.how === how) return;
    entry.how = how;
    this.#showPending();
  }

  /** The say `ref` was relayed (it joins the transcript) or not (the receiver has said why). */
  settled(ref: number, problem: string | undefined): void {
    const entry = this.#pending.get(ref);
    if (!entry) return;
    this.#pending.delete(ref);
    if (problem === undefined) this.#terminal.print(ownLine(entry.said, this.#name, this.#view, Date.now(), false));
    this.#showPending();
  }

  status(text: string | undefined): void {
    this.#status = text;
    this.#showPending();
  }

  /** A /who answer; `away`: who of them is away, and why. */
  members(names: string[], away: readonly AwayMark[] = []): void {
    this.#terminal.print(membersLine(names, this.#view, away));
  }

  help(): void {
    for (const line of helpLines()) this.#terminal.print(line);
  }

  toggleTimestamps(): void {
    if (this.#view.clock) delete this.#view.clock;
    else this.#view.clock = hhmm;
    this.#terminal.print(this.#view.clock ? "timestamps on" : "timestamps off");
  }

  #showPending(): void {
    const lines: Styled[] = [...this.#pending.values()].map(({ said, ts, how }) => ({
      plain: ownLine(said, this.#name, { ...this.#view, color: false }, ts, how),
      painted: ownLine(said, this.#name, this.#view, ts, how),
    }));
    if (this.#status !== undefined) {
      lines.unshift({ plain: this.#status, painted: this.#view.color ? `\x1b[2m${this.#status}\x1b[22m` : this.#status });
    }
    this.#terminal.setPending(lines);
  }

  #prompt(): Styled {
    const plain = `${this.#name}> `;
    return { plain, painted: this.#view.color ? `\x1b[1;${nameColor(this.#name)}m${this.#name}\x1b[22;39m> ` : plain };
  }
}
