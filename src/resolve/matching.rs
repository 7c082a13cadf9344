//! Whether a listed prediction is what a create sent: the same target and exactly the same input.
//!
//! The input is compared with what was sent in its [sent form](super::identity): every field and value
//! equal (a number in either notation), an inline file by the hash of its content (a stored `data:` URL is
//! decoded), an uploaded file by its URL. A server may add a field the create did not send only if it is
//! the model's default for that field. What cannot be checked (a server that stored an inline file under a
//! URL of its own, or added a field to an input of a model whose defaults are unknown) is
//! [`Match::Unverifiable`]: never taken as a match, and never as a difference.

use serde_json::{Map, Value};

use super::identity::{data_url_hash, marker_hash};
use crate::{Prediction, PredictionStatus, Target};

/// How a listed prediction compares with a create.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Match {
    /// Its target and input are those sent.
    Exact,
    /// It may be: nothing differs, but something could not be checked.
    Unverifiable,
    /// It is not (another target or input, or a failure that nobody should be handed).
    Different,
}

impl Match {
    fn and(self, other: Self) -> Self {
        match (self, other) {
            (Self::Different, _) | (_, Self::Different) => Self::Different,
            (Self::Unverifiable, _) | (_, Self::Unverifiable) => Self::Unverifiable,
            _ => Self::Exact,
        }
    }
}

/// What a create sent, to compare listed predictions with.
#[derive(Clone, Debug)]
pub(crate) struct Sent {
    pub(crate) target: Target,
    /// The input's sent form.
    pub(crate) input: Map<String, Value>,
    /// The defaults of the target's model, when this crate knows its schema: read from the schema the
    /// first time a listed prediction is compared (most creates are never looked up).
    defaults: std::sync::OnceLock<Option<Map<String, Value>>>,
}

impl Sent {
    /// What `target` and `input` (as sent on the wire) look like to a lookup.
    pub(crate) fn of(target: &Target, input: &Map<String, Value>) -> Self {
        Self::from_sent_form(target, super::identity::sent_form(input))
    }

    /// What a create sent, from its sent form (as a batch's journal records it).
    pub(crate) fn from_sent_form(target: &Target, input: Map<String, Value>) -> Self {
        Self {
            target: target.clone(),
            input,
            defaults: std::sync::OnceLock::new(),
        }
    }

    /// How `prediction` compares with what was sent. A failed, canceled or aborted prediction is
    /// [`Match::Different`]: a caller handed it would get an error for a prediction it never ran.
    pub(crate) fn compare(&self, prediction: &Prediction) -> Match {
        if matches!(
            prediction.status,
            PredictionStatus::Failed | PredictionStatus::Canceled | PredictionStatus::Aborted
        ) || !same_target(prediction, &self.target)
        {
            return Match::Different;
        }
        let defaults = self.defaults.get_or_init(|| defaults_of(&self.target));
        compare_inputs(&self.input, &prediction.input, defaults.as_ref())
    }
}

/// The target must be named by the prediction, not merely not contradicted by it.
fn same_target(prediction: &Prediction, target: &Target) -> bool {
    match target {
        Target::Model(model) => prediction.model.as_deref() == Some(model.as_str()),
        // Replicate's predictions name the deployment's model, not the deployment: nothing to check but
        // a deployment the server does name.
        Target::Deployment(deployment) => prediction
            .deployment
            .as_deref()
            .is_none_or(|d| d == deployment),
        Target::Version(version) => {
            let (model, id) = match version.split_once(':') {
                Some((model, id)) => (Some(model), id),
                None => (None, version.as_str()),
            };
            prediction.version.as_deref() == Some(id)
                && model.is_none_or(|m| prediction.model.as_deref().is_none_or(|p| p == m))
        }
    }
}

/// The defaults of the model a target runs, when this crate knows its schema.
fn defaults_of(target: &Target) -> Option<Map<String, Value>> {
    let model = match target {
        Target::Model(model) => model.as_str(),
        Target::Version(version) => version.split_once(':')?.0,
        Target::Deployment(_) => return None,
    };
    let schema = crate::typed_inputs::input_schema_for(model)?;
    let properties = schema.get("properties")?.as_object()?;
    Some(
        properties
            .iter()
            .filter_map(|(field, p)| Some((field.clone(), p.get("default")?.clone())))
            .collect(),
    )
}

/// Compares a sent form with a stored input: every field sent is stored with the same value (a null sent is
/// a field not sent), and every other field stored is the model's default for it.
pub(crate) fn compare_inputs(
    sent: &Map<String, Value>,
    stored: &Map<String, Value>,
    defaults: Option<&Map<String, Value>>,
) -> Match {
    let mut verdict = Match::Exact;
    for (key, value) in sent {
        verdict = verdict.and(match stored.get(key) {
            Some(found) => compare_values(value, found),
            None if value.is_null() => Match::Exact,
            None => Match::Different,
        });
    }
    for (key, value) in stored {
        if value.is_null() || sent.get(key).is_some_and(|v| !v.is_null()) {
            continue;
        }
        verdict = verdict.and(match defaults {
            Some(defaults) => match defaults.get(key) {
                Some(default) if compare_values(default, value) == Match::Exact => Match::Exact,
                _ => Match::Different,
            },
            None => Match::Unverifiable,
        });
    }
    verdict
}

