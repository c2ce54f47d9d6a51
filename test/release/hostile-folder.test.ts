// The compiled binary started in a folder someone else prepared: a .env and a bunfig.toml there must change nothing
// (Bun's runtime would read both from the working directory; build.ts turns that off for the executable).

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { version } from "../../package.json";
import { joinRoom, killAll, runChat, spawnServe, startChat } from "../helpers/processes.ts";

afterEach(killAll);

let hostile: string;
let clean: string;
const marker = () => join(hostile, "preload-ran");

beforeAll(() => {
  hostile = mkdtempSync(join(tmpdir(), "chat-hostile-"));
  clean = mkdtempSync(join(tmpdir(), "chat-clean-"));
  // Each setting would show if read: a wrong admin token gets admin refused, a passphrase makes the server
  // unreadable to plain members, the preload writes a file and prints, the define rewrites the version.
  writeFileSync(
    join(hostile, ".env"),
    ["CHAT_ADMIN_TOKEN=wrong-token-from-a-stray-env", "CHAT_PASSPHRASE=stray passphrase", "NO_COLOR=", "FORCE_COLOR=3"].join("\n"),
  );
  writeFileSync(
    join(hostile, "evil.ts"),
    `require("node:fs").writeFileSync(${JSON.stringify(join(hostile, "preload-ran"))}, "yes"); console.log("PWNED");\n`,
  );
  writeFileSync(
    join(hostile, "bunfig.toml"),
    [
      'preload = ["./evil.ts"]',
      'logLevel = "debug"',
      "smol = true",
      "[define]",
      '"process.env.NODE_ENV" = "\\"hostile\\""',
      "[run]",
      "bun = true",
    ].join("\n"),
  );
});
afterAll(() => {
  rmSync(hostile, { recursive: true, force: true });
  rmSync(clean, { recursive: true, force: true });
});

const runIn = (cwd: string, args: string[]) => runChat(args, { cwd });

describe("a stray .env and bunfig.toml in the working directory", () => {
  test("--version and --help print the same as in a clean folder, and the preload never runs", async () => {
    expect(await runIn(hostile, ["--version"])).toEqual({ code: 0, out: [version], err: [] });
    expect(await runIn(hostile, ["--help"])).toEqual(await runIn(clean, ["--help"]));
    expect(existsSync(marker())).toBe(false);
  });

  test("a server, a member and the operator started there work as anywhere else", async () => {
    const server = await spawnServe([], { cwd: hostile });
    const outside = await joinRoom("outside", server.address, { cwd: clean });
    const inside = await joinRoom("inside", server.address, { cwd: hostile });
    await outside.event({ type: "join", name: "inside" });

    inside.write("from the hostile folder\n");
    await outside.event({ type: "message", from: "inside", text: "from the hostile folder" });

    // chat admin finds the server's token file by itself; a CHAT_ADMIN_TOKEN read from .env would be refused.
    const admin = startChat(["admin", "--server", server.address, "hello from the operator"], { cwd: hostile });
    expect(await admin.proc.exited).toBe(0);
    await inside.event({ type: "admin", text: "hello from the operator" });
    await outside.event({ type: "admin", text: "hello from the operator" });

    expect(server.out.text()).not.toContain("PWNED");
    expect(inside.out.text()).not.toContain("PWNED");
    expect(existsSync(marker())).toBe(false);
  });
});
