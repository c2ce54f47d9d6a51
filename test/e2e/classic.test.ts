// `chat serve --classic`: the original exercise's clients (a minimal one is written here) and `chat join` members in one room.

import { afterEach, expect, test } from "bun:test";
import { parseClassic } from "../../src/core/wire/classic.ts";
import { joinRoom, killAll, spawnServe } from "../helpers/processes.ts";
import { local, openTestSocket, type UdpEndpoint } from "../helpers/socket.ts";
import { waitUntil } from "../helpers/wait.ts";

/** A client of the original design: text datagrams, `L name` / `C name text` / `Q name`, and whatever lines come back. */
class ClassicClient {
  readonly lines: string[] = [];
  private constructor(
    private readonly socket: UdpEndpoint,
    private readonly port: number,
  ) {}

  static async open(port: number): Promise<ClassicClient> {
    let client: ClassicClient | undefined;
    const socket = await openTestSocket((data) => void client?.lines.push(new TextDecoder().decode(data)));
    client = new ClassicClient(socket, port);
    clients.push(client);
    return client;
  }

  send(text: string): void {
    this.socket.send(new TextEncoder().encode(text), local(this.port));
  }

  waitFor(line: string, ms = 3000): Promise<string> {
    return waitUntil(
      () => this.lines.find((l) => l === line),
      ms,
      () => `the line ${JSON.stringify(line)}; got ${JSON.stringify(this.lines)}`,
    );
  }

  close(): void {
    this.socket.close();
  }
}

const clients: ClassicClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await killAll();
});

test("classic clients and chat join members converse in one room, each in its own protocol", async () => {
  const server = await spawnServe(["--classic"]);
  const bob = await joinRoom("bob", server.address);
  const wang = await ClassicClient.open(server.port);

  wang.send("L 老王");
  await wang.waitFor("OK");
  await bob.event({ type: "join", name: "老王" });

  wang.send("C 老王 大家好");
  await bob.event({ type: "message", from: "老王", text: "大家好" });
  bob.write("hi 老王, \x1b[31mred\n");
  await wang.waitFor("bob : hi 老王, ␛[31mred"); // made safe for the original client's terminal too

  server.write("下课了\n");
  await wang.waitFor("管理员消息 : 下课了");
  await bob.event({ type: "admin", text: "下课了" });

  const alice = await joinRoom("alice", server.address);
  await wang.waitFor("欢迎 alice 进入聊天室");
  await alice.event({ type: "welcome", members: ["bob", "老王"] });

  const impostor = await ClassicClient.open(server.port);
  impostor.send("L 老王");
  await impostor.waitFor("该用户已存在");
  impostor.send("C 老王 I am not 老王"); // the name in C is a claim: the server goes by the address, and this one is nobody
  alice.write("/who\n");
  await alice.event({ type: "members", names: ["bob", "老王", "alice"], count: 3 });

  wang.send("Q 老王");
  await wang.waitFor("EXIT");
  await bob.event({ type: "leave", name: "老王", reason: "quit" });
  expect(bob.out.text()).not.toContain("I am not");
  expect(wang.lines).not.toContain("欢迎 老王 进入聊天室"); // nobody is welcomed to itself
});

test("without --classic a classic datagram is just a bad datagram", async () => {
  const server = await spawnServe();
  const bob = await joinRoom("bob", server.address);
  const wang = await ClassicClient.open(server.port);
  wang.send("L 老王");
  bob.write("still fine\n");
  const alice = await joinRoom("alice", server.address);
  await alice.event({ type: "welcome", members: ["bob"] });
  expect(wang.lines).toEqual([]);
});

test("the classic requests, parsed", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  expect(parseClassic(bytes("L 老王"))).toEqual({ kind: "login", name: "老王" });
  expect(parseClassic(bytes("C u1 T00ff some text\n"))).toEqual({ kind: "chat", name: "u1", text: "T00ff some text" });
  expect(parseClassic(bytes("Q u1"))).toEqual({ kind: "quit", name: "u1" });
  for (const bad of ["L ", "C u1", "C u1 ", "X u1", "Lu1", `C u1 ${"x".repeat(1001)}`]) expect(parseClassic(bytes(bad))).toBeUndefined();
  expect(parseClassic(new Uint8Array([0x43, 0x20, 0xff, 0xfe]))).toBeUndefined();
});
