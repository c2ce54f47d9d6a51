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

/**
 * How long a ban lasts, in milliseconds: the one unit inside the program (room, server, console, cluster, chat admin).
 * BAN_WHILE_RUNNING is a ban that lasts as long as the server runs.
 */
export type BanLength = number;
export const BAN_WHILE_RUNNING: BanLength = Number.POSITIVE_INFINITY;

/** A ban as typed (`30s`, `2h`), or a one-line problem. */
export function parseBanLength(raw: string): { ms: BanLength } | { problem: string } {
  const d = parseDuration(raw);
  return "problem" in d ? d : { ms: d.seconds * 1000 };
}

/** On the wire (a ban request, a cluster's kick order) a ban is whole seconds, 0 meaning while the server runs. */
export const banFromWire = (seconds: number): BanLength => (seconds === 0 ? BAN_WHILE_RUNNING : seconds * 1000);
export const banToWire = (ban: BanLength): number => (ban === BAN_WHILE_RUNNING ? 0 : Math.ceil(ban / 1000));

/** A ban in words, for the operator: "while the server runs" or "for 120 s". */
export const banInWords = (ban: BanLength): string => (ban === BAN_WHILE_RUNNING ? "while the server runs" : `for ${ban / 1000} s`);
