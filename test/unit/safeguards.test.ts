// The pure safeguards: signed admin requests, cookies, sealed datagrams, token buckets and durations.

import { describe, expect, test } from "bun:test";
import { BAN_WHILE_RUNNING, banFromWire, banInWords, banToWire, parseBanLength, parseDuration } from "../../src/core/duration.ts";
import { KeyedLimiter, TokenBucket } from "../../src/core/limiter.ts";
import { AdminGate, macOf, type Signer, sign, unsignedFrame } from "../../src/core/wire/admin-auth.ts";
import { Cookies } from "../../src/core/wire/cookie.ts";
import { Envelope, isSealed } from "../../src/core/wire/envelope.ts";
import {
  ADMIN_WINDOW_MS,
  type Announce,
  decode,
  decodeRequests,
  encode,
  isAdminRequest,
  PROTOCOL_VERSION,
  receivedFrame,
  SEAL_OVERHEAD_BYTES,
} from "../../src/core/wire/protocol.ts";

const NOW = 1_795_000_000_000;

describe("signed admin requests", () => {
  const SERVER = "5e4e5e4e5e4e5e4e";
  const by = (token: string, server = SERVER): Signer => ({ token, server });
  const announce = (token: string, now = NOW) => sign({ type: "announce", id: 1, text: "hi" }, by(token), now) as Announce;

  test("the right token passes once; a copy is a replay", () => {
    const gate = new AdminGate("s3cret", SERVER);
    const msg = announce("s3cret");
    expect(gate.check(msg, NOW)).toBe("ok");
    expect(gate.check(msg, NOW + 10)).toBe("replayed");
    expect(gate.check(announce("s3cret"), NOW)).toBe("ok"); // signed anew: a new nonce
  });

  test("a wrong token, an altered field or a moved mac is refused", () => {
    const gate = new AdminGate("s3cret", SERVER);
    expect(gate.check(announce("guess"), NOW)).toBe("bad_token");
    expect(gate.check({ ...announce("s3cret"), text: "evil" }, NOW)).toBe("bad_token");
    expect(gate.check({ ...announce("s3cret"), ts: NOW + 1 }, NOW)).toBe("bad_token");
    expect(gate.check({ ...announce("s3cret"), server: "0123456789abcdef" }, NOW)).toBe("bad_token");
  });

  test("rightly signed for another server run: wrong_server, checked after the mac and before the clock", () => {
    const gate = new AdminGate("s3cret", SERVER);
    const elsewhere = sign(
      { type: "announce", id: 1, text: "hi" },
      by("s3cret", "0123456789abcdef"),
      NOW - ADMIN_WINDOW_MS - 1,
    ) as Announce;
    expect(gate.check(elsewhere, NOW)).toBe("wrong_server");
    expect(gate.check({ ...elsewhere, text: "evil" }, NOW)).toBe("bad_token");
    // every run draws its own id
    expect(new AdminGate("s3cret").server).toMatch(/^[0-9a-f]{16}$/);
    expect(new AdminGate("s3cret").server).not.toBe(new AdminGate("s3cret").server);
  });

  test("outside the 30 s window either way it is stale; the mac is checked first", () => {
    const gate = new AdminGate("s3cret", SERVER);
    expect(gate.check(announce("s3cret", NOW - ADMIN_WINDOW_MS - 1), NOW)).toBe("stale");
    expect(gate.check(announce("s3cret", NOW + ADMIN_WINDOW_MS + 1), NOW)).toBe("stale");
    expect(gate.check(announce("s3cret", NOW - ADMIN_WINDOW_MS + 1), NOW)).toBe("ok");
  });

  test("the token is not in the signed datagram", () => {
    expect(new TextDecoder().decode(encode(announce("a-very-secret-token")))).not.toContain("a-very-secret-token");
  });
});

