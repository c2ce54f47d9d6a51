// An attacker's forged datagrams: test/helpers/spoof.c (a raw socket, root only) built once, sending from any address.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Peer } from "../../src/core/room/room.ts";

export class Spoofer {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
  ) {}

  /** Compiles spoof.c with the machine's C compiler (as the chatload test does). Throws with cc's message if it fails. */
  static async build(): Promise<Spoofer> {
    const dir = mkdtempSync(join(tmpdir(), "spoof-"));
    const bin = join(dir, "spoof");
    const cc = Bun.spawn(["cc", "-O2", "-Wall", "-o", bin, join(import.meta.dir, "spoof.c")], { stdout: "pipe", stderr: "pipe" });
    const [err, code] = await Promise.all([cc.stderr.text(), cc.exited]);
    if (code !== 0) throw new Error(`cc spoof.c failed: ${err}`);
    return new Spoofer(bin, dir);
  }

  /** Sends each datagram to `to` as if it came from `from`; resolves once all went out. */
  async send(from: Peer, to: Peer, datagrams: readonly (Uint8Array | string)[]): Promise<void> {
    const hex = datagrams.map((d) => Buffer.from(typeof d === "string" ? new TextEncoder().encode(d) : d).toString("hex")).join("\n");
    const run = Bun.spawn([this.bin, from.address, String(from.port), to.address, String(to.port)], {
      stdin: new TextEncoder().encode(`${hex}\n`),
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err, code] = await Promise.all([run.stdout.text(), run.stderr.text(), run.exited]);
    if (code !== 0 || out.trim() !== `sent ${datagrams.length}`) throw new Error(`spoof failed (${code}): ${err.trim() || out.trim()}`);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
