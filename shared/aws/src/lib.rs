//! The adapters around the domain crate `riskfeedback`: the verified caller and telemetry of a
//! Lambda function (`lambda`, `local_token`), and the DynamoDB and SQS implementations of the
//! domain's storage and queue traits (`dynamo`, `sqs`). The functions depend on this crate and
//! on `riskfeedback-http`; the domain depends on neither.

pub mod dynamo;
pub mod lambda;
pub mod local_token;
pub mod sdk;
pub mod sqs;

pub use dynamo::DynamoStore;
pub use sqs::SqsQueue;
