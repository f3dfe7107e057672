//! Configuration, from command-line flags or `STIGMERGY_*` environment
//! variables (flags win).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "stigmergy",
    version,
    about = "Stigmergy: coordinate physical production through a design commons"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and the app (the default).
    Serve,
    /// Add the agents and designs of a JSON bundle (the demo data's format)
    /// to the database, all or nothing.
    Import {
        /// The bundle: `{"agents": [...], "designs": [...]}`.
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "STIGMERGY_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// `sqlite://path/to/file.db` (created if missing) or
    /// `postgres://user@host:port/database`.
    #[arg(
        long,
        env = "STIGMERGY_DATABASE_URL",
        default_value = "sqlite://data/stigmergy.db"
    )]
    pub database_url: String,

    /// The built browser app (Trunk's `dist/`).
    #[arg(long, env = "STIGMERGY_STATIC_DIR", default_value = "dist")]
    pub static_dir: PathBuf,

    /// Load the demo commons, with its four demo accounts whose password is
    /// public, into an empty database at start-up (`--demo`, or 1 or 0).
    /// Off unless asked: a portal of its own never gets them.
    #[arg(long, env = "STIGMERGY_DEMO", default_value = "0", num_args = 0..=1,
        default_missing_value = "1", value_parser = parse_switch, action = clap::ArgAction::Set)]
    pub demo: bool,

    /// Mark session cookies `Secure` (1 when the portal is served over HTTPS).
    #[arg(long, env = "STIGMERGY_SECURE_COOKIES", default_value = "0", value_parser = parse_switch, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,

    /// Log lines as human-readable text or as JSON objects.
    #[arg(long, env = "STIGMERGY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Map tiles to draw under the map, for deployments that have a tile
    /// server: an `https://` URL template with `{z}`, `{x}` and `{y}`.
    /// Without it the map uses its built-in offline country outlines.
    #[arg(long, env = "STIGMERGY_MAP_TILES", value_parser = parse_tiles)]
    pub map_tiles: Option<String>,

    /// Reverse proxies in front of the server, by IP address (comma-
    /// separated). Only a request from one of them has its client address
    /// read from `X-Forwarded-For` (the right-most address that is not a
    /// trusted proxy); otherwise the TCP peer is the client. Used by the
    /// sign-in limits and the live stream cap.
    #[arg(long, env = "STIGMERGY_TRUSTED_PROXY", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// A tile URL template: `https://`, with `{z}`, `{x}` and `{y}`, and no
/// characters that could break out of the Content-Security-Policy.
fn parse_tiles(value: &str) -> Result<String, String> {
    let value = value.trim();
    let ok = value.starts_with("https://")
        && ["{z}", "{x}", "{y}"].iter().all(|p| value.contains(p))
        && !value.contains(|c: char| c.is_whitespace() || matches!(c, ';' | ',' | '\'' | '"'));
    if ok {
        Ok(value.to_owned())
    } else {
        Err("give an https:// URL template with {z}, {x} and {y}, like https://tile.example.org/{z}/{x}/{y}.png".into())
    }
}

/// The scheme and host of a tile URL template, for the CSP's img-src.
pub fn tile_origin(template: &str) -> Option<&str> {
    let rest = template.strip_prefix("https://")?;
    let host_end = rest.find('/').unwrap_or(rest.len());
    Some(&template[..8 + host_end])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

fn parse_switch(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(format!("expected 1 or 0, got {other:?}")),
    }
}

impl Config {
    /// A configuration for tests and tools: given database, no demo data,
    /// any free port on loopback.
    pub fn for_database(database_url: impl Into<String>) -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.into(),
            static_dir: PathBuf::from("dist"),
            demo: false,
            secure_cookies: false,
            log_format: LogFormat::Text,
            map_tiles: None,
            trusted_proxies: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_urls_are_https_templates_and_give_their_origin() {
        let ok = parse_tiles("https://tiles.example.org/osm/{z}/{x}/{y}.png").unwrap();
        assert_eq!(tile_origin(&ok), Some("https://tiles.example.org"));
        for bad in [
            "http://tiles.example.org/{z}/{x}/{y}.png",
            "https://tiles.example.org/{z}/{x}.png",
            "https://tiles.example.org/{z}/{x}/{y}.png; script-src *",
        ] {
            assert!(parse_tiles(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn switches_accept_the_usual_spellings() {
        assert_eq!(parse_switch("1"), Ok(true));
        assert_eq!(parse_switch("off"), Ok(false));
        assert!(parse_switch("maybe").is_err());
    }

    #[test]
    fn the_demo_loads_only_when_asked() {
        let plain = Cli::try_parse_from(["stigmergy"]).unwrap();
        assert!(!plain.config.demo, "no demo accounts unless asked");
        let asked = Cli::try_parse_from(["stigmergy", "--demo"]).unwrap();
        assert!(asked.config.demo);
        let off = Cli::try_parse_from(["stigmergy", "--demo", "0"]).unwrap();
        assert!(!off.config.demo);
    }

    #[test]
    fn flags_parse_with_defaults() {
        let cli =
            Cli::try_parse_from(["stigmergy", "--bind", "0.0.0.0:9000", "--demo", "0"]).unwrap();
        assert_eq!(cli.config.bind.port(), 9000);
        assert!(!cli.config.demo);
        assert!(cli.command.is_none());
        let cli = Cli::try_parse_from(["stigmergy", "import", "bundle.json"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Import { .. })));
    }
}
