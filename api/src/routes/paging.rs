//! Pagination by cursor from the `after` and `limit` query parameters.

use domain::page::{PageRequest, PageSize};
use domain::validation::FieldErrors;

/// A page by sequence-number cursor from the `after` and `limit` query parameters; problems are
/// recorded in `errors` under those names.
pub fn page_request(
    after: Option<String>,
    limit: Option<u64>,
    errors: &mut FieldErrors,
) -> Option<PageRequest<i64>> {
    let after = after.and_then(|a| {
        errors.check(
            "after",
            a.parse::<i64>()
                .map_err(|_| format!("`{a}` is not a cursor from a previous page")),
        )
    });
    let limit = match limit {
        None => Some(PageSize::DEFAULT),
        Some(n) => errors.check("limit", PageSize::new(n)),
    }?;
    Some(PageRequest { after, limit })
}
