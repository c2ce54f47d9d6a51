// The channel between `chat serve` and its console subprocess `chat __console`: both directions, typed and checked here.

import { anyString, bool, type Checked, check, listOf, variant } from "../core/wire/fields.ts";

/**
 * What `chat serve` tells its console. In a terminal the console owns the screen (it owns the keyboard, and the
 * process that owns the line being typed must be the one that prints above it), so the server's log lines come here.
 */
export type ToConsole =
  /** First: whether to take the terminal (a prompt, the line editor, log lines above it) or to read plain lines. */
  | { kind: "start"; terminal: boolean }
  /** A log line of the server's, formatted as consola would have written it, for above the prompt. */
  | { kind: "log"; text: string }
  /** The answer to "names": every member's name, in every room, for Tab completion. */
  | { kind: "names"; names: string[] }
  /** End now, after the log lines sent before this one. */
  | { kind: "stop" };

/** What the console tells `chat serve`. */
export type FromConsole =
  /** One line the operator typed. */
  | { kind: "line"; text: string }
  /** The console has taken the terminal: from now on the server's log lines go to it. */
  | { kind: "ready" }
  /** Ctrl-C on an empty line at the console (a raw terminal sends no SIGINT): stop the server, as SIGINT would. */
  | { kind: "interrupt" }
  /** Tab was pressed: the members' names are wanted. */
  | { kind: "names" };

const TO_CONSOLE = variant<ToConsole, "kind">("kind", {
  start: { terminal: bool },
  log: { text: anyString },
  names: { names: listOf(anyString, "names") },
  stop: {},
});
const FROM_CONSOLE = variant<FromConsole, "kind">("kind", {
  line: { text: anyString },
  ready: {},
  interrupt: {},
  names: {},
});

// Our own program on both ends, but checked all the same: a bad message is a bug to see in a debug line, not a crash.
export const checkToConsole = (v: unknown): Checked<ToConsole> => check(TO_CONSOLE, v);
export const checkFromConsole = (v: unknown): Checked<FromConsole> => check(FROM_CONSOLE, v);
