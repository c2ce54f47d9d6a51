// A real nats-server with JetStream for the cluster tests: a free port, a store of its own, killed and reaped by killAll.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Chat, startChat } from "./processes.ts";

/** Whether nats-server is installed (Debian: apt-get install nats-server). CI installs it and sets CHAT_REQUIRE_NATS=1. */
export const hasNats = Bun.which("nats-server") !== null || process.env.CHAT_REQUIRE_NATS === "1";

export interface Nats {
  readonly url: string;
  readonly port: number;
  readonly store: string;
  readonly proc: Chat["proc"];
  /** What it wrote on stderr (its log). */
  readonly log: () => string;
}

/**
 * Starts nats-server -js on 127.0.0.1; resolves once it accepts clients. Without `again`, on a port it picks and a
 * new store; with it, on that server's port and store (a restart).
 */
export async function startNats(again?: Nats): Promise<Nats> {
  const store = again?.store ?? mkdtempSync(join(tmpdir(), "chat-nats-"));
  // -p -1: any free port; the log line that says which goes to stderr.
  const port = again ? String(again.port) : "-1";
  const nats = startChat([], { command: ["nats-server", "-js", "-a", "127.0.0.1", "-p", port, "-sd", store] });
  const line = await nats.err.waitFor(/Listening for client connections on 127\.0\.0\.1:\d+/, 10_000);
  const bound = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
  return { url: `nats://127.0.0.1:${bound}`, port: bound, store, proc: nats.proc, log: () => nats.err.text() };
}