describe("the bytes a mac covers: the frame as sent, its mac's digits written as zeros (PROTOCOL.md §5.8)", () => {
  const SERVER = "5e4e5e4e5e4e5e4e";
  const TOKEN = "s3cret";
  const ZEROS = "0".repeat(64);
  /** Signs `frame` (written with ZEROS for its mac) as any client may: HMAC of its bytes, the digits put in place. */
  const signFrame = (frame: string, token = TOKEN) => frame.replace(ZEROS, macOf(frame, token));
  /** The gate's verdict on a datagram holding `frame`, as the server decodes it. */
  const verdict = (gate: AdminGate, frame: string) => {
    const [msg] = decodeRequests(new TextEncoder().encode(frame));
    if (!msg || !isAdminRequest(msg)) throw new Error("not an operator request");
    return gate.check(msg, NOW, receivedFrame(msg));
  };
  // Another spacing (a tab too), another field order, an escaped name, 7.0 for 7, and a field this version does not know.
  const unusual =
    `{ "mac" : "${ZEROS}", "type":"kick","v" :${PROTOCOL_VERSION},"name":"b\\u006fb", "id": 7.0,\t"later":{"x":[1,"}"]},` +
    ` "nonce":"${"4e".repeat(16)}","ts":${NOW},"server":"${SERVER}"   }`;

  test("a client's own spacing, field order, escapes, number forms and unknown fields: taken as signed", () => {
    const gate = new AdminGate(TOKEN, SERVER);
    expect(verdict(gate, signFrame(unusual))).toBe("ok");
    const [msg] = decodeRequests(new TextEncoder().encode(signFrame(unusual)));
    expect(msg).toMatchObject({ type: "kick", id: 7, name: "bob" });
    // what sign() makes, decoded and checked over its received bytes, passes too
    const ours = encode(sign({ type: "who", id: 1, from: 0 }, { token: TOKEN, server: SERVER }, NOW, 600));
    expect(ours.length).toBe(600);
    expect(verdict(gate, new TextDecoder().decode(ours))).toBe("ok");
  });

  test("any byte changed after signing (spacing or the unknown field included), or the mac's digits escaped or written twice: bad_token", () => {
    const gate = new AdminGate(TOKEN, SERVER);
    const signed = signFrame(unusual);
    const mac = macOf(unusual, TOKEN);
    expect(verdict(gate, signed.replace(`"id": 7.0`, `"id": 7`))).toBe("bad_token");
    expect(verdict(gate, signed.replace(`"name":"b\\u006fb"`, `"name":"bob"`))).toBe("bad_token");
    expect(verdict(gate, signed.replace(`[1,"}"]`, `[2,"}"]`))).toBe("bad_token");
    expect(verdict(gate, signed.replace(`"type":"kick"`, `"type": "kick"`))).toBe("bad_token");
    expect(verdict(gate, signed.replace(`"${mac}"`, `"\\u00${mac.charCodeAt(0).toString(16)}${mac.slice(1)}"`))).toBe("bad_token");
    expect(verdict(gate, signed.replace(`"later"`, `"${mac}"`))).toBe("bad_token");
    expect(verdict(gate, signed)).toBe("ok"); // the untouched one, last: none of the above was remembered
  });

  test("unsignedFrame writes zeros where the mac's digits are, and finds nothing when they are not there exactly once", () => {
    const mac = "ab".repeat(32);
    expect(unsignedFrame(`{"a":1,"mac":"${mac}","b":2}`, mac)).toBe(`{"a":1,"mac":"${ZEROS}","b":2}`);
    expect(unsignedFrame(`{"mac":"${mac}","x":"${mac}"}`, mac)).toBeUndefined();
    expect(unsignedFrame(`{"mac":"${mac.toUpperCase()}"}`, mac)).toBeUndefined();
  });
});

describe("cookies", () => {
  const cookies = new Cookies(new Uint8Array(32).fill(7));
  const alice = { address: "10.0.0.1", port: 4000 };

  test("good for the address it was made for, for 30 to 60 s", () => {
    const cookie = cookies.issue(alice, NOW);
    expect(cookies.check(cookie, alice, NOW + 29_000)).toBe(true);
    expect(cookies.check(cookie, { ...alice, port: 4001 }, NOW)).toBe(false);
    expect(cookies.check(cookie, { ...alice, address: "10.0.0.2" }, NOW)).toBe(false);
    expect(cookies.check(cookie, alice, NOW + 61_000)).toBe(false);
  });

  test("another server (another secret) does not take them", () => {
    const other = new Cookies(new Uint8Array(32).fill(8));
    expect(other.check(cookies.issue(alice, NOW), alice, NOW)).toBe(false);
  });
});

