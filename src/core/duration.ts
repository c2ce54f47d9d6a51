// Durations as people type them (`--for 10m`, `/ban bob 2h`): a number and a unit, s m h or d; a bare number is seconds.

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Longest duration accepted: a year. */
const MAX_SECONDS = 365 * 86_400;

/** Whole seconds, or a one-line problem. */
export function parseDuration(raw: string): { seconds: number } | { problem: string } {
  const m = /^(\d{1,9})([smhd]?)$/.exec(raw.trim());
  const seconds = m ? Number(m[1]) * UNIT_SECONDS[m[2] || "s"]! : NaN;
  if (!(seconds >= 1 && seconds <= MAX_SECONDS)) {
    return {
      problem: `invalid duration ${JSON.stringify(raw)}: expected a number with s, m, h or d (such as 30s, 10m, 2h, 1d), at most a year`,
    };
  }
  return { seconds };
}
