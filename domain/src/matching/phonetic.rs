//! A consonant skeleton for names of Arabic, Persian, Pashto and Tigrinya origin, romanised in
//! different ways (Mohammed / Muhammad / Mahamed, Youssef / Jusuf, Abdulrahman / Abd al-Rahman),
//! or transliterated from their own script by [`to_latin`], which writes no short vowels for
//! Arabic script.

use super::transliterate::to_latin;

/// Articles written as a word of their own (`Abd al-Rahman`, `Nur el Din`): dropped when another
/// word follows.
const ARTICLES: [&str; 5] = ["al", "el", "ul", "il", "ol"];

/// The article assimilated to a following "sun letter" (`ar-Rahman`, `ad-Din`, `as-Salam`):
/// dropped when the next word starts with the same consonant.
const SUN_CONSONANTS: [char; 6] = ['t', 'd', 'r', 's', 'z', 'n'];

/// Multi-letter spellings and the class they stand for, longest first; see [`token_skeleton`].
const DIGRAPHS: [(&str, char); 16] = [
    ("tch", 's'),
    ("tsh", 's'),
    ("sch", 's'),
    ("dsh", 'j'),
    ("dzh", 'j'),
    ("sh", 's'),
    ("ch", 's'),
    ("ts", 's'),
    ("th", 's'),
    ("kh", 'x'),
    ("gh", 'g'),
    ("ph", 'f'),
    ("dh", 'z'),
    ("zh", 'j'),
    ("dj", 'j'),
    ("ck", 'k'),
];

const VOWELS: [char; 6] = ['a', 'e', 'i', 'o', 'u', 'y'];

/// The words of a name as compared by the matcher: [`to_latin`] of the name, split on spaces,
/// with separate articles removed and the `abd` ("servant of") prefix joined to the word it
/// governs.
///
/// * `al`, `el`, `ul`, `il`, `ol` are dropped when another word follows; so is an article
///   assimilated to a sun letter (`ar`, `ad`, `as`, `ur`, `ud`, …) when the next word starts with
///   its consonant (`ar Rahman`).
/// * `abd`, and `abd` + vowel + `l` or + the next word's sun consonant (`abdul`, `abdel`, `abdur`),
///   joins the following word: `Abd al-Rahman` → `abdrahman`, `Abdul Rahman` → `abdulrahman`.
pub fn name_tokens(name: &str) -> Vec<String> {
    let latin = to_latin(name);
    let words: Vec<&str> = latin.split(' ').filter(|w| !w.is_empty()).collect();
    let mut kept: Vec<&str> = Vec::with_capacity(words.len());
    for (i, word) in words.iter().enumerate() {
        match words.get(i + 1) {
            Some(next) if is_article(word, next) => {}
            _ => kept.push(word),
        }
    }
    let mut tokens: Vec<String> = Vec::with_capacity(kept.len());
    let mut pending_abd: Option<String> = None;
    for (i, word) in kept.iter().enumerate() {
        let token = match pending_abd.take() {
            Some(prefix) => format!("{prefix}{word}"),
            None => (*word).to_owned(),
        };
        match kept.get(i + 1) {
            Some(next) if is_abd_prefix(&token, next) => pending_abd = Some(token),
            _ => tokens.push(token),
        }
    }
    tokens
}

fn is_article(word: &str, next: &str) -> bool {
    if ARTICLES.contains(&word) {
        return true;
    }
    let mut chars = word.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (Some('a' | 'e' | 'u'), Some(c), None) => {
            SUN_CONSONANTS.contains(&c) && next.starts_with(c)
        }
        _ => false,
    }
}

fn is_abd_prefix(word: &str, next: &str) -> bool {
    let Some(rest) = word.strip_prefix("abd") else {
        return false;
    };
    let mut chars = rest.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (None, _, _) => true,
        (Some(v), Some(c), None) if "aeiou".contains(v) => {
            c == 'l' || (SUN_CONSONANTS.contains(&c) && next.starts_with(c))
        }
        _ => false,
    }
}

