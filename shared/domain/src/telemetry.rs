//! The service's metrics, each named once here and recorded where its state change happens.
//!
//! They go through the `metrics` facade: deployed, each function installs a CloudWatch Embedded
//! Metric Format recorder (`lambda::init_telemetry`) that writes them to the function's log
//! after every invocation, where CloudWatch turns them into metrics without an API call. With no
//! recorder installed (unit tests, the fuzzers) they cost nothing and go nowhere.
//!
//! No metric carries a label: every one is dimensioned by the function alone, so that the
//! template's alarms can name it exactly and the metric count stays fixed.

use std::time::Duration;

/// Feedback (or a detection or password-event ingestion) accepted with `202`.
pub const FEEDBACK_ACCEPTED: &str = "FeedbackAccepted";
/// A step of accepted work applied to one user.
pub const STEPS_APPLIED: &str = "StepsApplied";
/// Feedback whose every target has its result.
pub const FEEDBACK_COMPLETED: &str = "FeedbackCompleted";
/// Feedback marked failed: its work is about to be dead-lettered.
pub const FEEDBACK_FAILED: &str = "FeedbackFailed";
/// Seconds from accepting a feedback to applying one of its steps.
pub const PROCESSING_LAG: &str = "ProcessingLag";
/// Detections applied by the processor, and those of them an allow indicator dismissed.
pub const DETECTIONS_INGESTED: &str = "DetectionsIngested";
pub const DETECTIONS_SUPPRESSED: &str = "DetectionsSuppressed";
/// Undo of a remediation action: command sent to the executor, and the executor's result.
pub const UNDO_REQUESTED: &str = "UndoRequested";
pub const UNDO_DONE: &str = "UndoDone";
pub const UNDO_FAILED: &str = "UndoFailed";
/// The first invocation of a process (recorded by the EMF recorder itself).
pub const COLD_START: &str = "ColdStart";

/// Gives the installed recorder each metric's unit (EMF writes it beside the name).
pub fn describe() {
    use metrics::{describe_counter, describe_histogram, Unit};
    describe_counter!(FEEDBACK_ACCEPTED, Unit::Count, "feedback accepted with 202");
    describe_counter!(STEPS_APPLIED, Unit::Count, "steps applied to users");
    describe_counter!(
        FEEDBACK_COMPLETED,
        Unit::Count,
        "feedback with every result"
    );
    describe_counter!(FEEDBACK_FAILED, Unit::Count, "feedback marked failed");
    describe_histogram!(PROCESSING_LAG, Unit::Seconds, "acceptance to applied step");
    describe_counter!(DETECTIONS_INGESTED, Unit::Count, "detections applied");
    describe_counter!(
        DETECTIONS_SUPPRESSED,
        Unit::Count,
        "detections an allow indicator dismissed"
    );
    describe_counter!(UNDO_REQUESTED, Unit::Count, "undo commands sent");
    describe_counter!(UNDO_DONE, Unit::Count, "undos the executor completed");
    describe_counter!(
        UNDO_FAILED,
        Unit::Count,
        "undos the executor could not complete"
    );
}

pub fn feedback_accepted() {
    metrics::counter!(FEEDBACK_ACCEPTED).increment(1);
}

/// One step applied, `lag` after its feedback was accepted.
pub fn step_applied(lag: Duration) {
    metrics::counter!(STEPS_APPLIED).increment(1);
    metrics::histogram!(PROCESSING_LAG).record(lag.as_secs_f64());
}

pub fn feedback_completed() {
    metrics::counter!(FEEDBACK_COMPLETED).increment(1);
}

pub fn feedback_failed() {
    metrics::counter!(FEEDBACK_FAILED).increment(1);
}

pub fn detections_applied(ingested: usize, suppressed: usize) {
    metrics::counter!(DETECTIONS_INGESTED).increment(ingested as u64);
    metrics::counter!(DETECTIONS_SUPPRESSED).increment(suppressed as u64);
}

pub fn undo_requested() {
    metrics::counter!(UNDO_REQUESTED).increment(1);
}

pub fn undo_result(undone: bool) {
    metrics::counter!(if undone { UNDO_DONE } else { UNDO_FAILED }).increment(1);
}
