// Pacing instead of refusing, on the compiled binary with the server's default limits: a bot's 20 piped lines and a member's 12 at once all arrive.

import { afterEach, expect, test } from "bun:test";
import { CHAT_BIN, joinRoom, killAll, startChat } from "../helpers/processes.ts";
import { waitUntil } from "../helpers/wait.ts";

afterEach(killAll);

/** `chat serve` with its default limits (spawnServe turns the rate off), in memory, on a free port. */
async function serveWithDefaults() {
  const server = startChat(["serve", "--host", "127.0.0.1", "--port", "0", "--data", ":memory:"]);
  const line = await server.err.waitFor(/listening on 127\.0\.0\.1:\d+/);
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(line)![1]);
  return { ...server, port, address: `127.0.0.1:${port}` };
}

/** The texts `from` said, as a --json member received them, in order. */
const textsFrom = (member: { events(): Array<Record<string, unknown>> }, from: string) =>
  member
    .events()
    .filter((e) => e.type === "message" && e.from === from)
    .map((e) => e.text);

const REFUSAL = /faster than the room allows|not sent|not delivered|refused/;

test("printf of 20 lines piped into chat join bot: a --json member receives all 20, in order, once; the bot exits 0 and printed no refusal", async () => {
  const server = await serveWithDefaults();
  const watcher = await joinRoom("watcher", server.address);
  const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
  const bot = startChat(
    ["-c", `printf '%s\\n' ${lines.map((l) => `'${l}'`).join(" ")} | '${CHAT_BIN}' join bot --server ${server.address}`],
    {
      command: ["sh"],
    },
  );
  expect(await bot.proc.exited).toBe(0);
  await bot.err.closed;
  expect(bot.err.text()).not.toMatch(REFUSAL);
  // the bot left only once every line was acknowledged, so they are all in the room by now (give the fan-out a moment)
  await watcher.event({ type: "leave", name: "bot" });
  expect(textsFrom(watcher, "bot")).toEqual(lines);
}, 60_000);

test("12 lines written at once to the stdin of a member that stays: all 12 arrive, in order, once", async () => {
  const server = await serveWithDefaults();
  const watcher = await joinRoom("watcher", server.address);
  const ann = await joinRoom("ann", server.address);
  const lines = Array.from({ length: 12 }, (_, i) => `pasted ${i + 1}`);
  ann.write(`${lines.join("\n")}\n`);
  await waitUntil(
    () => textsFrom(watcher, "ann").length >= 12,
    30_000,
    () => `12 lines; got ${textsFrom(watcher, "ann").join(", ")}`,
  );
  ann.write("and one more\n"); // anything doubled would have come before it
  await watcher.event({ type: "message", from: "ann", text: "and one more" }, 10_000);
  expect(textsFrom(watcher, "ann")).toEqual([...lines, "and one more"]);
  expect(ann.proc.exitCode).toBeNull();
  expect(ann.err.text()).not.toMatch(REFUSAL);
}, 60_000);
