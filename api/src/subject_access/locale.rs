//! The fixed texts of the subject-access page, one TOML file per language under
//! `api/locales/subject-access/`. A key missing in a translation falls back to English, then to
//! the key itself made readable.

use std::sync::OnceLock;

/// The languages with a translation, by ISO 639-1 code; English first (the fallback). One line
/// per file.
const FILES: [(&str, &str); 3] = [
    ("en", include_str!("../../locales/subject-access/en.toml")),
    ("fr", include_str!("../../locales/subject-access/fr.toml")),
    ("nl", include_str!("../../locales/subject-access/nl.toml")),
];

/// One language's texts.
pub struct Locale {
    pub code: &'static str,
    texts: toml::Table,
}

fn all() -> &'static [Locale] {
    static LOCALES: OnceLock<Vec<Locale>> = OnceLock::new();
    LOCALES.get_or_init(|| {
        FILES
            .iter()
            .filter_map(|(code, text)| {
                let texts = match text.parse::<toml::Table>() {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::error!(language = code, error = %e, "a subject-access translation is not valid TOML");
                        return None;
                    }
                };
                Some(Locale { code, texts })
            })
            .collect()
    })
}

/// The codes of the languages with a translation.
pub fn available() -> Vec<&'static str> {
    all().iter().map(|l| l.code).collect()
}

/// The translation for `code` (an ISO 639-1 code, or a tag such as `fr-BE`), if there is one.
pub fn find(code: &str) -> Option<&'static Locale> {
    let primary = code
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    all().iter().find(|l| l.code == primary)
}

fn english() -> Option<&'static Locale> {
    all().first()
}

impl Locale {
    fn lookup(&self, path: &str) -> Option<&str> {
        let mut parts = path.split('.');
        let first = parts.next()?;
        let mut value = self.texts.get(first)?;
        for part in parts {
            value = value.as_table()?.get(part)?;
        }
        value.as_str()
    }

    /// The text at `path` (`title`, `sections.record`, `categories.health`, ...).
    pub fn text(&self, path: &str) -> String {
        self.lookup(path)
            .or_else(|| english().and_then(|en| en.lookup(path)))
            .map_or_else(
                || readable(path.rsplit('.').next().unwrap_or(path)),
                str::to_owned,
            )
    }
}

/// A key made readable: `date_of_birth` becomes `Date of birth`.
pub fn readable(key: &str) -> String {
    let spaced = key.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_translation_parses_and_names_every_key_english_has() {
        fn keys(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
            for (k, v) in table {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                match v.as_table() {
                    Some(t) => keys(&path, t, out),
                    None => out.push(path),
                }
            }
        }
        assert_eq!(all().len(), FILES.len(), "every file parses");
        let mut english = Vec::new();
        keys("", &all()[0].texts, &mut english);
        for locale in all() {
            let mut own = Vec::new();
            keys("", &locale.texts, &mut own);
            let missing: Vec<&String> = english.iter().filter(|k| !own.contains(k)).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", locale.code);
        }
    }

    #[test]
    fn tags_find_their_language_and_unknown_keys_read_as_words() {
        assert_eq!(find("fr-BE").unwrap().code, "fr");
        assert!(find("ti").is_none());
        let nl = find("nl").unwrap();
        assert_eq!(nl.text("sections.rights"), "Je rechten");
        assert_eq!(nl.text("fields.date_of_birth"), "Date of birth");
    }
}
