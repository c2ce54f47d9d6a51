// The web page's pure rules: reconnect backoff with full jitter, the tab title, the status line, colours as the terminal's, Tab.

import { describe, expect, test } from "bun:test";
import { nameColor } from "../../src/core/screen/render.ts";
import {
  BACKOFF_BASE_MS,
  BACKOFF_CAP_MS,
  backoffMs,
  clock,
  colorClass,
  hexOf,
  phaseOf,
  statusLine,
  titleFor,
} from "../../src/web/page/logic.ts";
import { TabCompletion } from "../../src/web/page/tab.ts";

describe("reconnect backoff", () => {
  test("the bound doubles from the base up to the cap; the wait is a random share of it (full jitter)", () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, 0.999999))).toEqual([249, 499, 999, 1999, 3999, 4999, 4999]);
    expect(backoffMs(0, 1 - Number.EPSILON)).toBeLessThan(BACKOFF_BASE_MS);
    expect(backoffMs(3, 0)).toBe(0);
    expect(backoffMs(3, 0.5)).toBe(1000);
  });

  test("a huge attempt count stays at the cap (no Infinity, no NaN)", () => {
    expect(backoffMs(10_000, 0.5)).toBe(BACKOFF_CAP_MS / 2);
  });
});

describe("tab title", () => {
  test("the room and the unread count, as (3) lobby — chat", () => {
    expect(titleFor("lobby", 3)).toBe("(3) lobby — chat");
    expect(titleFor("ops", 0)).toBe("ops — chat");
    expect(titleFor(undefined, 5)).toBe("chat");
  });
});

describe("status line", () => {
  test("connecting, then in the room; after a loss, reconnecting, then back", () => {
    expect(phaseOf(undefined, false)).toBe("connecting");
    expect(phaseOf("joining", false)).toBe("connecting");
    expect(phaseOf("in", false)).toBe("in");
    expect(phaseOf("lost", true)).toBe("reconnecting");
    expect(phaseOf("in", true)).toBe("back");
    expect(phaseOf("done", true)).toBeUndefined();
    expect(statusLine("reconnecting", "en", "lobby", "alice")).toBe("reconnecting…");
    expect(statusLine("in", "en", "lobby", "alice")).toBe("in lobby as alice");
    expect(statusLine("back", "en", "ops", "alice")).toBe("back in ops as alice");
    expect(statusLine("reconnecting", "zh", "lobby", "alice")).toBe("正在重新连接…");
  });
});

describe("what lines show", () => {
  test("a name's colour class is the terminal's colour for it", () => {
    for (const name of ["alice", "Bob", "张伟"]) expect(colorClass(name)).toBe(`c${nameColor(name)}`);
    expect(colorClass("ALICE")).toBe(colorClass("alice"));
  });

  test("the client id and nonce are lowercase hex; the time is HH:MM", () => {
    expect(hexOf(new Uint8Array([0, 15, 255, 16]))).toBe("000fff10");
    expect(clock(new Date(2026, 0, 2, 9, 5).getTime())).toBe("09:05");
  });
});

describe("Tab in the message box", () => {
  const names = () => ["bob", "bea", "小明"];
  test("a name after /msg, an address at the start of a line, a command after /; repeated Tab cycles", () => {
    const tabs = new TabCompletion(names);
    expect(tabs.tab({ value: "/msg b", cursor: 6 })).toEqual({ value: "/msg bea ", cursor: 9 });
    expect(tabs.tab({ value: "/msg bea ", cursor: 9 })).toEqual({ value: "/msg bob ", cursor: 9 });
    expect(new TabCompletion(names).tab({ value: "小", cursor: 1 })).toEqual({ value: "小明: ", cursor: 4 });
    expect(new TabCompletion(names).tab({ value: "/wh", cursor: 3 })).toEqual({ value: "/who ", cursor: 5 });
  });

  test("nothing to complete: undefined, so Tab moves focus on as usual", () => {
    expect(new TabCompletion(names).tab({ value: "hello zz", cursor: 8 })).toBeUndefined();
    expect(new TabCompletion(() => []).tab({ value: "", cursor: 0 })).toBeUndefined();
  });
});
