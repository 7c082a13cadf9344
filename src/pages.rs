//! The one bounded walk through a paginated listing (predictions, a model's versions, uploaded files): pages
//! are fetched by their `cursor` only, and a listing that would go on without progress is stopped.

use std::{
    collections::{HashSet, VecDeque},
    hash::{DefaultHasher, Hash, Hasher},
};

use futures_util::{Stream, stream};
use reqwest::Url;

use crate::{Error, Operation, Result};

/// One page as the server sent it: its items and its `next` URL.
pub(crate) struct Page<T> {
    pub(crate) results: Vec<T>,
    pub(crate) next: Option<String>,
}

/// How many pages in a row may hold nothing before the listing is taken for one that makes no progress.
/// Replicate never sends an empty page but the last.
const MAX_EMPTY_PAGES: usize = 10;
/// The longest page cursor followed. Replicate's are a few dozen bytes; one that keeps growing is a server
/// leading the client on.
const MAX_CURSOR_BYTES: usize = 1024;
/// How many followed cursors are remembered (as 8-byte hashes), to recognise a cycle.
const REMEMBERED_CURSORS: usize = 4096;

/// Every item of a listing, page after page: `fetch` is given the cursor of the page to fetch (`None` for the
/// first) and is called again only when the previous page is used up. A page's `next` URL is never requested
/// itself (a proxy's `next` may name another host); only its `cursor` is taken. After an error the stream ends.
pub(crate) fn walk<'a, T, F, Fut>(
    operation: Operation,
    fetch: F,
) -> impl Stream<Item = Result<T>> + 'a
where
    T: Send + 'a,
    F: FnMut(Option<String>) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Page<T>>> + Send + 'a,
{
    let state = Walk {
        operation,
        fetch,
        buffered: VecDeque::new(),
        cursor: None,
        followed: Followed::default(),
        empty_in_a_row: 0,
        pages: 0,
        done: false,
    };
    stream::unfold(state, |mut walk| async move {
        match walk.next().await {
            Ok(Some(item)) => Some((Ok(item), walk)),
            Ok(None) => None,
            Err(error) => {
                walk.done = true;
                walk.buffered.clear();
                Some((Err(error), walk))
            }
        }
    })
}

struct Walk<T, F> {
    operation: Operation,
    fetch: F,
    buffered: VecDeque<T>,
    cursor: Option<String>,
    /// The cursors followed so far (hashes of the last few thousand): a server that cycles through pages is
    /// stopped, not followed forever.
    followed: Followed,
    /// Pages in a row that held nothing.
    empty_in_a_row: usize,
    /// Pages fetched so far.
    pages: usize,
    done: bool,
}

impl<T, F, Fut> Walk<T, F>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    async fn next(&mut self) -> Result<Option<T>> {
        while self.buffered.is_empty() && !self.done {
            let page = (self.fetch)(self.cursor.clone()).await?;
            self.pages += 1;
            self.empty_in_a_row = if page.results.is_empty() {
                self.empty_in_a_row + 1
            } else {
                0
            };
            self.buffered.extend(page.results);
            let next = page
                .next
                .as_deref()
                .map(|next| cursor_of(self.operation, next))
                .transpose()?
                .flatten();
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
            operation: self.operation,
            pages: self.pages,
            reason,
        })
    }
}

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

/// The `cursor` query parameter of a page's `next` URL (absolute or relative).
fn cursor_of(operation: Operation, next: &str) -> Result<Option<String>> {
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
                operation,
                None,
                None,
                format!("bad next-page URL ({e})"),
                next.as_bytes(),
            )
        })?;
    match url.query_pairs().find(|(key, _)| key == "cursor") {
        Some((_, cursor)) if !cursor.is_empty() => Ok(Some(cursor.into_owned())),
        _ => Err(Error::malformed(
            operation,
            None,
            None,
            "the next-page URL has no cursor",
            next.as_bytes(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_come_from_absolute_and_relative_urls() {
        let cursor = |next| cursor_of(Operation::List, next);
        let absolute = "https://api.replicate.com/v1/predictions?cursor=cD0yMDI0";
        assert_eq!(cursor(absolute).unwrap().as_deref(), Some("cD0yMDI0"));
        let relative = "/v1/predictions?source=api&cursor=abc%3D%3D";
        assert_eq!(cursor(relative).unwrap().as_deref(), Some("abc=="));
        assert_eq!(cursor("").unwrap(), None);
        assert!(cursor("https://api.replicate.com/v1/predictions").is_err());
    }
}
