//! `FeedbackStore` over the table. The write path: intake and processing.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use riskfeedback::model::UserAggregate;
use riskfeedback::store::{
    Accepted, FeedbackRecord, FeedbackStore, IntakeState, LoadedUser, StepCommit, StoreError,
    UserSteps,
};

use super::client::{
    classify, condition_held, decode, put_write, sort_key, to_value, TransactError,
};
use super::items::{
    context_owner_pk, pointer_pk, user_pk, work_pk, ContextItem, DetectionItem, FeedbackItem,
    HistoryItem, OwnerPointer, ResultItem, SignInItem, UserItem, CONTEXT_OWNER_SK, CONTEXT_PREFIX,
    DETECTION_PREFIX, POINTER_SK, RESULT_PREFIX, SIGN_IN_PREFIX, USER_SK, WORK_SK,
};
use super::{DynamoStore, MAX_TRANSACTION_ITEMS};

#[async_trait]
impl FeedbackStore for DynamoStore {
    async fn existing_users(
        &self,
        tenant: &str,
        ids: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        let keys = ids
            .iter()
            .map(|u| Self::key(user_pk(tenant, u), USER_SK))
            .collect();
        let items = self.batch_get(keys, Some("id")).await?;
        Ok(items
            .into_iter()
            .filter_map(|item| item.get("id").and_then(|v| v.as_s().ok()).cloned())
            .collect())
    }

    async fn sign_in_owners(
        &self,
        tenant: &str,
        ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        self.owners(ids, |id| pointer_pk(tenant, id), POINTER_SK)
            .await
    }

    async fn familiar_context_owners(
        &self,
        tenant: &str,
        ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        self.owners(ids, |id| context_owner_pk(tenant, id), CONTEXT_OWNER_SK)
            .await
    }

    async fn accept(
        &self,
        tenant: &str,
        record: &FeedbackRecord,
        steps: &[UserSteps],
        create_users: bool,
    ) -> Result<Accepted, StoreError> {
        let first = match (record.intake_state, record.chunks_committed) {
            (IntakeState::Accepting, Some(committed)) => committed as usize,
            (IntakeState::Accepting, None) => {
                return Err(StoreError::Corrupt(format!(
                    "feedback {} is accepting but counts no committed transactions",
                    record.id
                )))
            }
            _ => 0,
        };
        self.store_chunks(tenant, record, steps, create_users, first)
            .await
    }

