// What a member (`chat join`, the web page) does with a typed line: memberAction, on top of parseLine.

import { expect, test } from "bun:test";
import { COMMANDS, helpLines, memberAction, parseLine } from "../../../src/core/screen/commands.ts";

test.each([
  ["hello", { kind: "say", said: { text: "hello" } }],
  ["/me waves", { kind: "say", said: { text: "waves", me: true } }],
  ["/msg bob psst", { kind: "say", said: { text: "psst", to: "bob" } }],
  ["/msg ANN psst", { kind: "warn", text: "that is you: nothing was sent" }],
  ["/who", { kind: "who" }],
  ["/help", { kind: "help" }],
  ["/timestamp", { kind: "timestamp" }],
  ["/quit", { kind: "quit" }],
  ["   ", { kind: "none" }],
  ["/me", { kind: "warn", text: "usage: /me TEXT" }],
  ["/exit", { kind: "quit" }],
  ["/ignore bob", { kind: "ignore", name: "bob", on: true }],
  ["/ignore", { kind: "ignore", on: true }],
  ["/unignore Bob", { kind: "ignore", name: "Bob", on: false }],
  ["/unignore", { kind: "warn", text: "usage: /unignore NAME" }],
  ["/ignore bob carol", { kind: "warn", text: "usage: /ignore [NAME]" }],
  ["/ignore ANN", { kind: "warn", text: "that is you: nothing changed" }],
  ["/reply hi", { kind: "warn", text: "nobody has sent you a private message yet: nothing was sent (/msg NAME TEXT)" }],
  ["/r", { kind: "warn", text: "usage: /r TEXT" }],
  ["/join Ops", { kind: "join", room: "ops" }],
  ["/join", { kind: "warn", text: "usage: /join ROOM" }],
])("%p → %p", (line, action) => {
  expect(memberAction(parseLine(line), "ann")).toEqual(action as ReturnType<typeof memberAction>);
});

test("/reply and /r: a private message to whoever last sent one", () => {
  expect(memberAction(parseLine("/reply see you"), "ann", "bob")).toEqual({ kind: "say", said: { text: "see you", to: "bob" } });
  expect(memberAction(parseLine("/r ok"), "ann", "小明")).toEqual({ kind: "say", said: { text: "ok", to: "小明" } });
});

test("/help lists every command of the table, /exit, /r, /ignore, /unignore, /reply and /join among them", () => {
  const help = helpLines().join("\n");
  for (const spec of COMMANDS) expect(help).toContain(spec.usage);
  for (const name of ["/exit", "/r TEXT", "/ignore [NAME]", "/unignore NAME", "/reply TEXT", "/join ROOM"]) expect(help).toContain(name);
});
