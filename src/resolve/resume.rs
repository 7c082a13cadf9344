//! What became of the creates an earlier run sent and never recorded an answer for: one walk of the list for
//! all of them, each prediction paired with at most one create.
//!
//! The earlier run recorded, before each create, what it would send (its [sent form](super::identity)) and
//! the earliest the server's clock could read then. Its creates were all sent before this run began, so
//! their predictions lie between the earliest of those and the server's time now. Once the server's clock
//! has passed that by the settle margin, one walk of the list finds them all: each listed prediction is
//! compared exactly with each create of the same model and prompt, and predictions and creates are paired
//! one to one (a maximum matching, so that identical inputs pair up whatever order they come in, and one
//! create matching several predictions never leaves another without its own). What the walk proves of the
//! rest is [the same proof](super::absence) a live create's lookup uses.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{
    absence::{SLACK, Verdict, Window, judge},
    matching::{Match, Sent},
};
use crate::{Client, Prediction, Result, claims::Known};

/// The most predictions a resume's walk goes through.
const MAX_RESUME_PREDICTIONS: usize = 10_000;
/// How many times the list is read at most while waiting for it to settle.
const MAX_READINGS: u32 = 3;

/// A create sent by an earlier run whose answer was never recorded.
#[derive(Clone, Debug)]
pub(crate) struct Intent {
    /// Who its prediction is claimed for.
    pub(crate) owner: String,
    /// What it sent.
    pub(crate) sent: Sent,
    /// The earliest the server's clock could read before it was sent.
    pub(crate) after: DateTime<Utc>,
}

/// What became of one intent.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Resolution {
    /// Its prediction, now claimed for it.
    Found(Box<Prediction>),
    /// The list proves that it made nothing: it may be created.
    Absent,
    /// It cannot be told: nothing may be created for it. `candidates`: predictions that may be its own.
    Uncertain {
        why: String,
        candidates: Vec<String>,
    },
}

/// What one walk found, for all intents.
#[derive(Debug, Default)]
pub(crate) struct Resumed {
    /// One per intent, in order.
    pub(crate) resolutions: Vec<Resolution>,
    /// Predictions of exactly an intent's input, held by no one, that no intent was paired with: paid for,
    /// and (as far as this run can tell) delivered to no one.
    pub(crate) unclaimed: Vec<String>,
}

impl Client {
    /// Finds what each intent made (see the module docs). `known`: predictions known to exist (recorded by
    /// the earlier run), which a settled list must show.
    pub(crate) async fn resume_intents(
        &self,
        intents: &[Intent],
        known: &[Known],
    ) -> Result<Resumed> {
        let Some(after) = intents.iter().map(|i| i.after).min() else {
            return Ok(Resumed::default());
        };
        let clock = self.shared.transport.clock();
        let settle = self.shared.list_settle;
        // Every create was sent before now: its prediction is older than the server's time now.
        let now = Utc::now();
        let window = || {
            Window::of_request(clock, now, now).union(Window {
                from: after - SLACK,
                to: after,
            })
        };
        let mut readings = 0;
        loop {
            readings += 1;
            let wait = window().wait_until_settled(clock, settle);
            tracing::debug!(
                ?wait,
                intents = intents.len(),
                "waiting for the list to settle before looking for an earlier run's creates"
            );
            tokio::time::sleep(wait.min(settle.saturating_add(std::time::Duration::from_secs(5))))
                .await;
            let asked = window().list_span(settle);
            let known: Vec<Known> = known
                .iter()
                .filter(|k| k.created_at >= asked.0)
                .cloned()
                .collect();
            let index = Index::of(intents);
            let reading = self
                .read_list(asked, MAX_RESUME_PREDICTIONS, (&known, settle), |p| {
                    index.may_match(p)
                })
                .await?;
            let verdict = judge(window(), &reading.coverage, settle);
            if matches!(verdict, Verdict::NotYet(_)) && readings < MAX_READINGS {
                continue;
            }
            let window = window();
            let listed = reading
                .kept
                .into_iter()
                .filter(|p| p.created_at.is_some_and(|at| window.may_hold(at, settle)))
                .collect();
            return Ok(self.pair(intents, listed, verdict));
        }
    }

