// The room in Chinese when the locale says so, plain bytes in a pipe, and the server console's line per join, leave and broadcast.

import { afterEach, expect, test } from "bun:test";
import { joinRoom, killAll, spawnServe, startChat } from "../helpers/processes.ts";

afterEach(killAll);

/** A locale that names no language of its own, so that LANG alone decides (as on a machine with only LANG set). */
const NEUTRAL = { LC_ALL: undefined, LC_MESSAGES: undefined };

test("LANG=zh_CN.UTF-8 gives the original room's phrasing, in a pipe with no escape byte; JSON is the same in any language", async () => {
  const server = await spawnServe();
  const zh = startChat(["join", "小明", "--server", server.address], { env: { ...NEUTRAL, LANG: "zh_CN.UTF-8", NO_COLOR: undefined } });
  await zh.out.waitFor("你以 小明 的身份进入聊天室，目前只有你一人");
  const bot = await joinRoom("机器人", server.address, { env: { ...NEUTRAL, LANG: "zh_CN.UTF-8" } });
  const bob = await joinRoom("bob", server.address);

  await zh.out.waitFor("bob 进入聊天室");
  bob.write("hi\n");
  await zh.out.waitFor("bob 说：hi");
  server.write("今晚维护\n");
  await zh.out.waitFor("管理员消息：今晚维护");
  bob.end();
  await zh.out.waitFor("bob 退出了聊天室");

  await bot.event({ type: "leave", name: "bob", reason: "quit" });
  expect(bot.events().find((e) => e.type === "message")).toMatchObject({ type: "message", from: "bob", text: "hi" });
  expect(bot.out.text()).not.toMatch(/说|进入|退出|管理员/);
  for (const text of [zh.out.text(), zh.err.text()]) expect(text).not.toContain("\x1b");
});

test("English when the locale is not Chinese", async () => {
  const server = await spawnServe();
  const en = startChat(["join", "amy", "--server", server.address], { env: { ...NEUTRAL, LANG: "en_GB.UTF-8" } });
  await en.out.waitFor("joined as amy; nobody else is here yet");
  const bob = await joinRoom("bob", server.address);
  bob.write("hello\n");
  await en.out.waitFor("bob: hello");
});

test("the server console has a line per join, leave and broadcast with the member count; --quiet leaves only the essentials", async () => {
  const loud = await spawnServe();
  const quiet = await spawnServe(["--quiet"]);
  for (const server of [loud, quiet]) {
    const alice = await joinRoom("alice", server.address);
    const bob = await joinRoom("bob", server.address);
    server.write("hello all\n");
    await alice.event({ type: "admin", text: "hello all" });
    bob.end();
    await alice.event({ type: "leave", name: "bob", reason: "quit" });
  }
  await loud.err.waitFor("alice joined (1 in the room)");
  await loud.err.waitFor("bob joined (2 in the room)");
  await loud.err.waitFor('admin broadcast "hello all" to 2 member(s)');
  await loud.err.waitFor("bob left (1 in the room)");
  expect(quiet.err.text()).toContain("listening on 127.0.0.1:");
  expect(quiet.err.text()).not.toMatch(/joined|left|broadcast/);
});
