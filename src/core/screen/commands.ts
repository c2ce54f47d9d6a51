// What a line typed into `chat join` means: a message, or one of the slash commands (a table that also makes /help).

import { checkName, MAX_TEXT_BYTES, nameKey, textBytes } from "../wire/protocol.ts";

export type Command =
  | { kind: "say"; text: string }
  | { kind: "me"; text: string }
  | { kind: "msg"; to: string; text: string }
  | { kind: "who" }
  | { kind: "help" }
  | { kind: "timestamp" }
  | { kind: "quit" }
  /** Nothing to send: a blank line. */
  | { kind: "none" }
  /** Nothing sent: an unknown command or a bad use of one, with a one-line hint. */
  | { kind: "problem"; problem: string };

interface Spec {
  readonly name: string;
  readonly usage: string;
  readonly help: string;
  /** Everything after the command and one space. */
  readonly parse: (rest: string) => Command;
}

const needsText =
  (usage: string, make: (text: string) => Command) =>
  (rest: string): Command =>
    rest.trim() === "" ? { kind: "problem", problem: `usage: ${usage}` } : sized(rest, make);

/** The commands, in the order /help lists them. */
export const COMMANDS: readonly Spec[] = [
  { name: "/help", usage: "/help", help: "this list", parse: () => ({ kind: "help" }) },
  { name: "/who", usage: "/who", help: "list the members", parse: () => ({ kind: "who" }) },
  {
    name: "/msg",
    usage: "/msg NAME TEXT",
    help: "a private message: only NAME sees it",
    parse: (rest) => {
      const m = /^(\S+)\s+(.*)$/s.exec(rest.trimStart());
      if (!m || m[2]!.trim() === "") return { kind: "problem", problem: "usage: /msg NAME TEXT" };
      const checked = checkName(m[1]!);
      if ("problem" in checked) return { kind: "problem", problem: checked.problem };
      return sized(m[2]!, (text) => ({ kind: "msg", to: checked.name, text }));
    },
  },
  {
    name: "/me",
    usage: "/me TEXT",
    help: "an action: /me waves shows as * NAME waves",
    parse: needsText("/me TEXT", (text) => ({ kind: "me", text })),
  },
  { name: "/timestamp", usage: "/timestamp", help: "show or hide the time of each line", parse: () => ({ kind: "timestamp" }) },
  { name: "/quit", usage: "/quit", help: "leave the room (also Ctrl-D, or Ctrl-C on an empty line)", parse: () => ({ kind: "quit" }) },
];

/** One line as typed (a trailing CR from a Windows pipe is ignored). "//text" sends "/text". */
export function parseLine(raw: string): Command {
  const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (line.trim() === "") return { kind: "none" };
  if (line.startsWith("//")) return sized(line.slice(1), (text) => ({ kind: "say", text }));
  if (!line.startsWith("/")) return sized(line, (text) => ({ kind: "say", text }));
  const [word = "", rest = ""] = line.split(/ (.*)/s, 2);
  const spec = COMMANDS.find((c) => c.name === word.toLowerCase());
  if (!spec)
    return {
      kind: "problem",
      problem: `unknown command ${word}: nothing was sent (/help lists the commands; //text sends a line starting with /)`,
    };
  return spec.parse(rest);
}

/** The /help text, one line per command. */
export function helpLines(): string[] {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length), "//TEXT".length);
  return [...COMMANDS.map((c) => `${c.usage.padEnd(width)}  ${c.help}`), `${"//TEXT".padEnd(width)}  send a line that starts with /`];
}

function sized(text: string, make: (text: string) => Command): Command {
  const bytes = textBytes(text);
  if (bytes > MAX_TEXT_BYTES) return { kind: "problem", problem: `not sent: the message is ${bytes} bytes (max ${MAX_TEXT_BYTES})` };
  return make(text);
}

/** What `chat join` does with a command, given the member's name (as the server stores it). */
export type Action =
  | { kind: "say"; said: { text: string; to?: string; me?: boolean } }
  | { kind: "who" }
  | { kind: "help" }
  | { kind: "timestamp" }
  | { kind: "quit" }
  | { kind: "none" }
  /** Nothing sent, and why. */
  | { kind: "warn"; text: string };

export function actionFor(command: Command, me: string): Action {
  switch (command.kind) {
    case "say":
      return { kind: "say", said: { text: command.text } };
    case "me":
      return { kind: "say", said: { text: command.text, me: true } };
    case "msg":
      if (nameKey(command.to) === nameKey(me)) return { kind: "warn", text: "that is you: nothing was sent" };
      return { kind: "say", said: { text: command.text, to: command.to } };
    case "problem":
      return { kind: "warn", text: command.problem };
    case "who":
    case "help":
    case "timestamp":
    case "quit":
    case "none":
      return { kind: command.kind };
  }
}
