//! Reads the table and queue definitions out of `template.yaml`, so the local stack is created
//! from the same source of truth as a deployment.

use std::path::Path;

use serde_yaml::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    pub logical_id: String,
    /// (name, type) pairs.
    pub attributes: Vec<(String, String)>,
    /// (name, HASH|RANGE) pairs.
    pub key_schema: Vec<(String, String)>,
    pub indexes: Vec<IndexSpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexSpec {
    pub name: String,
    pub key_schema: Vec<(String, String)>,
    pub projection: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueSpec {
    pub logical_id: String,
    pub fifo: bool,
    pub content_based_deduplication: bool,
    pub visibility_timeout: Option<i64>,
    pub message_retention_period: Option<i64>,
    /// The logical id of the dead-letter queue and the receive count that sends a message there.
    pub redrive: Option<(String, i64)>,
}

/// One route of the HTTP API: an `HttpApi` event of a function.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RouteSpec {
    pub method: String,
    pub path: String,
    pub function: String,
}

/// The HTTP API's `CorsConfiguration`, as a stack deployed with its console has it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CorsSpec {
    pub allow_headers: Vec<String>,
    pub allow_methods: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub tables: Vec<TableSpec>,
    pub queues: Vec<QueueSpec>,
    pub routes: Vec<RouteSpec>,
    pub cors: CorsSpec,
}

impl Template {
    pub fn load(path: &Path) -> Result<Template, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Template::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Template, String> {
        let doc: Value = serde_yaml::from_str(text).map_err(|e| format!("template.yaml: {e}"))?;
        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or("template.yaml has no Resources")?;
        let mut tables = Vec::new();
        let mut queues = Vec::new();
        let mut routes = Vec::new();
        let mut cors = CorsSpec::default();
        for (id, resource) in resources {
            let id = id.as_str().unwrap_or_default().to_string();
            let props = resource.get("Properties").cloned().unwrap_or(Value::Null);
            match resource.get("Type").and_then(Value::as_str) {
                Some("AWS::DynamoDB::Table") => tables.push(table(id, &props)?),
                Some("AWS::SQS::Queue") => queues.push(queue(id, &props)),
                Some("AWS::Serverless::Function") => routes.extend(http_routes(&id, &props)),
                Some("AWS::Serverless::HttpApi") => {
                    cors = cors_spec(props.get("CorsConfiguration"))
                }
                _ => {}
            }
        }
        routes.sort();
        Ok(Template {
            tables,
            queues,
            routes,
            cors,
        })
    }

    pub fn queue(&self, logical_id: &str) -> Option<&QueueSpec> {
        self.queues.iter().find(|q| q.logical_id == logical_id)
    }
}

fn http_routes(function: &str, props: &Value) -> Vec<RouteSpec> {
    let Some(events) = props.get("Events").and_then(Value::as_mapping) else {
        return Vec::new();
    };
    events
        .values()
        .filter(|event| event.get("Type").and_then(Value::as_str) == Some("HttpApi"))
        .filter_map(|event| {
            let props = event.get("Properties")?;
            Some(RouteSpec {
                method: text(props.get("Method")).to_uppercase(),
                path: text(props.get("Path")),
                function: function.to_string(),
            })
        })
        .collect()
}

/// `value`, or where it is `!If [condition, then, else]`, its first branch: the local stack
/// takes every parameter's default, and under the defaults each condition this reads holds
/// (a console, all of the table's indexes).
fn chosen(value: &Value) -> Option<&Value> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "If" => tagged
            .value
            .as_sequence()
            .and_then(|branches| branches.get(1)),
        other => Some(other),
    }
}

/// The configuration is `!If [HasConsole, {...}, AWS::NoValue]`: the console's branch.
fn cors_spec(value: Option<&Value>) -> CorsSpec {
    let Some(config) = value.and_then(chosen) else {
        return CorsSpec::default();
    };
    let list = |name: &str| -> Vec<String> {
        config
            .get(name)
            .and_then(Value::as_sequence)
            .map(|items| items.iter().map(|item| text(Some(item))).collect())
            .unwrap_or_default()
    };
    CorsSpec {
        allow_headers: list("AllowHeaders"),
        allow_methods: list("AllowMethods"),
        expose_headers: list("ExposeHeaders"),
        max_age: config
            .get("MaxAge")
            .and_then(Value::as_i64)
            .unwrap_or_default(),
    }
}

