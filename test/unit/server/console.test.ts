// The server console's lines: broadcasts, the command table (which also makes /help), /who per room.

import { describe, expect, test } from "bun:test";
import { CONSOLE_COMMANDS, type ConsoleServer, consoleHelp, consoleLine } from "../../../src/server/console.ts";
import { recordingLog } from "./fakes.ts";

function console(rooms: Array<{ name: string; names: string[] }> = [{ name: "lobby", names: [] }]) {
  const said: string[] = [];
  const kicked: Array<[string, number | undefined]> = [];
  const server: ConsoleServer = {
    rooms: () => rooms,
    announce(text) {
      said.push(text);
      return text.length > 10 ? { problem: "not sent: too long" } : { reached: 1 };
    },
    kick(name, banForMs) {
      kicked.push([name, banForMs]);
      return name !== "nobody";
    },
  };
  const { log, lines } = recordingLog();
  return { type: (line: string) => consoleLine(server, line, log), said, kicked, lines };
}

describe("the server console", () => {
  test("a line is a broadcast; //TEXT sends /TEXT; a blank line and a trailing CR are nothing", () => {
    const c = console();
    c.type("hello all\r");
    c.type("//slash");
    c.type("   ");
    c.type("much too long a line");
    expect(c.said).toEqual(["hello all", "/slash", "much too long a line"]);
    expect(c.lines).toEqual(["error not sent: too long"]);
  });

  test("/kick and /ban, with their usage and the nobody case", () => {
    const c = console();
    c.type("/kick bob");
    c.type("/ban eve 10m");
    c.type("/ban mallory");
    c.type("/kick nobody");
    c.type("/kick bob now");
    c.type("/ban x 3 weeks");
    c.type("/ban x forever");
    expect(c.kicked).toEqual([
      ["bob", undefined],
      ["eve", 600_000],
      ["mallory", Infinity],
      ["nobody", undefined],
    ]);
    expect(c.lines.slice(0, 3)).toEqual([
      'warn nobody named "nobody" is in the room',
      "warn usage: /kick NAME",
      "warn usage: /ban NAME [30s|10m|2h|1d]",
    ]);
    expect(c.lines[3]).toMatch(/^warn /);
  });

  test("/who names the default room 'the room' when it is the only one, and each room otherwise", () => {
    const one = console([{ name: "lobby", names: ["alice", "bob"] }]);
    one.type("/who");
    expect(one.lines).toEqual(["info 2 in the room: alice, bob"]);
    const two = console([
      { name: "lobby", names: [] },
      { name: "kitchen", names: ["carol"] },
    ]);
    two.type("/who");
    expect(two.lines).toEqual(["info nobody is in room lobby\n1 in room kitchen: carol"]);
  });

  test("/help lists every command of the table; without op, only those that do not act on members", () => {
    const c = console();
    c.type("/help");
    for (const command of CONSOLE_COMMANDS) expect(c.lines[0]).toContain(command.usage);
    expect(consoleHelp(true)[0]).toMatch(/^TEXT +broadcast TEXT/);
    expect(consoleHelp(true).at(-1)).toMatch(/^\/\/TEXT +broadcast a line that starts with \//);
    expect(consoleHelp(false).map((l) => l.split(" ")[0])).toEqual(["/who", "/help"]);
  });

  test("an unknown command is not sent", () => {
    const c = console();
    c.type("/nick x");
    expect(c.said).toEqual([]);
    expect(c.lines).toEqual(["warn unknown console command /nick: nothing was sent (type /help)"]);
  });
});
