//! `POST /indicators` and `DELETE /indicators/{id}` (SPEC 5): an analyst adds an allow or block
//! indicator, or takes one away. Creating is keyed like every other keyed route (`idempotency`).

use chrono::{DateTime, Utc};

use crate::auth::Caller;
use crate::errors::{Invalid, KeyReused, NotFound};
use crate::idempotency::{new_id, request_hash, same_request};
use crate::indicators::{Indicator, IndicatorIn};
use crate::store::{IndicatorStore, StoreError};

/// Why an indicator is not created or deleted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndicatorError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    NotFound(#[from] NotFound),
    #[error(transparent)]
    KeyReused(#[from] KeyReused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates the indicator; a retry under the same `Idempotency-Key` and body answers with what
/// the first attempt stored, and the same key with another body is refused.
pub async fn create(
    store: &impl IndicatorStore,
    caller: &Caller,
    input: IndicatorIn,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Indicator, IndicatorError> {
    let tenant = caller.tenant_id.as_str();
    let id = new_id(caller, idempotency_key);
    let hash = request_hash(&input);
    let indicator = Indicator::create(input, id.clone(), caller.actor.clone(), now)?;
    if store.create_indicator(tenant, &indicator, &hash).await? {
        tracing::info!(tenant, indicator = %id, "indicator created");
        return Ok(indicator);
    }
    // Stored already under this id: a retry, or a reused key.
    let stored = store
        .indicator(tenant, &id)
        .await?
        .ok_or(StoreError::Unavailable(
            "the indicator it found is gone".into(),
        ))?;
    same_request(&stored.request_hash, &hash)?;
    Ok(stored.indicator)
}

/// Deletes the indicator: from then on it matches nothing.
pub async fn delete(
    store: &impl IndicatorStore,
    caller: &Caller,
    id: &str,
) -> Result<(), IndicatorError> {
    let tenant = caller.tenant_id.as_str();
    let Some(stored) = store.indicator(tenant, id).await? else {
        return Err(NotFound::new("indicator", id).into());
    };
    store.delete_indicator(tenant, &stored.indicator).await?;
    tracing::info!(tenant, indicator = %id, "indicator deleted");
    Ok(())
}
