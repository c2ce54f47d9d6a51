// `chat admin MESSAGE`: one administrator broadcast, repeated until the server confirms it or the time is up.

import { randomBytes } from "node:crypto";
import { formatHostPort, type HostPort } from "./core/address.ts";
import { decode, encode, MAX_TEXT_BYTES, TIMERS, textBytes, type Announce } from "./core/protocol.ts";
import { EXIT } from "./exit-codes.ts";
import type { Log } from "./log.ts";
import { anyAddressFor, openUdp, resolvePeer } from "./udp.ts";

export interface AnnounceOptions {
  server: HostPort;
  text: string;
  token?: string;
  log: Log;
}

const ANNOUNCE_MAX_WAIT_MS = 1000;

/** Resolves to the exit code: 0 once the server has confirmed the broadcast. */
export async function announce(opts: AnnounceOptions): Promise<number> {
  const { log } = opts;
  const bytes = textBytes(opts.text);
  if (bytes === 0) return fail(log, EXIT.error, "the message is empty");
  if (bytes > MAX_TEXT_BYTES) return fail(log, EXIT.error, `the message is ${bytes} bytes (max ${MAX_TEXT_BYTES})`);
  let server;
  try {
    server = await resolvePeer(opts.server);
  } catch (err) {
    return fail(log, EXIT.error, (err as Error).message);
  }
  // One id for every copy: the server shows a repeated announce once and acknowledges each copy.
  const msg: Announce = { type: "announce", id: randomBytes(4).readUInt32BE(), text: opts.text };
  if (opts.token !== undefined) msg.token = opts.token;
  const datagram = encode(msg);

  let settle: (code: number) => void = () => {};
  const settled = new Promise<number>((resolve) => (settle = resolve));
  const udp = await openUdp({
    hostname: anyAddressFor(server),
    port: 0,
    log,
    onDatagram(data, from) {
      if (from.address !== server.address || from.port !== server.port) return;
      let replies;
      try {
        replies = decode(data);
      } catch (err) {
        return log.debug(`ignored a bad datagram from the server: ${String(err)}`);
      }
      for (const reply of replies) {
        if (reply.type === "ack" && reply.id === msg.id) {
          log.success(`broadcast to ${reply.count ?? 0} member(s)`);
          settle(EXIT.ok);
        } else if (reply.type === "refused" && reply.id === msg.id) {
          settle(
            reply.reason === "bad_token"
              ? fail(log, EXIT.refused, "refused: wrong or missing admin token (give the server's with --token or CHAT_ADMIN_TOKEN)")
              : fail(log, EXIT.refused, `refused: ${reply.reason}`),
          );
        }
      }
    },
  });

  const deadline = Date.now() + TIMERS.answerTimeoutMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Nothing is measured in a one-shot tool: back off from half the retry interval, doubling, at most 1 s apart,
  // so that five tries fit in the answer timeout even on a lossy network.
  let wait: number = TIMERS.retryMs / 2;
  const attempt = () => {
    if (Date.now() >= deadline) {
      const where = formatHostPort(opts.server);
      return settle(fail(log, EXIT.noAnswer, `no answer from ${where} within ${TIMERS.answerTimeoutMs / 1000} s: is \`chat serve\` running there?`));
    }
    udp.send(datagram, server);
    timer = setTimeout(attempt, Math.min(wait, deadline - Date.now()));
    wait = Math.min(wait * 2, ANNOUNCE_MAX_WAIT_MS);
  };
  attempt();
  const code = await settled;
  clearTimeout(timer);
  udp.close();
  return code;
}

function fail(log: Log, code: number, message: string): number {
  log.error(message);
  return code;
}
