//! Folding: the first step of every name comparison.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds a name to a comparable form, in any script.
///
/// 1. NFKC, so that compatibility forms (full-width Latin, Arabic presentation forms, ligatures)
///    become their ordinary letters; then lower case.
/// 2. Canonical decomposition (NFD) and removal of every combining mark: Latin diacritics, Arabic
///    vowel signs (harakat), shadda and hamza placed on a carrier, Ge'ez combining marks.
/// 3. Latin look-alikes without a decomposition: `ß`→`ss`, `æ`→`ae`, `œ`→`oe`, `ø`→`o`, `ł`→`l`,
///    `ı`→`i`, `đ`/`ð`→`d`, `þ`→`th`.
/// 4. Apostrophes, modifier letters (`ʿ`, `ʾ`), the Arabic tatweel and zero-width (non-)joiners are
///    removed without a trace (`Ma'mun` → `mamun`); every other character that is not a letter
///    (digits, hyphens, punctuation, spaces) separates words.
///
/// The result holds letters and single spaces, with no space at either end; it is recomposed
/// (NFC) so that scripts whose letters decompose (Hangul) keep their usual form.
pub fn fold(name: &str) -> String {
    let lowered = name.nfkc().collect::<String>().to_lowercase();
    let mut out = String::with_capacity(lowered.len());
    let mut pending_space = false;
    for c in lowered.nfd() {
        if is_combining_mark(c) || is_elided(c) {
            continue;
        }
        let replacement = latin_lookalike(c);
        if replacement.is_none() && !c.is_alphabetic() {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        match replacement {
            Some(s) => out.push_str(s),
            None => out.push(c),
        }
    }
    out.nfc().collect()
}

/// Latin letters that look like a base letter with a mark but have no canonical decomposition.
fn latin_lookalike(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'ł' => "l",
        'ı' => "i",
        'đ' | 'ð' => "d",
        'þ' => "th",
        _ => return None,
    })
}

/// Characters dropped without separating words.
fn is_elided(c: char) -> bool {
    matches!(
        c,
        '\'' | '`'
            | '\u{00B4}' // acute accent
            | '\u{2018}'
            | '\u{2019}'
            | '\u{00AD}' // soft hyphen
            | '\u{0640}' // Arabic tatweel
            | '\u{200B}'..='\u{200D}' // zero-width space, non-joiner, joiner
            | '\u{02B0}'..='\u{02FF}' // spacing modifier letters: ʿ ʾ ʼ ʻ
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_cases_and_strips_diacritics() {
        assert_eq!(fold("MUHAMMAD"), "muhammad");
        assert_eq!(fold("Haylé"), "hayle");
        assert_eq!(fold("Şükrü Çelik"), "sukru celik");
        assert_eq!(fold("Muḥammad ʿAbd"), "muhammad abd");
        assert_eq!(fold("İbrahim"), "ibrahim");
    }

    #[test]
    fn maps_latin_lookalikes() {
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Kjær Søren Łukasz Işık"), "kjaer soren lukasz isik");
    }

    #[test]
    fn keeps_only_letters_and_single_spaces() {
        assert_eq!(fold("  Abd   al-Rahman, 2nd "), "abd al rahman nd");
        assert_eq!(fold("Ma'mun O’Neil"), "mamun oneil");
        assert_eq!(fold("ＳＥＭＨＡＲ"), "semhar");
        assert_eq!(fold("...---"), "");
    }

    #[test]
    fn folds_arabic_and_geez_script() {
        // Vowel signs, shadda and hamza on a carrier are marks; presentation forms are compatibility
        // characters; the tatweel is dropped.
        assert_eq!(fold("مُحَمَّد"), "محمد");
        assert_eq!(fold("ﻣﺤﻤﺪ"), "محمد");
        assert_eq!(fold("مـحـمـد"), "محمد");
        assert_eq!(fold("أحمد"), "احمد");
        // The Ethiopic wordspace separates words.
        assert_eq!(fold("ሰምሃር፡ሃይለ"), "ሰምሃር ሃይለ");
    }
}
