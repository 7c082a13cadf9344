//! The simulator's predictions: their lifecycle, computed from the clock, and their JSON.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

/// How a prediction ends if nothing stops it first.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    Succeed,
    /// Succeeds with this JSON as its output (a prompt's `[output=<json>]`).
    SucceedWith(Value),
    Fail(String),
}

/// One prediction as the simulator keeps it. Its status is never stored: it follows from the clock.
#[derive(Clone, Debug)]
pub(crate) struct Stored {
    pub(crate) id: String,
    pub(crate) model: String,
    pub(crate) version: String,
    pub(crate) deployment: Option<String>,
    pub(crate) input: Map<String, Value>,
    pub(crate) created: Instant,
    pub(crate) starting: Duration,
    pub(crate) processing: Duration,
    pub(crate) outcome: Outcome,
    pub(crate) canceled: Option<Instant>,
    pub(crate) deadline: Option<Instant>,
    pub(crate) seed: i64,
    pub(crate) webhook: Option<String>,
    pub(crate) webhook_events: Vec<String>,
    /// Whether an answer has already told the client that it finished.
    pub(crate) notified: bool,
    /// How long after it finishes its output is removed (the configured expiry).
    pub(crate) output_expiry: Option<Duration>,
    /// When its output was removed on demand.
    pub(crate) removed: Option<Instant>,
}

/// A moment in a prediction's life.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Phase {
    pub(crate) status: &'static str,
    pub(crate) started: Option<Instant>,
    pub(crate) completed: Option<Instant>,
}

impl Phase {
    pub(crate) fn is_terminal(&self) -> bool {
        self.completed.is_some()
    }
}

impl Stored {
    pub(crate) fn phase(&self, now: Instant) -> Phase {
        let start = self.created + self.starting;
        let end = start + self.processing;
        let stop = match (self.canceled, self.deadline) {
            (Some(c), Some(d)) => Some(c.min(d)),
            (c, d) => c.or(d),
        };
        if let Some(stop) = stop.filter(|s| *s < end && *s <= now) {
            let by_deadline = Some(stop) == self.deadline && self.canceled.is_none_or(|c| c > stop);
            let status = if stop < start && by_deadline {
                "aborted"
            } else {
                "canceled"
            };
            return Phase {
                status,
                started: (stop >= start).then_some(start),
                completed: Some(stop),
            };
        }
        if now < start {
            Phase {
                status: "starting",
                started: None,
                completed: None,
            }
        } else if now < end {
            Phase {
                status: "processing",
                started: Some(start),
                completed: None,
            }
        } else {
            let status = match self.outcome {
                Outcome::Succeed | Outcome::SucceedWith(_) => "succeeded",
                Outcome::Fail(_) => "failed",
            };
            Phase {
                status,
                started: Some(start),
                completed: Some(end),
            }
        }
    }

    /// The moment the prediction reaches a terminal status if nothing else happens.
    pub(crate) fn settles_at(&self) -> Instant {
        let end = self.created + self.starting + self.processing;
        [Some(end), self.canceled, self.deadline]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(end)
    }

    fn logs(&self, phase: &Phase, now: Instant) -> String {
        let Some(started) = phase.started else {
            return String::new();
        };
        let prompt = self
            .input
            .get("prompt")
            .and_then(Value::as_str)
            .unwrap_or("");
        let lines = [
            format!("Using seed: {}", self.seed),
            "Running prediction... ".to_string(),
            "Generating...".to_string(),
            format!("Prompt used: {prompt}"),
            format!(
                "Image generation took {:.2} seconds",
                self.processing.as_secs_f64()
            ),
        ];
        let until = phase.completed.unwrap_or(now);
        let shown = if phase.status == "succeeded" || phase.status == "failed" {
            lines.len()
        } else {
            let fraction = until.saturating_duration_since(started).as_secs_f64()
                / self.processing.as_secs_f64().max(1e-9);
            1 + ((fraction * (lines.len() - 1) as f64) as usize).min(lines.len() - 2)
        };
        lines.get(..shown).unwrap_or(&lines).join("\n")
    }
}

