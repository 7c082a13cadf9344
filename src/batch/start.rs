//! Starting a batch: the journal opened, locked and tied to its server and account, and whatever an earlier
//! run left unsettled settled before anything is created.

use std::{collections::HashMap, path::PathBuf};

use chrono::{TimeDelta, Utc};

use super::{
    Settings,
    context::{BatchContext, lock},
    journal::{Event, ItemId, Journal, Past},
};
use crate::{
    Client, Error, Result, Target,
    claims::Known,
    resolve::{
        matching::Sent,
        resume::{Intent, Resolution},
    },
};

/// How long past its upload's expiry a file must still be there to be reused without uploading it again.
const UPLOAD_LEFT: TimeDelta = TimeDelta::hours(1);

/// Opens the batch (see [`Batch::start`](super::Batch::start)).
pub(super) async fn start(
    client: Client,
    settings: Settings,
    journal: Option<PathBuf>,
) -> Result<BatchContext> {
    if let super::Outputs::Directory(dir) = &settings.outputs {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
    }
    let journal = journal.as_deref().map(Journal::open).transpose()?;
    let name = match &journal {
        Some(journal) => {
            let account = client.account_fingerprint().await?;
            journal.bind(&client.server_identity(), &account)?
        }
        None => format!("{:016x}", fastrand::u64(..)),
    };
    let context = BatchContext::new(client, settings, journal, name);
    if let Some(journal) = &context.journal {
        let past = journal.past();
        claim_recorded(&context, past);
        *lock(&context.names) = past.saved_files();
        reusable_uploads(&context, past).await;
        resume(&context, past).await?;
    }
    Ok(context)
}

/// Every prediction the journal recorded is its item's: never adopted for another.
fn claim_recorded(context: &BatchContext, past: &Past) {
    let claims = &context.client.shared.claims;
    for (prediction, item) in &past.predictions {
        if !claims.claim(prediction, &context.owner(item)) {
            tracing::warn!(prediction_id = %prediction, item = %item, "a prediction this journal records is claimed by another owner");
        }
    }
}

/// The uploads of earlier runs that will still be there for an hour, to send again rather than upload anew.
async fn reusable_uploads(context: &BatchContext, past: &Past) {
    let server_now = Utc::now() + context.client.shared.transport.clock().bounds().high;
    let mut uploads = context.uploads.lock().await;
    for (sha256, upload) in &past.uploads {
        if upload
            .expires_at
            .is_some_and(|expires| expires - UPLOAD_LEFT > server_now)
        {
            uploads.insert(sha256.clone(), upload.url.clone());
        }
    }
}

/// Settles, in one walk of the list, every create the journal says was sent without an answer recorded.
async fn resume(context: &BatchContext, past: &Past) -> Result<()> {
    let mut ids = Vec::new();
    let mut intents = Vec::new();
    for (id, state) in &past.items {
        let dangling =
            state.prediction.is_none() && !state.failed.as_ref().is_some_and(|f| f.made_nothing);
        let Some(intent) = state.intent.as_ref().filter(|_| dangling) else {
            continue;
        };
        let (Some(target), Some(input)) = (
            Target::from_display(&intent.target),
            intent.input.as_object(),
        ) else {
            continue;
        };
        ids.push(id.clone());
        intents.push(Intent {
            owner: context.owner(id),
            sent: Sent::from_sent_form(&target, input.clone()),
            after: intent.after,
        });
    }
    if intents.is_empty() {
        return Ok(());
    }
    let known: Vec<Known> = past
        .items
        .values()
        .filter_map(|s| {
            Some(Known {
                id: s.prediction.clone()?,
                created_at: s.created_at?,
            })
        })
        .collect();
    tracing::info!(
        creates = intents.len(),
        "looking for the predictions of creates an earlier run sent without recording an answer"
    );
    let resolutions = match context.client.resume_intents(&intents, &known).await {
        Ok(resumed) => {
            lock(&context.undelivered).extend(resumed.unclaimed);
            resumed.resolutions
        }
        Err(error) => {
            let why = format!("looking for it failed ({error})");
            let uncertain = Resolution::Uncertain {
                why,
                candidates: Vec::new(),
            };
            vec![uncertain; intents.len()]
        }
    };
    record_found(context, past, &ids, &resolutions)?;
    let mut resumed = lock(&context.resumed);
    resumed.extend(ids.into_iter().zip(resolutions));
    Ok(())
}

/// Writes down the predictions found, as if their creates had answered.
fn record_found(
    context: &BatchContext,
    past: &Past,
    ids: &[ItemId],
    resolutions: &[Resolution],
) -> Result<()> {
    let indexes: HashMap<&ItemId, usize> = past.items.iter().map(|(id, s)| (id, s.index)).collect();
    for (id, resolution) in ids.iter().zip(resolutions) {
        if let Resolution::Found(prediction) = resolution {
            tracing::info!(item = %id, prediction_id = %prediction.id, "found the prediction of a create whose answer an earlier run never recorded");
            context.record(&Event::Created {
                item: indexes.get(id).copied().unwrap_or_default(),
                key: id.key.clone(),
                occurrence: id.occurrence,
                prediction: prediction.id.clone(),
                created_at: prediction.created_at,
                at: Utc::now(),
            })?;
        }
    }
    Ok(())
}
