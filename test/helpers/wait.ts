// Waiting on a condition with a deadline, for the tests and the bench: poll and give up at a bound, never sleep-and-hope.

/** How often a condition is checked, unless the caller says otherwise. */
const EVERY_MS = 10;

type Check<T> = () => T | undefined | false;

/**
 * Polls `check` until it returns a value other than undefined/false, and resolves with that value; after `ms`, fails
 * naming `what` (a function is asked only then, so that it can say what things looked like at the deadline).
 */
export async function waitUntil<T>(check: Check<T>, ms: number, what: string | (() => string), everyMs = EVERY_MS): Promise<T> {
  const value = await waitAtMost(check, ms, everyMs);
  if (value !== undefined) return value;
  throw new Error(`timed out after ${ms} ms waiting for ${typeof what === "string" ? what : what()}`);
}

/**
 * Does `send` now and again every `everyMs` until `check` gives a value, for at most `ms`: a request over a network
 * that may drop it is repeated with a bound, never sent once and slept on.
 */
export async function resendUntil<T>(send: () => void, check: Check<T>, ms: number, what: string, everyMs = 100): Promise<T> {
  const timer = setInterval(send, everyMs);
  send();
  try {
    return await waitUntil(check, ms, what);
  } finally {
    clearInterval(timer);
  }
}

/**
 * The same wait without the error: undefined once `ms` passed (Infinity: no deadline), for a caller that carries on
 * and reports what it got (the bench).
 */
export async function waitAtMost<T>(check: Check<T>, ms: number, everyMs = EVERY_MS): Promise<T | undefined> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) return undefined;
    await Bun.sleep(everyMs);
  }
}