/// Turns the simulator's monotonic clock into wall-clock timestamps.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    instant: Instant,
    wall: DateTime<Utc>,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Self {
            instant: Instant::now(),
            wall: Utc::now(),
        }
    }

    pub(crate) fn wall(&self, at: Instant) -> DateTime<Utc> {
        let offset = at.saturating_duration_since(self.instant);
        self.wall + chrono::Duration::from_std(offset).unwrap_or_default()
    }

    pub(crate) fn stamp(&self, at: Instant) -> String {
        self.wall(at).to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

/// Where the URLs in a prediction point.
pub(crate) struct Urls<'a> {
    /// The API base that `urls.get`/`urls.cancel` and list pages name.
    pub(crate) api: &'a str,
    /// The delivery host's base, for outputs.
    pub(crate) delivery: &'a str,
}

impl Stored {
    pub(crate) fn to_json(&self, now: Instant, clock: &Clock, urls: &Urls<'_>) -> Value {
        let phase = self.phase(now);
        let removed = self.output_removed(&phase, now);
        let output = match (phase.status, &self.outcome) {
            ("succeeded", _) if removed => Value::Null,
            ("succeeded", Outcome::SucceedWith(literal)) => literal.clone(),
            // A model whose output is a list (layerize) gives a picture and a JSON file, as the real one does.
            ("succeeded", _)
                if crate::published::LIST_OUTPUT_MODELS.contains(&self.model.as_str()) =>
            {
                json!([
                    format!("{}/files/{}.png", urls.delivery, self.id),
                    format!("{}/files/{}.json", urls.delivery, self.id),
                ])
            }
            ("succeeded", _) => Value::String(format!("{}/files/{}.png", urls.delivery, self.id)),
            _ => Value::Null,
        };
        let error = match (&self.outcome, phase.status) {
            (Outcome::Fail(message), "failed") => Value::String(message.clone()),
            _ => Value::Null,
        };
        let metrics = phase.completed.map(|completed| {
            let started = phase.started.unwrap_or(completed);
            let mut metrics = json!({
                "predict_time": completed.saturating_duration_since(started).as_secs_f64(),
                "total_time": completed.saturating_duration_since(self.created).as_secs_f64(),
            });
            if phase.status == "succeeded"
                && let Some(metrics) = metrics.as_object_mut()
            {
                metrics.insert("image_count".into(), json!(1));
            }
            metrics
        });
        let mut body = json!({
            "id": self.id,
            "model": self.model,
            "version": self.version,
            "input": self.input,
            "logs": self.logs(&phase, now),
            "output": output,
            "data_removed": removed,
            "error": error,
            "status": phase.status,
            "source": "api",
            "created_at": clock.stamp(self.created),
            "urls": {
                "get": format!("{}/predictions/{}", urls.api, self.id),
                "cancel": format!("{}/predictions/{}/cancel", urls.api, self.id),
                "web": format!("https://replicate.com/p/{}", self.id),
            },
        });
        let Some(object) = body.as_object_mut() else {
            return body;
        };
        if let Some(started) = phase.started {
            object.insert("started_at".into(), clock.stamp(started).into());
        }
        if let Some(completed) = phase.completed {
            object.insert("completed_at".into(), clock.stamp(completed).into());
        }
        if let Some(metrics) = metrics {
            object.insert("metrics".into(), metrics);
        }
        if let Some(deadline) = self.deadline {
            object.insert("deadline".into(), clock.stamp(deadline).into());
        }
        if let Some(deployment) = &self.deployment {
            object.insert("deployment".into(), deployment.clone().into());
        }
        body
    }
}

/// Every prediction, in creation order.
#[derive(Default)]
pub(crate) struct Store {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    order: Vec<Stored>,
    by_id: HashMap<String, usize>,
}

