//! Random UUIDs as ids.

use domain::ports::IdGenerator;

/// Version 4 UUIDs, hyphenated lower case.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidGenerator;

impl IdGenerator for UuidGenerator {
    fn new_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}
