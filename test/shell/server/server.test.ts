// startServer in-process, on a real socket (127.0.0.1, port 0): a raw peer logs in, the console's acts reach it, stop.

import { afterEach, expect, test } from "bun:test";
import { DEFAULT_ROOM } from "../../../src/core/wire/protocol.ts";
import { type RunningServer, startServer } from "../../../src/server/server.ts";
import { isType, RawPeer } from "../../helpers/raw-peer.ts";
import { recordingLog } from "../../unit/server/fakes.ts";

const open: Array<{ close(): void } | RunningServer> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await ("stop" in o ? o.stop() : o.close());
});

test("a member logs in; the console's /who, announce and kick reach it; stop frees the port", async () => {
  const { log, lines } = recordingLog();
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    token: (port) => `token for ${port}`,
    data: ":memory:",
    history: 20,
    peerTimeoutMs: 30_000,
    rate: undefined,
    maxMembers: 10,
    log,
  });
  open.push(server);
  const alice = await RawPeer.open(server.port);
  open.push(alice);
  const welcome = await alice.login("alice");
  expect(welcome.name).toBe("alice");
  expect(server.rooms()).toEqual([{ name: DEFAULT_ROOM, names: ["alice"] }]);
  expect(lines).toContain("info alice joined (1 in the room)");

  expect(server.announce("maintenance at noon")).toEqual({ reached: 1 });
  expect(await alice.waitFor(isType("admin"))).toEqual(expect.objectContaining({ text: "maintenance at noon" }));

  expect(server.kick("alice")).toBe(true);
  expect(await alice.waitFor(isType("refused"))).toEqual({ type: "refused", reason: "kicked" });
  expect(server.rooms()).toEqual([{ name: DEFAULT_ROOM, names: [] }]);
  expect(server.kick("alice")).toBe(false);

  open.splice(open.indexOf(server), 1);
  await server.stop();
  // the port is free again: the socket was closed
  const again = await Bun.udpSocket({ hostname: "127.0.0.1", port: server.port });
  again.close();
});
