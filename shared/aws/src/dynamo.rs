//! `DynamoStore`: the stores over one DynamoDB table (layout in `items.rs`), one file per job:
//! `client` (the SDK calls, encoding, and DynamoDB's errors classified), `query` (queries and
//! paging), `sharded` (lists spread over many keys, read back in order), `intake` and `steps`
//! (the write path's transactions), `cursor`, `backfill` (the one-off migration of tables
//! written before the lists were spread), and one file per store trait it implements.

mod action_store;
mod backfill;
mod client;
mod cursor;
mod feedback_store;
mod indicator_store;
mod intake;
mod items;
mod quality_store;
mod query;
mod read_store;
mod sharded;
mod steps;
mod submission_store;

use std::collections::HashMap;
use std::fmt::Debug;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

pub use backfill::{BackfillCounts, BackfillPage};
pub use items::{detection_item, principal_item};

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
