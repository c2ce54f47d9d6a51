// The root command in-process, without the binary: exit codes, help, the version, and the one-line error of each bad argument.

import { describe, expect, test } from "bun:test";
import { createConsola, LogLevels } from "consola";
import { version } from "../../package.json";
import { runRoot } from "../../src/cli.ts";
import type { CommandIo } from "../../src/commands/_finish.ts";
import { fitHelp, helpWidth } from "../../src/commands/_help.ts";
import { join } from "../../src/commands/join.ts";
import { serve } from "../../src/commands/serve.ts";
import { displayWidth } from "../../src/core/screen/width.ts";

const ANSI = /\x1b\[[0-9;]*m/g;

/** Runs `chat ARGS` with an io that records: stdout, stderr lines, and every logger line as `[type] text`. */
async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const logged: string[] = [];
  const io: CommandIo = {
    log: (verbose) =>
      createConsola({
        level: verbose ? LogLevels.debug : LogLevels.info,
        reporters: [{ log: (entry) => void logged.push(`[${entry.type}] ${entry.args.join(" ")}`) }],
      }),
    out: (text) => void out.push(...text.replace(ANSI, "").split("\n")),
    err: (text) => void err.push(...text.replace(ANSI, "").split("\n")),
  };
  const code = await runRoot(args, io);
  return { code, out, err, logged };
}

describe("help and version", () => {
  test("--version prints the package's version, and so does -v", async () => {
    for (const flag of ["--version", "-v"]) expect(await run([flag])).toEqual({ code: 0, out: [version], err: [], logged: [] });
  });

  test("--help lists the three commands and hides the internal ones", async () => {
    const { code, out, err } = await run(["--help"]);
    expect(code).toBe(0);
    expect(err).toEqual([]);
    const text = out.join("\n");
    for (const command of ["serve", "join", "admin"]) expect(text).toContain(command);
    expect(text).not.toContain("__receiver");
    expect(text).not.toContain("__console");
  });

  test.each([
    ["serve", "--port"],
    ["join", "--json"],
    ["admin", "--token"],
  ])("chat %s --help shows its flags", async (command, flag) => {
    const { code, out } = await run([command, "--help"]);
    expect(code).toBe(0);
    expect(out.join("\n")).toContain(flag);
  });

  test("the default room in chat join's help is the protocol's", async () => {
    const { out } = await run(["join", "-h"]);
    expect(out.join("\n")).toContain("(Default: lobby)");
  });
});

describe("help that fits", () => {
  test.each([
    ["join", join.args],
    ["serve", serve.args],
  ] as const)(
    "chat %s --help: no row wider than the terminal, no word broken, options on consecutive rows, one example",
    async (command, args) => {
      const { out } = await run([command, "--help"]);
      for (const row of out) expect(displayWidth(row)).toBeLessThanOrEqual(helpWidth());
      const words = new Set(out.join(" ").split(/\s+/));
      for (const def of Object.values(args as Record<string, { description?: string }>))
        for (const word of (def.description ?? "").split(" ")) expect(words).toContain(word);
      const options = out.slice(out.indexOf("OPTIONS") + 2, out.indexOf("EXAMPLE") - 1);
      expect(options.length).toBeGreaterThan(4);
      expect(options).not.toContain("");
      expect(out.filter((row) => row === "EXAMPLE")).toHaveLength(1);
      expect(out[out.indexOf("EXAMPLE") + 2]).toStartWith(`  chat ${command} `);
    },
  );
  test("a long row breaks between words, under its description; a word wider than the row stays whole", () => {
    const row = `  --server=<x>    ${"word ".repeat(12)}${"y".repeat(40)} end`;
    expect(fitHelp(row, 40)).toBe(
      [
        "  --server=<x>    word word word word",
        "                  word word word word",
        "                  word word word word",
        `                  ${"y".repeat(40)}`,
        "                  end",
        "",
      ].join("\n"),
    );
    expect(fitHelp("short\n\n\n", 80, "chat x y")).toBe("short\n\nEXAMPLE\n\n  chat x y\n");
  });
});

describe("usage errors: the usage on stdout, then one line on stderr, exit 1", () => {
  test.each([
    [["join"], "Missing required positional argument: NAME", "chat join"],
    [[], "No command specified.", "chat serve|join|admin"],
  ])("%p", async (args, error, usage) => {
    const { code, out, err, logged } = await run(args);
    expect({ code, err, logged }).toEqual({ code: 1, err: [error], logged: [] });
    expect(out.join("\n")).toContain(`USAGE ${usage}`);
  });
});