    async fn abandon_intake(
        &self,
        tenant: &str,
        feedback_id: &str,
        reason: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(work_pk(tenant, feedback_id), WORK_SK)))
            .update_expression(
                "SET intakeState = :abandoned, failureReason = :r, failedDateTime = :t",
            )
            .condition_expression("intakeState = :accepting")
            .expression_attribute_values(":abandoned", to_value(&IntakeState::Abandoned)?)
            .expression_attribute_values(":accepting", to_value(&IntakeState::Accepting)?)
            .expression_attribute_values(":r", AttributeValue::S(reason.to_string()))
            .expression_attribute_values(":t", to_value(&now)?)
            .send()
            .await;
        condition_held(result)
    }

    async fn work(&self, tenant: &str, id: &str) -> Result<Option<FeedbackRecord>, StoreError> {
        let mut record = None;
        let mut results = Vec::new();
        for item in self.partition(work_pk(tenant, id)).await? {
            let sk = sort_key(&item);
            if sk == WORK_SK {
                record = Some(decode::<FeedbackItem>(item)?.record);
            } else if sk.starts_with(RESULT_PREFIX) {
                results.push(decode::<ResultItem>(item)?);
            }
        }
        Ok(record.map(|mut record| {
            for result in results {
                record.record_result(result.target_id, result.status, result.updated_date_time);
            }
            record
        }))
    }

    async fn load_user(
        &self,
        tenant: &str,
        user_id: &str,
    ) -> Result<Option<LoadedUser>, StoreError> {
        let mut user = None;
        let mut sign_ins = Vec::new();
        let mut detections = Vec::new();
        let mut contexts = Vec::new();
        for item in self.partition(user_pk(tenant, user_id)).await? {
            let sk = sort_key(&item);
            if sk == USER_SK {
                user = Some(decode::<UserItem>(item)?);
            } else if sk.starts_with(SIGN_IN_PREFIX) {
                sign_ins.push(decode::<SignInItem>(item)?.sign_in);
            } else if sk.starts_with(DETECTION_PREFIX) {
                detections.push(decode::<DetectionItem>(item)?.detection);
            } else if sk.starts_with(CONTEXT_PREFIX) {
                contexts.push(decode::<ContextItem>(item)?.context);
            }
        }
        Ok(user.map(|item| {
            let mut aggregate = UserAggregate::new(item.user);
            aggregate.sign_ins = sign_ins.into_iter().map(|s| (s.id.clone(), s)).collect();
            aggregate.detections = detections.into_iter().map(|d| (d.id.clone(), d)).collect();
            aggregate.familiar_contexts = contexts.into_iter().map(|c| (c.id.clone(), c)).collect();
            LoadedUser {
                aggregate,
                version: item.version,
                pending: item.pending_work,
            }
        }))
    }

    async fn commit_step(&self, commit: &StepCommit<'_>) -> Result<(), StoreError> {
        let user_id = &commit.after.user.id;
        let mut writes = self.step_writes(commit)?;
        let mut final_items = vec![
            self.user_update(commit)?,
            put_write(self.put(&HistoryItem::new(commit.tenant_id, commit.history))?),
        ];
        final_items.extend(self.result_puts(commit)?);
        for (kind, counts) in commit.quality {
            let day = commit.now.date_naive();
            final_items.push(self.quality_update(commit.tenant_id, day, kind, counts, user_id)?);
        }
        // A step that changes more items than one transaction holds is written in chunks, each
        // guarded by the version check; the user item moves last, so a crash in between leaves
        // the step queued and its (idempotent) effects are re-derived on redelivery.
        let room = MAX_TRANSACTION_ITEMS - final_items.len();
        while writes.len() > room {
            let take = writes.len().min(MAX_TRANSACTION_ITEMS - 1);
            let chunk: Vec<_> = writes.drain(..take).collect();
            let mut items = vec![self.version_check(commit.tenant_id, user_id, commit.version)?];
            items.extend(chunk);
            self.transact(items)
                .await
                .map_err(TransactError::into_store_error)?;
        }
        writes.extend(final_items);
        self.transact(writes)
            .await
            .map_err(TransactError::into_store_error)
    }

    async fn discard_step(
        &self,
        tenant: &str,
        user_id: &str,
        version: u64,
    ) -> Result<(), StoreError> {
        // As in a step's commit, the version check makes `pendingWork[0]` the step that was
        // loaded: intake only appends, and every removal moves the version.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user_pk(tenant, user_id), USER_SK)))
            .update_expression("SET version = :next REMOVE pendingWork[0]")
            .condition_expression("version = :v")
            .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
            .expression_attribute_values(":next", AttributeValue::N((version + 1).to_string()))
            .send()
            .await;
        if condition_held(result)? {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    async fn mark_failed(
        &self,
        tenant: &str,
        feedback_id: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(work_pk(tenant, feedback_id), WORK_SK)))
            .update_expression("SET failureReason = :r, failedDateTime = :t")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":r", AttributeValue::S(reason.to_string()))
            .expression_attribute_values(":t", to_value(&chrono::Utc::now())?)
            .send()
            .await;
        condition_held(result).map(|_| ())
    }

    async fn mark_event_published(
        &self,
        tenant: &str,
        feedback_id: &str,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(work_pk(tenant, feedback_id), WORK_SK)))
            .update_expression("SET eventPublished = :t")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}

impl DynamoStore {
    /// The user each of `ids` that exists belongs to, from owner pointers (`OwnerPointer`).
    async fn owners(
        &self,
        ids: &[String],
        pointer: impl Fn(&str) -> String,
        sk: &str,
    ) -> Result<HashMap<String, String>, StoreError> {
        let keys = ids.iter().map(|id| Self::key(pointer(id), sk)).collect();
        let items = self.batch_get(keys, Some("pk, sk, userId")).await?;
        let prefix = pointer("");
        items
            .into_iter()
            .map(|item| {
                let found: OwnerPointer = decode(item)?;
                let id = found
                    .pk
                    .strip_prefix(&prefix)
                    .unwrap_or_default()
                    .to_string();
                Ok((id, found.user_id))
            })
            .collect()
    }
}
