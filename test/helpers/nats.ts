// A real nats-server with JetStream for the cluster tests: a free port, a store of its own, killed and reaped by killAll.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChat } from "./processes.ts";

/** Whether nats-server is installed (Debian: apt-get install nats-server). CI installs it and sets CHAT_REQUIRE_NATS=1. */
export const hasNats = Bun.which("nats-server") !== null || process.env.CHAT_REQUIRE_NATS === "1";

/** Starts nats-server -js on 127.0.0.1 and a port it picks; resolves to its URL once it accepts clients. */
export async function startNats(): Promise<{ url: string; store: string }> {
  const store = mkdtempSync(join(tmpdir(), "chat-nats-"));
  // -p -1: any free port; the log line that says which goes to stderr.
  const nats = startChat([], { command: ["nats-server", "-js", "-a", "127.0.0.1", "-p", "-1", "-sd", store] });
  const line = await nats.err.waitFor(/Listening for client connections on 127\.0\.0\.1:\d+/, 10_000);
  return { url: `nats://${/127\.0\.0\.1:\d+/.exec(line)![0]}`, store };
}
