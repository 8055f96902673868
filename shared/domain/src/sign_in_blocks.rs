//! `blockIndicator` on confirm sign-in compromised (SPEC 3a): in the same call, a tenant-wide
//! block indicator for the IP address of each named sign-in, so the attacker's address raises
//! every later detection that carries it to `high`. All or nothing: every named sign-in must be
//! known and have an address, and the caller must also hold `Indicators.Manage`, before
//! anything is written.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{AuthError, Caller};
use crate::errors::Invalid;
use crate::indicators::{normalize, Indicator, IndicatorAction, IndicatorIn, IndicatorType};
use crate::role::Role;
use crate::store::{IndicatorStore, ReadStore, StoreError};
use crate::validate::Errors;

/// What a confirm sign-in compromised call asks to block besides.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlockIndicatorRequest {
    /// When the block indicators expire; never, if left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date_time: Option<DateTime<Utc>>,
}

/// Why the sign-ins' addresses are not blocked, and nothing else is done either.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Forbidden(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The block indicators for the addresses of `sign_in_ids` (the body's `signInIds`), one per
/// distinct address, each with an id derived from the feedback's, so that a retry of the same
/// feedback finds them.
pub async fn plan(
    store: &impl ReadStore,
    caller: &Caller,
    feedback_id: &str,
    sign_in_ids: &[String],
    request: &BlockIndicatorRequest,
    now: DateTime<Utc>,
) -> Result<Vec<Indicator>, BlockError> {
    caller.require(Role::IndicatorsManage)?;
    let mut errors = Errors::default();
    if request.expiration_date_time.is_some_and(|e| e <= now) {
        errors.add("blockIndicator.expirationDateTime", "must be in the future");
    }
    // Each address once, named after the first sign-in that had it.
    let mut addresses = BTreeMap::new();
    let found = store.sign_ins_named(&caller.tenant_id, sign_in_ids).await?;
    for (i, id) in sign_in_ids.iter().enumerate() {
        let field = format!("signInIds[{i}]");
        let Some(sign_in) = found.get(id) else {
            errors.add(field, "no such sign-in, so no address to block");
            continue;
        };
        let address = sign_in.ip_address.as_deref().unwrap_or_default();
        match normalize(IndicatorType::IpAddress, address) {
            Ok(address) => {
                addresses.entry(address).or_insert(id);
            }
            Err(_) => errors.add(field, "the sign-in has no valid IP address to block"),
        }
    }
    errors.into_result()?;
    addresses
        .into_iter()
        .map(|(address, sign_in)| {
            let name = format!("block\n{feedback_id}\n{address}");
            let id = Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()).to_string();
            let input = IndicatorIn {
                indicator_type: IndicatorType::IpAddress,
                title: format!("Address of sign-in {sign_in}, confirmed compromised"),
                indicator_value: address,
                action: IndicatorAction::Block,
                description: None,
                expiration_date_time: request.expiration_date_time,
            };
            Ok(Indicator::create(input, id, caller.actor.clone(), now)?)
        })
        .collect()
}

/// Stores the planned indicators; one a retry stored already stays as it is.
pub async fn create(
    store: &impl IndicatorStore,
    tenant: &str,
    indicators: &[Indicator],
    request_hash: &str,
) -> Result<(), StoreError> {
    for indicator in indicators {
        if store
            .create_indicator(tenant, indicator, request_hash)
            .await?
        {
            tracing::info!(tenant, indicator = %indicator.id, "block indicator created");
        }
    }
    Ok(())
}
