//! Listing predictions, every page, as a `Stream`.

use chrono::{DateTime, Utc};
use futures_util::Stream;

use crate::{
    Client, Error, Operation, Prediction, Result,
    pages::{self, Page},
    retry::read_again_if_broken,
};

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
        pages::walk(Operation::List, move |cursor| self.fetch(cursor))
    }

    fn fetch(
        &self,
        cursor: Option<String>,
    ) -> impl Future<Output = Result<Page<Prediction>>> + Send + use<'c> {
        let (client, after, before) = (self.client, self.created_after, self.created_before);
        async move {
            let page =
                read_again_if_broken(client.shared.transport.retry(), Operation::List, || async {
                    let result = client
                        .shared
                        .api
                        .predictions_list(after.as_ref(), before.as_ref(), cursor.as_deref())
                        .await;
                    match result {
                        Ok(page) => Ok(page.into_inner()),
                        Err(error) => {
                            Err(Error::from_generated(error, Operation::List, None).await)
                        }
                    }
                })
                .await?;
            Ok(Page {
                results: page.results.into_iter().map(Prediction::from).collect(),
                next: page.next,
            })
        }
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
