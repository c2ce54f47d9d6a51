// The per-user folders: the XDG variables when set, their defaults under the home folder when unset or empty.

import { describe, expect, test } from "bun:test";
import { homedir } from "node:os";
import { join } from "node:path";
import { tokenFile } from "../../src/runtime/admin-token.ts";
import { defaultDataDir, stateDir } from "../../src/runtime/dirs.ts";

describe.skipIf(process.platform === "win32" || process.platform === "darwin")("on Linux and the other Unixes", () => {
  test.each([
    [{ XDG_STATE_HOME: "/s", XDG_DATA_HOME: "/d" }, "/s/chat", "/d/chat"],
    [{ XDG_STATE_HOME: "", XDG_DATA_HOME: "" }, join(homedir(), ".local", "state", "chat"), join(homedir(), ".local", "share", "chat")],
    [{}, join(homedir(), ".local", "state", "chat"), join(homedir(), ".local", "share", "chat")],
  ])("%p", (env, state, data) => {
    expect(stateDir(env)).toBe(state);
    expect(defaultDataDir(env)).toBe(data);
  });

  test("the admin token file of a port is in the state folder of the environment given", () => {
    expect(tokenFile(8888, { XDG_STATE_HOME: "/s" })).toBe("/s/chat/admin-token-8888");
  });
});
