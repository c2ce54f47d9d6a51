// What a member or operator takes from a datagram: only its server's, opened with the room's key, decoded, clear text only where allowed.

import { describe, expect, test } from "bun:test";
import { openFrom } from "../../../src/core/member/from-server.ts";
import { Envelope } from "../../../src/core/wire/envelope.ts";
import { encode, packFrames } from "../../../src/core/wire/protocol.ts";

const server = { address: "127.0.0.1", port: 8888 };
const tick = { type: "tick", seq: 3, epoch: "0123456789abcdef", ts: 1 } as const;
const challenge = { type: "challenge", cookie: "c".repeat(32), salt: "5".repeat(32) } as const;
const key = Envelope.fromPassphrase("open sesame", "5".repeat(32));

describe("openFrom", () => {
  test("a datagram from elsewhere is ignored", () => {
    expect(openFrom(encode(tick), { address: "127.0.0.1", port: 9999 }, server, undefined, false)).toEqual({
      ignored: "ignored a datagram from 127.0.0.1:9999, which is not the server",
    });
  });

  test("without a passphrase: decoded, every frame", () => {
    const both = packFrames([new TextDecoder().decode(encode(tick)), new TextDecoder().decode(encode(challenge))]);
    expect(openFrom(both, server, server, undefined, false)).toEqual({ messages: [tick, challenge] });
  });

  test("a bad datagram is ignored, saying why", () => {
    const opened = openFrom(new TextEncoder().encode("{nope"), server, server, undefined, false);
    expect("ignored" in opened && opened.ignored.startsWith("ignored a bad datagram from the server: ")).toBe(true);
  });

  test("with a passphrase: sealed with the key opens; in the clear only what travels in the clear", () => {
    expect(openFrom(key.seal(encode(tick)), server, server, key, true)).toEqual({ messages: [tick] });
    expect(openFrom(encode(tick), server, server, key, true)).toEqual({ messages: [] });
    expect(openFrom(encode(challenge), server, server, undefined, true)).toEqual({ messages: [challenge] });
    const refused = { type: "refused", reason: "bad_passphrase" } as const;
    expect(openFrom(encode(refused), server, server, key, true)).toEqual({ messages: [refused] });
  });

  test("sealed with another key, or before there is a key: ignored", () => {
    const other = Envelope.fromPassphrase("other", "5".repeat(32));
    const ignored = { ignored: "ignored a datagram that does not open with the room's key" };
    expect(openFrom(other.seal(encode(tick)), server, server, key, true)).toEqual(ignored);
    expect(openFrom(key.seal(encode(tick)), server, server, undefined, true)).toEqual(ignored);
  });
});
