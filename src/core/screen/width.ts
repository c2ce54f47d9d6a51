// How many terminal columns text takes: grapheme clusters, each 0, 1 or 2 columns wide, and text cut to a width.

const SEGMENTER = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** The user-perceived characters of `text` (extended grapheme clusters), in order. */
export function graphemes(text: string): string[] {
  return Array.from(SEGMENTER.segment(text), (s) => s.segment);
}

/**
 * Columns one grapheme cluster takes in a terminal: 0 for nothing, a control character or only invisible
 * code points (non-spacing marks, format characters such as ZWJ or a soft hyphen); 2 for an emoji shown as
 * emoji or an East Asian Wide or Fullwidth character; 1 for everything else.
 */
export function graphemeWidth(g: string): 0 | 1 | 2 {
  const first = g.codePointAt(0);
  if (first === undefined || first < 0x20 || (first >= 0x7f && first <= 0x9f)) return 0;
  if (EMOJI.test(g)) return 2;
  // Before the wide table: U+3099 and U+309A are wide in the table yet combining, so they draw nothing alone.
  if (INVISIBLE.test(g)) return 0;
  return isWide(first) ? 2 : 1;
}

/** Columns `text` takes, cluster by cluster. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const g of graphemes(text)) width += graphemeWidth(g);
  return width;
}

/** The longest prefix of `text`, in whole grapheme clusters, that fits in `columns`. */
export function truncateToWidth(text: string, columns: number): string {
  let width = 0;
  let end = 0;
  for (const g of graphemes(text)) {
    width += graphemeWidth(g);
    if (width > columns) break;
    end += g.length;
  }
  return text.slice(0, end);
}

// Emoji presentation: a default-emoji code point (a lone regional indicator is not one: only a pair is a flag),
// a pictograph asked to be emoji by VS16, a keycap, or a flag.
const EMOJI = /(?!\p{Regional_Indicator})\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|\uFE0F\u20E3|\p{Regional_Indicator}{2}/u;

// Non-spacing and enclosing marks, format characters (ZWJ, ZWNJ, ZWSP, word joiner, soft hyphen, bidi
// controls, tags) and the Hangul medial vowels and finals, which only ever join a preceding syllable.
const INVISIBLE = /^[\p{Mn}\p{Me}\p{Cf}\u1160-\u11FF\uD7B0-\uD7FF]+$/u;

// East Asian Wide (W) and Fullwidth (F) code points outside the emoji, as of Unicode 17, as sorted inclusive
// ranges. Unassigned gaps inside a block are folded in to keep the table short. Pictographs with an emoji
// default are W too, but EMOJI already catches those, along with their sequences.
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], // Hangul initial consonants
  [0x2329, 0x232a], // angle brackets
  [0x2630, 0x2637], // trigrams
  [0x268a, 0x268f], // monograms and digrams
  [0x2e80, 0x303e], // CJK radicals, Kangxi radicals, ideographic description, CJK symbols and punctuation
  [0x3041, 0x3247], // Hiragana, Katakana, Bopomofo, Hangul compatibility jamo, Kanbun, CJK strokes, enclosed CJK
  [0x3250, 0xa4cf], // enclosed CJK, CJK compatibility, CJK extension A, Yijing hexagrams, CJK unified, Yi
  [0xa960, 0xa97f], // Hangul initial consonants, extended
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // fullwidth ASCII and punctuation
  [0xffe0, 0xffe6], // fullwidth signs
  [0x16fe0, 0x16fff], // ideographic symbols and punctuation
  [0x17000, 0x18dff], // Tangut, Khitan
  [0x1aff0, 0x1b2ff], // Kana extensions and supplement, Nushu
  [0x1d300, 0x1d356], // Tai Xuan Jing symbols
  [0x1d360, 0x1d376], // counting rods
  [0x1f200, 0x1f2ff], // enclosed ideographic supplement
  [0x20000, 0x2fffd], // CJK extensions B to F, compatibility supplement
  [0x30000, 0x3fffd], // CJK extensions G and H
];

function isWide(code: number): boolean {
  let low = 0;
  let high = WIDE.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const [from, to] = WIDE[mid]!;
    if (code < from) high = mid - 1;
    else if (code > to) low = mid + 1;
    else return true;
  }
  return false;
}
