// What crosses the wire and reaches a terminal: escape sequences made harmless, and a passphrase that hides names and text.

import { afterEach, describe, expect, test } from "bun:test";
import { LossyRelay } from "../helpers/lossy-relay.ts";
import { joinRoom, killAll, spawnServe, startChat } from "../helpers/processes.ts";

const relays: LossyRelay[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) r.close();
  await killAll();
});

test("a message with escape sequences reaches the others with no raw ESC or C1 byte in their human output", async () => {
  const server = await spawnServe();
  const bob = startChat(["join", "bob", "--server", server.address]);
  await bob.out.waitFor("joined as bob");
  const alice = await joinRoom("alice", server.address);
  await bob.out.waitFor("alice joined");
  const nasty = "\x1b[2J\x1b]0;pwned\x07 \u009b31m red \u202egnp.exe \x1bP+q\x1b\\ end";
  alice.write(`${nasty}\n`);
  const line = await bob.out.waitFor(/^alice: .* end$/);
  expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u0080-\u009f\u202a-\u202e\u2066-\u2069]/);
  expect(line).toContain("pwned"); // shown, not obeyed
  // nothing anywhere in bob's transcript: no ESC, no C1 control, no bidirectional override
  expect(bob.out.text()).not.toMatch(/[\u001b\u0080-\u009f\u202a-\u202e\u2066-\u2069]/);
  // a bot gets the text exactly, each control escaped by JSON, on one line
  const carol = await joinRoom("carol", server.address);
  alice.write(`${nasty}\n`);
  const raw = await carol.out.waitFor((l) => l.includes('"type":"message"'));
  expect(raw).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  expect(JSON.parse(raw).text).toBe(nasty);
});

describe("with a passphrase", () => {
  const PASS = "correct horse battery staple";

  test("captured datagrams contain neither names nor text, and members converse as usual", async () => {
    const server = await spawnServe(["--passphrase", PASS]);
    await server.err.waitFor("passphrase set");
    const relay = await LossyRelay.start({
      serverPort: server.port,
      seed: 1,
      faults: { loss: 0, duplicate: 0, reorder: 0 },
      capture: true,
    });
    relays.push(relay);
    const alice = await joinRoom("alice", relay.address, { env: { CHAT_PASSPHRASE: PASS } });
    const bob = await joinRoom("bob", server.address, { env: { CHAT_PASSPHRASE: PASS } });
    await alice.event({ type: "join", name: "bob" });
    alice.write("the secret plan\n");
    await bob.event({ type: "message", from: "alice", text: "the secret plan" });
    bob.write("understood\n");
    await alice.event({ type: "message", from: "bob", text: "understood" });
    const admin = startChat(["admin", "operator words", "--server", server.address, "--passphrase", PASS]);
    expect(await admin.proc.exited).toBe(0);
    await alice.event({ type: "admin", text: "operator words" });

    // everything alice and the server said to each other, as a sniffer on the path saw it
    expect(relay.captured.length).toBeGreaterThan(5);
    const seen = Buffer.concat(relay.captured).toString("latin1");
    for (const secret of ["alice", "bob", "secret plan", "understood", "operator words", "correct horse"])
      expect(seen).not.toContain(secret);
  });

  test("a member with the wrong passphrase, or none, is refused with a clear reason; so is an admin without it", async () => {
    const server = await spawnServe(["--passphrase", PASS]);
    const wrong = startChat(["join", "eve", "--server", server.address, "--passphrase", "guess"]);
    expect(await wrong.proc.exited).toBe(2);
    await wrong.err.closed;
    expect(wrong.err.lines).toEqual([expect.stringContaining("wrong passphrase")]);

    const none = startChat(["join", "eve", "--server", server.address]);
    expect(await none.proc.exited).toBe(2);
    await none.err.closed;
    expect(none.err.lines).toEqual([expect.stringContaining("this room has a passphrase: join with --passphrase or CHAT_PASSPHRASE")]);

    const admin = startChat(["admin", "hello?", "--server", server.address]);
    expect(await admin.proc.exited).toBe(2);
    await admin.err.closed;
    expect(admin.err.lines).toEqual([expect.stringContaining("the room has a passphrase")]);
  });

  test("a passphrase given to a room that has none is refused rather than ignored", async () => {
    const server = await spawnServe();
    const member = startChat(["join", "eve", "--server", server.address, "--passphrase", "unneeded"]);
    expect(await member.proc.exited).toBe(2);
    await member.err.closed;
    expect(member.err.lines).toEqual([expect.stringContaining("this server has no passphrase")]);
  });
});
