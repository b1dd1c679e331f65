//! The states a tenant goes through and the tiers it can live in, as the database
//! stores them.

crate::text_enum! {
    /// `pending → provisioning → active ⇄ suspended → deleted → purged`
    /// ([`crate::tenancy::lifecycle`] decides the transitions).
    pub enum TenantStatus {
        Pending = "pending",
        Provisioning = "provisioning",
        Active = "active",
        Suspended = "suspended",
        Deleted = "deleted",
        Purged = "purged",
    }
}

impl TenantStatus {
    /// Still being set up: the provisioning job has not finished.
    pub fn is_settling(self) -> bool {
        matches!(self, Self::Pending | Self::Provisioning)
    }

    /// Its database or schema exists and holds data (sizes and usage can be read).
    pub fn has_data(self) -> bool {
        matches!(self, Self::Active | Self::Suspended | Self::Deleted)
    }
}

crate::text_enum! {
    /// Where a tenant's data lives: its own database, or its own schema in a shared one.
    pub enum Tier {
        Isolated = "isolated",
        Pooled = "pooled",
    }
}
