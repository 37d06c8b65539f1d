//! The record's field categories: the unit of access. Every field of a child's record belongs to
//! exactly one category; the policy grants categories.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Identity,
    AgeAssessment,
    Documents,
    References,
    Physical,
    Photos,
    Interception,
    Vulnerability,
    Health,
    Contacts,
    Guardianship,
    Placement,
    Procedure,
    ChildView,
    Risk,
}

impl Category {
    pub const ALL: [Category; 15] = [
        Self::Identity,
        Self::AgeAssessment,
        Self::Documents,
        Self::References,
        Self::Physical,
        Self::Photos,
        Self::Interception,
        Self::Vulnerability,
        Self::Health,
        Self::Contacts,
        Self::Guardianship,
        Self::Placement,
        Self::Procedure,
        Self::ChildView,
        Self::Risk,
    ];

    /// The member name of this category in the record's JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::AgeAssessment => "age_assessment",
            Self::Documents => "documents",
            Self::References => "references",
            Self::Physical => "physical",
            Self::Photos => "photos",
            Self::Interception => "interception",
            Self::Vulnerability => "vulnerability",
            Self::Health => "health",
            Self::Contacts => "contacts",
            Self::Guardianship => "guardianship",
            Self::Placement => "placement",
            Self::Procedure => "procedure",
            Self::ChildView => "child_view",
            Self::Risk => "risk",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// The text names no category.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a category")]
pub struct UnknownCategory(pub String);

impl FromStr for Category {
    type Err = UnknownCategory;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCategory(s.to_owned()))
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of categories, as a bit set: cheap to copy, combine and test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CategorySet(u16);

impl CategorySet {
    pub const EMPTY: CategorySet = CategorySet(0);

    pub fn all() -> Self {
        Category::ALL.into_iter().collect()
    }

    pub fn contains(self, c: Category) -> bool {
        self.0 & c.bit() != 0
    }

    pub fn insert(&mut self, c: Category) {
        self.0 |= c.bit();
    }

    pub fn union(self, other: CategorySet) -> CategorySet {
        CategorySet(self.0 | other.0)
    }

    pub fn intersection(self, other: CategorySet) -> CategorySet {
        CategorySet(self.0 & other.0)
    }

    pub fn difference(self, other: CategorySet) -> CategorySet {
        CategorySet(self.0 & !other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Members in [`Category::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Category> {
        Category::ALL.into_iter().filter(move |c| self.contains(*c))
    }
}

impl FromIterator<Category> for CategorySet {
    fn from_iter<I: IntoIterator<Item = Category>>(iter: I) -> Self {
        let mut set = CategorySet::EMPTY;
        for c in iter {
            set.insert(c);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_serde_agrees() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>(), Ok(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }

    #[test]
    fn set_operations() {
        let a: CategorySet = [Category::Identity, Category::Health].into_iter().collect();
        let b: CategorySet = [Category::Health, Category::Risk].into_iter().collect();
        assert_eq!(
            a.union(b).iter().collect::<Vec<_>>(),
            [Category::Identity, Category::Health, Category::Risk]
        );
        assert_eq!(
            a.difference(b).iter().collect::<Vec<_>>(),
            [Category::Identity]
        );
        assert_eq!(CategorySet::all().iter().count(), 15);
        assert!(CategorySet::EMPTY.is_empty());
    }
}
