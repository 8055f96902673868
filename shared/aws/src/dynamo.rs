//! `DynamoStore`: the stores over one DynamoDB table (layout in `items.rs`), one file per job:
//! `client` (the SDK calls, encoding, and DynamoDB's errors classified), `query` (queries and
//! paging), `intake` and `steps` (the write path's transactions), `cursor`, and one file per
//! store trait it implements.

mod action_store;
mod client;
mod cursor;
mod feedback_store;
mod indicator_store;
mod intake;
mod items;
mod quality_store;
mod query;
mod read_store;
mod steps;
mod submission_store;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, KeysAndAttributes, Put, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_dynamo::aws_sdk_dynamodb_1::{from_item, to_attribute_value, to_item};

use items::*;

use riskfeedback::feedback::HistoryEntry;
use riskfeedback::indicators::{Indicator, IndicatorType};
use riskfeedback::model::{Detection, UserAggregate};
use riskfeedback::quality::{Counts, Kind};
use riskfeedback::remediation::RemediationAction;
use riskfeedback::store::{
    Accepted, ActionFilter, ActionStore, DetectionFilter, FeedbackRecord, FeedbackStore,
    IndicatorStore, IntakeState, LoadedUser, Page, PageRequest, QualityStore, ReadStore,
    SignInFilter, SignInRow, StepCommit, StoreError, StoredAction, StoredIndicator,
    StoredSubmission, SubmissionStore, UserFilter, UserRow, UserSteps,
};
use riskfeedback::submissions::Submission;

// The files of this module share these imports through `use super::*`.
use client::*;
use query::*;

type Item = HashMap<String, AttributeValue>;

/// DynamoDB's limit on the items of one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;
/// DynamoDB's limit on the keys of one `BatchGetItem`.
const MAX_BATCH_GET_KEYS: usize = 100;

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }
}
