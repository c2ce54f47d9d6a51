// HOST:PORT on the command line: what is accepted, and the one-line error for what is not.

import { describe, expect, test } from "bun:test";
import { formatHostPort, isLoopback, parseHostPort, parsePort } from "../../src/core/address.ts";

describe("server addresses", () => {
  test.each([
    ["127.0.0.1:8888", { host: "127.0.0.1", port: 8888 }],
    ["localhost:1", { host: "localhost", port: 1 }],
    ["[::1]:65535", { host: "::1", port: 65535 }],
    ["chat.example:9000", { host: "chat.example", port: 9000 }],
  ])("%p", (raw, expected) => {
    expect(parseHostPort(raw)).toEqual(expected);
    expect(formatHostPort(expected)).toBe(raw);
  });

  test.each(["", "8888", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "::1:8888", "host:port", "a b:1"])(
    "%p is refused",
    (raw) => {
      expect(() => parseHostPort(raw)).toThrow(
        `invalid server address ${JSON.stringify(raw)}: expected HOST:PORT, e.g. 127.0.0.1:8888 or [::1]:8888`,
      );
    },
  );
});

describe("ports", () => {
  test("0 means any free port when binding", () => expect(parsePort("0")).toBe(0));
  test.each(["-1", "65536", "http", "1e3", ""])("%p is refused", (raw) => {
    expect(() => parsePort(raw)).toThrow(`invalid port ${JSON.stringify(raw)}: expected a number 0-65535`);
  });
});

test("loopback addresses", () => {
  expect(["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"].every(isLoopback)).toBe(true);
  expect(["10.0.0.1", "192.168.1.2", "::", "fe80::1", "128.0.0.1"].some(isLoopback)).toBe(false);
});
