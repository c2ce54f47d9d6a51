// The root command in-process, without the binary: exit codes, help, the version, and the one-line error of each bad argument.

import { describe, expect, test } from "bun:test";
import { createConsola, LogLevels } from "consola";
import { version } from "../../package.json";
import { runRoot } from "../../src/cli.ts";
import type { CommandIo } from "../../src/commands/_finish.ts";

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

describe("usage errors: the usage on stdout, then one line on stderr, exit 1", () => {
  test.each([
    [["join"], "Missing required positional argument: NAME", "chat join"],
    [["nope"], "Unknown command nope", "chat serve|join|admin"],
    [[], "No command specified.", "chat serve|join|admin"],
  ])("%p", async (args, error, usage) => {
    const { code, out, err, logged } = await run(args);
    expect({ code, err, logged }).toEqual({ code: 1, err: [error], logged: [] });
    expect(out.join("\n")).toContain(`USAGE ${usage}`);
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
