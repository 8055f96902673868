//! `ReadStore` over the table. The read path of the `GET` routes: users, sign-ins and detections.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use riskfeedback::familiar::FamiliarContext;
use riskfeedback::history::HistoryEntry;
use riskfeedback::model::{Detection, SignIn};
use riskfeedback::principal::{principal_key, PrincipalKind};
use riskfeedback::store::{
    DetectionFilter, FeedbackStore, Page, PageRequest, ReadStore, SignInFilter, SignInRow,
    StoreError, UserFilter, UserRow,
};

use super::client::{classify, corrupt, decode};
use super::items::{
    context_sk, detection_by_id, detection_list, history_pk, key_id, principal_list, sign_in_list,
    user_pk, ContextItem, DetectionItem, HistoryItem, SignInItem, UserItem, CONTEXT_PREFIX, GSI2,
    SIGN_IN_PREFIX, USER_SK,
};
use super::query::Query;
use super::sharded::{string_filter, ListRead};
use super::DynamoStore;

#[async_trait]
impl ReadStore for DynamoStore {
    async fn user(&self, tenant: &str, id: &str) -> Result<Option<UserRow>, StoreError> {
        Ok(self
            .get_decoded::<UserItem>(user_pk(tenant, id), USER_SK)
            .await?
            .map(Self::user_row))
    }