impl Store {
    pub(crate) fn insert(&self, stored: Stored) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let index = inner.order.len();
        inner.by_id.insert(stored.id.clone(), index);
        inner.order.push(stored);
    }

    /// Every prediction, in creation order.
    pub(crate) fn all(&self) -> Vec<Stored> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.order.clone()
    }

    /// Removes the outputs of every prediction finished at `now`; returns how many were removed.
    pub(crate) fn remove_outputs(&self, now: Instant) -> usize {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let finished = inner
            .order
            .iter_mut()
            .filter(|stored| stored.removed.is_none() && stored.phase(now).is_terminal());
        let mut count = 0;
        for stored in finished {
            stored.removed = Some(now);
            count += 1;
        }
        count
    }

    pub(crate) fn get(&self, id: &str) -> Option<Stored> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let index = *inner.by_id.get(id)?;
        inner.order.get(index).cloned()
    }

    /// Marks that an answer told the client the prediction finished; true the first time.
    pub(crate) fn mark_notified(&self, id: &str) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let Some(&index) = inner.by_id.get(id) else {
            return false;
        };
        inner
            .order
            .get_mut(index)
            .is_some_and(|stored| !std::mem::replace(&mut stored.notified, true))
    }

    /// Marks a prediction canceled (if it is not finished) and returns it.
    pub(crate) fn cancel(&self, id: &str, now: Instant) -> Option<Stored> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let index = *inner.by_id.get(id)?;
        let stored = inner.order.get_mut(index)?;
        if !stored.phase(now).is_terminal() && stored.canceled.is_none() {
            stored.canceled = Some(now);
        }
        Some(stored.clone())
    }

    /// Predictions newest first, from `offset`, at most `limit`, with those matching `keep`.
    pub(crate) fn newest_first(
        &self,
        offset: usize,
        limit: usize,
        keep: impl Fn(&Stored) -> bool,
    ) -> (Vec<Stored>, bool) {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut matching = inner.order.iter().rev().filter(|s| keep(s)).skip(offset);
        let page: Vec<Stored> = matching.by_ref().take(limit).cloned().collect();
        let more = matching.next().is_some();
        (page, more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(now: Instant) -> Stored {
        Stored {
            id: "p".into(),
            model: "m/n".into(),
            version: "hidden".into(),
            deployment: None,
            input: Map::new(),
            created: now,
            starting: Duration::from_secs(1),
            processing: Duration::from_secs(2),
            outcome: Outcome::Succeed,
            canceled: None,
            deadline: None,
            seed: 1,
            webhook: None,
            webhook_events: Vec::new(),
            notified: false,
            output_expiry: None,
            removed: None,
        }
    }

    #[test]
    fn the_lifecycle_follows_the_clock() {
        let t0 = Instant::now();
        let p = stored(t0);
        let at = |ms| p.phase(t0 + Duration::from_millis(ms)).status;
        assert_eq!(at(0), "starting");
        assert_eq!(at(999), "starting");
        assert_eq!(at(1000), "processing");
        assert_eq!(at(3000), "succeeded");
        let failing = Stored {
            outcome: Outcome::Fail("x".into()),
            ..stored(t0)
        };
        assert_eq!(failing.phase(t0 + Duration::from_secs(5)).status, "failed");
    }

    #[test]
    fn deadlines_abort_before_start_and_cancel_after() {
        let t0 = Instant::now();
        let early = Stored {
            deadline: Some(t0 + Duration::from_millis(500)),
            ..stored(t0)
        };
        assert_eq!(early.phase(t0 + Duration::from_secs(9)).status, "aborted");
        let late = Stored {
            deadline: Some(t0 + Duration::from_millis(1500)),
            ..stored(t0)
        };
        assert_eq!(late.phase(t0 + Duration::from_secs(9)).status, "canceled");
        let user = Stored {
            canceled: Some(t0 + Duration::from_millis(100)),
            ..stored(t0)
        };
        assert_eq!(user.phase(t0 + Duration::from_secs(9)).status, "canceled");
        assert_eq!(user.settles_at(), t0 + Duration::from_millis(100));
    }
}
