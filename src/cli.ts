#!/usr/bin/env bun
// The entrypoint: `chat serve | join | admin`, and the hidden subcommands chat starts as its own subprocesses.
// The only file that ends the process: every command returns its exit code, and the entry exits with it.

import { type ArgsDef, type CommandDef, type CommandMeta, defineCommand, renderUsage, runCommand } from "citty";
import { version } from "../package.json";
import { type CommandIo, flushOutput, processIo } from "./commands/_finish.ts";
import { EXAMPLES, fitHelp, helpWidth } from "./commands/_help.ts";
import { commandLineProblem, isOptionOf, unknownCommand } from "./commands/_strict.ts";
import { admin } from "./commands/admin.ts";
import { checkpoint, console_, receiver } from "./commands/internal.ts";
import { join } from "./commands/join.ts";
import { serve } from "./commands/serve.ts";
import { EXIT } from "./exit-codes.ts";

/** A command of any arguments: citty's own SubCommandsDef says `CommandDef<any>`, since each has its own. */
// biome-ignore lint/suspicious/noExplicitAny: the arguments differ from command to command
type AnyCommand = CommandDef<any>;
const subCommands: Record<string, AnyCommand> = { serve, join, admin, __receiver: receiver, __console: console_, __checkpoint: checkpoint };

export const main = defineCommand({
  meta: { name: "chat", version, description: "A UDP chat room in one executable" },
  subCommands,
});

/** citty's built-in flags of a root command without flags of its own. */
const HELP = ["--help", "-h"];
const VERSION = ["--version", "-v"];

/**
 * Runs the root command on `rawArgs` and returns the exit code; what citty's runMain does, without ending the
 * process. --help and --version print and give 0. An unknown option or command, or a word too many, is one line
 * (with the nearest valid spelling) and 1. A usage error citty finds (a missing NAME, no command) prints the usage,
 * then the error in one line, and gives 1. The root picks the subcommand itself: citty's runCommand would
 * drop both the subcommand's result (its exit code) and the `data` (the io) it is to be given.
 */
export async function runRoot(rawArgs: readonly string[], io: CommandIo = processIo): Promise<number> {
  const chosen = subcommandIn(rawArgs);
  // citty's usage, wrapped between words at the terminal's width (80 columns for a pipe), with the command's example.
  const usage = async () =>
    fitHelp(
      await (chosen ? renderUsage(chosen.command, main) : renderUsage(main)),
      helpWidth(),
      EXAMPLES[chosen ? rawArgs[chosen.at]! : "chat"],
    );
  try {
    if (rawArgs.some((a) => HELP.includes(a))) {
      io.out(await usage());
      return EXIT.ok;
    }
    if (rawArgs.length === 1 && VERSION.includes(rawArgs[0]!)) {
      io.out(version);
      return EXIT.ok;
    }
    const problem = strictProblem(rawArgs, chosen);
    if (problem !== undefined) {
      io.err(problem);
      return EXIT.error;
    }
    if (!chosen) {
      // The root has no run of its own: citty throws its "No command specified." (an unknown one is refused above).
      await runCommand(main, { rawArgs: [...rawArgs] });
      return EXIT.error;
    }
    const { result } = await runCommand(chosen.command, { rawArgs: rawArgs.slice(chosen.at + 1), data: io });
    return typeof result === "number" ? result : EXIT.ok; // a command that returns nothing has succeeded
  } catch (err) {
    if (err instanceof Error && err.name === "CLIError") {
      io.out(await usage());
      io.err(err.message);
    } else io.err(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return EXIT.error;
  }
}

/**
 * The one line that refuses the command line, or undefined to let citty parse it: an option before the command (the
 * root has none but --help and a lone --version), an unknown command, or what the command's own definition refuses.
 */
function strictProblem(rawArgs: readonly string[], chosen: ReturnType<typeof subcommandIn>): string | undefined {
  const at = chosen?.at ?? rawArgs.findIndex((a) => !a.startsWith("-"));
  const flag = (at === -1 ? rawArgs : rawArgs.slice(0, at)).find((a) => a !== "--");
  // A known one (--version) is refused too: given with more words, citty would drop it without a word.
  if (flag !== undefined) {
    const problem = commandLineProblem([flag], ROOT_FLAGS, "chat");
    if (problem === undefined) return `${flag} goes alone: chat ${flag}`;
    const name = chosen && rawArgs[chosen.at];
    if (name && isOptionOf(flag, argsOf(chosen.command))) return `${flag} goes after the command: chat ${name} … ${flag}`;
    return problem;
  }
  if (!chosen) {
    const name = at === -1 ? undefined : rawArgs[at]!;
    // No command at all (nothing, or only `--` before the word) is citty's "No command specified.", with the usage.
    if (name === undefined || rawArgs.slice(0, at).includes("--")) return undefined;
    const visible = Object.entries(subCommands).filter(([, command]) => !(command.meta as CommandMeta | undefined)?.hidden);
    return unknownCommand(
      name,
      visible.map(([n]) => n),
      "chat",
    );
  }
  return commandLineProblem(rawArgs.slice(chosen.at + 1), argsOf(chosen.command), `chat ${rawArgs[chosen.at]}`);
}

/** Every command here defines its args as a plain object (citty would also take a promise or a function of one). */
const argsOf = (command: AnyCommand): ArgsDef => (command.args ?? {}) as ArgsDef;

/** The root's own flags, as a definition: what `chat --verison` is compared with. */
const ROOT_FLAGS = { version: { type: "boolean", alias: "v", description: "Print the version" } } as const satisfies ArgsDef;

/** The subcommand named in `rawArgs`, and where: the first word that is not a flag, as citty looks for it. */
function subcommandIn(rawArgs: readonly string[]): { command: AnyCommand; at: number } | undefined {
  const at = rawArgs.findIndex((a) => a === "--" || !a.startsWith("-"));
  const name = at === -1 ? undefined : rawArgs[at]!;
  const command = name !== undefined && Object.hasOwn(subCommands, name) ? subCommands[name] : undefined;
  return command ? { command, at } : undefined;
}

// Exit explicitly, once stdout and stderr are flushed: a listener left on the IPC channel would otherwise keep a
// subprocess alive after its parent is gone.
if (import.meta.main) {
  const code = await runRoot(process.argv.slice(2));
  await flushOutput();
  process.exit(code);
}
