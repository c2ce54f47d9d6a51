// The operator's door and the files on disk, on dist/chat: no short admin token, wrong-token answers per IP address,
// a token file no planted symlink can redirect, and room databases only their user can read whatever the umask.

import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ABUSE, type Message } from "../../src/core/wire/protocol.ts";
import { CHAT_BIN, joinRoom, killAll, runChat, spawnServe, startChat } from "../helpers/processes.ts";
import { isType, RawPeer } from "../helpers/raw-peer.ts";
import { freeUdpPort } from "../helpers/socket.ts";

const peers: RawPeer[] = [];
const folders: string[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await killAll();
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

const TOKEN = "the-operator-s-long-secret";
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), "chat-hardening-"));
  folders.push(dir);
  return dir;
};
const modeOf = (path: string) => statSync(path).mode & 0o777;

/**
 * `chat serve` started by `sh -c`, so that the shell can prepare the ground first (`umask 022`, planted files) and
 * then become chat itself (exec keeps its pid: `$$` is the server's pid). `$1` is the port, `$CHAT` the binary.
 */
function serveThroughShell(prepare: string, port: number, flags: string[], env: Record<string, string>) {
  const script = `${prepare}\nexec "$CHAT" serve --host 127.0.0.1 --port "$1" --rate off ${flags.join(" ")}`;
  return startChat([String(port)], { command: ["sh", "-c", script, "sh"], env: { CHAT: CHAT_BIN, ...env } });
}

describe("a short admin token is refused", () => {
  const line = (source: string, length: number, advice: string) =>
    `[error] the admin token (${source}) must be at least 16 characters (this one has ${length}): ${advice}`;
  const serveAdvice = "choose a longer one, or give none and chat makes one";

  test("chat serve --admin-token 1, and CHAT_ADMIN_TOKEN of 15 characters: exit 1, one line, nothing listening", async () => {
    const serve = ["serve", "--host", "127.0.0.1", "--port", "0", "--data", ":memory:"];
    expect(await runChat([...serve, "--admin-token", "1"])).toEqual({ code: 1, out: [], err: [line("--admin-token", 1, serveAdvice)] });
    expect(await runChat(serve, { env: { CHAT_ADMIN_TOKEN: "x".repeat(15) } })).toEqual({
      code: 1,
      out: [],
      err: [line("CHAT_ADMIN_TOKEN", 15, serveAdvice)],
    });
  });

  test("chat admin --token x: exit 1 at once, by the same rule (it could never match a server's)", async () => {
    const port = await freeUdpPort();
    expect(await runChat(["admin", "hi", "--server", `127.0.0.1:${port}`, "--token", "x"])).toEqual({
      code: 1,
      out: [],
      err: [line("--token", 1, "no server takes one that short; give the server's")],
    });
  });
});

test("wrong-token requests from 64 ports of 127.0.0.1 get at most the address's allowance of answers; the right token still works from each", async () => {
  const server = await spawnServe([], { env: { CHAT_ADMIN_TOKEN: TOKEN } });
  const ports = await Promise.all(Array.from({ length: 64 }, () => RawPeer.open(server.port)));
  peers.push(...ports);
  const { server: serverId = "" } = await ports[0]!.knock(); // the id every signed request names
  for (const p of ports) p.server = serverId;
  const started = performance.now();
  let id = 0;
  for (let round = 0; round < 10; round++)
    for (const p of ports) p.send(p.signed({ type: "announce", id: ++id, text: "a guess" }, "a-guess-of-the-token"));
  // Then, from each port, a request with the right token: it is answered, and after the refusals sent to that port
  // (one socket's datagrams keep their order on loopback), so once every port has its answer, every refusal is in.
  await Promise.all(ports.map((p) => p.request(p.signed({ type: "who", id: 1, from: 0 }, TOKEN), isType("members"), 10_000)));
  const seconds = (performance.now() - started) / 1000;
  const refused = (m: Message) => m.type === "refused";
  const answers = ports.reduce((n, p) => n + p.received.filter(refused).length, 0);
  // Before: each port had its own allowance, and all 640 were answered. Now: the burst, and one a second after it.
  expect(answers).toBeGreaterThanOrEqual(1);
  expect(answers).toBeLessThanOrEqual(ABUSE.adminRefusalBurst + Math.ceil(seconds));
  expect(ports.flatMap((p) => p.received.filter(refused).map((m) => (m as { reason: string }).reason))).toContain("bad_token");
}, 20_000);

