//! The answers of the use cases whose outcomes hold errors, as the API sends them: each refused
//! part carries its problem+json, made by the one mapping in `problem`.

use serde::Serialize;

use riskfeedback::actions::UndoOutcome;
use riskfeedback::indicators::Indicator;
use riskfeedback::submissions::Submission;
use riskfeedback::submit;

use crate::problem::{to_problem, Problem};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UndoResult {
    pub id: String,
    /// `undoRequested` (or `undone`) on success; `refused` otherwise, with the problem.
    pub result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

impl From<UndoOutcome> for UndoResult {
    fn from(undo: UndoOutcome) -> UndoResult {
        match undo.outcome {
            Ok(action) => UndoResult {
                id: undo.id,
                result: action.status.to_string(),
                problem: None,
            },
            Err(error) => UndoResult {
                id: undo.id,
                result: "refused".to_string(),
                problem: Some(to_problem(&error.into())),
            },
        }
    }
}

/// What `POST /submissions` answers: the submission and what it did besides.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Submitted {
    pub submission: Submission,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undo_results: Vec<UndoResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicator: Option<Indicator>,
}

impl From<submit::Submitted> for Submitted {
    fn from(submitted: submit::Submitted) -> Submitted {
        Submitted {
            submission: submitted.submission,
            undo_results: submitted.undo_results.into_iter().map(Into::into).collect(),
            indicator: submitted.indicator,
        }
    }
}
