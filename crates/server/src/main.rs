//! `stigmergy`: reads its configuration, sets up logging, and runs.

use anyhow::Context;
use clap::Parser;
use stigmergy_server::config::{Cli, Command, LogFormat};
use stigmergy_server::{Application, shutdown_signal, store};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter =
        EnvFilter::try_from_env("STIGMERGY_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match cli.config.log_format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs.init(),
    }

    match cli.command {
        Some(Command::Import { file }) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let bundle = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a valid bundle", file.display()))?;
            let store = store::connect(&cli.config.database_url).await?;
            let report = stigmergy_server::demo::import(store.as_ref(), &bundle)
                .await
                .map_err(|e| anyhow::anyhow!("import refused: {e:?}"))?;
            tracing::info!(
                agents = report.agents,
                designs = report.designs,
                accounts = report.accounts,
                "imported"
            );
        }
        None | Some(Command::Serve) => {
            let app = Application::build(&cli.config).await?;
            let addr = app.local_addr()?;
            tracing::info!(
                %addr,
                database = ?app.store().backend(),
                database_url = %store::redacted(&cli.config.database_url),
                "listening"
            );
            println!("Stigmergy is running at http://{addr}/  (Ctrl-C to stop)");
            let store = app.store();
            app.run_until(shutdown_signal()).await?;
            store.close().await;
            tracing::info!("stopped");
        }
    }
    Ok(())
}
