// Honest names (UTS #39 in part): the characters a name may not hold and the scripts it may mix (skeleton.ts: look-alikes).

/**
 * Fillers that show as nothing. Each is Default_Ignorable_Code_Point (checked by test/unit/names.test.ts), so the
 * default-ignorable rule refuses them too; they are named here so that the refusal says what they are.
 */
const FILLERS = new Map([
  [0x115f, "HANGUL CHOSEONG FILLER"],
  [0x1160, "HANGUL JUNGSEONG FILLER"],
  [0x3164, "HANGUL FILLER"],
  [0xffa0, "HALFWIDTH HANGUL FILLER"],
]);

const hex = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/** The invisible character `name` holds, said as what it is (before the pattern, whose line would not say which). */
export function invisibleProblem(name: string): string | undefined {
  for (const ch of name) {
    const filler = FILLERS.get(ch.codePointAt(0)!);
    if (filler) return `it holds ${hex(ch)} (${filler}), which shows as nothing`;
    if (/\p{Variation_Selector}/u.test(ch)) return `it holds ${hex(ch)}, a variation selector, which shows as nothing`;
    if (/\p{Cf}/u.test(ch)) return `it holds ${hex(ch)}, an invisible format character`;
    if (/\p{Default_Ignorable_Code_Point}/u.test(ch)) return `it holds ${hex(ch)}, which shows as nothing`;
  }
  return undefined;
}

/** What is wrong with the shape of `name` (NFC, of allowed characters only): marks alone, no letter, mixed scripts. */
export function shapeProblem(name: string): string | undefined {
  if (/^\p{M}/u.test(name)) return "it begins with a combining mark";
  if (!/[\p{L}\p{Nd}]/u.test(name)) return "it has no letter or digit";
  return mixedScripts(name);
}

// ---- Scripts ----

/**
 * The scripts of Unicode (ISO 15924 codes, as Script_Extensions names them); those this engine does not know are
 * dropped when the module loads. Which character is in which script is the engine's Unicode data, not this list.
 */
const SCRIPT_CODES = `Adlm Aghb Ahom Arab Armi Armn Avst Bali Bamu Bass Batk Beng Berf Bhks Bopo Brah Brai Bugi Buhd Cakm Cans
  Cari Cham Cher Chrs Copt Cpmn Cprt Cyrl Deva Diak Dogr Dsrt Dupl Egyp Elba Elym Ethi Gara Geor Glag Gong Gonm Goth
  Gran Grek Gujr Gukh Guru Hang Hani Hano Hatr Hebr Hira Hluw Hmng Hmnp Hung Ital Java Kali Kana Kawi Khar Khmr Khoj
  Kits Knda Krai Kthi Lana Laoo Latn Lepc Limb Lina Linb Lisu Lyci Lydi Mahj Maka Mand Mani Marc Medf Mend Merc Mero
  Mlym Modi Mong Mroo Mtei Mult Mymr Nagm Nand Narb Nbat Newa Nkoo Nshu Ogam Olck Onao Orkh Orya Osge Osma Ougr Palm
  Pauc Perm Phag Phli Phlp Phnx Plrd Prti Rjng Rohg Runr Samr Sarb Saur Sgnw Shaw Shrd Sidd Sidt Sind Sinh Sogd Sogo Sora
  Soyo Sund Sunu Sylo Syrc Tagb Takr Tale Talu Taml Tang Tavt Tayo Telu Tfng Tglg Thaa Thai Tibt Tirh Tnsa Todr Tols
  Toto Tutg Ugar Vaii Vith Wara Wcho Xpeo Xsux Yezi Yiii Zanb`.split(/\s+/);

export const SCRIPTS: readonly (readonly [string, RegExp])[] = SCRIPT_CODES.flatMap((code) => {
  try {
    return [[code, new RegExp(`\\p{Script_Extensions=${code}}`, "u")] as const];
  } catch {
    return []; // a script newer than this engine's Unicode: it has no characters here
  }
});

/** The writing systems of UTS #39 that combine scripts: Japanese, Korean, Han with Bopomofo. */
const AUGMENTED: Record<string, readonly string[]> = {
  Hani: ["Jpan", "Kore", "Hanb"],
  Hira: ["Jpan"],
  Kana: ["Jpan"],
  Hang: ["Kore"],
  Bopo: ["Hanb"],
};

const ANY = "any";
const SCRIPT_CACHE_MAX = 4096;
const scriptCache = new Map<string, ReadonlySet<string> | typeof ANY>();

/** A character's augmented Script_Extensions; "any" for Common and Inherited (digits, "_", combining marks, ...). */
function scriptsOf(ch: string): ReadonlySet<string> | typeof ANY {
  let found = scriptCache.get(ch);
  if (found === undefined) {
    const codes = SCRIPTS.filter(([, re]) => re.test(ch)).map(([code]) => code);
    if (codes.length === 0) found = /[\p{scx=Zyyy}\p{scx=Zinh}]/u.test(ch) ? ANY : new Set([`unknown ${hex(ch)}`]);
    else found = new Set(codes.flatMap((c) => [c, ...(AUGMENTED[c] ?? [])]));
    // Bounded: names from strangers could otherwise fill it with every code point there is.
    if (scriptCache.size < SCRIPT_CACHE_MAX) scriptCache.set(ch, found);
  }
  return found;
}

/**
 * UTS #39's "highly restrictive" level: all characters of one script (Common and Inherited go with any), or Latin
 * with one of Japanese (Han, Hiragana, Katakana), Korean (Han, Hangul) or Han with Bopomofo. Why this level: it is
 * the strictest that still lets every single-script name in (and the CJK names that mix Latin, as people write
 * them), and it refuses what makes look-alikes across scripts, Latin with Cyrillic or Greek; "moderately restrictive"
 * would let Latin mix with Cyrillic's neighbours, and the skeleton rule alone would miss a look-alike of a name that
 * joins later.
 */
function mixedScripts(name: string): string | undefined {
  const sets = [...name].map(scriptsOf).filter((s): s is ReadonlySet<string> => s !== ANY);
  const fits = (script: string, orLatin: boolean) => sets.every((s) => s.has(script) || (orLatin && s.has("Latn")));
  if (sets.length === 0 || [...sets[0]!].some((script) => fits(script, false))) return undefined;
  if (["Jpan", "Kore", "Hanb"].some((script) => fits(script, true))) return undefined;
  const seen = [...new Set(sets.map((s) => [...s][0]!))];
  return `it mixes scripts (${seen.join(", ")}): use one`;
}
