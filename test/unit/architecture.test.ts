// The core is pure: nothing under src/core/ imports from outside it but node:crypto (STYLE.md, rule 1).

import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(import.meta.dir, "..", "..");
const core = join(root, "src", "core");
/**
 * What the core may import besides its own files: hashing and ciphers, and Unicode's confusables as data (a JSON file,
 * no code, no I/O: the name rule's skeletons, src/core/wire/skeleton.ts).
 */
const ALLOWED = new Set(["node:crypto", "unhomoglyph/data.json"]);

/** Every module specifier a file names: static imports and re-exports (type-only too), and dynamic imports. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?\sfrom\s+["']([^"']+)["']/g)) found.push(m[1]!);
  for (const m of source.matchAll(/(?:^|[\s;])import\s+["']([^"']+)["']/g)) found.push(m[1]!);
  for (const m of source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) found.push(m[1]!);
  for (const m of source.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) found.push(m[1]!);
  return found;
}

const coreFiles = readdirSync(core, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".ts"))
  .map((f) => join(core, f));

/** The imports of `file` that leave the core: a package other than the allowed ones, or a path outside src/core/. */
function escapes(file: string, source = readFileSync(file, "utf8")): string[] {
  return specifiers(source).filter((spec) => {
    if (!spec.startsWith(".")) return !ALLOWED.has(spec);
    const target = resolve(dirname(file), spec);
    return relative(core, target).startsWith("..");
  });
}

test("the core has files to check", () => {
  expect(coreFiles.length).toBeGreaterThan(10);
});

test("nothing under src/core/ imports from outside it (but node:crypto)", () => {
  const offenders = coreFiles.flatMap((file) => escapes(file).map((spec) => `${relative(root, file)} imports ${spec}`));
  expect(offenders).toEqual([]);
});

test("the check sees every form of import, and would catch an escape", () => {
  const source = [
    'import { a } from "./wire/protocol.ts";',
    'import type { B } from "../runtime/log.ts";',
    'export { c } from "bun:sqlite";',
    'import "node:fs";',
    'const d = await import("../server/server.ts");',
  ].join("\n");
  expect(specifiers(source)).toEqual(["./wire/protocol.ts", "../runtime/log.ts", "bun:sqlite", "node:fs", "../server/server.ts"]);
  expect(escapes(join(core, "address.ts"), source)).toEqual(["../runtime/log.ts", "bun:sqlite", "node:fs", "../server/server.ts"]);
});

/** The files `file` loads when it is loaded: its static imports and re-exports that are not `import type`. */
function staticImports(file: string): string[] {
  const source = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const m of source.matchAll(/(?:^|[\s;])(import|export)(\s+type)?\s[^'"]*?\sfrom\s+["']([^"']+)["']/g)) if (!m[2]) found.push(m[3]!);
  // and a bare import, loaded for its effects: `import "x";`
  for (const m of source.matchAll(/(?:^|[\s;])import\s+["']([^"']+)["']/g)) found.push(m[1]!);
  return found;
}

/** Every file and package loaded, along static imports, when src/cli.ts is: what every chat process holds. */
function loadedByTheEntry(): { seen: Set<string>; packages: Set<string> } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec));
      else packages.add(spec);
    }
  };
  visit(join(root, "src", "cli.ts"));
  return { seen, packages };
}

test("a member's and an operator's processes never load the server: its rooms, SQLite, the web page, the confusables", () => {
  const { seen, packages } = loadedByTheEntry();
  const files = [...seen].map((f) => relative(root, f));
  expect(files.filter((f) => f.startsWith("src/server/") || f.startsWith("src/web/") || f === "src/core/wire/skeleton.ts")).toEqual([]);
  expect([...packages].filter((p) => p === "uqr" || p === "bun:sqlite" || p.startsWith("unhomoglyph"))).toEqual([]);
});

test("outside a cluster the NATS client is never loaded: nothing reaches it but a dynamic import", () => {
  const { seen, packages } = loadedByTheEntry();
  expect(seen.size).toBeGreaterThan(30);
  expect([...packages].filter((p) => p.startsWith("@nats-io/"))).toEqual([]);
  expect([...seen].map((f) => relative(root, f)).filter((f) => f.startsWith("src/cluster/") && f !== "src/cluster/wire.ts")).toEqual([]);
});
