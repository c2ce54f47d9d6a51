// The processes and temp dirs a test file or the bench started: tracked, and always stopped (with their subprocesses) and removed.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { descendants, isGone } from "./procfs.ts";

export class Reaper {
  readonly #children = new Set<Subprocess>();
  readonly #dirs = new Set<string>();

  /** `graceMs`: how long a child gets to end after SIGTERM before SIGKILL; 0 kills at once (the tests' way). */
  constructor(private readonly graceMs: number) {}

  track<T extends Subprocess>(child: T): T {
    this.#children.add(child);
    void child.exited.then(() => this.#children.delete(child));
    return child;
  }

  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.#dirs.add(dir);
    return dir;
  }

  removeDir(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
    this.#dirs.delete(dir);
  }

  /** SIGTERM, then SIGKILL after the grace period (at once without one); resolves once it has exited. */
  async stop(child: Subprocess): Promise<void> {
    if (this.graceMs === 0) {
      child.kill("SIGKILL");
      await child.exited;
      return;
    }
    child.kill("SIGTERM");
    const kill = setTimeout(() => child.kill("SIGKILL"), this.graceMs);
    await child.exited;
    clearTimeout(kill);
  }

  /**
   * Stops every child still running, then kills whatever they started that outlived them (a receiver or console
   * subprocess), and removes every temp dir. Subprocesses are listed first: once their parent is gone they no
   * longer show as its descendants.
   */
  async all(): Promise<void> {
    const children = [...this.#children];
    const theirs = children.flatMap((c) => descendants(c.pid).map((p) => p.pid));
    await Promise.all(children.map((c) => this.stop(c)));
    for (const pid of theirs) {
      if (isGone(pid)) continue;
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone in the meantime
      }
    }
    for (const dir of [...this.#dirs]) this.removeDir(dir);
  }
}