    async fn users(
        &self,
        tenant: &str,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Page<UserRow>, StoreError> {
        let level = filter.risk_level.map(|l| l.to_string());
        let state = filter.risk_state.map(|s| s.to_string());
        let read = ListRead {
            list: principal_list(tenant, filter.kind, level.as_deref(), state.as_deref()),
            filters: Vec::new(),
        };
        let page: Page<UserItem> = self.sharded_page(tenant, &read, page).await?;
        Ok(page.map(Self::user_row))
    }

    async fn user_history(
        &self,
        tenant: &str,
        id: &str,
        page: &PageRequest,
    ) -> Result<Page<HistoryEntry>, StoreError> {
        let query = Query {
            index: None,
            pk: history_pk(tenant, id),
            sk_prefix: None,
            newest_first: true,
        };
        let page: Page<HistoryItem> = self.query_page(tenant, query, page).await?;
        Ok(page.map(|h| h.entry))
    }

    async fn sign_in(&self, tenant: &str, id: &str) -> Result<Option<SignInRow>, StoreError> {
        let Some(user_id) = self
            .sign_in_owners(tenant, &[id.to_string()])
            .await?
            .remove(id)
        else {
            return Ok(None);
        };
        let Some(item) = self
            .get(
                user_pk(tenant, &user_id),
                &format!("{SIGN_IN_PREFIX}{}", key_id(id)),
            )
            .await?
        else {
            return Ok(None);
        };
        let sign_in = decode::<SignInItem>(item)?.sign_in;
        let processing = self
            .users_with_pending_work(tenant, [user_id.as_str()])
            .await?;
        Ok(Some(SignInRow {
            is_processing: processing.contains(&user_id),
            sign_in,
        }))
    }

    async fn sign_ins_named(
        &self,
        tenant: &str,
        ids: &[String],
    ) -> Result<HashMap<String, SignIn>, StoreError> {
        let owners = self.sign_in_owners(tenant, ids).await?;
        let keys = owners
            .iter()
            .map(|(id, user)| {
                Self::key(
                    user_pk(tenant, user),
                    &format!("{SIGN_IN_PREFIX}{}", key_id(id)),
                )
            })
            .collect();
        self.batch_get(keys, None)
            .await?
            .into_iter()
            .map(|item| {
                let sign_in = decode::<SignInItem>(item)?.sign_in;
                Ok((sign_in.id.clone(), sign_in))
            })
            .collect()
    }

    async fn sign_ins(
        &self,
        tenant: &str,
        filter: &SignInFilter,
        page: &PageRequest,
    ) -> Result<Page<SignInRow>, StoreError> {
        let state = filter.risk_state.map(|s| s.to_string());
        // A user's sign-ins are read from that user's own list, and filtered there.
        let filters = match &filter.user_id {
            Some(_) => string_filter("riskState", &filter.risk_state)
                .into_iter()
                .collect(),
            None => Vec::new(),
        };
        let read = ListRead {
            list: sign_in_list(tenant, filter.user_id.as_deref(), state.as_deref()),
            filters,
        };
        let page: Page<SignInItem> = self.sharded_page(tenant, &read, page).await?;
        let processing = self
            .users_with_pending_work(
                tenant,
                page.value.iter().map(|s| s.sign_in.user_id.as_str()),
            )
            .await?;
        Ok(page.map(|s| SignInRow {
            is_processing: processing.contains(&s.sign_in.user_id),
            sign_in: s.sign_in,
        }))
    }

    async fn detections(
        &self,
        tenant: &str,
        filter: &DetectionFilter,
        page: &PageRequest,
    ) -> Result<Page<Detection>, StoreError> {
        // One principal's detections (named, or the owner of the sign-in named) are read from
        // that principal's own list, and filtered there; the others have lists of their own.
        let principal = match (&filter.user_id, &filter.sign_in_id) {
            (Some(id), _) => Some(principal_key(filter.kind, id)),
            (None, Some(sign_in)) => {
                let owner = self
                    .sign_in_owners(tenant, std::slice::from_ref(sign_in))
                    .await?
                    .remove(sign_in);
                match owner {
                    Some(owner) => Some(owner),
                    None => {
                        return Ok(Page {
                            value: Vec::new(),
                            next_cursor: None,
                        })
                    }
                }
            }
            (None, None) => None,
        };
        let state = filter.risk_state.map(|s| s.to_string());
        let filters = match principal {
            Some(_) => [
                filter.sign_in_id.clone().map(|v| ("signInId", v)),
                filter.risk_event_type.clone().map(|v| ("riskEventType", v)),
                string_filter("riskState", &filter.risk_state),
            ]
            .into_iter()
            .flatten()
            .collect(),
            None => Vec::new(),
        };
        let read = ListRead {
            list: detection_list(
                tenant,
                filter.kind,
                principal.as_deref(),
                filter.risk_event_type.as_deref(),
                state.as_deref(),
            ),
            filters,
        };
        let page: Page<DetectionItem> = self.sharded_page(tenant, &read, page).await?;
        Ok(page.map(|d| d.detection))
    }

    async fn detection(
        &self,
        tenant: &str,
        kind: PrincipalKind,
        id: &str,
    ) -> Result<Option<Detection>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI2)
            .key_condition_expression("gsi2pk = :id")
            .expression_attribute_values(
                ":id",
                AttributeValue::S(detection_by_id(tenant, kind, id)),
            )
            .send()
            .await
            .map_err(classify)?;
        let Some(found) = out.items.unwrap_or_default().into_iter().next() else {
            return Ok(None);
        };
        let text = |name: &str| found.get(name).and_then(|v| v.as_s().ok()).cloned();
        let (Some(pk), Some(sk)) = (text("pk"), text("sk")) else {
            return Err(corrupt("a detection's id key without its item's key"));
        };
        Ok(self
            .get_decoded::<DetectionItem>(pk, &sk)
            .await?
            .map(|d| d.detection)
            .filter(|d| d.id == id))
    }

    async fn familiar_contexts(
        &self,
        tenant: &str,
        user_id: &str,
        page: &PageRequest,
    ) -> Result<Page<FamiliarContext>, StoreError> {
        let query = Query {
            index: None,
            pk: user_pk(tenant, user_id),
            sk_prefix: Some(CONTEXT_PREFIX),
            newest_first: false,
        };
        let page: Page<ContextItem> = self.query_page(tenant, query, page).await?;
        Ok(page.map(|c| c.context))
    }

    async fn familiar_context(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<FamiliarContext>, StoreError> {
        let owners = self
            .familiar_context_owners(tenant, &[id.to_string()])
            .await?;
        let Some(user_id) = owners.get(id) else {
            return Ok(None);
        };
        Ok(self
            .get_decoded::<ContextItem>(user_pk(tenant, user_id), &context_sk(id))
            .await?
            .map(|c| c.context))
    }
}

impl DynamoStore {
    pub(super) fn user_row(item: UserItem) -> UserRow {
        UserRow {
            is_processing: !item.pending_work.is_empty(),
            user: item.user,
        }
    }
}
