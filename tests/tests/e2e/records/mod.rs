//! Children's records: the access matrix, behaviour of each endpoint, photos, concurrency.

pub(crate) mod fixtures;
mod lifecycle;
mod matrix;
mod photos;
