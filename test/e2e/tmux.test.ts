// `chat join` in a real terminal (tmux) as a person uses it: the line being typed stays intact while the room talks, wide characters line up.

import { afterEach, describe, expect, test } from "bun:test";
import { displayWidth } from "../../src/core/screen/width.ts";
import { chatBinary, joinRoom, killAll, STATE_HOME, spawnServe, startChat } from "../helpers/processes.ts";
import { hasTmux, TmuxPane } from "../helpers/tmux.ts";

const panes: TmuxPane[] = [];
afterEach(async () => {
  await Promise.all(panes.splice(0).map((p) => p.close()));
  await killAll();
});

async function joinInTmux(
  name: string,
  address: string,
  size: { columns: number; rows: number },
  env: Record<string, string | undefined> = {},
) {
  const pane = await TmuxPane.start([...chatBinary(), "join", name, "--server", address], { ...size, env });
  panes.push(pane);
  await pane.waitForScreen((rows) => rows.some((r) => r.startsWith(`joined as ${name}`)), "the welcome");
  return pane;
}

/** Rows without their `HH:MM ` timestamps (a terminal shows them by default). */
const untimed = (rows: string[]) => rows.map((r) => r.replace(/^\d\d:\d\d /, ""));
/** The index of the last row with something on it: where the input line is. */
const lastUsed = (rows: string[]) => rows.findLastIndex((r) => r !== "");

