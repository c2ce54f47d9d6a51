// `bun run build`: compiles src/cli.ts into the standalone executable dist/chat for this machine.
// `bun run build --all`: also cross-compiles every release target (release/targets.ts) into dist/, checks each
// file's header says the platform its name promises, and writes dist/SHA256SUMS. Any failure fails the build.

import { rm } from "node:fs/promises";
import { parseArgs } from "node:util";
import { version } from "./package.json";
import { formatProblem, HEADER_BYTES } from "./release/executable-format.ts";
import { type BunTarget, CHECKSUMS_FILE, TARGETS, type Target } from "./release/targets.ts";

const USAGE = "usage: bun run build [--all] [--outdir DIR (default dist)]";

async function main(): Promise<number> {
  let all: boolean, dist: string;
  try {
    const { values } = parseArgs({
      options: { all: { type: "boolean", default: false }, outdir: { type: "string", default: "./dist" } },
      strict: true,
    });
    ({ all, outdir: dist } = values);
  } catch (err) {
    console.error(`build: ${(err as Error).message} (${USAGE})`);
    return 2;
  }

  const host = await compile(`${dist}/chat`);
  if (host) {
    console.error(`build failed: ${dist}/chat: ${host}`);
    return 1;
  }
  console.error(`built ${dist}/chat (chat ${version})`);
  if (!all) return 0;

  // A file left from an earlier build must never be published next to checksums it does not match.
  await Promise.all([...TARGETS.map((t) => rm(`${dist}/${t.file}`, { force: true })), rm(`${dist}/${CHECKSUMS_FILE}`, { force: true })]);
  const failures: string[] = [];
  for (const target of TARGETS) {
    const started = performance.now();
    const problem = await buildTarget(target, dist);
    if (problem) failures.push(problem);
    else console.error(`built ${dist}/${target.file} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  if (failures.length > 0) {
    for (const f of failures) console.error(`build failed: ${f}`);
    console.error(`${failures.length} of ${TARGETS.length} targets failed; ${CHECKSUMS_FILE} was not written`);
    return 1;
  }

  const lines = await Promise.all(TARGETS.map(async (t) => `${await sha256(`${dist}/${t.file}`)}  ${t.file}\n`));
  await Bun.write(`${dist}/${CHECKSUMS_FILE}`, lines.join(""));
  console.error(`wrote ${dist}/${CHECKSUMS_FILE} for ${TARGETS.length} files (chat ${version})`);
  return 0;
}

/** Compiles and checks one release target; says what went wrong, or undefined. */
async function buildTarget(target: Target, dist: string): Promise<string | undefined> {
  const outfile = `${dist}/${target.file}`;
  const problem = await compile(outfile, target.bun);
  if (problem) return `${target.file}: ${problem}`;
  // The source map is embedded in the binary too (stack traces name src/ lines without it): dist/ keeps only what ships.
  await rm(`${outfile.replace(/\.exe$/, "")}.map`, { force: true });
  const file = Bun.file(outfile);
  if (!(await file.exists())) return `${target.file}: Bun reported success but wrote no file`;
  return formatProblem(target, await file.slice(0, HEADER_BYTES).bytes());
}

/** One `bun build --compile`; for another platform Bun fetches that platform's runtime from the npm registry. */
async function compile(outfile: string, target?: BunTarget): Promise<string | undefined> {
  try {
    const result = await Bun.build({
      entrypoints: [`${import.meta.dir}/src/cli.ts`],
      format: "esm", // --bytecode defaults to CommonJS, where the entry's top-level await fails
      bytecode: true,
      minify: true,
      sourcemap: "linked",
      throw: false,
      compile: {
        outfile,
        ...(target ? { target } : {}),
        // A binary run from any folder must not pick up that folder's .env or bunfig.toml.
        autoloadDotenv: false,
        autoloadBunfig: false,
      },
    });
    if (result.success) return undefined;
    return result.logs.map(String).join("; ") || "Bun.build failed without saying why";
  } catch (err) {
    return (err as Error).message;
  }
}

async function sha256(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}

process.exitCode = await main();
