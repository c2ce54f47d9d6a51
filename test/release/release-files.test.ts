// What `bun run build --all` leaves in dist/ for a release: one executable per platform, each of the format its name
// promises (read from its header bytes, since most cannot run here), and SHA256SUMS matching them.

import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { version } from "../../package.json";
import { formatProblem, HEADER_BYTES, readExecutableFormat } from "../../release/executable-format.ts";
import { CHECKSUMS_FILE, TARGETS } from "../../release/targets.ts";

const root = join(import.meta.dir, "..", "..");
const dist = join(root, "dist");
const header = (file: string) => Bun.file(join(dist, file)).slice(0, HEADER_BYTES).bytes();

function requireBuilt(file: string): void {
  if (!existsSync(join(dist, file))) throw new Error(`dist/${file} is missing: run \`bun run build --all\` first (npm test does)`);
}

describe("cross-compiled release files", () => {
  test.each(TARGETS.map((t) => [t.file, t] as const))("%s has the header of its platform, and of no other", async (file, target) => {
    requireBuilt(file);
    const bytes = await header(file);
    expect(formatProblem(target, bytes)).toBeUndefined();
    // The reader tells the six apart: this file is refused as any other target.
    const mistaken = TARGETS.filter((other) => other !== target && formatProblem(other, bytes) === undefined).map((o) => o.file);
    expect(mistaken).toEqual([]);
  });

  test(`${CHECKSUMS_FILE} lists every file once, with its SHA-256, in the format sha256sum -c reads`, async () => {
    requireBuilt(CHECKSUMS_FILE);
    const lines = (await Bun.file(join(dist, CHECKSUMS_FILE)).text()).trimEnd().split("\n");
    const listed = lines.map((line) => /^([0-9a-f]{64}) {2}(\S+)$/.exec(line)?.slice(1) ?? ["not a checksum line", line]);
    const expected = await Promise.all(
      TARGETS.map(async (t) => {
        const hasher = new Bun.CryptoHasher("sha256");
        for await (const chunk of Bun.file(join(dist, t.file)).stream()) hasher.update(chunk);
        return [hasher.digest("hex"), t.file];
      }),
    );
    expect(listed).toEqual(expected);
  });

  test.skipIf(process.platform !== "linux" || process.arch !== "x64")("the file for this machine runs and knows its version", async () => {
    requireBuilt("chat-linux-x64");
    const proc = Bun.spawn([join(dist, "chat-linux-x64"), "--version"], { stdout: "pipe", stderr: "pipe" });
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect({ code, out }).toEqual({ code: 0, out: `${version}\n` });
  });
});

describe("a build that cannot finish", () => {
  test("a target whose runtime cannot be fetched fails the build, by name, and no SHA256SUMS is written", async () => {
    // An empty runtime cache and a download address that answers 503: every other platform's runtime is out of reach.
    const mirror = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("unavailable", { status: 503 }) });
    const out = mkdtempSync(join(tmpdir(), "chat-build-"));
    const cache = mkdtempSync(join(tmpdir(), "chat-build-cache-"));
    const proc = Bun.spawn([process.execPath, "build.ts", "--all", "--outdir", out], {
      cwd: root,
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, BUN_INSTALL_CACHE_DIR: cache, BUN_COMPILE_TARGET_TARBALL_URL: `http://127.0.0.1:${mirror.port}/bun.tgz` },
    });
    try {
      const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
      expect(code).toBe(1);
      const failed = err
        .split("\n")
        .filter((l) => l.startsWith("build failed: "))
        .map((l) => l.split(":")[1]!.trim());
      // This machine's own platform needs no download; every other one is named.
      const local = TARGETS.filter((t) => t.os === process.platform && t.arch === process.arch && t.libc !== "musl").map((t) => t.file);
      expect(failed).toEqual(TARGETS.map((t) => t.file).filter((f) => !local.includes(f)));
      expect(err).toContain(`${failed.length} of ${TARGETS.length} targets failed; ${CHECKSUMS_FILE} was not written`);
      expect(readdirSync(out)).not.toContain(CHECKSUMS_FILE);
    } finally {
      proc.kill();
      await proc.exited;
      mirror.stop(true);
      rmSync(out, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

describe("reading an executable's header", () => {
  test("bun itself reads as what this machine is", async () => {
    const found = readExecutableFormat(await Bun.file(process.execPath).slice(0, HEADER_BYTES).bytes());
    const seen: string = typeof found === "string" ? found : `${found.os}-${found.arch}`;
    expect(seen).toBe(`${process.platform}-${process.arch}`);
  });

  test.each([
    ["empty", new Uint8Array(0), "too short to be an executable"],
    [
      "a text file",
      new TextEncoder().encode(`#!/bin/sh\necho this is a shell script and not a binary at all, promise\n`),
      "unknown header 23 21 2f 62",
    ],
    ["an ELF header cut short", Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, ...new Array(58).fill(0)]), "ELF for machine 0x0"],
    ["a bare MZ stub", Uint8Array.from([0x4d, 0x5a, ...new Array(126).fill(0)]), "MZ header without a PE signature"],
  ])("%s is refused with a reason", (_name, bytes, reason) => {
    expect(readExecutableFormat(bytes)).toBe(reason);
  });
});
