// What a refusal means in each state, and the lines each kind of client shows for it.

import { describe, expect, test } from "bun:test";
import { type MemberState, refusalMeaning } from "../../../src/core/member/session.ts";
import { REFUSAL_REASONS, type RefusalReason } from "../../../src/core/wire/protocol.ts";
import { classicRefusal, memberRefusal, operatorRefusal, REFUSAL_LINES } from "../../../src/core/wire/refusals.ts";
import { challenge, member, refused, SID } from "./fixture.ts";

describe("the decision table", () => {
  const rows: [RefusalReason, MemberState, ReturnType<typeof refusalMeaning>][] = [
    ["name_taken", "joining", "end"],
    ["room_full", "joining", "end"],
    ["too_many_logins", "joining", "end"],
    ["bad_passphrase", "joining", "end"],
    ["name_taken", "lost", "end"],
    ["bad_name", "lost", "end"],
    ["passphrase_required", "lost", "end"],
    ["version", "joining", "end"],
    ["version", "lost", "end"], // the server came back as another version: trying again cannot help
    ["bad_passphrase", "lost", "rekey"],
    ["room_full", "lost", "about_a_request"],
    ["too_many_logins", "lost", "about_a_request"],
    ["too_many_new_rooms", "joining", "end"],
    ["too_many_new_rooms", "lost", "about_a_request"],
    ["unknown_session", "lost", "lost"],
    ["kicked", "in", "end"],
    ["banned", "leaving", "end"],
    ["kicked", "lost", "end"],
    ["unknown_session", "in", "lost"],
    ["unknown_session", "leaving", "lost"],
    ["rate_limited", "in", "about_a_request"],
    ["name_taken", "in", "about_a_request"],
    ["bad_passphrase", "in", "about_a_request"],
  ];
  test.each(rows)("%s while %s: %s", (reason, state, meaning) => {
    expect(refusalMeaning(reason, state)).toBe(meaning);
  });
});

describe("refusals reaching the session", () => {
  test("name_taken while joining ends it, refused", () => {
    const m = member();
    m.session.begin(m.clock.now);
    m.receive(challenge());
    m.sink.take();
    m.receive(refused("name_taken"));
    expect(m.sink.take()).toEqual([
      { kind: "log", level: "error", text: 'the name "ann" is taken, or looks like the name of someone in the room: choose another' },
      { kind: "end", how: "refused" },
    ]);
  });

  test("coming back after a loss: name_taken ends it; a full room is retried", () => {
    const m = member();
    m.login();
    m.advance(6000);
    m.receive(challenge());
    m.receive(refused("room_full"));
    expect(m.session.state).toBe("lost");
    m.sink.take();
    m.advance(1000);
    expect(m.sink.sentTypes()).toEqual(["hello"]);
    m.receive(refused("name_taken"));
    expect(m.sink.take().at(-1)).toEqual({ kind: "end", how: "refused" });
  });

  test("kicked in the room ends it", () => {
    const m = member();
    m.login();
    m.receive(refused("kicked"));
    expect(m.sink.take()).toEqual([
      { kind: "log", level: "error", text: "you were removed from the room by the administrator" },
      { kind: "end", how: "refused" },
    ]);
  });

  test("bad_passphrase while lost: forget the key and knock again", () => {
    const m = member({ passphrase: true });
    m.session.begin(m.clock.now);
    m.receive(challenge("c".repeat(32), "5".repeat(32)));
    expect(m.sink.take().filter((e) => e.kind === "key")).toEqual([{ kind: "key", salt: "5".repeat(32) }]);
    m.receive(challenge("d".repeat(32), "5".repeat(32))); // the same salt: the same key
    expect(m.sink.take().filter((e) => e.kind === "key")).toEqual([]);
    m.receive({ type: "welcome", sid: SID, name: "ann", members: [], count: 0, seq: 0, backlog: 0, epoch: "e", ts: 1 });
    m.advance(6000);
    m.receive(challenge("c".repeat(32), "5".repeat(32)));
    m.sink.take();
    m.receive(refused("bad_passphrase"));
    expect(m.sink.take()).toEqual([{ kind: "key", salt: undefined }]);
    m.advance(1000);
    expect(m.sink.sentTypes()).toEqual(["knock"]);
  });

  test("a salt without a passphrase, or a passphrase without a salt, ends the login", () => {
    const m = member();
    m.session.begin(m.clock.now);
    m.receive(challenge("c".repeat(32), "5".repeat(32)));
    expect(m.sink.take().slice(-2)).toEqual([
      { kind: "log", level: "error", text: "this room has a passphrase: join with --passphrase or CHAT_PASSPHRASE" },
      { kind: "end", how: "refused" },
    ]);
    const p = member({ passphrase: true });
    p.session.begin(p.clock.now);
    p.receive(challenge());
    expect(p.sink.take().slice(-2)).toEqual([
      { kind: "log", level: "error", text: "this server has no passphrase: nothing sealed was sent (join without --passphrase)" },
      { kind: "end", how: "refused" },
    ]);
  });

  test("a refused say is settled with the reason and its text; a private one names its addressee; one refused for rate is queued again", () => {
    const m = member();
    m.login();
    m.session.say({ text: "hi", ref: 1 }, m.clock.now);
    m.session.say({ text: "psst", to: "bob", ref: 2 }, m.clock.now);
    m.sink.take();
    m.receive(refused("rate_limited", 1), refused("no_such_member", 2));
    const nobody = "not sent to bob: nobody in the room has that name";
    expect(m.sink.take()).toEqual([
      { kind: "log", level: "debug", text: "say 1 refused for rate: queued again" },
      { kind: "log", level: "error", text: nobody },
      { kind: "settled", ref: 2, problem: nobody },
      { kind: "pending", ref: 1, how: "queued" },
    ]);
    m.receive(refused("too_long", 99)); // not ours
    expect(m.sink.take()).toEqual([]);
  });
});

describe("the lines", () => {
  test("every reason has a member's line; operator and classic lines fall back", () => {
    for (const reason of REFUSAL_REASONS) expect(memberRefusal(reason, "ann")).not.toBe("");
    expect(Object.keys(REFUSAL_LINES).sort()).toEqual([...REFUSAL_REASONS].sort());
    expect(operatorRefusal("bad_token")).toBe("refused: wrong admin token (give the server's with --token or CHAT_ADMIN_TOKEN)");
    expect(operatorRefusal("name_taken")).toBe("refused: name_taken");
    expect(classicRefusal("name_taken")).toBe("该用户已存在");
    expect(classicRefusal("stale")).toBe("无法进入聊天室");
  });

  test("a classic client is answered the original exercise's lines", () => {
    const classic = Object.fromEntries(REFUSAL_REASONS.map((reason) => [reason, classicRefusal(reason)]));
    expect(classic).toEqual({
      ...Object.fromEntries(REFUSAL_REASONS.map((reason) => [reason, "无法进入聊天室"])),
      name_taken: "该用户已存在",
      bad_name: "用户名不合法：只能用 1 到 16 个字母、数字、_、. 或 -",
      room_full: "聊天室已满",
      too_many_logins: "登录太频繁，请稍后再试",
      banned: "你已被禁止进入聊天室",
      kicked: "你已被移出聊天室，请稍后再试",
    });
  });
});