describe("mistakes refused before anything runs: one line on stderr, nothing on stdout, exit 1", () => {
  test.each([
    [["join", "zed", "--sever", "127.0.0.1:1"], "unknown option --sever: did you mean --server?"],
    [["join", "zed", "--sever=127.0.0.1:1"], "unknown option --sever: did you mean --server?"],
    [["join", "zed", "-server", "127.0.0.1:1"], "unknown option -server: did you mean --server?"],
    [["join", "zed", "--jsno"], "unknown option --jsno: did you mean --json?"],
    [["join", "zed", "--no-jsno"], "unknown option --no-jsno: did you mean --no-json?"],
    [["join", "zed", "--json=yes"], "--json takes no value: --json or --no-json"],
    [["join", "zed", "--xyz"], "unknown option --xyz (see chat join --help)"],
    [["join", "alice", "bob"], `unexpected argument "bob" (see chat join --help)`],
    [["join", "alice", "--", "bob"], `unexpected argument "bob" (see chat join --help)`],
    [["serve", "--prot", "9999"], "unknown option --prot: did you mean --port?"],
    [["serve", "--peer", "5"], "unknown option --peer: did you mean --peer-timeout?"],
    [["serve", "--no-port"], "unknown option --no-port (see chat serve --help)"],
    [["serve", "--port"], "--port needs a value"],
    [["serve", "9999"], `unexpected argument "9999" (see chat serve --help)`],
    [["admin", "--whoo"], "unknown option --whoo: did you mean --who?"],
    [["admin", "hi", "--tokn", "x"], "unknown option --tokn: did you mean --token?"],
    [["admin", "hi", "--token"], "--token needs a value"],
    [["admin", "-x"], "unknown option -x (see chat admin --help)"],
    [["__receiver", "--x"], "unknown option --x (see chat __receiver --help)"],
    [["__console", "extra"], `unexpected argument "extra" (see chat __console --help)`],
    [["joni"], `unknown command "joni": did you mean "join"?`],
    [["srve", "--port", "0"], `unknown command "srve": did you mean "serve"?`],
    [["nope"], `unknown command "nope" (see chat --help)`],
    [["--verison"], "unknown option --verison: did you mean --version?"],
    [["--version", "join"], "--version goes alone: chat --version"],
    [["--verbose", "join", "alice"], "--verbose goes after the command: chat join … --verbose"],
    [["--no-json", "join", "alice"], "--no-json goes after the command: chat join … --no-json"],
    [["--json", "serve"], "unknown option --json (see chat --help)"],
    [["--jsno", "join", "alice"], "unknown option --jsno (see chat --help)"],
  ])("%p", async (args, line) => {
    expect(await run(args)).toEqual({ code: 1, out: [], err: [line], logged: [] });
  });

  test("--help still wins over a mistake: the usage, exit 0", async () => {
    const { code, out, err } = await run(["join", "zed", "--sever", "x", "--help"]);
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out.join("\n")).toContain("USAGE chat join");
  });
});

describe("what strictness lets through reaches the command as before", () => {
  const badAddress = (raw: string) => `[error] invalid server address "${raw}": expected HOST:PORT, e.g. 127.0.0.1:8888 or [::1]:8888`;
  test.each([
    // `--flag=value`, `--no-flag`, `--flag=false`, citty's camelCase spelling: each parsed, so the command's own check speaks
    [["join", "alice", "--server=nowhere"], badAddress("nowhere")],
    [
      ["join", "bad name!", "--no-json", "--verbose=false", "--server", "127.0.0.1:1"],
      `[error] invalid name "bad name!": use 1 to 16 letters, digits, "_", "." or "-"`,
    ],
    [["serve", "--port", "0", "--peerTimeout", "1"], `[error] invalid --peer-timeout "1": expected seconds, at least 5`],
    // further words of chat admin are one message (1001 bytes with the space), and after `--` a word with dashes is text
    [["admin", "x".repeat(500), "y".repeat(500)], "[error] the message is 1001 bytes (max 1000)"],
    [["admin", "--", `--${"x".repeat(999)}`], "[error] the message is 1001 bytes (max 1000)"],
  ])("%p", async (args, error) => {
    expect(await run(args)).toEqual({ code: 1, out: [], err: [], logged: [error] });
  });
});

describe("bad arguments: one line from the logger, exit 1, nothing started", () => {
  const badAddress = (raw: string) => `[error] invalid server address "${raw}": expected HOST:PORT, e.g. 127.0.0.1:8888 or [::1]:8888`;
  test.each([
    [["join", "bad name!"], `[error] invalid name "bad name!": use 1 to 16 letters, digits, "_", "." or "-"`],
    [["join", "alice", "--room", "no room"], `[error] invalid room "no room": use 1 to 16 letters, digits, "_", "." or "-"`],
    [["join", "alice", "--server", "nowhere"], badAddress("nowhere")],
    [["join", "alice", "--server", "127.0.0.1:1,nowhere"], badAddress("nowhere")],
    [["admin", "hi", "--server", "1.2.3.4:99999"], badAddress("1.2.3.4:99999")],
    [["admin", "x".repeat(1001)], "[error] the message is 1001 bytes (max 1000)"],
    [["admin", ""], "[error] the message is empty"],
    [["admin"], "[error] say what to do: a MESSAGE, or one of --kick NAME, --ban NAME, --who"],
    [["admin", "--kick", "bob", "--who"], "[error] say what to do: a MESSAGE, or one of --kick NAME, --ban NAME, --who"],
    [["admin", "--kick", "bob", "--for", "1h"], "[error] --for goes with --ban"],
    [
      ["admin", "--ban", "bob", "--for", "3x"],
      `[error] invalid duration "3x": expected a number with s, m, h or d (such as 30s, 10m, 2h, 1d), at most a year`,
    ],
    [["admin", "--who", "--room", "no room"], `[error] invalid room "no room": use 1 to 16 letters, digits, "_", "." or "-"`],
  ])("%p", async (args, error) => {
    expect(await run(args)).toEqual({ code: 1, out: [], err: [], logged: [error] });
  });

  test("with --verbose the stack follows, at debug level", async () => {
    const { code, logged } = await run(["admin", "", "--verbose"]);
    expect(code).toBe(1);
    expect(logged[0]).toBe("[error] the message is empty");
    expect(logged[1]).toStartWith("[debug] Error: the message is empty\n");
  });
});

test.each([
  ["__receiver", "`chat join`"],
  ["__console", "`chat serve`"],
])("the internal %s refuses to run by hand", async (name, starter) => {
  expect(await run([name])).toEqual({ code: 1, out: [], err: [], logged: [`[error] \`chat ${name}\` is internal: ${starter} starts it`] });
});
