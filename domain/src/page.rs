//! Cursor pagination with a bounded page size.

/// A request for one page: items strictly after `after` in the listing's order, at most `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest<C> {
    pub after: Option<C>,
    pub limit: PageSize,
}

/// A page size between 1 and [`PageSize::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(usize);

/// The requested page size is out of bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("page size must be between 1 and {max}, got {got}", max = PageSize::MAX)]
pub struct InvalidPageSize {
    pub got: u64,
}

impl PageSize {
    pub const DEFAULT: PageSize = PageSize(50);
    pub const MAX: usize = 200;

    pub fn new(n: u64) -> Result<Self, InvalidPageSize> {
        match usize::try_from(n) {
            Ok(v) if (1..=Self::MAX).contains(&v) => Ok(Self(v)),
            _ => Err(InvalidPageSize { got: n }),
        }
    }

    pub fn get(self) -> usize {
        self.0
    }
}

/// One page of items; `next` is the cursor of the following page, absent on the last one
/// (serialised as text: a cursor is opaque to the client).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(bound(serialize = "T: serde::Serialize, C: std::fmt::Display"))]
pub struct Page<T, C> {
    pub items: Vec<T>,
    #[serde(serialize_with = "cursor_text")]
    pub next: Option<C>,
}

fn cursor_text<C: std::fmt::Display, S: serde::Serializer>(
    cursor: &Option<C>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match cursor {
        Some(c) => serializer.collect_str(c),
        None => serializer.serialize_none(),
    }
}

impl<T, C> Page<T, C> {
    /// Builds a page from up to `limit + 1` items fetched in order: the extra item, if present, only
    /// proves that another page exists, and `cursor` of the last kept item becomes `next`.
    pub fn from_overfetch(mut items: Vec<T>, limit: PageSize, cursor: impl Fn(&T) -> C) -> Self {
        let more = items.len() > limit.get();
        items.truncate(limit.get());
        let next = if more { items.last().map(cursor) } else { None };
        Self { items, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert!(PageSize::new(0).is_err());
        assert!(PageSize::new(1).is_ok());
        assert!(PageSize::new(200).is_ok());
        assert!(PageSize::new(201).is_err());
        assert!(PageSize::new(u64::MAX).is_err());
    }

    #[test]
    fn overfetch_sets_next_only_when_more_exist() {
        let size = PageSize::new(2).unwrap();
        let page = Page::from_overfetch(vec![1, 2, 3], size, |i| *i);
        assert_eq!((page.items, page.next), (vec![1, 2], Some(2)));
        let last = Page::from_overfetch(vec![1, 2], size, |i| *i);
        assert_eq!((last.items, last.next), (vec![1, 2], None));
    }
}
