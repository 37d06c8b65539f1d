//! The rules in force for a caller's role: its field grants and operation permits.

use crate::policy::{Grant, Permit};
use crate::principal::Principal;
use crate::usecase::kernel::Kernel;

/// The grants and permits of one role, as loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct RulesInForce {
    pub grants: Vec<Grant>,
    pub permits: Vec<Permit>,
}

/// The policy-reading service: any authenticated caller may read the rules of its own role.
#[derive(Clone)]
pub struct Rules {
    kernel: Kernel,
}

impl Rules {
    pub fn new(kernel: Kernel) -> Self {
        Self { kernel }
    }

    /// The grants and permits of the caller's role.
    pub fn in_force(&self, caller: &Principal) -> RulesInForce {
        let policy = self.kernel.policy();
        RulesInForce {
            grants: policy.grants_for(caller.role).cloned().collect(),
            permits: policy.permits_for(caller.role).cloned().collect(),
        }
    }
}