    /// Pairs intents with the listed predictions, claims the pairs, and says what became of the rest.
    fn pair(&self, intents: &[Intent], listed: Vec<Prediction>, verdict: Verdict) -> Resumed {
        let claims = &self.shared.claims;
        let mut exact: Vec<Vec<usize>> = vec![Vec::new(); intents.len()];
        let mut unverifiable: Vec<Vec<usize>> = vec![Vec::new(); intents.len()];
        let index = Index::of(intents);
        for (p, prediction) in listed.iter().enumerate() {
            let holder = claims.holder(&prediction.id);
            for i in index.candidates_for(prediction) {
                let Some(intent) = intents.get(i) else {
                    continue;
                };
                if holder.as_ref().is_some_and(|h| *h != intent.owner) {
                    continue;
                }
                match intent.sent.compare(prediction) {
                    Match::Exact => exact.get_mut(i).map(|e| e.push(p)),
                    Match::Unverifiable => unverifiable.get_mut(i).map(|u| u.push(p)),
                    Match::Different => None,
                };
            }
        }
        // Earliest first, and a prediction already claimed for an intent (a run that died between its claim
        // and its journal) goes back to that intent.
        for (i, edges) in exact.iter_mut().enumerate() {
            edges.sort_by_key(|p| {
                let prediction = listed.get(*p);
                let own = prediction
                    .and_then(|p| claims.holder(&p.id))
                    .is_some_and(|h| intents.get(i).is_some_and(|intent| intent.owner == h));
                (!own, prediction.and_then(|p| p.created_at))
            });
        }
        let paired = max_matching(&exact, listed.len());
        let mut resumed = Resumed::default();
        let mut taken = HashSet::new();
        for (i, intent) in intents.iter().enumerate() {
            let resolution = match paired.get(i).copied().flatten().and_then(|p| listed.get(p)) {
                Some(prediction) if claims.claim(&prediction.id, &intent.owner) => {
                    taken.insert(prediction.id.clone());
                    Resolution::Found(Box::new(prediction.clone()))
                }
                Some(prediction) => Resolution::Uncertain {
                    why: "its prediction was claimed meanwhile by another process".into(),
                    candidates: vec![prediction.id.clone()],
                },
                None => {
                    let unverifiable = unverifiable.get(i).map(Vec::as_slice).unwrap_or_default();
                    self.unpaired(unverifiable, &listed, verdict)
                }
            };
            resumed.resolutions.push(resolution);
        }
        resumed.unclaimed = exact
            .iter()
            .flatten()
            .filter_map(|p| listed.get(*p))
            .filter(|p| !taken.contains(&p.id) && claims.holder(&p.id).is_none())
            .map(|p| p.id.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        resumed.unclaimed.sort();
        if !resumed.unclaimed.is_empty() {
            tracing::warn!(predictions = ?resumed.unclaimed, "predictions of this batch's inputs that no item of it is paired with: paid for, and delivered to no one by this run");
        }
        resumed
    }

    /// What became of an intent paired with no prediction.
    fn unpaired(
        &self,
        unverifiable: &[usize],
        listed: &[Prediction],
        verdict: Verdict,
    ) -> Resolution {
        if !unverifiable.is_empty() {
            return Resolution::Uncertain {
                why: "predictions that may be its own were found whose inputs cannot be compared with what it sent".into(),
                candidates: unverifiable.iter().filter_map(|p| listed.get(*p)).map(|p| p.id.clone()).collect(),
            };
        }
        match verdict {
            Verdict::Absent => Resolution::Absent,
            Verdict::NotYet(_) => Resolution::Uncertain {
                why: "the list did not settle in time to show that nothing was made".into(),
                candidates: Vec::new(),
            },
            Verdict::Unprovable(why) => Resolution::Uncertain {
                why: why.as_str().into(),
                candidates: Vec::new(),
            },
        }
    }
}

/// Intents by the model and prompt they sent, so that each listed prediction is compared only with the few
/// intents it could be.
struct Index {
    by_prompt: HashMap<(Option<String>, Option<String>), Vec<usize>>,
}

impl Index {
    fn of(intents: &[Intent]) -> Self {
        let mut by_prompt: HashMap<_, Vec<usize>> = HashMap::new();
        for (i, intent) in intents.iter().enumerate() {
            let prompt = intent
                .sent
                .input
                .get("prompt")
                .and_then(|p| p.as_str())
                .map(str::to_string);
            by_prompt
                .entry((model_of(&intent.sent.target), prompt))
                .or_default()
                .push(i);
        }
        Self { by_prompt }
    }

