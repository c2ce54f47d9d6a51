// Where a browser member is, to the room: its IP address and a port past UDP's range that its page chose, so that a
// reconnecting page is the same member (the room's "repeated hello gets the same welcome" works for it unchanged).

import { FIRST_WEB_PORT, type Peer } from "../core/room/roster.ts";

/** The page's own name for itself: 16 lowercase hex digits, drawn once per page load (`/ws?client=…`). */
export const CLIENT_PATTERN = /^[0-9a-f]{16}$/;

/**
 * The peer of a page's WebSocket. The port is FIRST_WEB_PORT plus 31 bits of an FNV-1a hash of the client id: the
 * same on every reconnect of one page, and two pages from one address collide once in two billion (the second then
 * reads as a reconnect of the first and is refused name_taken or given its welcome, never another's session:
 * the room authenticates by session id too).
 */
export function webPeer(address: string, client: string): Peer {
  let hash = 0x811c9dc5;
  for (let i = 0; i < client.length; i++) hash = Math.imul(hash ^ client.charCodeAt(i), 0x01000193);
  return { address, port: FIRST_WEB_PORT + (hash >>> 1) };
}
