// The member's terminal as a newcomer meets it (tmux, dist/chat): Tab completion, history with times and its end, Ctrl-C, the live region's height.

import { afterEach, describe, expect, test } from "bun:test";
import { displayWidth } from "../../src/core/screen/width.ts";
import { chatBinary, joinRoom, killAll, spawnServe } from "../helpers/processes.ts";
import { hasTmux, TmuxPane } from "../helpers/tmux.ts";

const panes: TmuxPane[] = [];
afterEach(async () => {
  await Promise.all(panes.splice(0).map((p) => p.close()));
  await killAll();
});

async function joinInTmux(name: string, address: string, size: { columns: number; rows: number }) {
  const pane = await TmuxPane.start([...chatBinary(), "join", name, "--server", address], size);
  panes.push(pane);
  await pane.waitForScreen((rows) => rows.some((r) => r.startsWith(`joined as ${name}`)), "the welcome");
  return pane;
}

/** The index of the last row with something on it: where the input line is. */
const lastUsed = (rows: string[]) => rows.findLastIndex((r) => r !== "");

/** Waits until the input row reads `line` (trailing spaces are not on the screen) and the cursor is `cursorAfter` along. */
async function inputIs(pane: TmuxPane, line: string, cursorAfter = line) {
  const rows = await pane.waitForScreen((rows) => rows[lastUsed(rows)] === line.trimEnd(), `the input line ${JSON.stringify(line)}`);
  expect(await pane.cursor()).toEqual({ x: displayWidth(cursorAfter), y: lastUsed(rows) });
}

describe.skipIf(!hasTmux)("the member's terminal", () => {
  test("Tab completes names (after /msg, at the start of a line as an address, 小明 too) and commands; repeated Tab cycles", async () => {
    const server = await spawnServe();
    const bob = await joinRoom("bob", server.address);
    await joinRoom("小明", server.address);
    const pane = await joinInTmux("alice", server.address, { columns: 60, rows: 12 });

    await pane.type("/msg b");
    await pane.press("Tab");
    await inputIs(pane, "alice> /msg bob ");
    await pane.type("hello by Tab");
    await pane.press("Enter");
    await bob.event({ type: "private", from: "alice", text: "hello by Tab" });

    await pane.press("Tab"); // at the start of a line: the first name, as an address
    await inputIs(pane, "alice> bob: ");
    await pane.press("Tab"); // again: the next one, in turn
    await inputIs(pane, "alice> 小明: ");
    await pane.press("Tab"); // and round again
    await inputIs(pane, "alice> bob: ");
    await pane.press("C-u");
    await pane.type("小");
    await pane.press("Tab");
    await inputIs(pane, "alice> 小明: ");
    await pane.press("C-u");

    // A member who joins later is known too; and command names complete after /.
    await joinRoom("carol", server.address);
    await pane.waitForScreen((rows) => rows.some((r) => r.endsWith("carol joined")), "carol's join");
    await pane.type("/msg ca");
    await pane.press("Tab");
    await inputIs(pane, "alice> /msg carol ");
    await pane.press("C-u");
    await pane.type("/wh");
    await pane.press("Tab");
    await inputIs(pane, "alice> /who ");
  });

  test("/MSG BOB echoes the name as the room spells it", async () => {
    const server = await spawnServe();
    const bob = await joinRoom("bob", server.address);
    const pane = await joinInTmux("alice", server.address, { columns: 60, rows: 10 });
    await pane.type("/MSG BOB psst");
    await pane.press("Enter");
    await bob.event({ type: "private", from: "alice", text: "psst" });
    const rows = await pane.waitForScreen((rows) => rows.some((r) => /^\d\d:\d\d \[private to bob\] psst$/.test(r)), "the echo");
    expect(rows.join("\n")).not.toContain("BOB");
  });

  test("a late joiner: a first-steps line, each history line with its time, then one end-of-history line, then the live room", async () => {
    const server = await spawnServe();
    const bob = await joinRoom("bob", server.address);
    const watcher = await joinRoom("watcher", server.address);
    for (const text of ["one", "two"]) bob.write(`${text}\n`);
    await watcher.event({ type: "message", from: "bob", text: "two" });
    const pane = await joinInTmux("alice", server.address, { columns: 60, rows: 12 });
    bob.write("three\n");
    const rows = await pane.waitForScreen((rows) => rows.some((r) => r.endsWith("bob: three")), "the live message");
    const at = rows.findIndex((r) => r.startsWith("joined as alice"));
    expect(rows.slice(at + 1, at + 6).map((r) => r.replace(/^\d\d:\d\d /, "HH:MM "))).toEqual([
      "/help: commands; Ctrl-D or /quit: leave",
      "HH:MM [history] bob: one",
      "HH:MM [history] bob: two",
      "── end of history ──",
      "HH:MM bob: three",
    ]);
  });

  test("a 3,000-character line in a 100×30 window plus 5 arriving messages adds at most a few dozen rows to the scrollback", async () => {
    const server = await spawnServe();
    const bob = await joinRoom("bob", server.address);
    const pane = await joinInTmux("alice", server.address, { columns: 100, rows: 30 });
    const before = await pane.scrollback();
    const typed = `${"0123456789".repeat(299)}<end-here>`; // the end marked, so no row of a half-typed state looks like it
    await pane.type(typed);
    // "alice> " and 3,000 characters take 31 rows: the screen shows the tail, the cursor after it on the last row used.
    const tail = typed.slice(-(typed.length + "alice> ".length) % 100);
    let rows = await pane.waitForScreen((rows) => rows[lastUsed(rows)] === tail, "the tail of the typed line");
    expect(await pane.cursor()).toEqual({ x: tail.length, y: lastUsed(rows) });
    for (let i = 1; i <= 5; i++) bob.write(`message ${i}\n`);
    rows = await pane.waitForScreen((rows) => rows.some((r) => r.endsWith("bob: message 5")), "the fifth message");
    expect(rows[lastUsed(rows)]).toBe(tail);
    expect(rows.filter((r) => /^\d{100}$/.test(r)).length).toBeGreaterThanOrEqual(25); // the rest of the screen: the line
    const added = (await pane.scrollback()) - before;
    console.info(`scrollback grew by ${added} rows`);
    expect(added).toBeLessThanOrEqual(40); // the screen's height as the line grew, then the 5 lines: not 3,400
    // The whole line is still there to edit: Ctrl-U empties it, and the prompt is back on its own.
    await pane.press("C-u");
    await pane.waitForScreen((rows) => rows[lastUsed(rows)] === "alice>", "the emptied line");
  });

  test("chat join --help in an 80-column terminal: every row as printed (none wrapped by the terminal), words whole, an example", async () => {
    const pane = await TmuxPane.start([...chatBinary(), "join", "--help"], { columns: 80, rows: 60 });
    panes.push(pane);
    expect(await pane.exitStatus()).toBe(0);
    const rows = await pane.waitForScreen((rows) => rows.includes("EXAMPLE"), "the help");
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(80);
    const words = rows.join(" ").split(/\s+/);
    for (const word of ["(tried", "order,", "$CHAT_PASSPHRASE)", "HOST:PORT,HOST:PORT"]) expect(words).toContain(word);
    expect(rows.some((row) => row.startsWith("  chat join alice"))).toBe(true);
  });
});
