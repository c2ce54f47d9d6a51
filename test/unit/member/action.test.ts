// What `chat join` does with a typed line: actionFor, on top of parseLine.

import { expect, test } from "bun:test";
import { actionFor, parseLine } from "../../../src/core/screen/commands.ts";

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
])("%p → %p", (line, action) => {
  expect(actionFor(parseLine(line), "ann")).toEqual(action as ReturnType<typeof actionFor>);
});
