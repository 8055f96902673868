//! The roles a caller's token grants (SPEC 6), by the names the identity provider issues.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    RiskRead,
    RiskFeedback,
    RemediationManage,
    IndicatorsManage,
    SignalsIngest,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::RiskRead,
        Role::RiskFeedback,
        Role::RemediationManage,
        Role::IndicatorsManage,
        Role::SignalsIngest,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::RiskRead => "Risk.Read",
            Role::RiskFeedback => "Risk.Feedback",
            Role::RemediationManage => "Remediation.Manage",
            Role::IndicatorsManage => "Indicators.Manage",
            Role::SignalsIngest => "Signals.Ingest",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}
