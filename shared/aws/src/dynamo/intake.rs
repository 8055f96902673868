//! Intake's writes: a request's record and its steps, queued on each user item in transactions
//! that fit DynamoDB's limit.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};

use riskfeedback::model::User;
use riskfeedback::store::{
    Accepted, FeedbackRecord, FeedbackStore, IntakeState, StoreError, UserSteps,
};

use super::client::{corrupt, encode, put_write, to_value};
use super::items::{principal_list_keys, user_pk, work_pk, FeedbackItem, USER_SK, WORK_SK};
use super::{DynamoStore, MAX_TRANSACTION_ITEMS};

/// The users (indexes into a request's steps, in order) whose steps each intake transaction
/// queues: as many as fit beside the write of the record, so up to 99 users take one
/// transaction, as they always did, and 100 take two. A request reaching no user is one
/// transaction holding only its record.
pub(super) fn intake_chunks(users: usize) -> Vec<std::ops::Range<usize>> {
    let per_chunk = MAX_TRANSACTION_ITEMS - 1;
    (0..users.max(1))
        .step_by(per_chunk)
        .map(|start| start..users.min(start + per_chunk))
        .collect()
}

impl DynamoStore {
    /// Stores a request's intake transactions from the `first` (0-based) on; see
    /// [`intake_chunks`]. Each is guarded by its write of the record: the first creates it,
    /// each next one moves its count of committed transactions on from the one before, and the
    /// last makes it accepted. So each commits at most once, whoever retries it.
    pub(super) async fn store_chunks(
        &self,
        tenant: &str,
        record: &FeedbackRecord,
        steps: &[UserSteps],
        create_users: bool,
        first: usize,
    ) -> Result<Accepted, StoreError> {
        let chunks = intake_chunks(steps.len());
        let last = chunks.len() - 1;
        for (k, users) in chunks.into_iter().enumerate().skip(first) {
            let mut writes = vec![self.record_write(tenant, record, k, last)?];
            for user in &steps[users] {
                writes.push(self.step_append(tenant, user, create_users)?);
            }
            if !self.transact_guarded(writes).await? {
                return match self.work(tenant, &record.id).await? {
                    Some(existing) => Ok(Accepted::Existing(Box::new(existing))),
                    None => Err(StoreError::Conflict),
                };
            }
        }
        Ok(Accepted::New)
    }

    /// The record's write in intake transaction `k` of `0..=last`.
    pub(super) fn record_write(
        &self,
        tenant: &str,
        record: &FeedbackRecord,
        k: usize,
        last: usize,
    ) -> Result<TransactWriteItem, StoreError> {
        if k == 0 {
            let mut record = record.clone();
            if last > 0 {
                record.intake_state = IntakeState::Accepting;
                record.chunks_committed = Some(1);
            }
            let work = FeedbackItem {
                pk: work_pk(tenant, &record.id),
                sk: WORK_SK.to_string(),
                record,
            };
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(encode(&work)?))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(corrupt)?;
            return Ok(put_write(put));
        }
        let mut values = HashMap::from([
            (":accepting".to_string(), to_value(&IntakeState::Accepting)?),
            (":done".to_string(), AttributeValue::N(k.to_string())),
        ]);
        let expression = if k == last {
            // Accepted: the record is now as one transaction would have stored it.
            "REMOVE intakeState, chunksCommitted"
        } else {
            values.insert(":next".to_string(), AttributeValue::N((k + 1).to_string()));
            "SET chunksCommitted = :next"
        };
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(work_pk(tenant, &record.id), WORK_SK)))
            .update_expression(expression)
            .condition_expression("intakeState = :accepting AND chunksCommitted = :done")
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(corrupt)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Appends a user's steps to its queue (creating the user for ingestion).
    pub(super) fn step_append(
        &self,
        tenant: &str,
        user: &UserSteps,
        create_users: bool,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut values = HashMap::from([
            (":steps".to_string(), to_value(&user.steps)?),
            (":empty".to_string(), AttributeValue::L(Vec::new())),
        ]);
        let (expression, condition) = if create_users {
            values.insert(":uid".to_string(), AttributeValue::S(user.user_id.clone()));
            values.insert(":none".to_string(), AttributeValue::S("none".to_string()));
            values.insert(":zero".to_string(), AttributeValue::N("0".to_string()));
            let mut set = "SET pendingWork = list_append(if_not_exists(pendingWork, :empty), :steps), \
                 id = :uid, \
                 riskLevel = if_not_exists(riskLevel, :none), riskState = if_not_exists(riskState, :none), \
                 riskDetail = if_not_exists(riskDetail, :none), version = if_not_exists(version, :zero)"
                .to_string();
            // A new principal's place on its lists; one already there keeps the place its last
            // step gave it.
            for (attribute, key) in principal_list_keys(tenant, &User::new(user.user_id.clone())) {
                values.insert(format!(":{attribute}"), AttributeValue::S(key));
                set.push_str(&format!(
                    ", {attribute} = if_not_exists({attribute}, :{attribute})"
                ));
            }
            if let Some(upn) = &user.user_principal_name {
                values.insert(":upn".to_string(), AttributeValue::S(upn.clone()));
                set.push_str(", userPrincipalName = if_not_exists(userPrincipalName, :upn)");
            }
            (set, None)
        } else {
            (
                "SET pendingWork = list_append(if_not_exists(pendingWork, :empty), :steps)"
                    .to_string(),
                Some("attribute_exists(pk)"),
            )
        };
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(user_pk(tenant, &user.user_id), USER_SK)))
            .update_expression(expression)
            .set_condition_expression(condition.map(str::to_string))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(corrupt)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn up_to_99_users_take_one_transaction_and_100_take_two() {
        assert_eq!(intake_chunks(0), vec![0..0]);
        assert_eq!(intake_chunks(1), vec![0..1]);
        assert_eq!(intake_chunks(99), vec![0..99]);
        assert_eq!(intake_chunks(100), vec![0..99, 99..100]);
    }

    proptest! {
        /// Every user is queued exactly once, in order, and no transaction holds more than
        /// DynamoDB allows beside the record's write.
        #[test]
        fn chunks_cover_every_user_once_in_order_within_the_limit(users in 0usize..1000) {
            let chunks = intake_chunks(users);
            let covered: Vec<usize> = chunks.iter().cloned().flatten().collect();
            prop_assert_eq!(covered, (0..users).collect::<Vec<_>>());
            // The record's write and one per user.
            prop_assert!(chunks.iter().all(|c| c.len() < MAX_TRANSACTION_ITEMS));
            prop_assert_eq!(chunks.len(), users.div_ceil(MAX_TRANSACTION_ITEMS - 1).max(1));
            prop_assert!(chunks.iter().skip(1).all(|c| !c.is_empty()));
        }
    }
}
