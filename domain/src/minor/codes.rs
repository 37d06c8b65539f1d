//! Code lists the record's fields are checked against: ISO 15924 scripts and ISO 639 languages.
//! Country codes are [`crate::country::CountryCode`].

/// Every ISO 15924 four-letter script code (Title case), as registered by the ISO 15924
/// Registration Authority up to Unicode 17 (2025), sorted for binary search.
///
/// The private-use range `Qaaa`..`Qabx` is left out: its meaning is local to one system, and a
/// shared register must not carry it.
pub const SCRIPT_CODES: &[&str] = &[
    "Adlm", "Afak", "Aghb", "Ahom", "Arab", "Aran", "Armi", "Armn", "Avst", "Bali", "Bamu", "Bass",
    "Batk", "Beng", "Berf", "Bhks", "Blis", "Bopo", "Brah", "Brai", "Bugi", "Buhd", "Cakm", "Cans",
    "Cari", "Cham", "Cher", "Chis", "Chrs", "Cirt", "Copt", "Cpmn", "Cprt", "Cyrl", "Cyrs", "Deva",
    "Diak", "Dogr", "Dsrt", "Dupl", "Egyd", "Egyh", "Egyp", "Elba", "Elym", "Ethi", "Gara", "Geok",
    "Geor", "Glag", "Gong", "Gonm", "Goth", "Gran", "Grek", "Gujr", "Gukh", "Guru", "Hanb", "Hang",
    "Hani", "Hano", "Hans", "Hant", "Hatr", "Hebr", "Hira", "Hluw", "Hmng", "Hmnp", "Hntl", "Hrkt",
    "Hung", "Inds", "Ital", "Jamo", "Java", "Jpan", "Jurc", "Kali", "Kana", "Kawi", "Khar", "Khmr",
    "Khoj", "Kitl", "Kits", "Knda", "Kore", "Kpel", "Krai", "Kthi", "Lana", "Laoo", "Latf", "Latg",
    "Latn", "Leke", "Lepc", "Limb", "Lina", "Linb", "Lisu", "Loma", "Lyci", "Lydi", "Mahj", "Maka",
    "Mand", "Mani", "Marc", "Maya", "Medf", "Mend", "Merc", "Mero", "Mlym", "Modi", "Mong", "Moon",
    "Mroo", "Mtei", "Mult", "Mymr", "Nagm", "Nand", "Narb", "Nbat", "Newa", "Nkdb", "Nkgb", "Nkoo",
    "Nshu", "Ogam", "Olck", "Onao", "Orkh", "Orya", "Osge", "Osma", "Ougr", "Palm", "Pauc", "Pcun",
    "Pelm", "Perm", "Phag", "Phli", "Phlp", "Phlv", "Phnx", "Piqd", "Plrd", "Prti", "Psin", "Ranj",
    "Rjng", "Rohg", "Roro", "Runr", "Samr", "Sara", "Sarb", "Saur", "Seal", "Sgnw", "Shaw", "Shrd",
    "Shui", "Sidd", "Sidt", "Sind", "Sinh", "Sogd", "Sogo", "Sora", "Soyo", "Sund", "Sunu", "Sylo",
    "Syrc", "Syre", "Syrj", "Syrn", "Tagb", "Takr", "Tale", "Talu", "Taml", "Tang", "Tavt", "Tayo",
    "Telu", "Teng", "Tfng", "Tglg", "Thaa", "Thai", "Tibt", "Tirh", "Tnsa", "Todr", "Tols", "Toto",
    "Tutg", "Ugar", "Vaii", "Visp", "Vith", "Wara", "Wcho", "Wole", "Xpeo", "Xsux", "Yezi", "Yiii",
    "Zanb", "Zinh", "Zmth", "Zsye", "Zsym", "Zxxx", "Zyyy", "Zzzz",
];

/// True for a code of [`SCRIPT_CODES`], spelt exactly (Title case: `Arab`, not `arab`).
pub fn is_script_code(code: &str) -> bool {
    SCRIPT_CODES.binary_search(&code).is_ok()
}

/// True for an ISO 639-1 (two-letter) or ISO 639-3 (three-letter) language code in lower case
/// (`ps`, `prs`, `ti`); other spellings are refused, never corrected.
pub fn is_language_code(code: &str) -> bool {
    if !code.bytes().all(|b| b.is_ascii_lowercase()) {
        return false;
    }
    match code.len() {
        2 => isolang::Language::from_639_1(code).is_some(),
        3 => isolang::Language::from_639_3(code).is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_table_is_sorted_unique_and_title_case() {
        assert!(SCRIPT_CODES.windows(2).all(|w| w[0] < w[1]));
        assert!(SCRIPT_CODES.iter().all(|c| {
            let b = c.as_bytes();
            b.len() == 4 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_lowercase)
        }));
        assert!(SCRIPT_CODES.len() > 200);
    }

    #[test]
    fn scripts() {
        for ok in ["Arab", "Latn", "Ethi", "Cyrl", "Deva", "Adlm", "Zzzz"] {
            assert!(is_script_code(ok), "{ok}");
        }
        for bad in ["Xxxx", "arab", "ARAB", "Qaaa", "Ara", ""] {
            assert!(!is_script_code(bad), "{bad}");
        }
    }

    #[test]
    fn languages() {
        for ok in ["ps", "fa", "ar", "ti", "prs", "pus", "tir", "fra", "en"] {
            assert!(is_language_code(ok), "{ok}");
        }
        for bad in ["zz", "PS", "Ps", "xxq", "e", "engl", "", "é"] {
            assert!(!is_language_code(bad), "{bad}");
        }
    }
}
