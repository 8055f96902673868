//! `SubmissionStore` over the table. False-positive and false-negative submissions.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::Put;

use riskfeedback::principal::PrincipalKind;
use riskfeedback::quality::{Counts, Kind};
use riskfeedback::store::{ReadStore, StoreError, StoredSubmission, SubmissionStore};
use riskfeedback::submissions::Submission;

use super::client::{corrupt, encode, put_write};
use super::items::{submission_pk, SubmissionItem, SUBMISSION_SK};
use super::DynamoStore;

#[async_trait]
impl SubmissionStore for DynamoStore {
    async fn create_submission(
        &self,
        tenant: &str,
        submission: &Submission,
        request_hash: &str,
        counts: &BTreeMap<Kind, Counts>,
    ) -> Result<bool, StoreError> {
        let item = SubmissionItem {
            pk: submission_pk(tenant, &submission.id),
            sk: SUBMISSION_SK.to_string(),
            request_hash: request_hash.to_string(),
            submission: submission.clone(),
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(encode(&item)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(corrupt)?;
        let mut writes = vec![put_write(put)];
        let day = submission.submitted_date_time.date_naive();
        for (kind, counts) in counts {
            writes.push(self.quality_update(tenant, day, kind, counts, &submission.id)?);
        }
        self.transact_guarded(writes).await
    }

    async fn submission(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<StoredSubmission>, StoreError> {
        Ok(self
            .get_decoded::<SubmissionItem>(submission_pk(tenant, id), SUBMISSION_SK)
            .await?
            .map(|i| StoredSubmission {
                submission: i.submission,
                request_hash: i.request_hash,
            }))
    }

    async fn detection_kind(
        &self,
        tenant: &str,
        detection_id: &str,
    ) -> Result<Option<Kind>, StoreError> {
        Ok(self
            .detection(tenant, PrincipalKind::User, detection_id)
            .await?
            .map(|d| Kind {
                risk_event_type: d.risk_event_type,
                source: d.source,
            }))
    }
}
