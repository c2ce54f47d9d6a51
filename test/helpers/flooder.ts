// A separate process that floods a server from one address and port at full speed, until killed (flood.test.ts).
// Usage: bun test/helpers/flooder.ts PORT garbage|member

import { ProofCounter, proofKey, prove } from "../../src/core/wire/proof.ts";
import { decodeReplies, encode, KNOCK_BYTES, type Message, PROOF_BYTES, PROOF_MARK, padded } from "../../src/core/wire/protocol.ts";
import { mulberry32 } from "./lossy-relay.ts";
import { local, openTestSocket } from "./socket.ts";

const [portArg, mode] = process.argv.slice(2);
const port = Number(portArg);
const random = mulberry32(7);
let sid = "";
let cookie = "";
const NONCE = "f100d3f100d3f100";

const server = local(port);
const socket = await openTestSocket((data) => {
  let messages: Message[] = [];
  try {
    // the proof (proof.ts) is not checked: a flooder only needs its cookie and its session id
    messages = decodeReplies(data[0] === PROOF_MARK ? data.subarray(PROOF_BYTES) : data);
  } catch {
    return; // a datagram we cannot read: only a challenge or a welcome matters here
  }
  for (const m of messages) {
    if (m.type === "challenge") cookie = m.cookie;
    if (m.type === "welcome") sid = m.sid;
  }
});

function garbage(): Uint8Array {
  const bytes = new Uint8Array(1 + Math.floor(random() * 1400));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

// As a member: log in first (a real, valid session), then send messages as fast as the socket takes them.
if (mode === "member") {
  while (!sid) {
    socket.send(
      cookie ? encode({ type: "hello", name: "flooder", nonce: NONCE, cookie }) : encode(padded({ type: "knock" }, KNOCK_BYTES)),
      server,
    );
    await Bun.sleep(50);
  }
}
process.stdout.write("flooding\n");

let id = 1;
const key = proofKey(NONCE);
const counter = new ProofCounter();
const say = (n: number) => prove(key, "member", counter.next(Date.now()), encode({ type: "say", sid, id: n, base: n, text: `spam ${n}` }));
for (;;) {
  for (let i = 0; i < 64; i++) {
    socket.send(mode === "member" ? say(id) : garbage(), server);
    id++;
  }
  await Promise.resolve(); // let the socket's callbacks run; never sleep: this is a flood
}
