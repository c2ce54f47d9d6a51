// `chat join` in a real terminal (a pty made by util-linux `script`): typing, Ctrl-C, Ctrl-D, and colour only where it belongs.

import { afterEach, describe, expect, test } from "bun:test";
import { nameColor } from "../../src/core/screen/render.ts";
import { chatBinary, joinRoom, killAll, spawnServe, startChat, waitGone } from "../helpers/processes.ts";
import { descendants } from "../helpers/procfs.ts";
import { waitUntil } from "../helpers/wait.ts";

afterEach(killAll);

const hasScript = Bun.which("script") !== null;

/** `chat ARGS` with stdin, stdout and stderr on a pseudo-terminal; keystrokes are written to `script`'s stdin. */
function inTerminal(args: string[], env: Record<string, string | undefined> = {}) {
  // `exec`: script runs the command through $SHELL -c, and dash (CI's /bin/sh) stays in between as a parent that
  // dies of the same Ctrl-C, so script would report the shell's 130 instead of chat's own exit code.
  const command = `exec ${[...chatBinary(), ...args].map((a) => `'${a}'`).join(" ")}`;
  return startChat([], {
    command: ["script", "--quiet", "--flush", "--return", "--command", command, "/dev/null"],
    env: { TERM: "xterm-256color", ...env },
  });
}

const joinInTerminal = (name: string, address: string, env: Record<string, string | undefined> = {}) =>
  inTerminal(["join", name, "--server", address], env);

/** The pids of the chat process running inside `script` and of its subprocess. */
async function chatPids(scriptPid: number): Promise<number[]> {
  return waitUntil(
    () => {
      // A child between fork and exec still shows its parent's command line, so ask for one of each.
      const chat = descendants(scriptPid).filter((p) => / (join|serve) |__receiver|__console/.test(p.cmdline));
      const exec = chat.filter((p) => /__receiver|__console/.test(p.cmdline));
      return chat.length === 2 && exec.length === 1 && chat.map((p) => p.pid);
    },
    5000,
    "chat and its subprocess inside the terminal",
  );
}

describe.skipIf(!hasScript)("in a terminal", () => {
  for (const [key, byte] of [
    ["Ctrl-C", "\x03"],
    ["Ctrl-D", "\x04"],
  ] as const) {
    test(`${key} leaves the room and ends every process`, async () => {
      const server = await spawnServe();
      const watcher = await joinRoom("watcher", server.address);
      const term = joinInTerminal("tty", server.address, { NO_COLOR: undefined });
      await term.out.waitFor("joined as");
      const pids = await chatPids(term.pid);

      term.write("typed in a terminal\r");
      await watcher.event({ type: "message", from: "tty", text: "typed in a terminal" });
      watcher.write("reply to the terminal\n");
      await term.out.waitFor("reply to the terminal");

      term.write(byte);
      await watcher.event({ type: "leave", name: "tty", reason: "quit" });
      expect(await term.proc.exited).toBe(0);
      await waitGone(pids);
      // stdout is a terminal and NO_COLOR is unset: the human lines come coloured
      expect(term.out.text()).toContain(`\x1b[1;${nameColor("watcher")}mwatcher\x1b[22;39m: reply to the terminal`);
    });
  }

  test("NO_COLOR=1 turns colour off even in a terminal", async () => {
    const server = await spawnServe();
    const watcher = await joinRoom("watcher", server.address);
    const term = joinInTerminal("tty", server.address, { NO_COLOR: "1" });
    await term.out.waitFor("joined as tty");
    watcher.write("plain please\n");
    await term.out.waitFor("watcher: plain please");
    expect(term.out.text()).not.toMatch(/\x1b\[[0-9;]*m/);
  });

  test("a message naming the member, or a private one, rings the bell; others do not", async () => {
    const server = await spawnServe();
    const watcher = await joinRoom("watcher", server.address);
    const term = joinInTerminal("tty", server.address, { NO_COLOR: "1" });
    await term.out.waitFor("joined as tty");
    watcher.write("nothing for you\n");
    await term.out.waitFor("watcher: nothing for you");
    expect(term.out.text()).not.toContain("\x07");
    watcher.write("hey TTY, look\n");
    await term.out.waitFor((line) => line.includes("watcher: hey TTY, look") && line.includes("\x07"));
    watcher.write("/msg tty psst\n");
    await term.out.waitFor((line) => line.includes("[private] watcher: psst") && line.includes("\x07"));
  });

  test("the server console reads lines typed at a terminal, and Ctrl-C stops the server and its console", async () => {
    const term = inTerminal(["serve", "--host", "127.0.0.1", "--port", "0", "--data", ":memory:"], { NO_COLOR: "1" });
    const line = await term.out.waitFor(/listening on 127\.0\.0\.1:\d+/);
    const address = /127\.0\.0\.1:\d+/.exec(line)![0];
    const pids = await chatPids(term.pid);
    const member = await joinRoom("alice", address);
    term.write("typed at the console\r");
    await member.event({ type: "admin", text: "typed at the console" });
    term.write("\x03");
    const code = await term.proc.exited;
    // On failure, say what the terminal showed: the exit code alone does not tell which process ended how.
    expect({ code, screen: code === 0 ? "" : term.out.text() }).toEqual({ code: 0, screen: "" });
    await waitGone(pids);
  });
});