fn pairs(value: Option<&Value>, a: &str, b: &str) -> Vec<(String, String)> {
    value
        .and_then(Value::as_sequence)
        .map(|items| {
            items
                .iter()
                .filter_map(chosen)
                .map(|item| (text(item.get(a)), text(item.get(b))))
                .collect()
        })
        .unwrap_or_default()
}

fn text(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn table(logical_id: String, props: &Value) -> Result<TableSpec, String> {
    let indexes = props
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .map(|items| {
            items
                .iter()
                .filter_map(chosen)
                .map(|index| IndexSpec {
                    name: text(index.get("IndexName")),
                    key_schema: pairs(index.get("KeySchema"), "AttributeName", "KeyType"),
                    projection: index
                        .get("Projection")
                        .map(|p| text(p.get("ProjectionType")))
                        .unwrap_or_else(|| "ALL".to_string()),
                })
                .collect()
        })
        .unwrap_or_default();
    let spec = TableSpec {
        attributes: pairs(
            props.get("AttributeDefinitions"),
            "AttributeName",
            "AttributeType",
        ),
        key_schema: pairs(props.get("KeySchema"), "AttributeName", "KeyType"),
        logical_id,
        indexes,
    };
    if spec.key_schema.is_empty() {
        return Err(format!("table {} has no KeySchema", spec.logical_id));
    }
    Ok(spec)
}

fn queue(logical_id: String, props: &Value) -> QueueSpec {
    let redrive = props.get("RedrivePolicy").and_then(|policy| {
        // `!GetAtt Dlq.Arn` parses as a tagged scalar "Dlq.Arn".
        let target = match policy.get("deadLetterTargetArn")? {
            Value::Tagged(tagged) => tagged.value.as_str()?.trim_end_matches(".Arn").to_string(),
            _ => return None,
        };
        Some((target, policy.get("maxReceiveCount")?.as_i64()?))
    });
    QueueSpec {
        logical_id,
        fifo: props
            .get("FifoQueue")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        content_based_deduplication: props
            .get("ContentBasedDeduplication")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        visibility_timeout: props.get("VisibilityTimeout").and_then(Value::as_i64),
        message_retention_period: props.get("MessageRetentionPeriod").and_then(Value::as_i64),
        redrive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_template_defines_the_table_and_fifo_queues() {
        let template =
            Template::load(&crate::repo_root().join("template.yaml")).expect("template loads");
        let table = &template.tables[0];
        let indexes: Vec<&str> = table.indexes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(indexes, ["gsi1", "gsi2", "gsi3", "gsi4", "gsi5", "gsi6"]);
        assert!(table
            .attributes
            .iter()
            .any(|(name, kind)| name == "gsi6pk" && kind == "S"));
        let feedback = template.queue("FeedbackQueue").expect("feedback queue");
        assert!(feedback.fifo);
        assert_eq!(
            feedback.redrive,
            Some(("FeedbackDeadLetterQueue".to_string(), 5))
        );
        assert!(template.queue("EventsQueue").is_some_and(|q| q.fifo));
    }

    /// The processor marks feedback failed on the receive that precedes dead-lettering, so its
    /// MAX_RECEIVE_COUNT must be the queue's maxReceiveCount.
    #[test]
    fn the_processor_knows_the_feedback_queues_max_receive_count() {
        let text =
            std::fs::read_to_string(crate::repo_root().join("template.yaml")).expect("template");
        let doc: Value = serde_yaml::from_str(&text).expect("yaml");
        let configured = doc["Resources"]["RiskProcessorFunction"]["Properties"]["Environment"]
            ["Variables"]["MAX_RECEIVE_COUNT"]
            .as_i64();
        let template = Template::parse(&text).expect("template parses");
        let redrive = template
            .queue("FeedbackQueue")
            .and_then(|q| q.redrive.clone())
            .map(|r| r.1);
        assert_eq!(configured, redrive);
    }
}
