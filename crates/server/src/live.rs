//! The live event stream: `GET /api/events` as Server-Sent Events.
//!
//! Changes are written to the `live_events` outbox in the transactions
//! that make them (see `store::live`). Each server runs one [`Hub`] that
//! reads the outbox in id order (woken by PostgreSQL's NOTIFY, which
//! carries only the new id, or by a short poll) and fans the events out to
//! its subscribers, so a write on any replica reaches the subscribers of
//! every replica sharing the database. A client that reconnects with
//! `Last-Event-ID` first gets what it missed from the outbox; one that asks
//! for more than the bounded backlog holds is told to reload.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use stigmergy_core::{AgentId, Change, LiveEvent};
use tokio::sync::{broadcast, watch};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::Query;
use crate::store::{Backend, Store};

/// Events kept in the outbox for clients that reconnect.
pub const BACKLOG: u64 = 10_000;
/// The most a reconnecting client is sent from the outbox before it is
/// told it is too far behind.
const RESUME_LIMIT: u32 = 2_000;
/// How long a hole in the ids is waited for at most, when transactions
/// that may still fill it keep running (a session left idle in a
/// transaction holds every hole back): then it is skipped, with a warning.
const HOLE_PATIENCE: Duration = Duration::from_secs(60);
/// Live streams one client address may hold open at once.
pub const STREAMS_PER_ADDRESS: usize = 16;
/// How often the outbox is read while a hole holds the events back.
const HOLE_POLL: Duration = Duration::from_millis(20);

/// One server's fan-out of the outbox to its subscribers.
pub struct Hub {
    sender: broadcast::Sender<Arc<LiveEvent>>,
    /// The highest id sent so far.
    latest: AtomicU64,
    closed: watch::Sender<bool>,
    /// Open streams per client address (see [`STREAMS_PER_ADDRESS`]).
    open: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
}

/// One open stream of a client address, given back when the stream ends.
struct StreamSlot {
    open: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
    address: std::net::IpAddr,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

impl Hub {
    /// Starts reading the outbox of `store` from its newest event.
    pub async fn start(store: Arc<dyn Store>, database_url: &str) -> anyhow::Result<Arc<Hub>> {
        let (sender, _) = broadcast::channel(1024);
        let start = store.live_event_range().await?.map_or(0, |(_, high)| high);
        let (closed, _) = watch::channel(false);
        let hub = Arc::new(Hub {
            sender,
            latest: AtomicU64::new(start),
            closed,
            open: Default::default(),
        });
        let listener = if store.backend() == Backend::Postgres {
            let mut listener = sqlx::postgres::PgListener::connect(database_url).await?;
            listener.listen(crate::store::live::CHANNEL).await?;
            Some(listener)
        } else {
            None
        };
        tokio::spawn(run(hub.clone(), store, listener));
        Ok(hub)
    }

    /// Ends every stream (at shutdown).
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// A slot for one more stream of `address`; `None` when it holds
    /// [`STREAMS_PER_ADDRESS`] already.
    fn slot(&self, address: std::net::IpAddr) -> Option<StreamSlot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(address).or_default();
        if *count >= STREAMS_PER_ADDRESS {
            return None;
        }
        *count += 1;
        Some(StreamSlot {
            open: self.open.clone(),
            address,
        })
    }

    /// The highest event id this hub has sent.
    pub fn latest(&self) -> u64 {
        self.latest.load(Ordering::Acquire)
    }
}

/// A hole in the outbox ids: an id taken by a transaction that has not
/// committed (it may yet) or that rolled back (it never will).
struct Hole {
    /// The transactions running when it was found (see `Live::live_horizon`).
    horizon: Option<u64>,
    since: Instant,
    /// Every transaction that could fill it has ended; what is read from
    /// now on is final.
    settled: bool,
}

