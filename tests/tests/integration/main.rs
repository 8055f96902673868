//! The integration tests, one module per capability, in one test binary: one link step, and
//! every module shares the binary's test threads. Each test stands up its own stack (tables and
//! queues of its own) on the DynamoDB Local and SQS endpoint `scripts/test` starts. `telemetry`
//! runs its test in a process of its own (this binary again), since it installs the process's
//! one log subscriber and metrics recorder.

mod admin_actions;
mod backfill;
mod bad_input;
mod bad_request_corpus;
mod concurrency;
mod dead_letters;
mod detection_quality;
mod familiar_contexts;
mod faults;
mod feedback_scenarios;
mod graph_ingestion;
mod graph_surface;
mod indicators;
mod layers;
mod lists;
mod local_gateway;
mod openapi;
mod queue_failures;
mod remediation_actions;
mod sample_events;
mod service_principals;
mod submissions;
mod telemetry;
mod tenant_isolation;
