//! Creates the template's table and queues on the local endpoints under a name prefix, so
//! every test (and `scripts/dev`) gets its own isolated copy of the infrastructure.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use aws_sdk_sqs::types::QueueAttributeName;
use riskfeedback::config::Config;
use riskfeedback::model::RiskLevel;

use crate::template::{QueueSpec, TableSpec, Template};

/// The infrastructure of one local deployment.
#[derive(Clone, Debug)]
pub struct Stack {
    pub sdk: aws_config::SdkConfig,
    pub config: Config,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    /// Queue URL by the queue's logical id in the template.
    pub queue_urls: HashMap<String, String>,
    /// What the stack was created from.
    pub template: Template,
}

/// The name prefix of the stack `scripts/dev` runs.
pub const LOCAL_PREFIX: &str = "riskfeedback-local";

/// Local differences from a deployment.
#[derive(Clone, Debug)]
pub struct Options {
    /// Seconds before a failed message is delivered again. The template's 180 s suits a Lambda
    /// with a 30 s timeout; locally a short one lets retries and redrive be seen within seconds.
    pub visibility_timeout: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            visibility_timeout: 2,
        }
    }
}

/// Plain HTTP to this machine: loopback, or a private address of its own such as the Docker
/// bridge's gateway, where `scripts/sam-local` serves the containers.
fn is_local_endpoint(value: &str) -> bool {
    let Ok(url) = url::Url::parse(value) else {
        return false;
    };
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Domain(domain)) => domain == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_private(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

/// The SDK configuration from the standard environment, refusing to run without local endpoints:
/// nothing here may ever reach real AWS.
pub async fn local_sdk_config() -> Result<aws_config::SdkConfig, String> {
    for name in ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS"] {
        let value = std::env::var(name).unwrap_or_default();
        if !is_local_endpoint(&value) {
            return Err(format!(
                "{name} must point at a local server (got {value:?}); run the tests with scripts/test"
            ));
        }
    }
    Ok(riskfeedback_aws::sdk::load_sdk_config().await)
}

impl Stack {
    pub async fn create(prefix: &str, options: &Options) -> Result<Stack, String> {
        let sdk = local_sdk_config().await?;
        let template = Template::load(&crate::repo_root().join("template.yaml"))?;
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let table = template
            .tables
            .first()
            .ok_or("template.yaml defines no table")?;
        let table_name = format!("{prefix}-{}", table.logical_id);
        create_table(&dynamodb, &table_name, table).await?;
        let mut queue_urls = HashMap::new();
        // Dead-letter queues first: the others name them in their redrive policies.
        let (plain, redriven): (Vec<&QueueSpec>, Vec<&QueueSpec>) =
            template.queues.iter().partition(|q| q.redrive.is_none());
        for spec in plain.into_iter().chain(redriven) {
            let url = create_queue(&sqs, prefix, spec, options, &queue_urls).await?;
            queue_urls.insert(spec.logical_id.clone(), url);
        }
        let url = |id: &str| {
            queue_urls
                .get(id)
                .cloned()
                .ok_or(format!("template.yaml has no queue {id}"))
        };
        let config = Config {
            table_name,
            feedback_queue_url: url("FeedbackQueue")?,
            events_queue_url: url("EventsQueue")?,
            remediation_command_queue_url: url("RemediationCommandQueue")?,
            user_risk_policy_level: RiskLevel::High,
            on_premises_password_change_resets_risk: false,
            learning_days: riskfeedback::limits::DEFAULT_LEARNING_DAYS,
            familiar_context_days: riskfeedback::limits::DEFAULT_FAMILIAR_CONTEXT_DAYS,
            context_types: Default::default(),
            pending_action_days: riskfeedback::limits::DEFAULT_PENDING_ACTION_DAYS,
            max_receive_count: template
                .queue("FeedbackQueue")
                .and_then(|q| q.redrive.as_ref())
                .map_or(5, |(_, count)| *count as u32),
        };
        Ok(Stack {
            sdk,
            config,
            dynamodb,
            sqs,
            queue_urls,
            template,
        })
    }