/// The consonant skeleton of a whole name: the [`token_skeleton`] of each of its [`name_tokens`],
/// separated by single spaces (words whose skeleton is empty are left out).
///
/// `skeleton("Mohammed")`, `skeleton("Mahamed")` and `skeleton("محمد")` are all `mhmd`;
/// `skeleton("Abd al-Rahman")` and `skeleton("Abdulrahman")` are `abdrhmn`.
pub fn skeleton(latin: &str) -> String {
    name_tokens(latin)
        .iter()
        .map(|t| token_skeleton(t))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The consonant skeleton of one word (lower-case Latin, as given by [`name_tokens`]); the rules
/// in order:
///
/// 1. `abd` + vowel + `l` (the article) or + a doubled consonant (assimilated article) becomes
///    `abd`: `abdulrahman`, `abdurrahman` and `abdrahman` agree; so do `abdullah` and `abdallah`.
/// 2. Spellings of one sound merge into one class, longest spelling first:
///    `sh ch tch tsh sch ts th` → `s` (`ش چ ث ص س`, `ጸ`: Osman / Othman, Tsegay / Segay);
///    `kh x` → `x`; `gh g` → `g`; `ph f` → `f`; `dh z` → `z`; `j dj dsh dzh zh` → `j`;
///    `q k c ck` → `k`; `v w` → `w`. A `y` at the start of the word is the consonant of class `j`
///    (so Yusuf and Jusuf agree, `j` being `y` in German and South Slavic spellings).
/// 3. A final `h` is dropped (Fatimah / Fatima, Fatemeh).
/// 4. Vowels (`a e i o u`, and `y` after the start) are dropped, except a vowel that starts the
///    word, which is kept as `a` (Omar / Umar / `عمر` → `amr`).
/// 5. Repeated letters collapse to one (`mm` → `m`), after the vowels are gone, since Arabic
///    script writes neither short vowels nor doubled consonants.
///
/// A lone `h` (`ح`, `ه`) is a consonant and stays: it follows a consonant in the vowel-less key of
/// Arabic script (`mhmd`), so dropping "h after a consonant" would separate Arabic-script input
/// from its romanisations; the `h` of digraphs is consumed by rule 2.
pub fn token_skeleton(token: &str) -> String {
    let token = contract_abd(token);
    let word: String = token.chars().filter(char::is_ascii_lowercase).collect();
    let mut classes: Vec<char> = Vec::with_capacity(word.len());
    let mut i = 0;
    while let Some(rest) = word.get(i..) {
        if rest.is_empty() {
            break;
        }
        if let Some((spelling, class)) = DIGRAPHS.iter().find(|(d, _)| rest.starts_with(d)) {
            classes.push(*class);
            i += spelling.len();
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        classes.push(match c {
            'y' if i == 0 => 'j',
            'q' | 'c' | 'k' => 'k',
            'v' | 'w' => 'w',
            other => other,
        });
        i += c.len_utf8();
    }
    while classes.last() == Some(&'h') {
        classes.pop();
    }
    let mut out = String::with_capacity(classes.len());
    for (i, &c) in classes.iter().enumerate() {
        let c = if VOWELS.contains(&c) {
            if i == 0 {
                'a'
            } else {
                continue;
            }
        } else {
            c
        };
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

fn contract_abd(token: &str) -> String {
    let Some(rest) = token.strip_prefix("abd") else {
        return token.to_owned();
    };
    let chars: Vec<char> = rest.chars().collect();
    match chars.as_slice() {
        [v, 'l', tail @ ..] if "aeiou".contains(*v) && !tail.is_empty() => {
            format!("abd{}", tail.iter().collect::<String>())
        }
        [v, c, d, tail @ ..] if "aeiou".contains(*v) && c == d && !"aeiouy".contains(*c) => {
            format!("abd{c}{}", tail.iter().collect::<String>())
        }
        _ => token.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_equal(names: &[&str]) -> String {
        let first = skeleton(names[0]);
        for name in names {
            assert_eq!(skeleton(name), first, "skeleton of {name}");
        }
        first
    }

    #[test]
    fn muhammad_spellings_agree() {
        let key = all_equal(&["Mohammed", "Muhammad", "Mohamad", "Mahamed", "Muhamed"]);
        assert_eq!(key, "mhmd");
        assert_eq!(skeleton(&to_latin("محمد")), skeleton("Muhammad"));
        assert_eq!(skeleton("مُحَمَّد"), key);
    }

    #[test]
    fn yusuf_spellings_agree() {
        let key = all_equal(&["Youssef", "Yusuf", "Yousef", "Jusuf", "Yusef"]);
        assert_eq!(key, "jsf");
        assert_eq!(skeleton(&to_latin("يوسف")), key);
        assert_eq!(skeleton(&to_latin("یوسف")), key);
    }

    #[test]
    fn abd_al_rahman_spellings_agree() {
        let key = all_equal(&[
            "Abdulrahman",
            "Abd al-Rahman",
            "Abdelrahman",
            "Abdul Rahman",
            "Abdurrahman",
            "Abd ar-Rahman",
            "ʿAbd al-Raḥmān",
        ]);
        assert_eq!(key, "abdrhmn");
        assert_eq!(skeleton(&to_latin("عبد الرحمن")), key);
        assert_eq!(skeleton("Abdullah"), skeleton("Abd Allah"));
        assert_eq!(skeleton("Abdullah"), skeleton("عبد الله"));
    }

    #[test]
    fn persian_and_tigrinya_names_agree_across_scripts() {
        assert_eq!(skeleton(&to_latin("ሰምሃር")), skeleton("Semhar"));
        assert_eq!(skeleton(&to_latin("ሃይለ")), skeleton("Haile"));
        assert_eq!(skeleton(&to_latin("ዮናስ")), skeleton("Yonas"));
        assert_eq!(skeleton(&to_latin("ጸጋይ")), skeleton("Tsegai"));
        assert_eq!(skeleton(&to_latin("احمدی")), skeleton("Ahmadi"));
        assert_eq!(skeleton(&to_latin("عمر")), skeleton("Omar"));
        assert_eq!(skeleton("Umar"), skeleton("Omar"));
        assert_eq!(skeleton("Osman"), skeleton("Othman"));
        assert_eq!(skeleton("Fatimah"), skeleton("فاطمة"));
        assert_eq!(skeleton("Fatemeh"), skeleton("Fatima"));
        assert_eq!(skeleton("Khalid"), skeleton("Xalid"));
        assert_eq!(skeleton("Dawood"), skeleton("Davud"));
        assert_eq!(skeleton("Dawood"), skeleton("داود"));
    }

    #[test]
    fn different_names_differ() {
        assert_ne!(skeleton("Yonas"), skeleton("Yusuf"));
        assert_ne!(skeleton("Semhar"), skeleton("Samir"));
        assert_ne!(skeleton("Ahmed"), skeleton("Mohammed"));
        assert_ne!(skeleton("Ali"), skeleton("Omar"));
    }

    #[test]
    fn names_keep_their_words() {
        assert_eq!(skeleton("Haile Semhar"), "hl smhr");
        assert_eq!(
            name_tokens("Mohammed Abd al-Rahman"),
            ["mohammed", "abdrahman"]
        );
        assert_eq!(name_tokens("Nur ad-Din"), ["nur", "din"]);
        // Not an assimilated article: the next word does not start with its consonant.
        assert_eq!(name_tokens("Ad Semhar"), ["ad", "semhar"]);
        assert_eq!(name_tokens("Al"), ["al"]);
        assert_eq!(skeleton(""), "");
    }
}
