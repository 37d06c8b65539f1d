//! Transliteration of Arabic-script and Ge'ez-script names to a plain Latin key.
//!
//! The key is for matching, not for display: lower-case ASCII letters and single spaces, no
//! diacritics and no apostrophes. Arabic script writes no short vowels, so the key of an
//! Arabic-script name is consonant-heavy (`محمد` → `mhmd`); [`crate::matching::skeleton`] bridges
//! that gap by dropping vowels on both sides.

use super::normalize::fold;

/// Transliterates a name in any script to a plain Latin key.
///
/// The name is first [`fold`]ed; then
///
/// * Arabic script (Arabic, Persian/Dari, Pashto, Urdu and Kurdish letters) follows a simplified
///   BGN/PCGN romanisation: the [`ARABIC`] table, without diacritics (`ح`→`h`, `ص`→`s`, `ط`→`t`),
///   `ع` as `a` (the vowel it carries in most names: `عمر` → `amr`), `ء` as nothing. `ض`, `ظ` and
///   `ذ` are all `dh`: Arabic speakers say d (or dh), Persian and Urdu speakers z, and the keys
///   read `dh` both ways ([`crate::matching::phonetic::token_keys`]). `و` is `w` at the start of a
///   word, next to an alef, or before a `ي`/`ی` that is the vowel i (`درويش`, `پرویز`, `علوي`),
///   otherwise `u`; `ي`/`ی` is `y` at the start of a word or before an alef or `و`, otherwise `i`
///   (so the Persian final yeh of `احمدی` gives `ahmdi`). A `ه` after a letter written `s`, `z`,
///   `k`, `g`, `d`, `t`, `p` or `c` is preceded by an `e`, so that the two letters are not read as
///   one digraph (`زهرا` → `zehra`, not `zhra`: Persian writes no vowel where Zahra has one). The
///   article `ال` at the start of a word of four letters or more becomes a word of its own, `al`.
/// * Ge'ez script (U+1200–U+137F) follows a simplified SERA-like scheme: each syllable is the
///   romanisation of its consonant row ([`GEEZ_CONSONANTS`]) followed by the vowel of its order
///   ([`GEEZ_VOWELS`]: `e u i a e`, nothing for the sixth order, `o`, and `wa` for the eighth,
///   labialised column), so `ሰምሃር` → `semhar`, `ዮናስ` → `yonas`. Ejectives lose their mark (`ጠ`→`t`,
///   `ቀ`→`q`, `ጸ`→`ts`), the glottal and pharyngeal carriers `አ` and `ዐ` give the bare vowel (first
///   order `a`), and the labialised rows (`ቈ`, `ኰ`, `ጐ`, …) give consonant + `w` + vowel.
/// * Latin letters pass through unchanged (so Latin input comes out as [`fold`] gives it), and so
///   do letters of any other script, which this function does not transliterate.
pub fn to_latin(name: &str) -> String {
    latin_words(name)
        .into_iter()
        .map(|(word, _)| word)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of [`to_latin`], each with whether it is the article `al` this function split from
/// an Arabic-script word (`الحسن` → `al`, `hsn`): the split can be wrong (`الیاس` Ilyas, `الهام`
/// Elham), so [`crate::matching::phonetic::name_keys`] also reads the word with it.
pub(crate) fn latin_words(name: &str) -> Vec<(String, bool)> {
    let folded = fold(name);
    let mut words: Vec<(String, bool)> = Vec::new();
    for word in folded.split(' ') {
        let chars: Vec<char> = word.chars().collect();
        let rest = match chars.as_slice() {
            ['ا' | 'ٱ', 'ل', rest @ ..] if rest.len() >= 2 => {
                words.push(("al".to_owned(), true));
                rest
            }
            all => all,
        };
        let latin = word_to_latin(rest);
        if !latin.is_empty() {
            words.push((latin, false));
        }
    }
    words
}

fn word_to_latin(chars: &[char]) -> String {
    let mut out = String::with_capacity(chars.len() * 2);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        match c {
            'و' => {
                // Before a yeh that is the vowel i (neither before an alef or waw nor missing).
                let before_long_i = matches!(next, Some('ي' | 'ی'))
                    && !chars.get(i + 2).is_some_and(|&c| is_alef(c) || c == 'و');
                let consonant = i == 0
                    || prev.is_some_and(is_alef)
                    || next.is_some_and(is_alef)
                    || before_long_i;
                out.push(if consonant { 'w' } else { 'u' });
            }
            'ه' | 'ہ' => {
                if out.ends_with(['s', 'z', 'k', 'g', 'd', 't', 'p', 'c']) {
                    out.push('e');
                }
                out.push('h');
            }
            'ي' | 'ی' => {
                let consonant = i == 0 || next.is_some_and(|n| is_alef(n) || n == 'و');
                out.push(if consonant { 'y' } else { 'i' });
            }
            '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' => {
                if let Some((_, latin)) = ARABIC.iter().find(|(letter, _)| *letter == c) {
                    out.push_str(latin);
                }
            }
            '\u{1200}'..='\u{137F}' => out.push_str(&geez_syllable(c)),
            _ => out.push(c),
        }
    }
    out
}

