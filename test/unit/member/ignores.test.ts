// /ignore and /reply on the member's side: what an ignore hides and keeps showing, its life (a rejoin, a rename), whom /reply answers.

import { describe, expect, test } from "bun:test";
import { Ignores, renamed } from "../../../src/core/member/ignores.ts";
import type { Shown } from "../../../src/core/screen/render.ts";
import { EVENT_TYPES, type Message } from "../../../src/core/wire/protocol.ts";
import { challenge, member, message, SID2, welcome } from "./fixture.ts";

const priv = (seq: number, from: string, text = `p${seq}`): Message => ({ type: "private", seq, ts: 1, from, to: "ann", text });
const action = (seq: number, from: string): Message => ({ type: "action", seq, ts: 1, from, text: "waves" });
const join = (seq: number, name: string): Message => ({ type: "join", seq, ts: 1, name });
const leave = (seq: number, name: string): Message => ({ type: "leave", seq, ts: 1, name, reason: "quit" });
/** The event /nick brings (not in this build's protocol yet): what Ignores reads of it. */
const rename = (from: string, to: string) => ({ type: "rename", seq: 9, ts: 1, from, to });

/** A member in the room, with what it shows (by type and sender) and whom /reply answers. */
function ignorer() {
  const m = member();
  const replies: string[] = [];
  Object.assign(m.sink, { replyTo: (name: string) => void replies.push(name) });
  m.login();
  const shown = () =>
    m.sink.take().flatMap((e) => {
      if (e.kind !== "show") return [];
      const item = e.item as Shown & { from?: string; name?: string };
      return [`${item.type} ${item.from ?? item.name ?? ""}`.trim()];
    });
  return { ...m, replies, shown };
}

describe("Ignores", () => {
  test("by name without regard to case; listed as typed, in order; added and removed once", () => {
    const ignores = new Ignores();
    expect(ignores.add("bob")).toBe(true);
    expect(ignores.add("BOB")).toBe(false);
    expect(ignores.add("小明")).toBe(true);
    expect(ignores.list()).toEqual(["bob", "小明"]);
    expect(ignores.has("Bob")).toBe(true);
    expect(ignores.remove("Bob")).toBe(true);
    expect(ignores.remove("bob")).toBe(false);
    expect(ignores.list()).toEqual(["小明"]);
  });

  test("hides messages, actions and private messages of an ignored name; never joins, leaves, the admin or others", () => {
    const ignores = new Ignores();
    ignores.add("bob");
    const hidden = (item: Message) => ignores.hides(item as Shown);
    expect([message(1, "Bob"), action(2, "bob"), priv(3, "bob")].map(hidden)).toEqual([true, true, true]);
    expect(
      [join(4, "bob"), leave(5, "bob"), message(6, "carol"), { type: "admin", seq: 7, ts: 1, text: "bob" } as Message].map(hidden),
    ).toEqual([false, false, false, false]);
  });

  test("a rename event carries the ignore to the new name (fed as /nick will send it)", () => {
    const ignores = new Ignores();
    ignores.add("bob");
    ignores.follow(rename("Bob", "bobby"));
    expect(ignores.list()).toEqual(["bobby"]);
    expect(ignores.hides(message(1, "bobby") as Shown)).toBe(true);
    expect(ignores.hides(message(2, "bob") as Shown)).toBe(false); // whoever takes the old name next is someone else
    ignores.follow(rename("carol", "bob")); // not ignored: nothing changes
    expect(ignores.list()).toEqual(["bobby"]);
    ignores.follow({ type: "rename", from: "bobby" }); // malformed: ignored
    expect(ignores.list()).toEqual(["bobby"]);
    expect(renamed(rename("BOB", "b2"), "bob")).toBe("b2");
    ignores.add("CAROL");
    ignores.follow(message(3, "Carol"));
    expect(ignores.list()).toEqual(["bobby", "Carol"]); // as the room spells it, once it has been seen
    expect(renamed(message(1, "bob"), "bob")).toBeUndefined();
  });
});

