//! Children's records: the access matrix, behaviour of each endpoint, photos, concurrency.

mod fixtures;
mod lifecycle;
mod matrix;
mod photos;
