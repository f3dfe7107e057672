//! Configuration, from command-line flags or `STIGMERGY_*` environment
//! variables (flags win).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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

    /// How long a client has to send a request's line and headers (each
    /// request on a connection, and the first one from the moment it
    /// connects): then the connection is closed. Like `10s`, `500ms`, `1m`
    /// (a bare number is seconds).
    #[arg(long, env = "STIGMERGY_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,

    /// How long the server works on one request before it answers 503
    /// (`unavailable`, with Retry-After) instead; never applied to the live
    /// stream `/api/events`.
    #[arg(long, env = "STIGMERGY_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// Sign-ups one client address may attempt per hour (see
    /// `--trusted-proxies` for what the address is); past it, 429.
    #[arg(long, env = "STIGMERGY_SIGN_UPS_PER_HOUR", default_value_t = 20,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub sign_ups_per_hour: u64,

    /// How long a sign-up or sign-in waits for its turn at the password
    /// hashes (a few run at once) before it is answered 503 with
    /// Retry-After.
    #[arg(long, env = "STIGMERGY_HASH_WAIT", default_value = "10s", value_parser = parse_duration)]
    pub hash_wait: Duration,
}

/// A duration like `10s`, `300ms`, `2m`, or a bare number of seconds;
/// more than zero.
fn parse_duration(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("expected a duration like 10s or 500ms, got {value:?}"))?;
    let seconds = match unit.trim() {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" => number * 60.0,
        other => return Err(format!("unknown unit {other:?}: use ms, s or m")),
    };
    if !(seconds > 0.0 && seconds <= 86_400.0) {
        return Err(format!("{value:?} is not between 1 ms and a day"));
    }
    Ok(Duration::from_secs_f64(seconds))
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
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            sign_ups_per_hour: 20,
            hash_wait: Duration::from_secs(10),
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
    fn durations_take_a_unit_or_mean_seconds() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        for bad in ["", "0", "soon", "10h", "-1s", "0ms"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_limits_have_defaults_and_flags() {
        let plain = Cli::try_parse_from(["stigmergy"]).unwrap().config;
        assert_eq!(plain.header_read_timeout, Duration::from_secs(10));
        assert_eq!(plain.request_timeout, Duration::from_secs(30));
        assert_eq!(plain.sign_ups_per_hour, 20);
        assert_eq!(plain.hash_wait, Duration::from_secs(10));
        let set = Cli::try_parse_from([
            "stigmergy",
            "--header-read-timeout",
            "500ms",
            "--request-timeout",
            "1m",
            "--sign-ups-per-hour",
            "3",
            "--hash-wait",
            "2s",
        ])
        .unwrap()
        .config;
        assert_eq!(set.header_read_timeout, Duration::from_millis(500));
        assert_eq!(set.request_timeout, Duration::from_secs(60));
        assert_eq!(set.sign_ups_per_hour, 3);
        assert_eq!(set.hash_wait, Duration::from_secs(2));
        assert!(Cli::try_parse_from(["stigmergy", "--sign-ups-per-hour", "0"]).is_err());
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
