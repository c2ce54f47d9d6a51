// Field rules for every wire format (the datagrams, the cluster's JSON, the IPC messages): one checker per kind of value, and readers that check an object by them.

/** Checks one value: a problem (one line, naming the rule broken) or undefined when the value is good. */
export type Check = (value: unknown) => string | undefined;

/** One field of an object: how its value is checked, and whether it may be absent. `T` is the type a good value has. */
export interface Field<T = unknown> {
  readonly check: Check;
  readonly optional: boolean;
  /** Never set: it carries `T`, so that a rule of the wrong type does not compile. */
  readonly type?: T;
}

/** The rules of an object's fields, by name, in the order an encoder writes them. */
export type Rules = Readonly<Record<string, Field>>;

/**
 * The rules an interface needs: one per field (the compiler asks for each), of the field's type, optional exactly
 * where the field is. This is what lets a reader return a checked value as `T` without a guess.
 */
export type RulesOf<T> = {
  readonly [K in keyof T]-?: Partial<Pick<T, K>> extends Pick<T, K>
    ? Field<Exclude<T[K], undefined>> & { readonly optional: true }
    : Field<T[K]> & { readonly optional: false };
};

/** A checked value, or the first rule it broke. */
export type Checked<T> = { value: T } | { problem: string };

/** A field that must be present: what every combinator makes (`optional` makes the other kind). */
export type RequiredField<T> = Field<T> & { readonly optional: false };
const required = <T>(check: Check): RequiredField<T> => ({ check, optional: false });

const utf8 = new TextEncoder();
/** Bytes of `text` in UTF-8. */
export const byteLength = (text: string) => utf8.encode(text).length;

/** A string of `minBytes` to `maxBytes` bytes of UTF-8. */
export const string = (minBytes: number, maxBytes: number): RequiredField<string> =>
  required((v) => {
    if (typeof v !== "string") return "expected a string";
    const n = byteLength(v);
    if (n < minBytes) return minBytes === 1 ? "must not be empty" : `${n} bytes (min ${minBytes})`;
    if (n > maxBytes) return `${n} bytes (max ${maxBytes})`;
    return undefined;
  });

/** Any string (where something else bounds it, e.g. our own subprocess). */
export const anyString: RequiredField<string> = required((v) => (typeof v === "string" ? undefined : "expected a string"));

/** An integer from 0 to `max`. */
export const uint = (max: number): RequiredField<number> =>
  required((v) => (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max ? undefined : `expected an integer 0..${max}`));

/** Any finite number. */
export const finiteNumber: RequiredField<number> = required((v) =>
  typeof v === "number" && Number.isFinite(v) ? undefined : "expected a number",
);

/** `min` to `max` lowercase hex digits (exactly `min` without `max`). */
export const hex = (min: number, max = min): RequiredField<string> =>
  required((v) =>
    typeof v === "string" && v.length >= min && v.length <= max && /^[0-9a-f]+$/.test(v)
      ? undefined
      : min === max
        ? `expected ${min} lowercase hex digits`
        : `expected ${min}..${max} lowercase hex digits`,
  );

/** One of a fixed list of strings. */
export const oneOf = <const T extends string>(options: readonly T[]): RequiredField<T> =>
  required((v) =>
    typeof v === "string" && (options as readonly string[]).includes(v) ? undefined : `expected one of ${options.join(", ")}`,
  );

export const bool: RequiredField<boolean> = required((v) => (typeof v === "boolean" ? undefined : "expected true or false"));

/** An array whose every item passes `item`; `what` names the items in the problem ("names"). */
export const listOf = <T>(item: Field<T>, what: string, minItems = 0): RequiredField<T[]> =>
  required((v) => {
    if (!Array.isArray(v) || v.some((x) => item.check(x) !== undefined)) return `expected an array of ${what}`;
    if (v.length < minItems) return minItems === 1 ? "must not be empty" : `expected at least ${minItems} ${what}`;
    return undefined;
  });

/** A field of type `T` checked by `check`: for a shape the combinators here do not cover (or one checked elsewhere). */
export const fieldOf = <T>(check: Check): RequiredField<T> => required(check);

/** The same rule, for a field that may be absent. */
export const optional = <T>(field: Field<T>): Field<T> & { readonly optional: true } => ({ check: field.check, optional: true });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** An object whose fields pass `rules` (fields it does not list are let through). */
export const object = <T>(rules: RulesOf<T>): RequiredField<T> =>
  required((v) => (isObject(v) ? problemOf(rules as unknown as Rules, v) : "expected an object"));

/**
 * One of several shapes, told apart by the string field `key`: `table` holds each shape's rules, without `key`.
 * The problem names the shape: `say: missing field "text"`.
 */
