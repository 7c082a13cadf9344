//! The account's uploaded files, listed, read and deleted ([`Client::files`]): the reference images a batch
//! uploads stay in the account until they expire, and a user may want them gone sooner.

use futures_util::Stream;

use crate::{
    Client, Error, Operation, Result, UploadedFile,
    pages::{self, Page},
    retry::read_again_if_broken,
};

/// The account's uploaded files. Made by [`Client::files`]; every request goes through the client's
/// transport, rate governor and retry table.
#[derive(Clone, Copy)]
pub struct Files<'c> {
    client: &'c Client,
}

impl<'c> Files<'c> {
    /// Every uploaded file, newest first, fetching the next page when the previous one is used up (the same
    /// bounded walk as [`Client::list`]).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use futures_util::TryStreamExt;
    /// let files: Vec<_> = client.files().list().try_collect().await?;
    /// println!("{} files uploaded", files.len());
    /// # Ok(()) }
    /// ```
    pub fn list(self) -> impl Stream<Item = Result<UploadedFile>> + Send + 'c {
        let client = self.client;
        pages::walk(Operation::ListFiles, move |cursor| async move {
            let page = read_again_if_broken(
                client.shared.transport.retry(),
                Operation::ListFiles,
                || async {
                    match client.shared.api.files_list(cursor.as_deref()).await {
                        Ok(page) => Ok(page.into_inner()),
                        Err(error) => {
                            Err(Error::from_generated(error, Operation::ListFiles, None).await)
                        }
                    }
                },
            )
            .await?;
            Ok(Page {
                results: page.results.into_iter().map(UploadedFile::from).collect(),
                next: page.next,
            })
        })
    }

    /// One uploaded file's description, by id.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// let file = client.files().get("cneqzikepnug6xezperrr4z55o").await?;
    /// println!("{} expires at {:?}", file.url, file.expires_at);
    /// # Ok(()) }
    /// ```
    pub async fn get(self, id: &str) -> Result<UploadedFile> {
        check_file_id(id)?;
        let client = self.client;
        read_again_if_broken(
            client.shared.transport.retry(),
            Operation::GetFile,
            || async {
                match client.shared.api.files_get(id).await {
                    Ok(file) => Ok(file.into_inner().into()),
                    Err(error) => Err(Error::from_generated(error, Operation::GetFile, None).await),
                }
            },
        )
        .await
    }

    /// Deletes an uploaded file, by id. Predictions that were given its URL keep their outputs; a pinned
    /// input that still names it fails.
    ///
    /// Like other writes, it is sent again only when the server certainly did not receive it.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// let uploaded = client.upload("reference.png").await?;
    /// // … run the predictions that use uploaded.url …
    /// client.files().delete(&uploaded.id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(self, id: &str) -> Result<()> {
        check_file_id(id)?;
        match self.client.shared.api.files_delete(id).await {
            Ok(_) => Ok(()),
            Err(error) => Err(Error::from_generated(error, Operation::DeleteFile, None).await),
        }
    }
}

/// A file id is letters and digits (Replicate's are 26 lowercase ones): anything else is refused before it
/// goes into a URL, where `..` or a separator would name another route.
fn check_file_id(id: &str) -> Result<()> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::invalid_input(
            "file",
            format!("{id:?} is not a file id (letters and digits)"),
        ));
    }
    Ok(())
}

impl Client {
    /// The account's uploaded files: [`list`](Files::list), [`get`](Files::get) and
    /// [`delete`](Files::delete) them.
    pub fn files(&self) -> Files<'_> {
        Files { client: self }
    }
}
