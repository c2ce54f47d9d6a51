// `bun run build`: compiles src/cli.ts into the standalone executable dist/chat for this machine.

import { version } from "./package.json";

const outfile = "./dist/chat";
const result = await Bun.build({
  entrypoints: ["./src/cli.ts"],
  format: "esm", // --bytecode defaults to CommonJS, where the entry's top-level await fails
  bytecode: true,
  minify: true,
  sourcemap: "linked",
  throw: false,
  compile: {
    outfile,
    // A binary run from any folder must not pick up that folder's .env or bunfig.toml.
    autoloadDotenv: false,
    autoloadBunfig: false,
  },
});

if (!result.success) {
  for (const message of result.logs) console.error(message);
  console.error(`build failed: ${outfile} was not written`);
  process.exit(1);
}
console.error(`built ${outfile} (chat ${version})`);
