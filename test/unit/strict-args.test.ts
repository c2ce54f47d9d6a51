// Strict command lines without a command to run: the nearest spelling, and what a definition lets through or refuses.

import { describe, expect, test } from "bun:test";
import type { ArgsDef } from "citty";
import { commandLineProblem, editDistance, isOptionOf, nearest, REST_OF_WORDS, unknownCommand } from "../../src/commands/_strict.ts";

describe("edit distance (insert, delete, substitute, swap neighbours)", () => {
  test.each([
    ["", "abc", 3],
    ["join", "join", 0],
    ["joni", "join", 1],
    ["sever", "server", 1],
    ["prot", "port", 1],
    ["kitten", "sitting", 3],
    ["verbose", "version", 4],
  ])("%p → %p: %p", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe("the nearest spelling", () => {
  const flags = ["--server", "--port", "--passphrase", "--peer-timeout", "-p", "--json", "--help", "-h"];
  test.each([
    ["sever", "--server"],
    ["--sever", "--server"],
    ["prot", "--port"],
    ["--Server", "--server"],
    ["P", "-p"],
    ["pasphrase", "--passphrase"],
    ["peer-timout", "--peer-timeout"],
    ["peer", "--peer-timeout"],
    ["hlep", "--help"],
    ["jsno", "--json"],
  ])("%p: %p", (typed, expected) => expect(nearest(typed, flags)).toBe(expected));

  test.each(["xyz", "x", "h2", "verbose", "pa"])("%p: none is close", (typed) => expect(nearest(typed, flags)).toBeUndefined());

  test("a beginning shared by two is no suggestion; the closest of several wins, the first of equals", () => {
    expect(nearest("pas", ["--pass-word", "--passphrase"])).toBeUndefined();
    expect(nearest("serer", ["--sever", "--server"])).toBe("--sever");
    expect(nearest("servers", ["--server", "--servers"])).toBe("--servers");
  });
});

describe("commands", () => {
  const commands = ["serve", "join", "admin"];
  test.each([
    ["joni", `unknown command "joni": did you mean "join"?`],
    ["srve", `unknown command "srve": did you mean "serve"?`],
    ["Admin", `unknown command "Admin": did you mean "admin"?`],
    ["xyz", `unknown command "xyz" (see chat --help)`],
  ])("%p", (name, line) => expect(unknownCommand(name, commands, "chat")).toBe(line));
});

describe("a command line against its definition", () => {
  const def = {
    name: { type: "positional", description: "a name" },
    server: { type: "string", description: "an address", alias: "s" },
    port: { type: "string", description: "a port", alias: ["p"] },
    "peer-timeout": { type: "string", description: "seconds" },
    json: { type: "boolean", description: "json", alias: "j" },
    verbose: { type: "boolean", description: "more", alias: "V" },
  } as const satisfies ArgsDef;
  const check = (...words: string[]) => commandLineProblem(words, def, "chat x");

  test.each([
    [[]],
    [["alice"]],
    [["alice", "--server", "h:1"]],
    [["--server", "h:1", "alice"]],
    [["alice", "--server=h:1"]],
    [["alice", "--server="]],
    [["alice", "-s", "h:1"]],
    [["alice", "-sh:1"]],
    [["alice", "-jV"]],
    [["alice", "-jp", "9"]],
    [["alice", "--json", "--no-verbose", "--no-j"]],
    [["alice", "--json=true", "--verbose=false"]],
    [["alice", "--peerTimeout", "5"]],
    [["alice", "--peer-timeout", "5"]],
    [["alice", "--server", "--json"]], // a string option takes the next word whatever it is, as citty does
    [["alice", "--help"]],
    [["alice", "-h"]],
    [["--", "--json"]],
    [["-"]],
  ])("%p is let through", (words) => expect(check(...words)).toBeUndefined());

  test.each([
    [["alice", "--sever", "h:1"], "unknown option --sever: did you mean --server?"],
    [["alice", "--sever=h:1"], "unknown option --sever: did you mean --server?"],
    [["alice", "--prot", "9"], "unknown option --prot: did you mean --port?"],
    [["alice", "--peer", "9"], "unknown option --peer: did you mean --peer-timeout?"],
    [["alice", "--jsno"], "unknown option --jsno: did you mean --json?"],
    [["alice", "--no-jsno"], "unknown option --no-jsno: did you mean --no-json?"],
    [["alice", "--hepl"], "unknown option --hepl: did you mean --help?"],
    [["alice", "-S", "h:1"], "unknown option -S: did you mean -s?"],
    [["alice", "--xyz"], "unknown option --xyz (see chat x --help)"],
    [["alice", "-x"], "unknown option -x (see chat x --help)"],
    [["alice", "-jx"], "unknown option -x (see chat x --help)"],
    [["alice", "--no-server"], "unknown option --no-server: did you mean --server?"],
    [["alice", "--no-json=1"], "--no-json takes no value"],
    [["alice", "--json=yes"], "--json takes no value: --json or --no-json"],
    [["alice", "--server"], "--server needs a value"],
    [["alice", "-s"], "-s needs a value"],
    [["alice", "bob"], `unexpected argument "bob" (see chat x --help)`],
    [["alice", "--", "bob"], `unexpected argument "bob" (see chat x --help)`],
    [["alice", "--json", "-", "bob"], `unexpected argument "-" (see chat x --help)`],
  ])("%p is refused", (words, line) => expect(check(...words)).toBe(line));

  test("after `--` nothing is an option; the first mistake is the one named", () => {
    expect(check("--", "--sever")).toBeUndefined();
    expect(check("--sever", "--prot")).toBe("unknown option --sever: did you mean --server?");
  });

  test("a long option typed with one dash is named whole, and the long one suggested (where its first letter is no alias)", () => {
    const server = { server: { type: "string", description: "an address" } } as const satisfies ArgsDef;
    expect(commandLineProblem(["-server", "h:1"], server, "chat x")).toBe("unknown option -server: did you mean --server?");
    expect(check("alice", "-sever")).toBeUndefined(); // here it is -s with the value "ever", as util.parseArgs reads it
  });

  test("which words spell one of the options", () => {
    for (const word of ["--server", "--server=x", "-s", "-p", "--peerTimeout", "--no-json", "--json", "--help"])
      expect(isOptionOf(word, def)).toBe(true);
    for (const word of ["--sever", "--no-server", "-x", "name", "--name"]) expect(isOptionOf(word, def)).toBe(false);
  });

  test("a positional marked REST_OF_WORDS takes every further word; none at all takes no word", () => {
    const words = { message: { type: "positional", description: "text", required: false, ...REST_OF_WORDS } } as const satisfies ArgsDef;
    expect(commandLineProblem(["two", "words", "--", "--and-more"], words, "chat y")).toBeUndefined();
    expect(commandLineProblem(["one"], {}, "chat z")).toBe(`unexpected argument "one" (see chat z --help)`);
    expect(commandLineProblem(["--verbose"], {}, "chat z")).toBe("unknown option --verbose (see chat z --help)");
  });
});