fn compare_values(sent: &Value, stored: &Value) -> Match {
    if let Some(hash) = marker_hash(sent) {
        return match stored {
            Value::String(text) => match data_url_hash(text) {
                Some(found) if found == hash => Match::Exact,
                Some(_) => Match::Different,
                // Stored under a URL of the server's own: the content cannot be compared.
                None => Match::Unverifiable,
            },
            _ => Match::Different,
        };
    }
    let same = |equal: bool| {
        if equal {
            Match::Exact
        } else {
            Match::Different
        }
    };
    match (sent, stored) {
        (Value::Number(a), Value::Number(b)) => same(a == b || a.as_f64() == b.as_f64()),
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .fold(Match::Exact, |m, (a, b)| m.and(compare_values(a, b))),
        (Value::Object(a), Value::Object(b)) => compare_inputs(a, b, Some(&Map::new())),
        _ => same(sent == stored),
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn data(content: &[u8]) -> String {
        let encoded = base64::engine::general_purpose::STANDARD.encode(content);
        format!("data:image/png;base64,{encoded}")
    }

    fn compare(sent: Value, stored: Value) -> Match {
        let sent = super::super::identity::sent_form(&map(sent));
        compare_inputs(
            &sent,
            &map(stored),
            Some(&map(json!({"aspect_ratio": "1:1"}))),
        )
    }

    #[test]
    fn inputs_match_exactly_allowing_for_notation_and_defaults() {
        let sent = json!({"prompt": "fox", "magic_prompt_option": null, "scale": 1.0,
            "nested": {"a": [1, 2.5]}});
        let stored = json!({"prompt": "fox", "scale": 1, "nested": {"a": [1.0, 2.5]},
            "aspect_ratio": "1:1"});
        assert_eq!(compare(sent, stored), Match::Exact);
        assert_eq!(
            compare(json!({"prompt": "fox"}), json!({"prompt": "fox "})),
            Match::Different
        );
        assert_eq!(
            compare(json!({"seed": 1}), json!({"seed": 2})),
            Match::Different
        );
        assert_eq!(compare(json!({"seed": 1}), json!({})), Match::Different);
        assert_eq!(
            compare(
                json!({"prompt": "x"}),
                json!({"prompt": "x", "aspect_ratio": "16:9"})
            ),
            Match::Different,
            "a field the create did not send, not at its default"
        );
    }

    #[test]
    fn inline_files_are_told_apart_by_their_content() {
        let alice = data(b"alice");
        let bob = data(b"bob");
        assert_eq!(
            compare(json!({"image": alice}), json!({"image": alice})),
            Match::Exact
        );
        assert_eq!(
            compare(json!({"image": alice}), json!({"image": bob})),
            Match::Different
        );
        let jpeg = alice.replace("image/png", "image/jpeg");
        assert_eq!(
            compare(json!({"image": alice}), json!({"image": jpeg})),
            Match::Exact
        );
        assert_eq!(
            compare(
                json!({"image": alice}),
                json!({"image": "https://server/files/x"})
            ),
            Match::Unverifiable,
            "stored elsewhere: it cannot be told"
        );
        assert_eq!(
            compare(
                json!({"image": "https://up/1"}),
                json!({"image": "https://up/2"})
            ),
            Match::Different
        );
    }

    #[test]
    fn extra_fields_of_a_model_with_unknown_defaults_cannot_be_checked() {
        let sent = map(json!({"prompt": "x"}));
        let stored = map(json!({"prompt": "x", "steps": 4}));
        assert_eq!(compare_inputs(&sent, &stored, None), Match::Unverifiable);
        let other = map(json!({"prompt": "y", "steps": 4}));
        assert_eq!(compare_inputs(&sent, &other, None), Match::Different);
    }

    #[test]
    fn the_target_must_be_named_and_a_finished_failure_is_never_taken() {
        let input = map(json!({"prompt": "fox"}));
        let mut prediction = Prediction::from_json(
            br#"{"id":"p1","status":"processing","input":{"prompt":"fox"},"version":"v1"}"#,
        )
        .unwrap();
        let sent = |target: Target| Sent::of(&target, &input);
        let model = Target::Model("ideogram-ai/ideogram-v2".into());
        assert_eq!(sent(model.clone()).compare(&prediction), Match::Different);
        prediction.model = Some("ideogram-ai/ideogram-v2".into());
        assert_eq!(sent(model.clone()).compare(&prediction), Match::Exact);
        let pinned = Target::Version("ideogram-ai/ideogram-v2:v1".into());
        assert_eq!(sent(pinned).compare(&prediction), Match::Exact);
        let other = Target::Version("ideogram-ai/ideogram-v2:v2".into());
        assert_eq!(sent(other).compare(&prediction), Match::Different);
        let elsewhere = Target::Version("other/model:v1".into());
        assert_eq!(sent(elsewhere).compare(&prediction), Match::Different);
        for status in [
            PredictionStatus::Failed,
            PredictionStatus::Canceled,
            PredictionStatus::Aborted,
        ] {
            prediction.status = status;
            assert_eq!(sent(model.clone()).compare(&prediction), Match::Different);
        }
    }
}