    /// The `--env-vars` file `sam local` needs to run the functions against this stack, with
    /// the endpoints this process has (which must be addresses the containers reach) and the
    /// local-token `secret`. SAM passes a variable only if the template declares it: these
    /// are, naming the resources by their logical ids, or declared as left out.
    pub fn sam_env_vars(&self, secret: &str) -> Result<serde_json::Value, String> {
        let endpoint = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        let config = &self.config;
        Ok(serde_json::json!({"Parameters": {
            "TABLE_NAME": config.table_name,
            "FEEDBACK_QUEUE_URL": config.feedback_queue_url,
            "EVENTS_QUEUE_URL": config.events_queue_url,
            "REMEDIATION_COMMAND_QUEUE_URL": config.remediation_command_queue_url,
            "AWS_ENDPOINT_URL_DYNAMODB": endpoint("AWS_ENDPOINT_URL_DYNAMODB")?,
            "AWS_ENDPOINT_URL_SQS": endpoint("AWS_ENDPOINT_URL_SQS")?,
            "RISKFEEDBACK_LOCAL_JWT_SECRET": secret,
        }}))
    }

    pub fn dynamodb_store(&self) -> riskfeedback_aws::DynamoStore {
        riskfeedback_aws::DynamoStore::new(self.dynamodb.clone(), &self.config.table_name)
    }

    pub fn queue_url(&self, logical_id: &str) -> &str {
        self.queue_urls
            .get(logical_id)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// Deletes the table and the queues, for tests that create hundreds of stacks: the local
    /// servers slow down as they accumulate.
    pub async fn destroy(&self) -> Result<(), String> {
        self.dynamodb
            .delete_table()
            .table_name(&self.config.table_name)
            .send()
            .await
            .map_err(|e| format!("delete table: {e}"))?;
        for url in self.queue_urls.values() {
            self.sqs
                .delete_queue()
                .queue_url(url)
                .send()
                .await
                .map_err(|e| format!("delete queue: {e}"))?;
        }
        Ok(())
    }
}

async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    spec: &TableSpec,
) -> Result<(), String> {
    let key = |pairs: &[(String, String)]| -> Result<Vec<KeySchemaElement>, String> {
        pairs
            .iter()
            .map(|(attribute, kind)| {
                KeySchemaElement::builder()
                    .attribute_name(attribute)
                    .key_type(KeyType::from(kind.as_str()))
                    .build()
                    .map_err(|e| e.to_string())
            })
            .collect()
    };
    let attributes = spec
        .attributes
        .iter()
        .map(|(attribute, kind)| {
            AttributeDefinition::builder()
                .attribute_name(attribute)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let indexes = spec
        .indexes
        .iter()
        .map(|index| {
            GlobalSecondaryIndex::builder()
                .index_name(&index.name)
                .set_key_schema(Some(key(&index.key_schema)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(index.projection.as_str()))
                        .build(),
                )
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let result = client
        .create_table()
        .table_name(name)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key(&spec.key_schema)?))
        .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e)
            if aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&e)
                == Some("ResourceInUseException") =>
        {
            Ok(())
        }
        Err(e) => Err(format!(
            "creating table {name}: {}",
            aws_sdk_dynamodb::error::DisplayErrorContext(&e)
        )),
    }
}

async fn create_queue(
    client: &aws_sdk_sqs::Client,
    prefix: &str,
    spec: &QueueSpec,
    options: &Options,
    created: &HashMap<String, String>,
) -> Result<String, String> {
    let suffix = if spec.fifo { ".fifo" } else { "" };
    let name = format!("{prefix}-{}{suffix}", spec.logical_id);
    let mut request = client.create_queue().queue_name(&name);
    if spec.fifo {
        request = request.attributes(QueueAttributeName::FifoQueue, "true");
        request = request.attributes(
            QueueAttributeName::ContentBasedDeduplication,
            spec.content_based_deduplication.to_string(),
        );
    }
    request = request.attributes(
        QueueAttributeName::VisibilityTimeout,
        options.visibility_timeout.to_string(),
    );
    if let Some(period) = spec.message_retention_period {
        request = request.attributes(
            QueueAttributeName::MessageRetentionPeriod,
            period.to_string(),
        );
    }
    if let Some((dead_letter, max_receive_count)) = &spec.redrive {
        let dlq_url = created.get(dead_letter).ok_or(format!(
            "queue {} names unknown dead-letter queue {dead_letter}",
            spec.logical_id
        ))?;
        let arn = client
            .get_queue_attributes()
            .queue_url(dlq_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "reading {dead_letter}: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                )
            })?
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
            .ok_or(format!("{dead_letter} has no ARN"))?;
        let policy =
            serde_json::json!({"deadLetterTargetArn": arn, "maxReceiveCount": max_receive_count});
        request = request.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
    }
    let out = request.send().await.map_err(|e| {
        format!(
            "creating queue {name}: {}",
            aws_sdk_sqs::error::DisplayErrorContext(&e)
        )
    })?;
    out.queue_url.ok_or(format!("queue {name} has no URL"))
}
