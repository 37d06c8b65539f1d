//! The name index: which keys a record is filed under, and which keys a search looks up.
//!
//! A record is filed under the [`name_keys`] of every word of every name it is known by (single
//! keys: the skeleton of the word, and of the other readings of its spelling) and under every
//! pair of keys of two words of the same name (pair keys, `a|b` with `a < b`). Single keys of
//! common names (Mohammed, Ahmad) are held by a large share of the registry; pair keys are
//! selective. The storage adapter looks candidates up by pair keys
//! and by the single keys that are not common, and ranks them by the number of keys shared, then
//! by the distance of their dates of birth (see `ports::MinorReader::candidates`).

use chrono::NaiveDate;

use super::phonetic::name_keys;
use super::score::probe_of;
use crate::minor::Identity;

/// The version of the key scheme. Storage built under another version is rebuilt at start-up.
///
/// 4: keys of the other readings of a word ([`name_keys`]: article fused or assimilated,
/// Maghrebi `ou`, Persian `gh`/`q`, `p`/`b`, `dh` as d or z, Somali, German `ch`, Egyptian `g`),
/// `ض ظ` as `dh`, `و` before the vowel `ي` as w and `ه` kept apart from a preceding letter in
/// Arabic script, DIN 31635 and ALA-LC letters as their digraphs.
pub const INDEX_VERSION: i32 = 4;

/// Words of one name that take part in pair keys, at most; further words give single keys only.
const PAIR_WORDS: usize = 6;

/// What a search looks up in the name index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyQuery {
    /// Keys of single words, sorted, deduplicated.
    pub singles: Vec<String>,
    /// Pairs of keys of two words of the same name, sorted, deduplicated.
    pub pairs: Vec<String>,
    /// The date of birth sought (exact or estimated), to rank candidates sharing as many keys by
    /// closeness and to choose, under a common key, the records born nearest to it.
    pub born: Option<NaiveDate>,
}

impl KeyQuery {
    /// Whether there is nothing to look up.
    pub fn is_empty(&self) -> bool {
        self.singles.is_empty() && self.pairs.is_empty()
    }
}

/// The keys of names searched for: [`KeyQuery::singles`] and [`KeyQuery::pairs`] of every name.
/// Keys of fewer than two letters are left out (a lone consonant says too little).
pub fn query_keys(names: &[String], born: Option<NaiveDate>) -> KeyQuery {
    let mut singles = Vec::new();
    let mut pairs = Vec::new();
    for name in names {
        let mut words: Vec<Vec<String>> = Vec::new();
        for (_, keys) in name_keys(name) {
            let keys: Vec<String> = keys
                .into_iter()
                .filter(|k| k.chars().count() >= 2)
                .collect();
            if !keys.is_empty() && !words.contains(&keys) {
                words.push(keys);
            }
        }
        for (i, a) in words.iter().take(PAIR_WORDS).enumerate() {
            for b in words.iter().take(PAIR_WORDS).skip(i + 1) {
                for x in a {
                    for y in b.iter().filter(|y| *y != x) {
                        let (lo, hi) = if x < y { (x, y) } else { (y, x) };
                        pairs.push(format!("{lo}|{hi}"));
                    }
                }
            }
        }
        singles.extend(words.into_iter().flatten());
    }
    for keys in [&mut singles, &mut pairs] {
        keys.sort();
        keys.dedup();
    }
    KeyQuery {
        singles,
        pairs,
        born,
    }
}

/// The keys a record's identity is filed under: the single and pair keys of every name (family
/// and given names, names in the original script, aliases). None without an identity.
pub fn index_keys(identity: Option<&Identity>) -> Vec<String> {
    let Some(identity) = identity else {
        return vec![];
    };
    let KeyQuery { singles, pairs, .. } = query_keys(&probe_of(identity).names, None);
    singles.into_iter().chain(pairs).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minor::{Alias, OriginalScriptName};

    #[test]
    fn singles_and_pairs_of_each_name() {
        let born = NaiveDate::from_ymd_opt(2010, 3, 1);
        let q = query_keys(&["Mohammed Yousef Ahmadi".to_owned()], born);
        assert_eq!(q.singles.len(), 3);
        assert_eq!(q.pairs.len(), 3);
        assert!(q.pairs.iter().all(|p| {
            let (a, b) = p.split_once('|').unwrap();
            a < b && q.singles.iter().any(|s| s == a) && q.singles.iter().any(|s| s == b)
        }));
        assert_eq!(q.born, born);
        // Spellings and scripts meet on the same keys, in either order.
        assert_eq!(
            query_keys(&["محمد يوسف".to_owned()], None),
            query_keys(&["Jusuf Muhammad".to_owned()], None)
        );
        assert!(query_keys(&["A .".to_owned()], None).is_empty());
    }

    #[test]
    fn other_readings_are_keys_and_pair_keys() {
        // Laraki is filed under lrk and under ark (al-Iraqi); Ghasem under gsm and ksm (Qasim).
        let q = query_keys(&["Ghasem Laraki".to_owned()], None);
        assert_eq!(q.singles, ["ark", "gsm", "ksm", "lrk"]);
        assert_eq!(q.pairs, ["ark|gsm", "ark|ksm", "gsm|lrk", "ksm|lrk"]);
        // The record written in the other reading shares a pair key.
        let other = query_keys(&["Qāsim al-ʻIrāqī".to_owned()], None);
        assert_eq!(other.pairs, ["ark|ksm"]);
        assert!(q.pairs.iter().any(|p| other.pairs.contains(p)));
        // A word repeated gives no pair with itself.
        assert!(query_keys(&["Ali Ali".to_owned()], None).pairs.is_empty());
    }

    #[test]
    fn a_record_is_filed_under_all_its_names() {
        let identity = Identity {
            family_name: Some("Haile".to_owned()),
            given_names: Some("Semhar".to_owned()),
            names_original_script: vec![OriginalScriptName {
                family_name: Some("ሃይለ".to_owned()),
                given_names: Some("ሰምሃር".to_owned()),
                script: "Ethi".to_owned(),
            }],
            aliases: vec![Alias {
                name: "Selam Tesfay".to_owned(),
                source: None,
            }],
            ..Identity::default()
        };
        let keys = index_keys(Some(&identity));
        let searched = query_keys(&["Semhar Haile".to_owned()], None);
        assert!(searched.pairs.iter().all(|p| keys.contains(p)));
        let alias = query_keys(&["Tesfay Selam".to_owned()], None);
        assert!(alias.pairs.iter().all(|p| keys.contains(p)));
        // No pair across two different names.
        assert!(
            !keys
                .iter()
                .any(|k| k.contains('|') && k.contains("hl") && k.contains("sl"))
        );
        assert!(index_keys(None).is_empty());
    }
}
