//! What every handler can reach: the store, the live hub, and the
//! deployment's settings.

use std::sync::Arc;
use std::time::Duration;

use crate::store::Store;
use crate::{auth, live};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Mark cookies `Secure` (the server is reached over HTTPS).
    pub secure_cookies: bool,
    /// The live events of this server's subscribers.
    pub hub: Arc<live::Hub>,
    /// The map's tile URL template, when the deployment has a tile server.
    pub map_tiles: Option<String>,
    /// Demo accounts with the README's password exist: every page says so.
    pub demo_portal: bool,
    /// The proxies whose `X-Forwarded-For` is believed (see `auth::ClientAddress`).
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
    /// The turns at the password hashes (see `auth::hashing`).
    pub hashing: Arc<auth::hashing::Hashing>,
    /// Sign-ups one client address may attempt per hour.
    pub sign_ups_per_hour: u64,
    /// How long a request may take (never the live stream).
    pub request_timeout: Duration,
}
