//! Processing's writes: one step committed to its user, its results and the quality counts, in
//! one transaction guarded by the user's version.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, TransactWriteItem, Update};

use riskfeedback::quality::{Counts, Kind};
use riskfeedback::store::{StepCommit, StoreError};

use super::client::{corrupt, put_write, to_value};
use super::items::{
    context_owner_pk, context_sk, pointer_pk, principal_list_keys, quality_key, user_pk,
    ContextItem, DetectionItem, OwnerPointer, ResultItem, SignInItem, CONTEXT_OWNER_SK, POINTER_SK,
    USER_SK,
};
use super::DynamoStore;

impl DynamoStore {
    /// Which of these users have queued work, for `isProcessing` on sign-ins.
    pub(super) async fn users_with_pending_work(
        &self,
        tenant: &str,
        user_ids: impl IntoIterator<Item = &str>,
    ) -> Result<HashSet<String>, StoreError> {
        let unique: HashSet<&str> = user_ids.into_iter().collect();
        let keys = unique
            .into_iter()
            .map(|u| Self::key(user_pk(tenant, u), USER_SK))
            .collect();
        let items = self.batch_get(keys, Some("id, pendingWork")).await?;
        Ok(items
            .into_iter()
            .filter(|item| matches!(item.get("pendingWork"), Some(AttributeValue::L(l)) if !l.is_empty()))
            .filter_map(|item| item.get("id").and_then(|v| v.as_s().ok()).cloned())
            .collect())
    }

    pub(super) fn step_writes(
        &self,
        commit: &StepCommit<'_>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let tenant = commit.tenant_id;
        let changes = commit.before.changes(commit.after);
        let mut writes = Vec::new();
        for sign_in in changes.sign_ins {
            writes.push(put_write(self.put(&SignInItem::new(tenant, sign_in))?));
            if !commit.before.sign_ins.contains_key(&sign_in.id) {
                writes.push(put_write(self.put(&OwnerPointer {
                    pk: pointer_pk(tenant, &sign_in.id),
                    sk: POINTER_SK.to_string(),
                    user_id: sign_in.user_id.clone(),
                })?));
            }
        }
        for detection in changes.detections {
            writes.push(put_write(self.put(&DetectionItem::new(tenant, detection))?));
        }
        for context in changes.familiar_contexts {
            writes.push(put_write(self.put(&ContextItem::new(tenant, context))?));
            if !commit.before.familiar_contexts.contains_key(&context.id) {
                writes.push(put_write(self.put(&OwnerPointer {
                    pk: context_owner_pk(tenant, &context.id),
                    sk: CONTEXT_OWNER_SK.to_string(),
                    user_id: context.user_id.clone(),
                })?));
            }
        }
        let user_id = &commit.after.user.id;
        for id in changes.forgotten_contexts {
            writes.push(self.delete_write(user_pk(tenant, user_id), &context_sk(id))?);
            writes.push(self.delete_write(context_owner_pk(tenant, id), CONTEXT_OWNER_SK)?);
        }
        Ok(writes)
    }

