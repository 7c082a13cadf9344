//! Listing predictions, every page, as a `Stream`.

use std::{
    collections::{HashSet, VecDeque},
    hash::{DefaultHasher, Hash, Hasher},
};

use chrono::{DateTime, Utc};
use futures_util::{Stream, stream};
use reqwest::Url;

use crate::{Client, Error, Operation, Prediction, Result, generated::types};

/// A listing being configured; turn it into a stream with [`stream`](Self::stream). Made by [`Client::list`].
#[must_use = "a listing does nothing until it is streamed"]
pub struct ListPredictions<'c> {
    client: &'c Client,
    created_after: Option<DateTime<Utc>>,
    created_before: Option<DateTime<Utc>>,
}

impl<'c> ListPredictions<'c> {
    /// Only predictions created at or after `time`.
    pub fn created_after(mut self, time: DateTime<Utc>) -> Self {
        self.created_after = Some(time);
        self
    }

    /// Only predictions created before `time`.
    pub fn created_before(mut self, time: DateTime<Utc>) -> Self {
        self.created_before = Some(time);
        self
    }

    /// Every prediction, newest first, fetching the next page when the previous one is used up.
    ///
    /// Pages are fetched from `{base_url}/predictions?cursor=…`: the cursor is taken from the page's `next`
    /// URL, which is never requested itself (a proxy's `next` may name another host).
    pub fn stream(self) -> impl Stream<Item = Result<Prediction>> + Send + 'c {
        let state = Pages {
            list: self,
            buffered: VecDeque::new(),
            cursor: None,
            followed: Followed::default(),
            empty_in_a_row: 0,
            pages: 0,
            done: false,
        };
        stream::unfold(state, |mut pages| async move {
            match pages.next().await {
                Ok(Some(prediction)) => Some((Ok(prediction), pages)),
                Ok(None) => None,
                Err(error) => {
                    pages.done = true;
                    pages.buffered.clear();
                    Some((Err(error), pages))
                }
            }
        })
    }
}

struct Pages<'c> {
    list: ListPredictions<'c>,
    buffered: VecDeque<Prediction>,
    cursor: Option<String>,
    /// The cursors followed so far (hashes of the last few thousand): a server that cycles through pages is
    /// stopped, not followed forever.
    followed: Followed,
    /// Pages in a row that held no prediction.
    empty_in_a_row: usize,
    /// Pages fetched so far.
    pages: usize,
    done: bool,
}

/// How many pages in a row may hold no prediction before the listing is taken for one that makes no
/// progress. Replicate never sends an empty page but the last.
const MAX_EMPTY_PAGES: usize = 10;
/// The longest page cursor followed. Replicate's are a few dozen bytes; one that keeps growing is a server
/// leading the client on.
const MAX_CURSOR_BYTES: usize = 1024;
/// How many followed cursors are remembered (as 8-byte hashes), to recognise a cycle.
const REMEMBERED_CURSORS: usize = 4096;

/// Hashes of the cursors followed last, at most [`REMEMBERED_CURSORS`] of them.
#[derive(Default)]
struct Followed {
    set: HashSet<u64>,
    order: VecDeque<u64>,
}

impl Followed {
    /// Records `cursor`; false if it was followed before.
    fn insert(&mut self, cursor: &str) -> bool {
        let mut hasher = DefaultHasher::new();
        cursor.hash(&mut hasher);
        let hash = hasher.finish();
        if !self.set.insert(hash) {
            return false;
        }
        self.order.push_back(hash);
        if self.order.len() > REMEMBERED_CURSORS
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        true
    }
}

impl Pages<'_> {
    async fn next(&mut self) -> Result<Option<Prediction>> {
        while self.buffered.is_empty() && !self.done {
            let page = self.fetch().await?;
            self.pages += 1;
            self.empty_in_a_row = if page.results.is_empty() {
                self.empty_in_a_row + 1
            } else {
                0
            };
            self.buffered
                .extend(page.results.into_iter().map(Prediction::from));
            let next = page.next.as_deref().map(cursor_of).transpose()?.flatten();
            let Some(cursor) = next else {
                self.done = true;
                break;
            };
            self.check_progress(&cursor)?;
            self.cursor = Some(cursor);
        }
        Ok(self.buffered.pop_front())
    }

    /// Stops a listing that would go on without progress: a cursor seen before, one that has grown past
    /// reason, or page after page with nothing on it.
    fn check_progress(&mut self, cursor: &str) -> Result<()> {
        let reason = if cursor.len() > MAX_CURSOR_BYTES {
            format!(
                "a page cursor of {} bytes, over the {MAX_CURSOR_BYTES} followed",
                cursor.len()
            )
        } else if !self.followed.insert(cursor) {
            "a page cursor it had sent before".to_string()
        } else if self.empty_in_a_row >= MAX_EMPTY_PAGES {
            format!(
                "{} empty pages in a row, each with a next page",
                self.empty_in_a_row
            )
        } else {
            return Ok(());
        };
        Err(Error::ListStalled {
            pages: self.pages,
            reason,
        })
    }

    async fn fetch(&self) -> Result<types::PredictionPage> {
        let list = &self.list;
        list.client
            .read_again_if_broken(Operation::List, || async {
                let result = list
                    .client
                    .shared
                    .api
                    .predictions_list(
                        list.created_after.as_ref(),
                        list.created_before.as_ref(),
                        self.cursor.as_deref(),
                    )
                    .await;
                match result {
                    Ok(page) => Ok(page.into_inner()),
                    Err(error) => Err(Error::from_generated(error, Operation::List, None).await),
                }
            })
            .await
    }
}

/// The `cursor` query parameter of a page's `next` URL (absolute or relative).
fn cursor_of(next: &str) -> Result<Option<String>> {
    if next.trim().is_empty() {
        return Ok(None);
    }
    // A relative `next` is read against any base: only its query matters.
    let placeholder = Url::parse("http://placeholder.invalid/").ok();
    let url = Url::options()
        .base_url(placeholder.as_ref())
        .parse(next)
        .map_err(|e| {
            Error::malformed(
                Operation::List,
                None,
                None,
                format!("bad next-page URL ({e})"),
                next.as_bytes(),
            )
        })?;
    match url.query_pairs().find(|(key, _)| key == "cursor") {
        Some((_, cursor)) if !cursor.is_empty() => Ok(Some(cursor.into_owned())),
        _ => Err(Error::malformed(
            Operation::List,
            None,
            None,
            "the next-page URL has no cursor",
            next.as_bytes(),
        )),
    }
}

impl Client {
    /// Lists the account's predictions, newest first, across all pages.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use futures_util::TryStreamExt;
    /// let recent: Vec<_> = client.list().stream().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListPredictions<'_> {
        ListPredictions {
            client: self,
            created_after: None,
            created_before: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_come_from_absolute_and_relative_urls() {
        let absolute = "https://api.replicate.com/v1/predictions?cursor=cD0yMDI0";
        assert_eq!(cursor_of(absolute).unwrap().as_deref(), Some("cD0yMDI0"));
        let relative = "/v1/predictions?source=api&cursor=abc%3D%3D";
        assert_eq!(cursor_of(relative).unwrap().as_deref(), Some("abc=="));
        assert_eq!(cursor_of("").unwrap(), None);
        assert!(cursor_of("https://api.replicate.com/v1/predictions").is_err());
    }
}
