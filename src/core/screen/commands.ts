// What a line typed into `chat join` means: a message, or one of the slash commands (a table that also makes /help).

import { checkName, checkRoom, MAX_AWAY_BYTES, MAX_TEXT_BYTES, nameKey, textBytes } from "../wire/protocol.ts";

export type Command =
  | { kind: "say"; text: string }
  | { kind: "me"; text: string }
  | { kind: "msg"; to: string; text: string }
  /** A private message to whoever last sent this member one. */
  | { kind: "reply"; text: string }
  /** /ignore NAME (on), /unignore NAME (off); no name: the list. */
  | { kind: "ignore"; name?: string; on: boolean }
  | { kind: "join"; room: string }
  | { kind: "who" }
  | { kind: "nick"; name: string }
  /** `reason` "" when none was given. */
  | { kind: "away"; reason: string }
  | { kind: "back" }
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

/** A command's one NAME (checkName's form); `optional`: none is fine too. */
const oneName =
  (usage: string, optional: boolean, make: (name: string | undefined) => Command) =>
  (rest: string): Command => {
    const words = rest
      .trim()
      .split(/\s+/)
      .filter((w) => w !== "");
    if (words.length === 0 && optional) return make(undefined);
    if (words.length !== 1) return { kind: "problem", problem: `usage: ${usage}` };
    const checked = checkName(words[0]!);
    return "problem" in checked ? { kind: "problem", problem: checked.problem } : make(checked.name);
  };

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
  {
    name: "/nick",
    usage: "/nick NAME",
    help: "change your name (the room sees alice is now ally)",
    parse: (rest) => {
      const words = rest.trim().split(/\s+/);
      if (words.length !== 1 || words[0] === "") return { kind: "problem", problem: "usage: /nick NAME" };
      const checked = checkName(words[0]!);
      return "problem" in checked ? { kind: "problem", problem: checked.problem } : { kind: "nick", name: checked.name };
    },
  },
  {
    name: "/away",
    usage: "/away [REASON]",
    help: "mark yourself away: /who shows it, a private message gets REASON back",
    parse: (rest) => {
      const reason = rest.trim();
      const bytes = textBytes(reason);
      if (bytes > MAX_AWAY_BYTES) return { kind: "problem", problem: `not sent: the reason is ${bytes} bytes (max ${MAX_AWAY_BYTES})` };
      return { kind: "away", reason };
    },
  },
  { name: "/back", usage: "/back", help: "you are back: no longer marked away", parse: () => ({ kind: "back" }) },
  {
    name: "/reply",
    usage: "/reply TEXT",
    help: "a private message to whoever last sent you one",
    parse: needsText("/reply TEXT", (text) => ({ kind: "reply", text })),
  },
  { name: "/r", usage: "/r TEXT", help: "the same as /reply", parse: needsText("/r TEXT", (text) => ({ kind: "reply", text })) },
  {
    name: "/ignore",
    usage: "/ignore [NAME]",
    help: "stop seeing NAME's messages (only you; NAME is not told); alone: who you ignore",
    parse: oneName("/ignore [NAME]", true, (name) =>
      name === undefined ? { kind: "ignore", on: true } : { kind: "ignore", name, on: true },
    ),
  },
  {
    name: "/unignore",
    usage: "/unignore NAME",
    help: "see NAME's messages again",
    parse: oneName("/unignore NAME", false, (name) => ({ kind: "ignore", name: name!, on: false })),
  },
  {
    name: "/join",
    usage: "/join ROOM",
    help: "move to another room of this server",
    parse: (rest) => {
      const words = rest
        .trim()
        .split(/\s+/)
        .filter((w) => w !== "");
      if (words.length !== 1) return { kind: "problem", problem: "usage: /join ROOM" };
      const checked = checkRoom(words[0]!);
      return "problem" in checked ? { kind: "problem", problem: checked.problem } : { kind: "join", room: checked.name };
    },
  },
  { name: "/timestamp", usage: "/timestamp", help: "show or hide the time of each line", parse: () => ({ kind: "timestamp" }) },
  { name: "/quit", usage: "/quit", help: "leave the room (also Ctrl-D, or Ctrl-C on an empty line)", parse: () => ({ kind: "quit" }) },
  { name: "/exit", usage: "/exit", help: "the same as /quit", parse: () => ({ kind: "quit" }) },
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
  | { kind: "nick"; name: string }
  /** `reason` undefined: back. */
  | { kind: "away"; reason: string | undefined }
  | { kind: "help" }
  | { kind: "timestamp" }
  | { kind: "quit" }
  | { kind: "none" }
  /** Nothing sent, and why. */
  | { kind: "warn"; text: string };

/** What `chat join` carries out beyond an Action: /ignore, /unignore and /join. */
export type MemberAction = Action | { kind: "ignore"; name?: string; on: boolean } | { kind: "join"; room: string };

/** `replyTo`: whoever last sent this member a private message, if anyone has. */
export function memberAction(command: Command, me: string, replyTo?: string): MemberAction {
  switch (command.kind) {
    case "say":
      return { kind: "say", said: { text: command.text } };
    case "me":
      return { kind: "say", said: { text: command.text, me: true } };
    case "msg":
      if (nameKey(command.to) === nameKey(me)) return { kind: "warn", text: "that is you: nothing was sent" };
      return { kind: "say", said: { text: command.text, to: command.to } };
    case "reply":
      if (replyTo === undefined)
        return { kind: "warn", text: "nobody has sent you a private message yet: nothing was sent (/msg NAME TEXT)" };
      return { kind: "say", said: { text: command.text, to: replyTo } };
    case "ignore":
      if (command.name !== undefined && nameKey(command.name) === nameKey(me))
        return { kind: "warn", text: "that is you: nothing changed" };
      return command;
    case "join":
      return command;
    case "problem":
      return { kind: "warn", text: command.problem };
    case "nick":
      // The same name as now: the server would change nothing, and nobody would see a line.
      if (command.name === me) return { kind: "warn", text: `you are already ${me}` };
      return command;
    case "away":
      return command;
    case "back":
      return { kind: "away", reason: undefined };
    case "who":
    case "help":
    case "timestamp":
    case "quit":
    case "none":
      return { kind: command.kind };
  }
}