describe("the token file", () => {
  test("symlinks planted at the old predictable temporary name and at the token file's own name: their target is untouched", async () => {
    const state = folder();
    const dir = join(state, "chat");
    mkdirSync(dir, { mode: 0o700 }); // the shared state folder of the issue, as its attacker finds it: writable by them
    const target = join(state, "precious");
    writeFileSync(target, "the attacker's chosen file\n");
    chmodSync(target, 0o640);
    const port = await freeUdpPort();
    const file = join(dir, `admin-token-${port}`);
    // Before, the token went to `${file}.${pid}.tmp` (through any symlink there); $$ is the pid chat runs as.
    const plant = `umask 022\nln -s "$TARGET" "${file}.$$.tmp"\nln -s "$TARGET" "${file}"`;
    const server = serveThroughShell(plant, port, ["--data", ":memory:"], { XDG_STATE_HOME: state, TARGET: target });
    await server.err.waitFor(`admin token written to ${file}`);
    expect(readFileSync(target, "utf8")).toBe("the attacker's chosen file\n");
    expect(modeOf(target)).toBe(0o640);
    expect(lstatSync(file).isFile()).toBe(true);
    expect(modeOf(file)).toBe(0o600);
    expect(lstatSync(`${file}.${server.pid}.tmp`).isSymbolicLink()).toBe(true); // left alone, not written through
    // and the server's token is the one in the file: chat admin on this machine finds it
    const member = await joinRoom("alice", `127.0.0.1:${port}`);
    const admin = startChat(["admin", "the real token", "--server", `127.0.0.1:${port}`], { env: { XDG_STATE_HOME: state } });
    expect(await admin.proc.exited).toBe(0);
    await member.event({ type: "admin", text: "the real token" });
  });

  test("a state folder others may enter is refused: exit 1, one line naming it and what is wrong", async () => {
    const state = folder();
    const dir = join(state, "chat");
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const { code, out, err } = await runChat(["serve", "--host", "127.0.0.1", "--port", "0", "--data", ":memory:"], {
      env: { XDG_STATE_HOME: state },
    });
    expect({ code, out, err }).toEqual({
      code: 1,
      out: [],
      err: [
        `[error] cannot keep the admin token in ${dir}: its group or others may enter it (mode 0755; chmod 700 it) (or give one with --admin-token)`,
      ],
    });
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("the room databases, under umask 022", () => {
  test("the default data folder is made 0700, every database file (-wal and -shm too) 0600", async () => {
    const home = folder();
    const data = join(home, "share", "chat");
    const port = await freeUdpPort();
    const server = serveThroughShell("umask 022", port, ["--admin-token", TOKEN], { XDG_DATA_HOME: join(home, "share") });
    await server.err.waitFor(`room database: ${join(data, `room-${port}.db`)}`);
    const alice = await joinRoom("alice", `127.0.0.1:${port}`);
    const bob = await joinRoom("bob", `127.0.0.1:${port}`);
    alice.write("kept on disk\n");
    await bob.event({ type: "message", text: "kept on disk" });
    const carol = startChat(["join", "carol", "--server", `127.0.0.1:${port}`, "--room", "ops", "--json"]); // a second room, a second file
    await carol.event({ type: "welcome", name: "carol", room: "ops" });
    expect(modeOf(data)).toBe(0o700);
    const files = readdirSync(data).filter((f) => f.startsWith(`room-${port}`));
    expect(files).toEqual(expect.arrayContaining([`room-${port}.db`, `room-${port}.db-wal`, `room-${port}.db-shm`, `room-${port}-ops.db`]));
    for (const f of files) expect({ f, mode: modeOf(join(data, f)) }).toEqual({ f, mode: 0o600 });
    expect(server.err.text()).not.toContain("[warn]");
  });

  test("a --data folder the user made open to others is left so, with a warning; its databases are 0600", async () => {
    const data = folder();
    chmodSync(data, 0o755);
    const port = await freeUdpPort();
    const server = serveThroughShell("umask 022", port, ["--admin-token", TOKEN, "--data", data], {});
    await server.err.waitFor(
      `[warn] the data directory ${data} is not private: its group or others may enter it (mode 0755; chmod 700 it); its databases are 0600 all the same`,
    );
    await joinRoom("alice", `127.0.0.1:${port}`);
    expect(modeOf(data)).toBe(0o755);
    for (const f of readdirSync(data)) expect({ f, mode: modeOf(join(data, f)) }).toEqual({ f, mode: 0o600 });
  });
});
