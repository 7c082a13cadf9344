//! The account a token belongs to (`GET /account`): who is paying, and what a batch's journal is tied to.

use crate::{
    Client, Error, Operation, Result, retry::read_again_if_broken, transport::generated::types,
};

/// The account a token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Account {
    /// `user` or `organization`.
    pub kind: String,
    /// The account's name.
    pub username: String,
    /// The name it gives itself.
    pub name: Option<String>,
    /// Its GitHub page, if linked.
    pub github_url: Option<String>,
}

impl From<types::Account> for Account {
    fn from(account: types::Account) -> Self {
        Self {
            kind: account.type_,
            username: account.username,
            name: account.name,
            github_url: account.github_url,
        }
    }
}

impl Client {
    /// The account the token belongs to: a cheap way to check a token before a long job.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// let account = client.account().await?;
    /// println!("running as {} ({})", account.username, account.kind);
    /// # Ok(()) }
    /// ```
    pub async fn account(&self) -> Result<Account> {
        read_again_if_broken(
            self.shared.transport.retry(),
            Operation::GetAccount,
            || async {
                match self.shared.api.account_get().await {
                    Ok(account) => Ok(account.into_inner().into()),
                    Err(error) => {
                        Err(Error::from_generated(error, Operation::GetAccount, None).await)
                    }
                }
            },
        )
        .await
    }

    /// Who the journal of a batch run by this client belongs to: the account's name where the server
    /// says it (`GET /account`), else a hash of the token (never the token).
    pub(crate) async fn account_fingerprint(&self) -> Result<String> {
        match self.account().await {
            Ok(account) => Ok(account.username),
            Err(Error::Api(api)) if api.status == 404 => Ok(format!(
                "token {}",
                self.shared.transport.token_fingerprint()
            )),
            Err(error) => Err(error),
        }
    }
}