describe("/ignore in a session", () => {
  test("bob's messages, actions and private messages are not shown; his join and leave are; nothing is sent", () => {
    const { session, sink, clock, receive, shown } = ignorer();
    session.ignore("bob", true, clock.now);
    expect(sink.take()).toEqual([
      { kind: "show", item: { type: "ignoring", names: ["bob"], added: "bob", ts: clock.now }, history: false },
    ]);
    receive(message(1, "bob"), action(2, "bob"), priv(3, "bob"), message(4, "carol"), join(5, "bob"), leave(6, "bob"));
    expect(shown()).toEqual(["message carol", "join bob", "leave bob"]);
    session.tick(clock.now);
    expect(sink.sentTypes().filter((t) => t !== "ping")).toEqual([]);
  });

  test("the backlog too: an ignored member's history lines are not shown", () => {
    const { session, sink, clock, receive } = member();
    session.begin(clock.now);
    receive(challenge());
    session.ignore("bob", true, clock.now);
    sink.take();
    receive(welcome({ seq: 2, backlog: 1 }), message(1, "bob"), message(2, "carol"));
    expect(sink.take().flatMap((e) => (e.kind === "show" && e.item.type === "message" ? [e.item.from] : []))).toEqual(["carol"]);
  });

  test("kept after losing the server and logging in again", () => {
    const { session, clock, receive, advance, shown } = ignorer();
    session.ignore("bob", true, clock.now);
    advance(6000); // silence: lost
    expect(session.state).toBe("lost");
    receive(challenge());
    receive(welcome({ sid: SID2 }));
    expect(session.state).toBe("in");
    shown();
    receive(message(1, "bob"), message(2, "carol"));
    expect(shown()).toEqual(["message carol"]);
  });

  test("/unignore shows bob again; the list; already ignored or not ignored: one line, no change", () => {
    const { session, sink, clock, receive, shown } = ignorer();
    session.ignore("bob", true, clock.now);
    session.ignore("BOB", true, clock.now);
    session.ignore("carol", false, clock.now);
    session.ignore(undefined, true, clock.now);
    expect(sink.take().slice(1)).toEqual([
      { kind: "log", level: "info", text: "BOB is ignored already" },
      { kind: "log", level: "info", text: "carol is not ignored" },
      { kind: "show", item: { type: "ignoring", names: ["bob"], ts: clock.now }, history: false },
    ]);
    session.ignore("Bob", false, clock.now);
    expect(sink.take()).toEqual([{ kind: "show", item: { type: "ignoring", names: [], removed: "Bob", ts: clock.now }, history: false }]);
    receive(message(1, "bob"));
    expect(shown()).toEqual(["message bob"]);
  });
});

describe("/reply", () => {
  test("answers the last private sender; an ignored one never becomes it", () => {
    const { session, clock, receive, replies } = ignorer();
    receive(priv(1, "bob"), priv(2, "carol"), priv(3, "carol"));
    expect(replies).toEqual(["bob", "carol"]); // told when it changes
    session.ignore("dave", true, clock.now);
    receive(priv(4, "dave"));
    expect(replies).toEqual(["bob", "carol"]);
  });
});

// Runs once the protocol has the rename event (/nick, merged from its own branch): the whole path, through the session.
describe.skipIf(!(EVENT_TYPES as ReadonlySet<string>).has("rename"))("a rename, through the session", () => {
  test("the ignore follows bob to his new name; /reply follows its member too", () => {
    const { session, sink, clock, receive, replies, shown } = ignorer();
    receive(priv(1, "carol"));
    session.ignore("bob", true, clock.now);
    shown();
    receive({ ...rename("bob", "bobby"), seq: 2 } as unknown as Message, { ...rename("carol", "caz"), seq: 3 } as unknown as Message);
    receive(message(4, "bobby"), message(5, "dave"));
    expect(shown().filter((s) => s.startsWith("message"))).toEqual(["message dave"]);
    expect(replies).toEqual(["carol", "caz"]);
    session.ignore(undefined, true, clock.now);
    expect(sink.take()).toEqual([{ kind: "show", item: { type: "ignoring", names: ["bobby"], ts: clock.now }, history: false }]);
  });
});
