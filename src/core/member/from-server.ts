// What a member or an operator takes from a datagram: from its server? → proven? → opened with the room's key → decoded → what may come unproven.

import { type Envelope, isSealed, travelsInClear } from "../wire/envelope.ts";
import { checkProof, type ReplayWindow, readProof } from "../wire/proof.ts";
import { decodeReplies, type Message, PROOF_MARK } from "../wire/protocol.ts";

interface Address {
  readonly address: string;
  readonly port: number;
}

/** The datagram's messages, or why it was ignored (a line for the debug log). */
export type Opened = { messages: Message[] } | { ignored: string };

/** A member's side of the proof layer: its session's key, and the counters accepted from this server. */
export interface ProofCheck {
  readonly key: Uint8Array;
  readonly window: ReplayWindow;
}

/**
 * `envelope` is the room's key once the challenge gave its salt; `passphrase` says whether the room has one, in
 * which case only what travelsInClear is taken from a datagram that was not sealed. With `proof` (a member), a
 * proven datagram is taken only when its tag is right and its counter new, and an unproven one only for what
 * travelsInClear allows: what the server sends before it can know who asks (the challenge to a bare knock) or when
 * it could not read the datagram (a wrong or missing passphrase, another version), for the same reason that it
 * cannot be sealed; such a message can stop a login, never touch a session. Without it (an operator, whose requests are signed instead), proven datagrams are ignored.
 */
export function openFrom(
  data: Uint8Array,
  from: Address,
  server: Address,
  envelope: Envelope | undefined,
  passphrase: boolean,
  proof?: ProofCheck,
): Opened {
  if (from.port !== server.port || from.address !== server.address) {
    return { ignored: `ignored a datagram from ${from.address}:${from.port}, which is not the server` };
  }
  const proven = data[0] === PROOF_MARK;
  let body = data;
  if (proven) {
    const p = readProof(data);
    if (!p || !proof || !checkProof(proof.key, "server", p)) return { ignored: "ignored a datagram whose proof is not this session's" };
    if (!proof.window.accept(p.counter)) return { ignored: "ignored a datagram seen before (replayed)" };
    body = p.body;
  }
  const sealed = isSealed(body);
  const plain = sealed ? envelope?.open(body) : body;
  if (!plain) return { ignored: "ignored a datagram that does not open with the room's key" };
  let messages: Message[];
  try {
    messages = decodeReplies(plain);
  } catch (err) {
    return { ignored: `ignored a bad datagram from the server: ${String(err)}` };
  }
  if (passphrase && !sealed) messages = messages.filter(travelsInClear);
  if (proof && !proven) {
    if (!messages.every(travelsInClear))
      return { ignored: "ignored a datagram without a proof (only a challenge or a refusal of a login comes without one)" };
  }
  return { messages };
}
