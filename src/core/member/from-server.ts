// What a member or an operator takes from a datagram: from its server? → opened with the room's key → decoded → the clear-text rule.

import { type Envelope, isSealed, travelsInClear } from "../wire/envelope.ts";
import { decodeReplies, type Message } from "../wire/protocol.ts";

interface Address {
  readonly address: string;
  readonly port: number;
}

/** The datagram's messages, or why it was ignored (a line for the debug log). */
export type Opened = { messages: Message[] } | { ignored: string };

/**
 * `envelope` is the room's key once the challenge gave its salt; `passphrase` says whether the room has one, in
 * which case only what travelsInClear is taken from a datagram that was not sealed.
 */
export function openFrom(data: Uint8Array, from: Address, server: Address, envelope: Envelope | undefined, passphrase: boolean): Opened {
  if (from.port !== server.port || from.address !== server.address) {
    return { ignored: `ignored a datagram from ${from.address}:${from.port}, which is not the server` };
  }
  const sealed = isSealed(data);
  const plain = sealed ? envelope?.open(data) : data;
  if (!plain) return { ignored: "ignored a datagram that does not open with the room's key" };
  let messages: Message[];
  try {
    messages = decodeReplies(plain);
  } catch (err) {
    return { ignored: `ignored a bad datagram from the server: ${String(err)}` };
  }
  return { messages: passphrase && !sealed ? messages.filter(travelsInClear) : messages };
}