/// Reads new outbox rows and sends them out, in id order. Events behind a
/// hole wait until the hole is final: on PostgreSQL, until every
/// transaction that was running when it was found has ended, so an event
/// whose transaction commits late is sent in its place, never skipped.
async fn run(
    hub: Arc<Hub>,
    store: Arc<dyn Store>,
    mut listener: Option<sqlx::postgres::PgListener>,
) {
    let mut closed = hub.closed.subscribe();
    let mut cursor = hub.latest();
    let mut hole: Option<Hole> = None;
    let mut last_prune = Instant::now();
    loop {
        // Wait for a NOTIFY (PostgreSQL) or the next poll, whichever first.
        let poll = match (&hole, &listener) {
            (Some(_), _) => HOLE_POLL,
            (None, Some(_)) => Duration::from_millis(1000),
            (None, None) => Duration::from_millis(50),
        };
        tokio::select! {
            _ = closed.changed() => return,
            _ = tokio::time::sleep(poll) => {}
            notified = async {
                match listener.as_mut() {
                    Some(listener) => listener.try_recv().await.map(|_| ()),
                    None => std::future::pending().await,
                }
            } => {
                if let Err(e) = notified {
                    tracing::warn!(error = %e, "the live events listener failed; polling meanwhile");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        }
        let events = match store.live_events_after(cursor, 500).await {
            Ok(events) => events,
            Err(e) => {
                tracing::warn!(error = ?e, "cannot read the live events");
                continue;
            }
        };
        for event in events {
            if event.id != cursor + 1 {
                if !hole_is_final(store.as_ref(), &mut hole, cursor + 1, event.id).await {
                    break;
                }
                tracing::debug!(
                    from = cursor + 1,
                    to = event.id - 1,
                    "skipping ids never committed"
                );
            }
            hole = None;
            cursor = event.id;
            hub.latest.store(cursor, Ordering::Release);
            let _ = hub.sender.send(Arc::new(event));
        }
        if last_prune.elapsed() > Duration::from_secs(60) {
            last_prune = Instant::now();
            if let Err(e) = store.prune_live_events(BACKLOG).await {
                tracing::warn!(error = ?e, "cannot prune the live events");
            }
        }
    }
}

/// Whether the ids `from..to` will never be committed, so the events after
/// them can go out. The first time a hole is met its horizon is taken;
/// each later read asks whether that horizon has passed.
async fn hole_is_final(store: &dyn Store, hole: &mut Option<Hole>, from: u64, to: u64) -> bool {
    let found = match hole {
        Some(found) => found,
        None => {
            let horizon = match store.live_horizon().await {
                Ok(horizon) => horizon,
                Err(e) => {
                    tracing::warn!(error = ?e, "cannot read the transaction horizon");
                    return false;
                }
            };
            hole.insert(Hole {
                horizon,
                since: Instant::now(),
                settled: false,
            })
        }
    };
    let Some(horizon) = found.horizon.filter(|_| !found.settled) else {
        return true;
    };
    // Once settled, the outbox is read once more before the hole is passed:
    // the transaction may have committed between the read that found the
    // hole and this check.
    match store.live_settled(horizon).await {
        Ok(true) => {
            found.settled = true;
            false
        }
        Ok(false) if found.since.elapsed() > HOLE_PATIENCE => {
            tracing::warn!(
                from,
                to = to - 1,
                "live event ids held back for a minute by a transaction still running; \
                 skipping them (a long transaction, or a session idle in one, holds every hole)"
            );
            found.settled = true;
            false
        }
        Ok(false) => false,
        Err(e) => {
            tracing::warn!(error = ?e, "cannot read the running transactions");
            false
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// Only changes of this coalition.
    coalition: Option<String>,
    /// Only these kinds, comma-separated: need_declared, claim_made,
    /// claim_changed, capacity_declared.
    kind: Option<String>,
    /// Resume after this id (what `Last-Event-ID` does for EventSource).
    last_event_id: Option<u64>,
}

/// What one subscriber asked for.
struct Filter {
    coalition: Option<AgentId>,
    kinds: Option<Vec<String>>,
}

impl Filter {
    fn wants(&self, event: &LiveEvent) -> bool {
        self.coalition
            .as_ref()
            .is_none_or(|c| event.coalition.as_ref() == Some(c))
            && self
                .kinds
                .as_ref()
                .is_none_or(|kinds| kinds.iter().any(|k| k == event.change.kind()))
    }
}

fn sse_event(event: &LiveEvent) -> Event {
    Event::default()
        .id(event.id.to_string())
        .event(event.change.kind())
        .json_data(event)
        .unwrap_or_else(|_| Event::default().comment("unserialisable event"))
}

/// Live changes as Server-Sent Events: each event is named by its kind,
/// carries its id, and holds a `LiveEvent` as JSON. Send `Last-Event-ID`
/// (browsers do on reconnect) to get what was missed first; a `reset`
/// event says when that is more than the server still keeps. A comment
/// every 15 s keeps the connection open through proxies.
#[utoipa::path(get, path = "/api/events", tag = "live", params(EventsQuery),
    responses(
        (status = 200, description = "An endless text/event-stream of LiveEvent", content_type = "text/event-stream", body = LiveEvent),
        (status = 400, description = "A filter is invalid", body = stigmergy_core::ErrorBody),
        (status = 429, description = "`rate_limited`: this address has as many live streams open as it may (16); with Retry-After", body = stigmergy_core::ErrorBody),
    ))]
async fn events(
    State(state): State<AppState>,
    crate::auth::ClientAddress(address): crate::auth::ClientAddress,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> AppResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let slot = match address {
        Some(address) => Some(state.hub.slot(address).ok_or_else(|| AppError::TooManyRequests {
            message: format!(
                "At most {STREAMS_PER_ADDRESS} live streams may be open from one address; close a tab and try again."
            ),
            retry_after_seconds: 30,
        })?),
        None => None,
    };
    let invalid = |field: &str, message: String| {
        let mut fields = stigmergy_core::FieldErrors::new();
        fields.add(field, message);
        AppError::invalid(fields)
    };
    let coalition = query
        .coalition
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| AgentId::parse(c).map_err(|m| invalid("coalition", m.into())))
        .transpose()?;
    let kinds = match query.kind.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some(list) => {
            let kinds: Vec<String> = list.split(',').map(|k| k.trim().to_owned()).collect();
            if let Some(bad) = kinds.iter().find(|k| !Change::KINDS.contains(&k.as_str())) {
                return Err(invalid(
                    "kind",
                    format!(
                        "Unknown kind \u{201c}{bad}\u{201d}; use {}.",
                        Change::KINDS.join(", ")
                    ),
                ));
            }
            Some(kinds)
        }
    };
    let last = match headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
    {
        Some(header) => Some(header.trim().parse::<u64>().map_err(|_| {
            invalid(
                "last_event_id",
                "Last-Event-ID must be an event id this server sent.".into(),
            )
        })?),
        None => query.last_event_id,
    };
    let filter = Filter { coalition, kinds };
    let hub = state.hub.clone();
    // Subscribe first, then read how far the hub has sent: whatever comes
    // after that arrives through the subscription, and the backlog read
    // below stops there. The backlog never runs ahead of the hub, which
    // holds events back behind a transaction that may still commit.
    let receiver = hub.sender.subscribe();
    let closed = hub.closed.subscribe();
    let upto = hub.latest();
    let mut queue = VecDeque::new();
    let sent = upto;
    if let Some(last) = last.filter(|&last| last < upto) {
        let store = &state.store;
        let range = store.live_event_range().await?;
        let backlog = store.live_events_after(last, RESUME_LIMIT).await?;
        let pruned = range.is_some_and(|(low, _)| last + 1 < low);
        let reaches = backlog.last().is_some_and(|event| event.id >= upto);
        if pruned || (backlog.len() as u32 >= RESUME_LIMIT && !reaches) {
            queue.push_back(
                Event::default().event("reset").data(
                    "{\"message\": \"You were away too long for the missed changes to be sent one by one; reload to see the current state.\"}",
                ),
            );
        } else {
            for event in backlog.iter().filter(|event| event.id <= upto) {
                if filter.wants(event) {
                    queue.push_back(sse_event(event));
                }
            }
        }
    }
    let stream = futures_util::stream::unfold(
        (
            receiver,
            closed,
            queue,
            sent,
            filter,
            (hub, slot),
            state.store.clone(),
        ),
        |(mut receiver, mut closed, mut queue, mut sent, filter, (hub, slot), store)| async move {
            loop {
                if let Some(event) = queue.pop_front() {
                    return Some((
                        Ok(event),
                        (receiver, closed, queue, sent, filter, (hub, slot), store),
                    ));
                }
                let next = tokio::select! {
                    _ = closed.changed() => return None,
                    next = receiver.recv() => next,
                };
                match next {
                    Ok(event) => {
                        // The backlog may already have sent it.
                        if event.id <= sent {
                            continue;
                        }
                        sent = event.id;
                        if filter.wants(&event) {
                            queue.push_back(sse_event(&event));
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too slow for the channel: catch up from the
                        // outbox, as far as the hub has sent (the rest is
                        // still in the channel), a bounded batch at a time.
                        let upto = hub.latest();
                        match store.live_events_after(sent, RESUME_LIMIT).await {
                            Ok(missed) => {
                                for event in missed.iter().filter(|event| event.id <= upto) {
                                    sent = event.id;
                                    if filter.wants(event) {
                                        queue.push_back(sse_event(event));
                                    }
                                }
                            }
                            Err(_) => return None,
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("heartbeat"),
    ))
}

/// The header on every `GET` answer of the API but the stream itself: how
/// far this server had sent live events when the answer was read. A page
/// that opens the stream with `?last_event_id=` set to it misses nothing
/// that changed in between (see [`position`]).
pub const POSITION_HEADER: &str = "live-position";

/// Adds [`POSITION_HEADER`] to `GET` answers. The position is read before
/// the handler reads its data, so the data holds at least every change up
/// to it; a change after it may be in the data too, and comes again on
/// the stream (the app applies changes by id, so twice is harmless).
pub async fn position(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let at = (request.method() == axum::http::Method::GET && request.uri().path() != "/api/events")
        .then(|| state.hub.latest());
    let mut response = next.run(request).await;
    if let Some(at) = at {
        response
            .headers_mut()
            .insert(POSITION_HEADER, axum::http::HeaderValue::from(at));
    }
    response
}

/// Documents [`POSITION_HEADER`] on the successful answers of every `GET`.
pub fn document(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{HeaderBuilder, ObjectBuilder, RefOr, schema::Type};
    let header = HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
        .description(Some(
            "How far the server had sent live events when this answer was read: open \
             `/api/events?last_event_id=` with it to miss no change made since.",
        ))
        .build();
    for (path, item) in doc.paths.paths.iter_mut() {
        let Some(operation) = item.get.as_mut().filter(|_| path != "/api/events") else {
            continue;
        };
        for (status, response) in operation.responses.responses.iter_mut() {
            if let (true, RefOr::T(response)) = (status.starts_with('2'), response) {
                response
                    .headers
                    .insert("Live-Position".to_owned(), header.clone());
            }
        }
    }
}
