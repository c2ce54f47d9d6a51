// Tab at the server console: what it completes and what it leaves alone; the console's IPC messages, checked.

import { describe, expect, test } from "bun:test";
import { complete, needsNames } from "../../../src/server/console-complete.ts";
import { checkFromConsole, checkToConsole } from "../../../src/server/console-ipc.ts";

const line = { commands: ["/who", "/kick", "/ban", "/help"], takesName: ["/kick", "/ban"] };
const names = ["bob", "Bea", "alice", "小明", "小红"];

describe("console completion", () => {
  test("a command after /: each that starts so, in order, with its space", () => {
    expect(complete("/k", line, [])).toEqual({ word: "/k", candidates: ["/kick "] });
    expect(complete("/", line, [])?.candidates).toEqual(["/ban ", "/help ", "/kick ", "/who "]);
    expect(complete("/x", line, [])).toBeUndefined();
  });

  test("a member's name after /kick and /ban, without regard to case; wide characters too", () => {
    expect(complete("/kick b", line, names)).toEqual({ word: "b", candidates: ["Bea ", "bob "] });
    expect(complete("/ban  BO", line, names)).toEqual({ word: "BO", candidates: ["bob "] });
    expect(complete("/kick 小", line, names)).toEqual({ word: "小", candidates: ["小明 ", "小红 "] });
    expect(complete("/kick ", line, names)?.candidates).toHaveLength(5);
    expect(needsNames("/kick b", line)).toBe(true);
    expect(needsNames("/kic", line)).toBe(false);
  });

  test("nothing in a broadcast, after /who, past the first argument, or after //", () => {
    for (const before of ["hello b", "b", "/who b", "/ban bob 1", "//k", " /k", "/kick bob "]) {
      expect(complete(before, line, names)).toBeUndefined();
      expect(needsNames(before, line)).toBe(false);
    }
  });

  test("a name listed twice (in two rooms) is offered once", () => {
    expect(complete("/kick a", line, ["alice", "alice"])?.candidates).toEqual(["alice "]);
  });
});

describe("the console's IPC", () => {
  test("each message is checked for its shape", () => {
    expect(checkToConsole({ kind: "start", terminal: true })).toEqual({ value: { kind: "start", terminal: true } });
    expect(checkToConsole({ kind: "names", names: ["bob"] })).toEqual({ value: { kind: "names", names: ["bob"] } });
    expect("problem" in checkToConsole({ kind: "log" })).toBe(true);
    expect("problem" in checkToConsole({ kind: "start" })).toBe(true);
    expect(checkFromConsole({ kind: "line", text: "hi" })).toEqual({ value: { kind: "line", text: "hi" } });
    expect(checkFromConsole({ kind: "interrupt" })).toEqual({ value: { kind: "interrupt" } });
    expect("problem" in checkFromConsole({ kind: "key", text: "x" })).toBe(true);
  });
});