    fn candidates_for(&self, prediction: &Prediction) -> impl Iterator<Item = usize> + '_ {
        let prompt = prediction
            .input
            .get("prompt")
            .and_then(|p| p.as_str())
            .map(str::to_string);
        let by_model = self
            .by_prompt
            .get(&(prediction.model.clone(), prompt.clone()));
        // A deployment's or a bare version's intents name no model to index by.
        let unnamed = self.by_prompt.get(&(None, prompt));
        by_model.into_iter().chain(unnamed).flatten().copied()
    }

    fn may_match(&self, prediction: &Prediction) -> bool {
        self.candidates_for(prediction).next().is_some()
    }
}

/// The model a target names, if any.
fn model_of(target: &crate::Target) -> Option<String> {
    match target {
        crate::Target::Model(model) => Some(model.clone()),
        crate::Target::Version(version) => version.split_once(':').map(|(m, _)| m.to_string()),
        crate::Target::Deployment(_) => None,
    }
}

/// A maximum matching of intents (`edges[i]`: the predictions intent `i` may take, preferred first) with
/// `predictions` predictions: for each intent, the prediction it is paired with.
fn max_matching(edges: &[Vec<usize>], predictions: usize) -> Vec<Option<usize>> {
    let mut owner_of: Vec<Option<usize>> = vec![None; predictions];
    for intent in 0..edges.len() {
        let mut visited = vec![false; predictions];
        augment(intent, edges, &mut owner_of, &mut visited);
    }
    let mut paired = vec![None; edges.len()];
    for (prediction, owner) in owner_of.iter().enumerate() {
        if let Some(slot) = owner.and_then(|intent| paired.get_mut(intent)) {
            *slot = Some(prediction);
        }
    }
    paired
}

/// Kuhn's augmenting path from `intent`: true if it could be paired (moving others along the path).
fn augment(
    intent: usize,
    edges: &[Vec<usize>],
    owner_of: &mut [Option<usize>],
    visited: &mut [bool],
) -> bool {
    for &prediction in edges.get(intent).map(Vec::as_slice).unwrap_or_default() {
        let Some(seen) = visited.get_mut(prediction) else {
            continue;
        };
        if *seen {
            continue;
        }
        *seen = true;
        let current = owner_of.get(prediction).copied().flatten();
        if current.is_none_or(|other| augment(other, edges, owner_of, visited)) {
            if let Some(slot) = owner_of.get_mut(prediction) {
                *slot = Some(intent);
            }
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_maximum_matching_leaves_no_intent_without_its_own() {
        // A could take p0 or p1, B only p0: greedy A→p0 would leave B without; the matching does not.
        let edges = vec![vec![0, 1], vec![0]];
        assert_eq!(max_matching(&edges, 2), [Some(1), Some(0)]);
        // Identical inputs: three intents, two predictions.
        let edges = vec![vec![0, 1], vec![0, 1], vec![0, 1]];
        let paired = max_matching(&edges, 2);
        assert_eq!(paired.iter().flatten().count(), 2);
        let distinct: HashSet<_> = paired.iter().flatten().collect();
        assert_eq!(distinct.len(), 2, "no prediction goes to two intents");
        assert_eq!(max_matching(&[], 3), Vec::<Option<usize>>::new());
    }
}
