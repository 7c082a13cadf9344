//! `ideogram account`: who the token belongs to (a wrong token is exit 3, as any refused request).

use crate::exit::Exit;

use crate::{Failure, args::Cli, connect, output, terminal};

#[derive(Debug, clap::Args)]
pub struct AccountArgs {
    /// Print the account as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn account(cli: &Cli, args: &AccountArgs) -> Result<Exit, Failure> {
    let connection = connect(cli, false).await?;
    let account = connection.client.account().await?;
    if args.json {
        let value = serde_json::json!({
            "type": account.kind,
            "username": account.username,
            "name": account.name,
            "github_url": account.github_url,
        });
        output::line(value)?;
        return Ok(Exit::Success);
    }
    // Every field comes from the server: printed as plain text.
    let mut line = format!("{} ({})", account.username, account.kind);
    if let Some(name) = account.name.filter(|n| !n.is_empty()) {
        line.push_str(&format!(", {name}"));
    }
    output::line(terminal::plain(&line))?;
    Ok(Exit::Success)
}
