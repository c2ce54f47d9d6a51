// install.sh end to end, run by /bin/sh against a local HTTP server (started here) that serves dist/ as a release.

import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { version } from "../../package.json";
import { CHECKSUMS_FILE } from "../../release/targets.ts";

const root = join(import.meta.dir, "..", "..");
const dist = join(root, "dist");
/** The release file install.sh picks on this machine (the tests that install need one this machine can run). */
const here = process.platform === "linux" && process.arch === "x64" ? "chat-linux-x64" : undefined;

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Release {
  base: string;
  /** Paths asked for, in order. */
  requests: string[];
}

/** Serves dist/ over HTTP on a free port, as a release download folder; `damage` flips one byte of the named files. */
function serveRelease(opts: { damage?: string[]; checksums?: string } = {}): Release {
  const requests: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const name = decodeURIComponent(new URL(request.url).pathname.slice(1));
      requests.push(name);
      if (name === CHECKSUMS_FILE && opts.checksums !== undefined) return new Response(opts.checksums);
      const file = Bun.file(join(dist, name));
      if (name.includes("/") || !(await file.exists())) return new Response("not found\n", { status: 404 });
      if (!opts.damage?.includes(name)) return new Response(file);
      const bytes = await file.bytes();
      bytes[bytes.length >> 1]! ^= 0x01;
      return new Response(bytes);
    },
  });
  cleanups.push(() => server.stop(true));
  return { base: `http://127.0.0.1:${server.port}`, requests };
}

/** A fresh HOME (and a PATH without the install folder), removed after the test. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "chat-install-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs install.sh with /bin/sh (dash on Debian: no bashisms get through) to the end. */
async function install(env: Record<string, string | undefined>) {
  const proc = Bun.spawn(["/bin/sh", join(root, "install.sh")], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH, CHAT_DOWNLOAD_URL: undefined, CHAT_INSTALL_DIR: undefined, ...env },
  });
  cleanups.push(async () => {
    proc.kill();
    await proc.exited;
  });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, out, err };
}