fn is_alef(c: char) -> bool {
    matches!(c, 'ا' | 'ٱ' | 'ى')
}

/// Arabic-script letters and their Latin key: a simplified BGN/PCGN romanisation (Arabic 1956,
/// Persian 1958, Pashto 1968) without diacritics or apostrophes; `ض` and `ظ` as `dh` (see
/// [`to_latin`]). `و`, `ي`, `ی`, `ه` and `ہ` depend on their neighbours and are handled in code;
/// letters absent here (digits, punctuation) give nothing.
pub const ARABIC: &[(char, &str)] = &[
    // Arabic
    ('ء', ""),
    ('ا', "a"),
    ('ٱ', "a"),
    ('ب', "b"),
    ('ة', "a"),
    ('ت', "t"),
    ('ث', "th"),
    ('ج', "j"),
    ('ح', "h"),
    ('خ', "kh"),
    ('د', "d"),
    ('ذ', "dh"),
    ('ر', "r"),
    ('ز', "z"),
    ('س', "s"),
    ('ش', "sh"),
    ('ص', "s"),
    ('ض', "dh"),
    ('ط', "t"),
    ('ظ', "dh"),
    ('ع', "a"),
    ('غ', "gh"),
    ('ف', "f"),
    ('ق', "q"),
    ('ك', "k"),
    ('ل', "l"),
    ('م', "m"),
    ('ن', "n"),
    ('ى', "a"),
    // Persian / Dari
    ('پ', "p"),
    ('چ', "ch"),
    ('ژ', "zh"),
    ('گ', "g"),
    ('ک', "k"),
    // Pashto
    ('ټ', "t"),
    ('ډ', "d"),
    ('ړ', "r"),
    ('ښ', "sh"),
    ('ږ', "zh"),
    ('ځ', "dz"),
    ('څ', "ts"),
    ('ڼ', "n"),
    ('ې', "e"),
    ('ۍ', "ay"),
    // Urdu, Kurdish and Maghrebi letters met in names
    ('ٹ', "t"),
    ('ڈ', "d"),
    ('ڑ', "r"),
    ('ں', "n"),
    ('ھ', "h"),
    ('ە', "e"),
    ('ے', "e"),
    ('ۆ', "o"),
    ('ێ', "e"),
    ('ڵ', "l"),
    ('ڕ', "r"),
    ('ڤ', "v"),
    ('ڨ', "g"),
];

