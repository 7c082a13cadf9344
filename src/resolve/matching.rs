//! Whether a listed prediction is what a create request would have made: the same target and the same
//! input, allowing for what a server does to an input on its way in.

use serde_json::{Map, Value};

use crate::{Prediction, PredictionStatus, Target};

/// Whether `prediction` could be what `target` and `input` created. A failed, canceled or aborted one is
/// never taken: a caller handed it would get an error for a prediction it never ran.
pub(crate) fn could_be(
    prediction: &Prediction,
    target: &Target,
    input: &Map<String, Value>,
) -> bool {
    !matches!(
        prediction.status,
        PredictionStatus::Failed | PredictionStatus::Canceled | PredictionStatus::Aborted
    ) && same_target(prediction, target)
        && same_input(input, &prediction.input)
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

/// Every field sent is in the prediction's input with the same value. A server may add fields (defaults),
/// write a number differently (`1.0` as `1`) or store an inline file elsewhere (a `data:` URL becomes a
/// URL of its own).
pub(crate) fn same_input(sent: &Map<String, Value>, stored: &Map<String, Value>) -> bool {
    sent.iter().all(|(key, value)| match stored.get(key) {
        Some(found) => same_value(value, found),
        None => value.is_null(),
    })
}

fn same_value(sent: &Value, stored: &Value) -> bool {
    match (sent, stored) {
        (Value::Number(a), Value::Number(b)) => a == b || a.as_f64() == b.as_f64(),
        (Value::String(a), Value::String(_)) if a.starts_with("data:") => true,
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_value(a, b))
        }
        (Value::Object(a), Value::Object(b)) => same_input(a, b),
        _ => sent == stored,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn what_a_server_does_to_an_input_still_matches() {
        let sent = map(
            json!({"prompt": "fox", "magic_prompt_option": null, "scale": 1.0,
            "image": "data:image/png;base64,AAAA", "nested": {"a": [1, 2.5]}}),
        );
        let stored = map(
            json!({"prompt": "fox", "scale": 1, "image": "https://x/files/abc",
            "nested": {"a": [1.0, 2.5]}, "aspect_ratio": "1:1"}),
        );
        assert!(same_input(&sent, &stored));
        let other = map(json!({"prompt": "fox ", "scale": 1}));
        assert!(!same_input(&map(json!({"prompt": "fox"})), &other));
        assert!(!same_input(
            &map(json!({"seed": 1})),
            &map(json!({"seed": 2}))
        ));
        assert!(!same_input(&map(json!({"seed": 1})), &map(json!({}))));
    }

    #[test]
    fn the_target_must_be_named_and_a_finished_failure_is_never_taken() {
        let input = map(json!({"prompt": "fox"}));
        let mut prediction = Prediction::from_json(
            br#"{"id":"p1","status":"processing","input":{"prompt":"fox"},"version":"v1"}"#,
        )
        .unwrap();
        let model = Target::Model("ideogram-ai/ideogram-v2".into());
        assert!(!could_be(&prediction, &model, &input), "no model named");
        prediction.model = Some("ideogram-ai/ideogram-v2".into());
        assert!(could_be(&prediction, &model, &input));
        assert!(could_be(
            &prediction,
            &Target::Version("ideogram-ai/ideogram-v2:v1".into()),
            &input
        ));
        assert!(!could_be(
            &prediction,
            &Target::Version("ideogram-ai/ideogram-v2:v2".into()),
            &input
        ));
        assert!(!could_be(
            &prediction,
            &Target::Version("other/model:v1".into()),
            &input
        ));
        for status in [
            PredictionStatus::Failed,
            PredictionStatus::Canceled,
            PredictionStatus::Aborted,
        ] {
            prediction.status = status;
            assert!(!could_be(&prediction, &model, &input));
        }
    }
}