async function versionOf(binary: string): Promise<string> {
  const proc = Bun.spawn([binary, "--version"], { stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return `${code}: ${out.trim()}`;
}

describe.skipIf(!here)("install.sh against a local release", () => {
  test("installs the verified binary as ~/.local/bin/chat, which answers --version, and says how to start", async () => {
    if (!existsSync(join(dist, CHECKSUMS_FILE)))
      throw new Error("dist/SHA256SUMS is missing: run `bun run build --all` first (npm test does)");
    const release = serveRelease();
    const home = scratch();
    const result = await install({ HOME: home, CHAT_DOWNLOAD_URL: `${release.base}/` });

    expect({ code: result.code, out: result.out }).toEqual({ code: 0, out: "" });
    const installed = join(home, ".local", "bin", "chat");
    expect(await versionOf(installed)).toBe(`0: ${version}`);
    expect(readFileSync(installed).equals(readFileSync(join(dist, here!)))).toBe(true);
    expect(release.requests).toEqual([here!, CHECKSUMS_FILE]);
    expect(result.err).toContain(`installed ${installed} (${version}), verified against SHA256SUMS`);
    expect(result.err).toContain("is not on your PATH");
    expect(result.err).toContain("chat serve");
  });

  test("CHAT_INSTALL_DIR chooses the folder, and a second run replaces the binary in place", async () => {
    const release = serveRelease();
    const dir = join(scratch(), "tools", "bin");
    for (let run = 0; run < 2; run++) {
      const result = await install({
        HOME: scratch(),
        CHAT_DOWNLOAD_URL: release.base,
        CHAT_INSTALL_DIR: dir,
        PATH: `${dir}:${process.env.PATH}`,
      });
      expect(result.code).toBe(0);
      expect(result.err).not.toContain("is not on your PATH");
    }
    expect(await versionOf(join(dir, "chat"))).toBe(`0: ${version}`);
  });

  test("a corrupted download is refused, and nothing is installed or replaced", async () => {
    const release = serveRelease({ damage: [here!] });
    const home = scratch();
    const result = await install({ HOME: home, CHAT_DOWNLOAD_URL: release.base });
    expect(result.code).toBe(1);
    expect(result.err).toContain(`checksum mismatch for ${here}`);
    expect(result.err).toContain("nothing was installed");
    expect(existsSync(join(home, ".local"))).toBe(false);

    // An earlier chat in the folder is left as it was.
    const dir = join(home, "bin");
    mkdirSync(dir);
    writeFileSync(join(dir, "chat"), "#!/bin/sh\necho the old one\n");
    expect((await install({ HOME: home, CHAT_DOWNLOAD_URL: release.base, CHAT_INSTALL_DIR: dir })).code).toBe(1);
    expect(readFileSync(join(dir, "chat"), "utf8")).toBe("#!/bin/sh\necho the old one\n");
  });

  test("SHA256SUMS without a line for the file is refused", async () => {
    const release = serveRelease({ checksums: `${"0".repeat(64)}  chat-something-else\n` });
    const home = scratch();
    const result = await install({ HOME: home, CHAT_DOWNLOAD_URL: release.base });
    expect({ code: result.code, last: result.err.trim().split("\n").slice(-2) }).toEqual({
      code: 1,
      last: [`chat install: SHA256SUMS has no checksum for ${here}`, "chat install: nothing was installed"],
    });
    expect(existsSync(join(home, ".local"))).toBe(false);
  });

  test("a release folder without the file says which URL failed", async () => {
    const release = serveRelease();
    const home = scratch();
    const result = await install({ HOME: home, CHAT_DOWNLOAD_URL: `${release.base}/no-such-release` });
    expect(result.code).toBe(1);
    expect(result.err).toContain(`could not download ${release.base}/no-such-release/${here}`);
    expect(existsSync(join(home, ".local"))).toBe(false);
  });
});

/** A folder of stand-ins for `uname` (and `ldd`) to put first on PATH: this machine is one platform, they make install.sh see another. */
function pretend(home: string, os: string, arch: string, ldd = ""): string {
  const bin = join(home, "fake-bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "uname"), `#!/bin/sh\ncase "$1" in -s) echo '${os}' ;; -m) echo '${arch}' ;; *) exit 1 ;; esac\n`);
  chmodSync(join(bin, "uname"), 0o755);
  if (ldd) {
    writeFileSync(join(bin, "ldd"), `#!/bin/sh\necho '${ldd}' >&2\nexit 1\n`);
    chmodSync(join(bin, "ldd"), 0o755);
  }
  return `${bin}:${process.env.PATH}`;
}

describe("install.sh picks the file for the platform it runs on", () => {
  test.each([
    ["Linux", "x86_64", "musl libc (x86_64)", "chat-linux-x64-musl"],
    ["Linux", "aarch64", "", "chat-linux-arm64"],
    ["Darwin", "arm64", "", "chat-darwin-arm64"],
    ["Darwin", "x86_64", "", "chat-darwin-x64"],
  ])("uname says %s %s, ldd says %p: %s, verified and installed", async (os, arch, ldd, file) => {
    const release = serveRelease();
    const home = scratch();
    const result = await install({ HOME: home, CHAT_DOWNLOAD_URL: release.base, PATH: pretend(home, os, arch, ldd) });
    expect({ code: result.code, requests: release.requests }).toEqual({ code: 0, requests: [file, CHECKSUMS_FILE] });
    expect(readFileSync(join(home, ".local", "bin", "chat")).equals(readFileSync(join(dist, file)))).toBe(true);
    if (ldd) expect(result.err).toContain("apk add libstdc++ libgcc");
  });
});

describe("install.sh on a platform without a prebuilt binary", () => {
  test.each([
    ["SunOS", "sun4v", "no prebuilt chat for this platform (SunOS-sun4v)"],
    ["Linux", "riscv64", "no prebuilt chat for this platform (linux-riscv64)"],
    ["MINGW64_NT-10.0", "x86_64", "on Windows, download chat-windows-x64.exe"],
  ])("%s %s: a clear message, no download, nothing installed", async (os, arch, message) => {
    const release = serveRelease();
    const home = scratch();
    const result = await install({ HOME: home, CHAT_DOWNLOAD_URL: release.base, PATH: pretend(home, os, arch) });
    expect(result.code).toBe(1);
    expect(result.err).toContain(message);
    expect(result.err).toContain("nothing was installed");
    expect(release.requests).toEqual([]);
    expect(existsSync(join(home, ".local"))).toBe(false);
  });
});