/// Romanisation of the consonant of each row of the Ethiopic syllable grid, one row per 8 code
/// points from U+1200 up to U+1357 (a simplified SERA: ejectives and the several h and s rows
/// merged; `ቐ` as `q` and `ኸ` as `k`, the Tigrinya spirants of `ቀ` and `ከ`). An empty string is a
/// vowel carrier (`አ`, `ዐ`).
pub const GEEZ_CONSONANTS: [&str; 43] = [
    "h",  // U+1200 ሀ
    "l",  // U+1208 ለ
    "h",  // U+1210 ሐ
    "m",  // U+1218 መ
    "s",  // U+1220 ሠ
    "r",  // U+1228 ረ
    "s",  // U+1230 ሰ
    "sh", // U+1238 ሸ
    "q",  // U+1240 ቀ
    "q",  // U+1248 ቈ labialised
    "q",  // U+1250 ቐ
    "q",  // U+1258 ቘ labialised
    "b",  // U+1260 በ
    "v",  // U+1268 ቨ
    "t",  // U+1270 ተ
    "ch", // U+1278 ቸ
    "h",  // U+1280 ኀ
    "h",  // U+1288 ኈ labialised
    "n",  // U+1290 ነ
    "ny", // U+1298 ኘ
    "",   // U+12A0 አ
    "k",  // U+12A8 ከ
    "k",  // U+12B0 ኰ labialised
    "k",  // U+12B8 ኸ
    "k",  // U+12C0 ዀ labialised
    "w",  // U+12C8 ወ
    "",   // U+12D0 ዐ
    "z",  // U+12D8 ዘ
    "zh", // U+12E0 ዠ
    "y",  // U+12E8 የ
    "d",  // U+12F0 ደ
    "d",  // U+12F8 ዸ
    "j",  // U+1300 ጀ
    "g",  // U+1308 ገ
    "g",  // U+1310 ጐ labialised
    "ng", // U+1318 ጘ
    "t",  // U+1320 ጠ
    "ch", // U+1328 ጨ
    "p",  // U+1330 ጰ
    "ts", // U+1338 ጸ
    "ts", // U+1340 ፀ
    "f",  // U+1348 ፈ
    "p",  // U+1350 ፐ
];

/// The rows of [`GEEZ_CONSONANTS`] that are labialised (Cʷ) and use [`GEEZ_LABIAL_VOWELS`].
const GEEZ_LABIAL_ROWS: [usize; 6] = [9, 11, 17, 22, 24, 34];

/// Vowel of each of the 8 columns: the 7 orders ä u i a ē ə o, as `e u i a e` (nothing for ə)
/// `o`, and the eighth, labialised column (`ሏ` lʷa) as `wa`.
pub const GEEZ_VOWELS: [&str; 8] = ["e", "u", "i", "a", "e", "", "o", "wa"];

/// Vowels of the vowel carriers `አ` and `ዐ`: a word-initial first order is written `a` in names
/// (`አበበ` Abebe), the sixth order `e` (`እዮብ` Eyob).
const GEEZ_CARRIER_VOWELS: [&str; 8] = ["a", "u", "i", "a", "e", "e", "o", "e"];

/// Columns of a labialised row: wä, (none), wi, wa, wē, wə, (none), (none).
const GEEZ_LABIAL_VOWELS: [&str; 8] = ["we", "", "wi", "wa", "we", "w", "", ""];

/// The syllables after the last full row: U+1358 ፘ mya, U+1359 ፙ rya, U+135A ፚ fya.
const GEEZ_EXTRA: [&str; 3] = ["mya", "rya", "fya"];

