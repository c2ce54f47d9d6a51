// `chat serve`'s console in a real terminal (tmux), as an operator sees it: a prompt, the typed line kept whole under the log, /help, Tab.

import { afterEach, describe, expect, test } from "bun:test";
import { chatBinary, joinRoom, killAll, STATE_HOME, waitGone } from "../helpers/processes.ts";
import { descendants } from "../helpers/procfs.ts";
import { hasTmux, TmuxPane } from "../helpers/tmux.ts";
import { waitUntil } from "../helpers/wait.ts";

const panes: TmuxPane[] = [];
afterEach(async () => {
  await Promise.all(panes.splice(0).map((p) => p.close()));
  await killAll();
});

const SERVE = ["serve", "--host", "127.0.0.1", "--port", "0", "--data", ":memory:", "--rate", "off", "--web", "off"];

/** `chat serve` in a 100×24 pane; resolves once its prompt is up, with the address it listens on. */
async function serveInTmux() {
  const pane = await TmuxPane.start([...chatBinary(), ...SERVE], { columns: 100, rows: 24, env: { XDG_STATE_HOME: STATE_HOME } });
  panes.push(pane);
  const rows = await pane.waitForScreen((rows) => rows.includes("admin>"), "the console's prompt");
  const address = /listening on (127\.0\.0\.1:\d+)/.exec(rows.join("\n"))![1]!;
  return { pane, address };
}

/** The index of the last row with something on it: where the prompt is. */
const lastUsed = (rows: string[]) => rows.findLastIndex((r) => r !== "");

describe.skipIf(!hasTmux)("the server console in tmux", () => {
  test("start-up says typed lines are broadcast; a half-typed line survives a join notice intact, then Enter broadcasts it", async () => {
    const { pane, address } = await serveInTmux();
    const start = await pane.screen();
    expect(start).toContain("ℹ what you type here is broadcast to every member as [admin]; /help lists the console commands");

    const half = "admin> half typed admin line, 半句";
    await pane.type("half typed admin line, 半句");
    await pane.waitForScreen((rows) => rows.includes(half), "the half-typed line");
    const dave = await joinRoom("dave", address);
    // Both in one look: between the notice and the redrawn line, the screen shows neither whole for a moment.
    const joined = (rows: string[]) => rows.includes("ℹ dave joined (1 in the room)") && rows[lastUsed(rows)] === half;
    const rows = await pane.waitForScreen(joined, "the join notice above the half-typed line");
    const input = lastUsed(rows);
    expect(rows.slice(input - 1, input + 1)).toEqual(["ℹ dave joined (1 in the room)", half]);
    expect(await pane.cursor()).toEqual({ x: half.length + 2, y: input }); // 半句: two columns each
    expect(rows.some((r) => r.includes("lineℹ"))).toBe(false);

    await pane.press("Enter");
    await dave.event({ type: "admin", text: "half typed admin line, 半句" });
    await pane.waitForScreen(
      (rows) => rows.some((r) => r.includes("admin broadcast")) && rows[lastUsed(rows)] === "admin>",
      "the broadcast's log line above an empty prompt",
    );
  });

  test("/help lists the console's commands, what a plain line does, and its keys", async () => {
    const { pane } = await serveInTmux();
    await pane.type("/help");
    await pane.press("Enter");
    const rows = await pane.waitForScreen(
      (rows) => rows.some((r) => r.startsWith("Ctrl-D")) && rows[lastUsed(rows)] === "admin>",
      "the help above the prompt",
    );
    for (const start of ["ℹ TEXT ", "/who ", "/kick NAME ", "/ban NAME [FOR] ", "/help ", "//TEXT ", "Tab ", "Ctrl-C "]) {
      expect(rows.some((r) => r.startsWith(start))).toBe(true);
    }
  });

  test("Tab completes /kick and a member's name, cycling on repeated Tab; the kick then happens", async () => {
    const { pane, address } = await serveInTmux();
    const bob = await joinRoom("bob", address);
    await joinRoom("bea", address);
    await pane.waitForScreen((rows) => rows.includes("ℹ bea joined (2 in the room)"), "both joins");
    await pane.type("/k");
    await pane.press("Tab");
    await pane.waitForScreen((rows) => rows.includes("admin> /kick"), "/kick completed");
    await pane.type("b");
    await pane.press("Tab");
    await pane.waitForScreen((rows) => rows.includes("admin> /kick bea"), "the first name starting with b");
    await pane.press("Tab");
    await pane.waitForScreen((rows) => rows.includes("admin> /kick bob"), "the next one, on Tab again");
    await pane.press("Enter");
    expect(await bob.proc.exited).toBe(2);
    await pane.waitForScreen((rows) => rows.includes("ℹ bob left (kicked) (1 in the room)"), "the kick's log line");
  });

  test("Ctrl-C at the prompt stops the server, with exit code 0, and its console with it", async () => {
    const { pane } = await serveInTmux();
    const console_ = await waitForConsole(pane.pid);
    await pane.press("C-c");
    expect(await pane.exitStatus()).toBe(0);
    await waitGone([console_]);
    const rows = await pane.screen();
    expect(rows).toContain("ℹ server stopped");
  });

  test("Ctrl-D on an empty line ends the console, and the server goes on printing its lines", async () => {
    const { pane, address } = await serveInTmux();
    const console_ = await waitForConsole(pane.pid);
    await pane.press("C-d");
    await waitGone([console_]);
    await joinRoom("dave", address);
    const rows = await pane.waitForScreen(
      (rows) => rows.includes("ℹ dave joined (1 in the room)"),
      "the join, printed by the server itself",
    );
    expect(rows.includes("admin>")).toBe(false);
  });

  test("in a background job (chat serve &) the console takes no raw mode: nothing is stopped, the log goes on", async () => {
    const pane = await TmuxPane.start(["bash", "--norc", "--noprofile", "-i"], {
      columns: 100,
      rows: 24,
      env: { XDG_STATE_HOME: STATE_HOME },
    });
    panes.push(pane);
    await pane.waitForScreen((rows) => rows.some((r) => /[$#]$/.test(r)), "the shell's prompt");
    await pane.type(`${[...chatBinary(), ...SERVE].join(" ")} &`);
    await pane.press("Enter");
    const rows = await pane.waitForScreen((rows) => rows.some((r) => r.includes("members join with")), "the start-up lines");
    const address = /listening on (127\.0\.0\.1:\d+)/.exec(rows.join("\n"))![1]!;
    const console_ = await waitForConsole(pane.pid);
    await joinRoom("dave", address);
    await pane.waitForScreen((rows) => rows.includes("ℹ dave joined (1 in the room)"), "the join notice");
    const chat = descendants(pane.pid).filter((p) => p.cmdline.includes("chat"));
    expect(chat.map((p) => p.state).filter((state) => state === "T")).toEqual([]);
    expect(chat.map((p) => p.pid)).toContain(console_);
    // Not the pane's own command: ended here, as the shell would not end it before the pane closes.
    for (const p of chat) process.kill(p.pid, "SIGTERM");
    await waitGone(chat.map((p) => p.pid));
  });
});

/** The pid of the `chat __console` under `pid`, once it is there. */
function waitForConsole(pid: number): Promise<number> {
  return waitUntil(() => descendants(pid).find((p) => p.cmdline.includes("__console"))?.pid, 5000, "the console subprocess");
}
