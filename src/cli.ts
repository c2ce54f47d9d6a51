#!/usr/bin/env bun
// The entrypoint: `chat serve | join | admin`, and the hidden subcommands chat starts as its own subprocesses.

import { defineCommand, runMain } from "citty";
import { version } from "../package.json";
import { admin } from "./commands/admin.ts";
import { console_, receiver } from "./commands/internal.ts";
import { join } from "./commands/join.ts";
import { serve } from "./commands/serve.ts";

export const main = defineCommand({
  meta: { name: "chat", version, description: "A UDP chat room in one executable" },
  subCommands: { serve, join, admin, __receiver: receiver, __console: console_ },
});

if (import.meta.main) await runMain(main);