export const variant = <T extends Record<K, string>, K extends string>(
  key: K,
  table: { readonly [V in T[K]]: RulesOf<Omit<Extract<T, Record<K, V>>, K>> },
): RequiredField<T> =>
  required((v) => {
    if (!isObject(v)) return "expected an object";
    const tag = v[key];
    if (typeof tag !== "string" || !Object.hasOwn(table, tag)) return `unknown ${key} ${JSON.stringify(tag)}`;
    const problem = problemOf(table[tag as T[K]] as unknown as Rules, v);
    return problem === undefined ? undefined : `${tag}: ${problem}`;
  });

/** The first field of `obj` that breaks `rules`, in their order: `missing field "k"` or `field "k": <problem>`. */
function problemOf(rules: Rules, obj: Record<string, unknown>): string | undefined {
  for (const key in rules) {
    const field = rules[key]!;
    const value = obj[key];
    if (value === undefined) {
      if (field.optional) continue;
      return `missing field "${key}"`;
    }
    const problem = field.check(value);
    if (problem !== undefined) return `field "${key}": ${problem}`;
  }
  return undefined;
}

/** `value` as a `T` when it passes `rules` (an object, a variant…), or the first rule it broke. The value is returned whole. */
export function check<T>(rules: Field<T>, value: unknown): Checked<T> {
  const problem = rules.check(value);
  // `rules` is a Field<T>: a value that passes it has the type T (RulesOf makes the compiler hold each rule to its field).
  return problem === undefined ? { value: value as T } : { problem };
}

/**
 * The fields of `obj` that `rules` list, each checked, copied into `into` in the rules' order (fields not listed are
 * dropped: room to grow); or the first problem, as problemOf says it.
 */
export function read<T>(rules: RulesOf<T>, obj: Record<string, unknown>, into: Record<string, unknown> = {}): Checked<T> {
  const all = rules as unknown as Rules;
  const problem = problemOf(all, obj);
  if (problem !== undefined) return { problem };
  for (const key in all) if (obj[key] !== undefined) into[key] = obj[key];
  // Every field was checked against rules typed by RulesOf<T>: the shapes agree.
  return { value: into as T };
}

/**
 * What an encoder writes: `value`'s fields in the rules' order, as JSON members (`,"k":v` each), each checked; a
 * problem says `field "k": missing` or `field "k": <problem>`.
 */
export function write<T>(rules: RulesOf<T>, value: T): Checked<string> {
  const all = rules as unknown as Rules;
  const values = value as Record<string, unknown>;
  let out = "";
  for (const key in all) {
    const field = all[key]!;
    const v = values[key];
    if (v === undefined && field.optional) continue;
    const problem = v === undefined ? "missing" : field.check(v);
    if (problem) return { problem: `field "${key}": ${problem}` };
    out += `,"${key}":${JSON.stringify(v)}`;
  }
  return { value: out };
}

/**
 * `text` parsed as a JSON object, or "not JSON" / "not a JSON object" / "a key appears twice in one object". JSON.parse
 * alone would keep the last of two equal keys, so two readers (or a signer and a reader) could see different values.
 */
export function jsonObject(text: string): Checked<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: "not JSON" };
  }
  if (!isObject(parsed)) return { problem: "not a JSON object" };
  return keysWritten(text) === keysKept(parsed) ? { value: parsed } : { problem: "a key appears twice in one object" };
}

/**
 * How many keys valid JSON `text` writes, in all its objects: the strings a colon follows. Outside strings valid JSON
 * has no `"`, so the scan jumps from quote to quote (indexOf is native: this costs a fraction of the parse).
 */
function keysWritten(text: string): number {
  let keys = 0;
  for (let at = text.indexOf('"'); at >= 0; at = text.indexOf('"', at)) {
    let end = text.indexOf('"', at + 1);
    while (escaped(text, end)) end = text.indexOf('"', end + 1);
    at = end + 1;
    while (isJsonSpace(text.charCodeAt(at))) at++;
    if (text.charCodeAt(at) === COLON) keys++;
  }
  return keys;
}

const COLON = 0x3a;
const BACKSLASH = 0x5c;
/** RFC 8259's whitespace: space, tab, LF, CR. */
const isJsonSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** The quote at `at` is escaped: an odd number of backslashes stands before it. */
function escaped(text: string, at: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
}

/** How many keys a parsed value holds, in all its objects: fewer than written when a key was repeated. */
function keysKept(value: unknown): number {
  if (Array.isArray(value)) return value.reduce<number>((n, item) => n + keysKept(item), 0);
  if (!isObject(value)) return 0;
  let keys = 0;
  for (const key of Object.keys(value)) keys += 1 + keysKept(value[key]);
  return keys;
}
