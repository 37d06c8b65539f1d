//! Whether the registry is ready to serve: its store reachable and up to date.

use std::sync::Arc;

use crate::ports::HealthCheck;

/// The readiness service.
#[derive(Clone)]
pub struct Readiness {
    health: Arc<dyn HealthCheck>,
}

impl Readiness {
    pub fn new(health: Arc<dyn HealthCheck>) -> Self {
        Self { health }
    }

    /// `Ok` when the store can be reached and has every migration applied; otherwise why not.
    pub fn check(&self) -> anyhow::Result<()> {
        self.health.ready()
    }
}