fn geez_syllable(c: char) -> String {
    let offset = (c as usize).saturating_sub(0x1200);
    let (row, column) = (offset / 8, offset % 8);
    if let Some(&consonant) = GEEZ_CONSONANTS.get(row) {
        let vowels = if consonant.is_empty() {
            &GEEZ_CARRIER_VOWELS
        } else if GEEZ_LABIAL_ROWS.contains(&row) {
            &GEEZ_LABIAL_VOWELS
        } else {
            &GEEZ_VOWELS
        };
        let vowel = vowels.get(column).copied().unwrap_or("");
        format!("{consonant}{vowel}")
    } else {
        GEEZ_EXTRA
            .get(offset.wrapping_sub(0x158))
            .map_or_else(String::new, |s| (*s).to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_names() {
        assert_eq!(to_latin("محمد"), "mhmd");
        assert_eq!(to_latin("مُحَمَّد"), "mhmd");
        assert_eq!(to_latin("يوسف"), "yusf");
        assert_eq!(to_latin("عبد الرحمن"), "abd al rhmn");
        assert_eq!(to_latin("عمر"), "amr");
        assert_eq!(to_latin("داود"), "dawd");
        assert_eq!(to_latin("أيوب"), "ayub");
        assert_eq!(to_latin("فاطمة"), "fatma");
        // ض and ظ as dh, read d or z by the keys.
        assert_eq!(to_latin("رمضان"), "rmdhan");
        assert_eq!(to_latin("كاظم"), "kadhm");
        // و before the vowel ي is the consonant w.
        assert_eq!(to_latin("درويش"), "drwish");
        assert_eq!(to_latin("العلوي"), "al alwi");
        assert_eq!(to_latin("رويا"), "ruya");
        // ه after a letter that would make a digraph with it.
        assert_eq!(to_latin("زهرا"), "zehra");
        assert_eq!(to_latin("حمزه"), "hmzeh");
        assert_eq!(to_latin("مهدی"), "mhdi");
    }

    #[test]
    fn persian_and_pashto_names() {
        // Persian final yeh (U+06CC) as a vowel.
        assert_eq!(to_latin("احمدی"), "ahmdi");
        assert_eq!(to_latin("یوسف"), "yusf");
        assert_eq!(to_latin("گل"), "gl");
        assert_eq!(to_latin("پژمان"), "pzhman");
        assert_eq!(to_latin("چنگیز"), "chngiz");
        assert_eq!(to_latin("ښکلی"), "shkli");
        assert_eq!(to_latin("ځلمی"), "dzlmi");
        assert_eq!(to_latin("کریمی"), "krimi");
        assert_eq!(to_latin("پرویز"), "prwiz");
        assert_eq!(to_latin("برويز"), "brwiz");
        assert_eq!(to_latin("زاده"), "zadeh");
        // Urdu do-chashmi he marks aspiration: no vowel before it.
        assert_eq!(to_latin("چودھری"), "chudhri");
    }

    #[test]
    fn geez_names() {
        assert_eq!(to_latin("ሰምሃር"), "semhar");
        assert_eq!(to_latin("ዮናስ"), "yonas");
        assert_eq!(to_latin("ሃይለ"), "hayle");
        assert_eq!(to_latin("ተስፋይ"), "tesfay");
        assert_eq!(to_latin("ቴዎድሮስ"), "tewodros");
        assert_eq!(to_latin("አበበ"), "abebe");
        assert_eq!(to_latin("ጸጋይ"), "tsegay");
        assert_eq!(to_latin("ሰምሃር፡ሃይለ"), "semhar hayle");
    }

    #[test]
    fn geez_labialised_and_extra_syllables() {
        assert_eq!(to_latin("ጓ"), "gwa");
        assert_eq!(to_latin("ሏ"), "lwa");
        assert_eq!(to_latin("ፘ"), "mya");
    }

    #[test]
    fn latin_passes_through_fold() {
        assert_eq!(to_latin("Semhar  HAYLÉ"), "semhar hayle");
        assert_eq!(to_latin("Abd al-Rahman"), "abd al rahman");
        assert_eq!(to_latin(""), "");
    }

    #[test]
    fn tables_cover_the_grid() {
        // 43 full rows of 8 code points end where the three extra syllables begin.
        assert_eq!(0x1200 + GEEZ_CONSONANTS.len() * 8, 0x1358);
        assert!(ARABIC.iter().all(|(_, latin)| latin.is_ascii()));
    }
}