    fn delete_write(&self, pk: String, sk: &str) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .build()
            .map_err(corrupt)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    pub(super) fn version_check(
        &self,
        tenant: &str,
        user_id: &str,
        version: u64,
    ) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(user_pk(tenant, user_id), USER_SK)))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
            .build()
            .map_err(corrupt)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// The user's new state, the version bump, and the removal of the applied step from its queue.
    pub(super) fn user_update(
        &self,
        commit: &StepCommit<'_>,
    ) -> Result<TransactWriteItem, StoreError> {
        let user = &commit.after.user;
        let mut set = vec![
            "riskLevel = :level",
            "riskState = :state",
            "riskDetail = :detail",
            "version = :next",
        ];
        let mut values = HashMap::from([
            (":level".to_string(), to_value(&user.risk_level)?),
            (":state".to_string(), to_value(&user.risk_state)?),
            (":detail".to_string(), to_value(&user.risk_detail)?),
            (
                ":next".to_string(),
                AttributeValue::N((commit.version + 1).to_string()),
            ),
            (
                ":v".to_string(),
                AttributeValue::N(commit.version.to_string()),
            ),
        ]);
        if let Some(updated) = user.risk_last_updated_date_time {
            set.push("riskLastUpdatedDateTime = :updated");
            values.insert(":updated".to_string(), to_value(&updated)?);
        }
        // Its place on its lists follows its risk (`principal_list_keys`).
        let list_keys = principal_list_keys(commit.tenant_id, user);
        let list_sets: Vec<String> = list_keys
            .iter()
            .map(|(attribute, _)| format!("{attribute} = :{attribute}"))
            .collect();
        set.extend(list_sets.iter().map(String::as_str));
        for (attribute, key) in list_keys {
            values.insert(format!(":{attribute}"), AttributeValue::S(key));
        }
        if let Some(upn) = &user.user_principal_name {
            set.push("userPrincipalName = :upn");
            values.insert(":upn".to_string(), AttributeValue::S(upn.clone()));
        }
        if let Some(name) = &user.user_display_name {
            set.push("userDisplayName = :name");
            values.insert(":name".to_string(), AttributeValue::S(name.clone()));
        }
        if let Some(app) = &user.app_id {
            set.push("appId = :app");
            values.insert(":app".to_string(), AttributeValue::S(app.clone()));
        }
        let mut remove = vec!["pendingWork[0]"];
        match user.learning_until_date_time {
            Some(until) => {
                set.push("learningUntilDateTime = :learning");
                values.insert(":learning".to_string(), to_value(&until)?);
            }
            None => remove.push("learningUntilDateTime"),
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(
                user_pk(commit.tenant_id, &user.id),
                USER_SK,
            )))
            .update_expression(format!(
                "SET {} REMOVE {}",
                set.join(", "),
                remove.join(", ")
            ))
            .condition_expression("version = :v")
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(corrupt)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// `ADD`s counts to one detection-quality counter, creating it on first use.
    pub(super) fn quality_update(
        &self,
        tenant: &str,
        day: chrono::NaiveDate,
        kind: &Kind,
        counts: &Counts,
        shard_key: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let (pk, sk) = quality_key(tenant, day, kind, shard_key);
        self.quality_add(pk, &sk, kind, counts)
    }

    /// `ADD`s counts to the counter at `pk`/`sk`, creating it on first use.
    pub(super) fn quality_add(
        &self,
        pk: String,
        sk: &str,
        kind: &Kind,
        counts: &Counts,
    ) -> Result<TransactWriteItem, StoreError> {
        let fields = [
            ("detections", counts.detections),
            ("confirmedCompromised", counts.confirmed_compromised),
            ("confirmedSafe", counts.confirmed_safe),
            ("dismissed", counts.dismissed),
            ("falsePositives", counts.false_positives),
            ("falseNegatives", counts.false_negatives),
            ("suppressedByFeedback", counts.suppressed_by_feedback),
        ];
        let mut values = HashMap::from([
            (
                ":type".to_string(),
                AttributeValue::S(kind.risk_event_type.clone()),
            ),
            (
                ":source".to_string(),
                AttributeValue::S(kind.source.clone()),
            ),
        ]);
        let mut add = Vec::new();
        for (name, value) in fields.into_iter().filter(|(_, v)| *v > 0) {
            values.insert(format!(":{name}"), AttributeValue::N(value.to_string()));
            add.push(format!("{name} :{name}"));
        }
        let mut expression = "SET riskEventType = :type, #source = :source".to_string();
        if !add.is_empty() {
            expression.push_str(&format!(" ADD {}", add.join(", ")));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .update_expression(expression)
            .expression_attribute_names("#source", "source")
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(corrupt)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Each target result of a step, as its own item (see `ResultItem`).
    pub(super) fn result_puts(
        &self,
        commit: &StepCommit<'_>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        commit
            .results
            .iter()
            .map(|result| {
                let item =
                    ResultItem::new(commit.tenant_id, commit.feedback_id, result, commit.now);
                Ok(put_write(self.put(&item)?))
            })
            .collect()
    }
}