describe("sealed datagrams", () => {
  const SALT = "00112233445566778899aabbccddeeff";
  const room = Envelope.fromPassphrase("open sesame", SALT);
  const plain = encode({ type: "message", seq: 1, ts: NOW, from: "alice", text: "secret" });

  test("open what was sealed; the sealed bytes show nothing and differ every time", () => {
    const sealed = room.seal(plain);
    expect(isSealed(sealed)).toBe(true);
    expect(sealed.length).toBe(plain.length + SEAL_OVERHEAD_BYTES);
    expect(Buffer.from(sealed).toString("latin1")).not.toContain("alice");
    expect(room.seal(plain)).not.toEqual(sealed);
    expect(decode(room.open(sealed)!)).toEqual(decode(plain));
  });

  test("another passphrase, another salt, a flipped bit or a truncation does not open", () => {
    const sealed = room.seal(plain);
    expect(Envelope.fromPassphrase("open sesam", SALT).open(sealed)).toBeUndefined();
    expect(Envelope.fromPassphrase("open sesame", SALT.replace("00", "01")).open(sealed)).toBeUndefined();
    const flipped = sealed.slice();
    flipped[20]! ^= 1;
    expect(room.open(flipped)).toBeUndefined();
    expect(room.open(sealed.subarray(0, 20))).toBeUndefined();
    expect(room.open(plain)).toBeUndefined();
  });
});

describe("token buckets", () => {
  test("a burst of `capacity`, then one per interval", () => {
    const bucket = new TokenBucket(5, 1000, NOW);
    expect(Array.from({ length: 6 }, () => bucket.take(NOW))).toEqual([true, true, true, true, true, false]);
    expect(bucket.take(NOW + 999)).toBe(false);
    expect(bucket.take(NOW + 1000)).toBe(true);
    expect(bucket.full(NOW + 10_000)).toBe(true);
  });

  test("keyed: one key's flood does not touch another's allowance, and memory stays bounded", () => {
    const limiter = new KeyedLimiter(2, 1000, 100);
    expect([limiter.take("a", NOW), limiter.take("a", NOW), limiter.take("a", NOW)]).toEqual([true, true, false]);
    expect(limiter.take("b", NOW)).toBe(true);
    for (let i = 0; i < 10_000; i++) limiter.take(`spoofed-${i}`, NOW);
    expect(limiter.size).toBeLessThanOrEqual(100);
  });
});

describe("durations", () => {
  test.each([
    ["30s", 30],
    ["10m", 600],
    ["2h", 7200],
    ["1d", 86_400],
    ["45", 45],
  ])("%p is %p seconds", (raw, seconds) => {
    expect(parseDuration(raw)).toEqual({ seconds });
  });
  test.each(["", "0", "-5m", "1w", "2 h", "1.5h", "400d"])("%p is refused", (raw) => {
    expect(parseDuration(raw)).toEqual({ problem: expect.stringContaining("invalid duration") });
  });
});

describe("ban lengths: milliseconds inside, whole seconds (0: while the server runs) on the wire", () => {
  test.each([
    [0, BAN_WHILE_RUNNING],
    [1, 1000],
    [7200, 7_200_000],
  ])("%p s on the wire is %p ms, and back", (seconds, ms) => {
    expect(banFromWire(seconds)).toBe(ms);
    expect(banToWire(ms)).toBe(seconds);
  });
  test("a part of a second is rounded up, never to 0 (which would mean forever)", () => {
    expect(banToWire(1)).toBe(1);
  });
  test("as typed, and in words", () => {
    expect(parseBanLength("2h")).toEqual({ ms: 7_200_000 });
    expect(parseBanLength("2y")).toEqual({ problem: expect.stringContaining("invalid duration") });
    expect(banInWords(BAN_WHILE_RUNNING)).toBe("while the server runs");
    expect(banInWords(90_000)).toBe("for 90 s");
  });
});
