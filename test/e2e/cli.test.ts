// The command-line contract: help, version, hidden subcommands, and a one-line error for every bad argument.

import { afterEach, describe, expect, test } from "bun:test";
import { version } from "../../package.json";
import { joinRoom, killAll, runChat, spawnServe, startChat } from "../helpers/processes.ts";

afterEach(killAll);

const run = (args: string[], env: Record<string, string | undefined> = {}) => runChat(args, { env });

describe("help and version", () => {
  test("--version prints the package's version", async () => {
    expect(await run(["--version"])).toEqual({ code: 0, out: [version], err: [] });
  });

  test("--help lists the three commands and hides the internal ones", async () => {
    const { code, out } = await run(["--help"]);
    expect(code).toBe(0);
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
});

test("chat join --help through a pipe: 80 columns, no word broken, an example", async () => {
  const { code, out } = await run(["join", "--help"]);
  expect(code).toBe(0);
  const rows = out.map((row) => row.replace(/\x1b\[[0-9;]*m/g, ""));
  for (const row of rows) expect(row.length).toBeLessThanOrEqual(80);
  // The words the issue saw cut in two at 80 columns ("tried in o" / "rder", "$CHAT_P" / "ASSPHRASE"), whole.
  const words = rows.join(" ").split(/\s+/);
  for (const word of ["(tried", "order,", "$CHAT_PASSPHRASE)"]) expect(words).toContain(word);
  expect(rows).toContain("EXAMPLE");
  expect(rows.some((row) => row.startsWith("  chat join alice"))).toBe(true);
});

describe("internal subcommands refuse to run by hand", () => {
  test.each([
    ["__receiver", "`chat join`"],
    ["__console", "`chat serve`"],
  ])("%s", async (name, starter) => {
    expect(await run([name])).toEqual({ code: 1, out: [], err: [`[error] \`chat ${name}\` is internal: ${starter} starts it`] });
  });
});

describe("bad arguments: one line, exit 1, nothing started", () => {
  test.each([
    [["join", "bad name!"], `[error] invalid name "bad name!": use 1 to 16 letters, digits, "_", "." or "-"`],
    [["join", "a".repeat(17)], `[error] invalid name "${"a".repeat(17)}": use 1 to 16 letters, digits, "_", "." or "-"`],
    [
      ["join", "alice", "--server", "nowhere"],
      `[error] invalid server address "nowhere": expected HOST:PORT, e.g. 127.0.0.1:8888 or [::1]:8888`,
    ],
    [
      ["admin", "hi", "--server", "1.2.3.4:99999"],
      `[error] invalid server address "1.2.3.4:99999": expected HOST:PORT, e.g. 127.0.0.1:8888 or [::1]:8888`,
    ],
    [["serve", "--port", "99999"], `[error] invalid port "99999": expected a number 0-65535`],
    [["serve", "--port", "0", "--peer-timeout", "1"], `[error] invalid --peer-timeout "1": expected seconds, at least 5`],
    [["serve", "--port", "0", "--history", "lots"], `[error] invalid --history "lots": expected a whole number 0-100000`],
    [
      ["serve", "--port", "0", "--data", "/proc/no-such-place"],
      expect.stringMatching(/^\[error\] cannot open the room database \/proc\/no-such-place\/room-\d+\.db: /),
    ],
    [["serve", "--host", "10.255.255.254", "--port", "0"], "[error] cannot listen on 10.255.255.254:0: no such address on this machine"],
    [["admin", "x".repeat(1001)], "[error] the message is 1001 bytes (max 1000)"],
    [["admin", ""], "[error] the message is empty"],
  ])("%p", async (args, error) => {
    expect(await run(args)).toEqual({ code: 1, out: [], err: [error] });
  });

  test("a port already in use", async () => {
    const server = await spawnServe();
    const second = await run(["serve", "--host", "127.0.0.1", "--port", String(server.port)]);
    expect(second).toEqual({
      code: 1,
      out: [],
      err: [`[error] cannot listen on 127.0.0.1:${server.port}: the port is already in use (pick another with --port)`],
    });
  });

  test("a missing name prints usage and says what is missing", async () => {
    const { code, err } = await run(["join"]);
    expect(code).toBe(1);
    expect(err.join("\n")).toContain("Missing required positional argument: NAME");
  });
});

describe("defaults from the environment", () => {
  test("CHAT_SERVER is the server when --server is not given", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    const bob = startChat(["join", "bob", "--json"], { env: { CHAT_SERVER: server.address } });
    await bob.event({ type: "welcome", name: "bob" });
    await alice.event({ type: "join", name: "bob" });
  });

  test("chat admin joins further words into one message, like echo", async () => {
    const server = await spawnServe();
    const alice = await joinRoom("alice", server.address);
    const admin = startChat(["admin", "--server", server.address, "two", "words"]);
    expect(await admin.proc.exited).toBe(0);
    await alice.event({ type: "admin", text: "two words" });
  });
});
