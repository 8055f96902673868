//! `ReadStore` over the table. The read path of the `GET` routes: users, sign-ins and detections.

use std::collections::HashMap;

use async_trait::async_trait;

use riskfeedback::familiar::FamiliarContext;
use riskfeedback::history::HistoryEntry;
use riskfeedback::model::{Detection, SignIn};
use riskfeedback::principal::{principal_key, PrincipalKind};
use riskfeedback::store::{
    DetectionFilter, FeedbackStore, Page, PageRequest, ReadStore, SignInFilter, SignInRow,
    StoreError, UserFilter, UserRow,
};

use super::client::decode;
use super::items::{
    context_sk, detections_index, history_pk, key_id, principal_list,
    service_principal_detections_index, sign_ins_index, user_pk, ContextItem, DetectionItem,
    HistoryItem, SignInItem, UserItem, CONTEXT_PREFIX, DETECTION_PREFIX, GSI1, SIGN_IN_PREFIX,
    USER_SK,
};
use super::query::{string_filter, Query};
use super::sharded::ShardedList;
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
        let (index, pk_attribute, name) =
            principal_list(tenant, filter.kind, level.as_deref(), state.as_deref());
        let list = ShardedList {
            index,
            pk_attribute,
            name,
        };
        let page: Page<UserItem> = self.sharded_page(tenant, &list, page).await?;
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
            filters: Vec::new(),
            newest_first: true,
            any_of: None,
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
        let filters = string_filter("riskState", &filter.risk_state)
            .into_iter()
            .collect();
        let query = match &filter.user_id {
            Some(user) => Query {
                index: None,
                pk: user_pk(tenant, user),
                sk_prefix: Some(SIGN_IN_PREFIX),
                filters,
                newest_first: false,
                any_of: None,
            },
            None => Query {
                index: Some(GSI1),
                pk: sign_ins_index(tenant),
                sk_prefix: None,
                filters,
                newest_first: false,
                any_of: None,
            },
        };
        let page: Page<SignInItem> = self.query_page(tenant, query, page).await?;
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
        let filters = [
            filter.sign_in_id.clone().map(|v| ("signInId", v)),
            filter.risk_event_type.clone().map(|v| ("riskEventType", v)),
            string_filter("riskState", &filter.risk_state),
        ]
        .into_iter()
        .flatten()
        .collect();
        let query = match &filter.user_id {
            Some(id) => Query {
                index: None,
                pk: user_pk(tenant, &principal_key(filter.kind, id)),
                sk_prefix: Some(DETECTION_PREFIX),
                filters,
                newest_first: false,
                any_of: None,
            },
            None => Query {
                index: Some(GSI1),
                pk: detections_of(tenant, filter.kind),
                sk_prefix: None,
                filters,
                newest_first: false,
                any_of: None,
            },
        };
        let page: Page<DetectionItem> = self.query_page(tenant, query, page).await?;
        Ok(page.map(|d| d.detection))
    }

    async fn detection(
        &self,
        tenant: &str,
        kind: PrincipalKind,
        id: &str,
    ) -> Result<Option<Detection>, StoreError> {
        // The tenant's detection index is keyed by id: the id's own key sorts first among the
        // keys it begins.
        let key = key_id(id);
        let query = Query {
            index: Some(GSI1),
            pk: detections_of(tenant, kind),
            sk_prefix: Some(&key),
            filters: Vec::new(),
            newest_first: false,
            any_of: None,
        };
        let first = PageRequest {
            limit: 1,
            cursor: None,
        };
        let page: Page<DetectionItem> = self.query_page(tenant, query, &first).await?;
        Ok(page
            .value
            .into_iter()
            .map(|d| d.detection)
            .find(|d| d.id == id))
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
            filters: Vec::new(),
            newest_first: false,
            any_of: None,
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

/// The index of the detections of principals of this kind.
fn detections_of(tenant: &str, kind: PrincipalKind) -> String {
    match kind {
        PrincipalKind::User => detections_index(tenant),
        PrincipalKind::ServicePrincipal => service_principal_detections_index(tenant),
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