describe.skipIf(!hasTmux)("in tmux", () => {
  test("a half-typed line stays intact, the cursor after it, while three messages arrive above it; Enter sends all of it", async () => {
    const server = await spawnServe();
    const bob = await joinRoom("bob", server.address);
    const pane = await joinInTmux("alice", server.address, { columns: 60, rows: 12 });
    await bob.event({ type: "join", name: "alice" });

    const half = "alice> half of a line, 半句";
    await pane.type("half of a line, 半句");
    await pane.waitForScreen((rows) => rows.includes(half), "the half line");
    for (const text of ["first", "second", "third"]) bob.write(`${text}\n`);
    const rows = untimed(await pane.waitForScreen((rows) => untimed(rows).includes("bob: third"), "the third message"));

    const input = lastUsed(rows);
    expect(rows.slice(input - 3, input + 1)).toEqual(["bob: first", "bob: second", "bob: third", half]);
    expect(await pane.cursor()).toEqual({ x: displayWidth(half), y: input });

    await pane.press("Enter");
    await bob.event({ type: "message", from: "alice", text: "half of a line, 半句" });
    const after = untimed(
      await pane.waitForScreen((rows) => untimed(rows).includes("alice: half of a line, 半句"), "the sent line, confirmed"),
    );
    expect(after[lastUsed(after)]).toBe("alice>");
  });

  test("Chinese and emoji in names and messages line up, wrap and redraw with no stray characters", async () => {
    const server = await spawnServe();
    const lilei = await joinRoom("李雷", server.address);
    const pane = await joinInTmux("小明", server.address, { columns: 40, rows: 10 });
    await lilei.event({ type: "join", name: "小明" });

    await pane.type("x我在打字😀");
    lilei.write("你好😀世界\n");
    await pane.waitForScreen((rows) => untimed(rows).includes("李雷: 你好😀世界"), "the first message");
    // 6 + 11 + 22 columns fill 39 of 40: "千" (2 wide) no longer fits, and goes to the next row, whole.
    await pane.type("一二三四五六七八九十百千");
    lilei.write("第二条 🎉 end\n");
    // The message is drawn above the line being typed, which is then drawn again: wait for both, then check every row.
    let rows = untimed(
      await pane.waitForScreen(
        (rows) => untimed(rows).includes("李雷: 第二条 🎉 end") && untimed(rows).includes("小明> x我在打字😀一二三四五六七八九十百"),
        "the second message, and the line being typed below it",
      ),
    );
    expect(rows).toEqual([
      "joined as 小明; also here: 李雷",
      "/help: commands; Ctrl-D or /quit: leave", // the first steps, once, under the welcome
      "李雷: 你好😀世界",
      "李雷: 第二条 🎉 end",
      "小明> x我在打字😀一二三四五六七八九十百",
      "千",
      "",
      "",
      "",
      "",
    ]);
    expect(await pane.cursor()).toEqual({ x: 2, y: 5 });

    // Two to the left (before 百), delete 十: the line is one row again, the cursor between 九 and 百.
    await pane.press("Left", "Left", "BSpace");
    rows = untimed(
      await pane.waitForScreen((rows) => untimed(rows).includes("小明> x我在打字😀一二三四五六七八九百千"), "the edited line"),
    );
    expect(rows.slice(4)).toEqual(["小明> x我在打字😀一二三四五六七八九百千", "", "", "", "", ""]);
    expect(await pane.cursor()).toEqual({ x: displayWidth("小明> x我在打字😀一二三四五六七八九"), y: 4 });

    await pane.press("Enter");
    await lilei.event({ type: "message", from: "小明", text: "x我在打字😀一二三四五六七八九百千" });
  });

  test("after the window is made narrower, the line being typed is drawn once, wrapped to the new width", async () => {
    const server = await spawnServe();
    const bob = await joinRoom("bob", server.address);
    const pane = await joinInTmux("alice", server.address, { columns: 60, rows: 8 });
    await pane.type("a long line, 一二三四五六七八九十, that wraps");
    await pane.waitForScreen((rows) => rows.includes("alice> a long line, 一二三四五六七八九十, that wraps"), "the typed line");
    await pane.resize(30, 8);
    bob.write("after the resize\n");
    // The message, then the line being typed drawn again below it: wait for both (the redraw follows the message).
    const rows = untimed(
      await pane.waitForScreen((rows) => {
        const shown = untimed(rows);
        return shown.includes("bob: after the resize") && shown.includes("六七八九十, that wraps");
      }, "the message and the line wrapped below it"),
    );
    const input = lastUsed(rows);
    // 7 + 13 + 10 columns fill the 30 exactly: "六" starts the second row.
    expect(rows.slice(input - 2, input + 1)).toEqual(["bob: after the resize", "alice> a long line, 一二三四五", "六七八九十, that wraps"]);
    expect(rows.filter((r) => r.includes("alice> "))).toHaveLength(1);
  });

  test("NO_COLOR=1 gives a terminal no colour, and without it names are coloured", async () => {
    const server = await spawnServe();
    const bob = await joinRoom("bob", server.address);
    const plain = await joinInTmux("plain", server.address, { columns: 60, rows: 8 }, { NO_COLOR: "1" });
    const coloured = await joinInTmux("coloured", server.address, { columns: 60, rows: 8 });
    bob.write("look at me\n");
    for (const pane of [plain, coloured]) await pane.waitForScreen((rows) => untimed(rows).includes("bob: look at me"), "the message");
    expect(await plain.screenWithAttributes()).not.toContain("\x1b[");
    expect(await coloured.screenWithAttributes()).toContain("\x1b[");
  });

  test("a paste of 10 lines arrives whole on another member's screen, in order, with the server's default limits", async () => {
    const server = startChat(["serve", "--host", "127.0.0.1", "--port", "0", "--data", ":memory:"]); // spawnServe turns the rate off
    const port = /listening on 127\.0\.0\.1:(\d+)/.exec(await server.err.waitFor(/listening on 127\.0\.0\.1:\d+/))![1];
    const address = `127.0.0.1:${port}`;
    const carol = await joinInTmux("carol", address, { columns: 60, rows: 16 });
    const alice = await joinInTmux("alice", address, { columns: 60, rows: 16 });
    const lines = Array.from({ length: 10 }, (_, i) => `pasted line ${i + 1}`);
    await alice.type(`${lines.join("\r")}\r`); // one send-keys: the terminal gets the ten lines at once, as a paste
    const said = lines.map((l) => `alice: ${l}`);
    const rows = untimed(await carol.waitForScreen((rows) => untimed(rows).includes(said.at(-1)!), "the tenth line", 20_000));
    expect(rows.filter((r) => r.startsWith("alice: "))).toEqual(said);
  }, 30_000);

  test("the wrap spoof: a message padded to the width cannot make a row that begins like a line of its own", async () => {
    const server = await spawnServe();
    const bob = await joinRoom("bob", server.address);
    const pane = await joinInTmux("alice", server.address, { columns: 60, rows: 30 });
    await bob.event({ type: "join", name: "alice" });
    // "HH:MM bob: " is 11 columns, so 49 of padding puts the bait at column 0 of the next row, were the terminal to
    // wrap; a spoofer unsure of the prefix tries a few paddings around it, and one with a wide character at the edge.
    const baits = ["12:34 [admin] the server will restart", "12:34 dave joined"];
    const texts = [
      ...[47, 48, 49, 50].flatMap((pad) => baits.map((bait) => "x".repeat(pad) + bait)),
      `${"x".repeat(48)}中${baits[0]}`,
      // (U+2028 is not here: a member's stdin is read as lines, and U+2028 ends one there; see render.test.ts.)
      "zero\u200bwidth\u2060joiner\ufeff, marks\u200e\u200f\u061c\u202e and all",
    ];
    for (const text of texts) bob.write(`${text}\n`);
    const last = "zerowidthjoiner, marks and all";
    const rows = await pane.waitForScreen((rows) => rows.some((r) => r.endsWith(last)), "the last message", 10_000);

    // Every row that begins with a timestamp is a line the server sent: bob's message, the rest indented under it.
    const timed = rows.filter((r) => /^\d\d:\d\d /.test(r));
    expect(timed).toHaveLength(texts.length);
    for (const row of timed) expect(row).toMatch(/^\d\d:\d\d bob: /);
    for (const row of rows) expect(row).not.toMatch(/^(\d\d:\d\d )?(\[admin\]|dave joined)/);
    // And each message's text is all there: its first row, then its continuation rows without their mark.
    const starts = rows.flatMap((row, at) => (/^\d\d:\d\d /.test(row) ? [at] : []));
    const shown = starts.map((at) => {
      let end = at + 1;
      while (rows[end]?.startsWith("  ")) end++;
      return [rows[at]!.replace(/^\d\d:\d\d bob: /, ""), ...rows.slice(at + 1, end).map((r) => r.slice(2))].join("");
    });
    expect(shown).toEqual([...texts.slice(0, -1), last]);
    for (const row of rows) expect(displayWidth(row)).toBeLessThanOrEqual(60);
  });

  test("Ctrl-C with text clears the line and stays; Ctrl-C on the empty line leaves the room: exit 0, the others told", async () => {
    const server = await spawnServe();
    const bob = await joinRoom("bob", server.address);
    const pane = await joinInTmux("alice", server.address, { columns: 60, rows: 8 });
    await pane.type("never sent");
    await pane.waitForScreen((rows) => rows.includes("alice> never sent"), "the typed line");
    await pane.press("C-c");
    await pane.waitForScreen((rows) => rows[lastUsed(rows)] === "alice>", "the line cleared, the prompt still there");
    bob.write("still here?\n");
    await pane.waitForScreen((rows) => untimed(rows).includes("bob: still here?"), "the room, still shown");
    expect(bob.out.text()).not.toContain('"type":"leave"');
    await pane.press("C-c");
    await bob.event({ type: "leave", name: "alice", reason: "quit" });
    expect(await pane.exitStatus()).toBe(0);
    expect(bob.out.text()).not.toContain("never sent");
  });
});

describe.skipIf(!hasTmux)("chat serve in a terminal", () => {
  test("prints the web page's address and, in a terminal, its QR code (the compiled binary renders it)", async () => {
    const pane = await TmuxPane.start([...chatBinary(), "serve", "--host", "127.0.0.1", "--port", "0", "--data", ":memory:"], {
      columns: 100,
      rows: 40,
      env: { XDG_STATE_HOME: STATE_HOME }, // its admin token file where the tests keep theirs
    });
    panes.push(pane);
    const rows = await pane.waitForScreen((r) => r.some((row) => row.includes("or in a browser: http://127.0.0.1:")), "the address line");
    const at = rows.findIndex((row) => row.includes("or in a browser:"));
    // a QR code in half blocks: a frame of full and upper-half blocks, at least 21 modules wide (version 1)
    const qr = (
      await pane.waitForScreen((r) => r.slice(at + 1).filter((row) => /^[█▀▄ ]{21,}$/.test(row.trimEnd())).length >= 10, "the QR code")
    ).slice(at + 1);
    expect(qr.filter((row) => /^[█▀▄ ]{21,}$/.test(row.trimEnd())).length).toBeGreaterThanOrEqual(10);
  });
});
