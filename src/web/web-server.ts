// `chat serve`'s web side: the page at "/" (embedded in the binary, bundled by Bun), and browser members over a
// WebSocket at "/ws", who are members like any other: their requests go to the same Dispatch as datagrams do.

import type { Server, ServerWebSocket } from "bun";
import { type KeyedLimiter, limiterFor } from "../core/limiter.ts";
import type { Peer, Rate } from "../core/room/room.ts";
import {
  ABUSE,
  decodeRequests,
  encode,
  isAdminRequest,
  MAX_DATAGRAM_BYTES,
  type Reply,
  type Request as Requested,
  VersionError,
  versionRefusal,
} from "../core/wire/protocol.ts";
import type { Log } from "../runtime/log.ts";
import type { BudgetedRequester } from "../server/answer.ts";
import page from "./page/index.html";
import { CLIENT_PATTERN, webPeer } from "./web-peer.ts";
import type { WebSockets } from "./web-sockets.ts";

/** A page that does not read what it is sent is closed past this many bytes waiting in its socket. */
export const WEB_SEND_BUFFER_BYTES = 1024 * 1024;

export interface WebOptions {
  hostname: string;
  /** 0: any free port. */
  port: number;
  sockets: WebSockets;
  /** Where a browser member's requests go (Dispatch.handle). */
  handle(msg: Requested, answer: BudgetedRequester, now: number): void;
  /** Messages per page, before any decoding (the datagram allowance's twin); undefined: unlimited. */
  allowance: Rate | undefined;
  log: Log;
}

interface Connection {
  peer: Peer;
  address: string;
}

export interface RunningWeb {
  readonly port: number;
  stop(): Promise<void>;
}

/** Listens for the page and its WebSocket. Rejects with a one-line Error when the port cannot be had. */
export function startWeb(opts: WebOptions): RunningWeb {
  const perAddress = new Map<string, number>();
  const messages: KeyedLimiter | undefined = limiterFor(opts.allowance, ABUSE.trackedAddresses);
  let server: Server<Connection>;
  try {
    server = Bun.serve<Connection>({
      hostname: opts.hostname,
      port: opts.port,
      development: false,
      routes: { "/": page },
      fetch: (req, srv) => upgrade(req, srv, perAddress, opts.log),
      websocket: {
        maxPayloadLength: MAX_DATAGRAM_BYTES,
        backpressureLimit: WEB_SEND_BUFFER_BYTES,
        closeOnBackpressureLimit: true,
        open: (ws) => opts.sockets.attach(ws.data.peer, ws),
        message: (ws, data) => onMessage(ws, data, messages, opts),
        close: (ws) => {
          opts.sockets.detach(ws.data.peer, ws);
          const left = (perAddress.get(ws.data.address) ?? 1) - 1;
          if (left > 0) perAddress.set(ws.data.address, left);
          else perAddress.delete(ws.data.address);
        },
      },
    });
  } catch (err) {
    const where = `${opts.hostname}:${opts.port}`;
    if (String(err).includes("EADDRINUSE") || String(err).includes("in use"))
      throw new Error(`cannot serve the web page on ${where}: the port is already in use (pick another with --web PORT, or --web off)`);
    throw new Error(`cannot serve the web page on ${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    port: server.port ?? opts.port,
    stop: async () => {
      opts.sockets.closeAll();
      await server.stop(true);
    },
  };
}

/** "/ws" from the page's own origin, with its client id and within its address's connections: upgraded. */
function upgrade(req: Request, srv: Server<Connection>, perAddress: Map<string, number>, log: Log): Response | undefined {
  const url = new URL(req.url);
  // A browser asks for an icon on its own: none, without an error in the page's console.
  if (url.pathname === "/favicon.ico") return new Response(null, { status: 204 });
  if (url.pathname !== "/ws") return new Response("not found", { status: 404 });
  // Cross-site WebSocket hijacking: a page elsewhere may open a socket here with the visitor's network position.
  const origin = req.headers.get("origin");
  if (origin !== null && originHost(origin) !== req.headers.get("host")) {
    log.debug(`refused a WebSocket from origin ${origin}`);
    return new Response("this WebSocket serves the page of its own origin only", { status: 403 });
  }
  const client = url.searchParams.get("client") ?? "";
  if (!CLIENT_PATTERN.test(client)) return new Response("missing or malformed ?client= (16 lowercase hex digits)", { status: 400 });
  const address = srv.requestIP(req)?.address ?? "";
  const open = perAddress.get(address) ?? 0;
  if (open >= ABUSE.webConnectionsPerAddress) return new Response("too many connections from this address", { status: 429 });
  if (!srv.upgrade(req, { data: { peer: webPeer(address, client), address } }))
    return new Response("expected a WebSocket", { status: 426 });
  perAddress.set(address, open + 1);
  return undefined;
}

const originHost = (origin: string): string | undefined => {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
};

const utf8 = new TextEncoder();
const utf8Out = new TextDecoder();

/** One message from a page: this protocol's frames, decoded as a datagram's are, each to Dispatch. */
function onMessage(ws: ServerWebSocket<Connection>, data: string | Buffer, messages: KeyedLimiter | undefined, opts: WebOptions): void {
  const now = Date.now();
  const { peer } = ws.data;
  if (messages && !messages.take(`${peer.address}|${peer.port}`, now)) return;
  const bytes = typeof data === "string" ? utf8.encode(data) : new Uint8Array(data);
  let requests: Requested[];
  try {
    requests = decodeRequests(bytes);
  } catch (err) {
    if (err instanceof VersionError && err.version !== undefined) ws.send(utf8Out.decode(versionRefusal(err.version)));
    return opts.log.debug(`dropped a WebSocket message from ${peer.address}: ${String(err)}`);
  }
  const answer = requester(ws);
  for (const msg of requests) {
    // An operator signs its requests and sends them by datagram; a page is a member.
    if (isAdminRequest(msg)) continue;
    opts.handle(msg, answer, now);
  }
}

/** Answers over the page's socket: a connection proved its address, so no budget and no proof. */
function requester(ws: ServerWebSocket<Connection>): BudgetedRequester {
  const send = (datagram: Uint8Array) => void ws.send(utf8Out.decode(datagram));
  return {
    from: ws.data.peer,
    send,
    reply: (msg: Reply) => send(encode(msg)),
    trust: () => {},
    plainBudget: () => Number.POSITIVE_INFINITY,
    proveWith: () => {},
  };
}
