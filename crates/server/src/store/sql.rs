//! The store's SQL kit, shared by every part: values bound to queries built
//! at run time, `WHERE` clauses, planned writes, cursors, the ids and enums
//! as stored, and the errors a statement can turn into.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sqlx::error::ErrorKind;
use sqlx::query::{Query, QueryAs};
use sqlx::{Database, Encode, PgConnection, SqliteConnection, Type};
use stigmergy_core::{AgentId, AgentRef, FieldErrors, Place};

use super::pool::{Backends, dispatch};
use super::{StoreError, StoreResult};

/// One connection on either backend, from the pool or inside a
/// transaction (`Conn::from(&mut *tx)`): what the shared steps of several
/// writes and reads (see `tx.rs`) run on.
pub(crate) type Conn<'a> = Backends<&'a mut SqliteConnection, &'a mut PgConnection>;

impl<'a> From<&'a mut SqliteConnection> for Conn<'a> {
    fn from(c: &'a mut SqliteConnection) -> Self {
        Backends::Sqlite(c)
    }
}

impl<'a> From<&'a mut PgConnection> for Conn<'a> {
    fn from(c: &'a mut PgConnection) -> Self {
        Backends::Postgres(c)
    }
}

/// A value bound to a `$n` placeholder of a query built at run time.
#[derive(Clone)]
pub(crate) enum Bind {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    Real(f64),
    Time(DateTime<Utc>),
}

impl From<&str> for Bind {
    fn from(text: &str) -> Self {
        Bind::Text(text.to_owned())
    }
}

impl From<String> for Bind {
    fn from(text: String) -> Self {
        Bind::Text(text)
    }
}

/// Queries that take [`Bind`] values in order: `sqlx::query(…)` and
/// `sqlx::query_as(…)` on either backend.
pub(crate) trait BindAll<'q, DB: Database>: Sized {
    fn bind_one<T: 'q + Encode<'q, DB> + Type<DB>>(self, value: T) -> Self;

    /// Binds every value of `binds`, in order.
    fn bind_all(self, binds: &[Bind]) -> Self
    where
        String: 'q + Encode<'q, DB> + Type<DB>,
        Option<String>: 'q + Encode<'q, DB> + Type<DB>,
        i64: 'q + Encode<'q, DB> + Type<DB>,
        f64: 'q + Encode<'q, DB> + Type<DB>,
        DateTime<Utc>: 'q + Encode<'q, DB> + Type<DB>,
    {
        binds.iter().fold(self, |query, bind| match bind {
            Bind::Text(text) => query.bind_one(text.clone()),
            Bind::OptText(text) => query.bind_one(text.clone()),
            Bind::Int(int) => query.bind_one(*int),
            Bind::Real(real) => query.bind_one(*real),
            Bind::Time(time) => query.bind_one(*time),
        })
    }
}

impl<'q, DB: Database> BindAll<'q, DB> for Query<'q, DB, <DB as Database>::Arguments<'q>> {
    fn bind_one<T: 'q + Encode<'q, DB> + Type<DB>>(self, value: T) -> Self {
        self.bind(value)
    }
}

impl<'q, DB: Database, O> BindAll<'q, DB> for QueryAs<'q, DB, O, <DB as Database>::Arguments<'q>> {
    fn bind_one<T: 'q + Encode<'q, DB> + Type<DB>>(self, value: T) -> Self {
        self.bind(value)
    }
}

/// A `WHERE` clause under construction, numbering its placeholders.
#[derive(Default, Clone)]
pub(crate) struct Conditions {
    pub(crate) clauses: Vec<String>,
    pub(crate) binds: Vec<Bind>,
}

impl Conditions {
    /// Binds a value and returns its placeholder.
    pub(crate) fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    pub(crate) fn push(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    pub(crate) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// How a statement explains a constraint it broke.
type Explain = Box<dyn Fn(ErrorKind) -> Option<StoreError> + Send + Sync>;

/// One write of a plan: its SQL, its values, and how to explain a
/// constraint it breaks.
pub(crate) struct Statement {
    sql: &'static str,
    binds: Vec<Bind>,
    explain: Option<Explain>,
}

impl Statement {
    pub(crate) fn new(sql: &'static str, binds: Vec<Bind>) -> Self {
        Statement {
            sql,
            binds,
            explain: None,
        }
    }

    pub(crate) fn explaining(
        mut self,
        explain: impl Fn(ErrorKind) -> Option<StoreError> + Send + Sync + 'static,
    ) -> Self {
        self.explain = Some(Box::new(explain));
        self
    }

    fn error(&self, error: sqlx::Error) -> StoreError {
        violation(&error)
            .and_then(|kind| self.explain.as_ref().and_then(|explain| explain(kind)))
            .unwrap_or_else(|| error.into())
    }
}

impl Conn<'_> {
    /// Runs a plan's statements in order, stopping at the first error.
    pub(crate) async fn run_plan(&mut self, plan: &[Statement]) -> StoreResult<()> {
        for statement in plan {
            dispatch!(self, c => {
            sqlx::query(statement.sql)
                            .bind_all(&statement.binds)
                            .execute(&mut **c)
                            .await
                            .map_err(|e| statement.error(e))?;
            });
        }
        Ok(())
    }
}

/// The kind of constraint a database error violated, if any.
pub(crate) fn violation(error: &sqlx::Error) -> Option<ErrorKind> {
    error.as_database_error().map(|db| db.kind())
}

/// Invalid input, with one field's message.
pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> StoreError {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    StoreError::Invalid(errors)
}

/// A stored id or count as a number (never negative in the database).
pub(crate) fn id_of(id: i64) -> u64 {
    u64::try_from(id).unwrap_or_default()
}

/// A number as a stored id. Beyond what a BIGINT holds there is no such
/// row, so it saturates and the lookup finds nothing.
pub(crate) fn db_id(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// `word` with `LIKE`'s wildcards escaped (`ESCAPE '\'`).
pub(crate) fn escape_like(word: &str) -> String {
    word.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Cursors are the last item's sort key, opaque to clients.
pub(crate) fn encode_cursor(key: &str, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{key}\u{1f}{id}"))
}

pub(crate) fn decode_cursor(cursor: &str) -> StoreResult<(String, String)> {
    let forged = || {
        invalid(
            "cursor",
            "That cursor is not one this server gave out; start again from the first page.",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| forged())?;
    let text = String::from_utf8(bytes).map_err(|_| forged())?;
    let (key, id) = text.split_once('\u{1f}').ok_or_else(forged)?;
    Ok((key.to_owned(), id.to_owned()))
}

/// The text a wire enum is stored as: its serde name.
pub(crate) fn stored<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => unreachable!("stored enums serialise as strings"),
    }
}

/// Reads a stored enum back from the text it was stored as.
pub(crate) fn parse_stored<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| StoreError::Other(anyhow::anyhow!("unexpected stored value {text:?}")))
}

/// An agent's place from its three nullable columns (all set or none).
pub(crate) fn place_of(name: Option<String>, lat: Option<f64>, lon: Option<f64>) -> Option<Place> {
    match (name, lat, lon) {
        (Some(name), Some(lat), Some(lon)) => Some(Place { name, lat, lon }),
        _ => None,
    }
}

/// A stored agent id.
pub(crate) fn agent_id(id: &str) -> StoreResult<AgentId> {
    AgentId::parse(id).map_err(|e| StoreError::Other(anyhow::anyhow!(e)))
}

/// An agent from its columns (id, name, kind and the nullable place).
pub(crate) fn agent_ref(
    id: &str,
    name: &str,
    kind: &str,
    place: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
) -> StoreResult<AgentRef> {
    Ok(AgentRef {
        id: agent_id(id)?,
        name: name.to_owned(),
        kind: parse_stored(kind)?,
        place: place_of(place, lat, lon),
    })
}

/// Which agent of a row a set of columns is: their names, in the order
/// id, name, kind, place, lat, lon.
pub(crate) trait Prefix {
    const COLUMNS: [&'static str; 6];
}

/// The maker of a claim or event (`provider_id`, `provider_name`, …).
pub(crate) struct Provider;

impl Prefix for Provider {
    const COLUMNS: [&'static str; 6] = [
        "provider_id",
        "provider_name",
        "provider_kind",
        "provider_place",
        "provider_lat",
        "provider_lon",
    ];
}

/// Who receives a need, claim or event (`receiver_id`, `receiver_name`, …).
pub(crate) struct Receiver;

impl Prefix for Receiver {
    const COLUMNS: [&'static str; 6] = [
        "receiver_id",
        "receiver_name",
        "receiver_kind",
        "receiver_place",
        "receiver_lat",
        "receiver_lon",
    ];
}

/// One agent's columns in a row: `{prefix}_id`, `_name`, `_kind`, `_place`,
/// `_lat` and `_lon` (read with `#[sqlx(flatten)]`).
pub(crate) struct AgentColumns<P> {
    id: String,
    name: String,
    kind: String,
    place: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    prefix: std::marker::PhantomData<P>,
}

impl<P> AgentColumns<P> {
    pub(crate) fn into_agent(self) -> StoreResult<AgentRef> {
        agent_ref(
            &self.id, &self.name, &self.kind, self.place, self.lat, self.lon,
        )
    }
}

impl<'r, R, P> sqlx::FromRow<'r, R> for AgentColumns<P>
where
    R: sqlx::Row,
    P: Prefix,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: sqlx::Decode<'r, R::Database> + Type<R::Database>,
    Option<f64>: sqlx::Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let [id, name, kind, place, lat, lon] = P::COLUMNS;
        Ok(AgentColumns {
            id: row.try_get(id)?,
            name: row.try_get(name)?,
            kind: row.try_get(kind)?,
            place: row.try_get(place)?,
            lat: row.try_get(lat)?,
            lon: row.try_get(lon)?,
            prefix: std::marker::PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        let cursor = encode_cursor("open microscope", "openflexure-microscope");
        assert_eq!(
            decode_cursor(&cursor).unwrap(),
            (
                "open microscope".to_owned(),
                "openflexure-microscope".to_owned()
            )
        );
        assert!(matches!(
            decode_cursor("not base64!"),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            decode_cursor(&URL_SAFE_NO_PAD.encode("no separator")),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape_like("100%_done\\"), "100\\%\\_done\\\\");
    }

    #[test]
    fn ids_beyond_a_bigint_find_nothing_rather_than_wrap() {
        assert_eq!(db_id(u64::MAX), i64::MAX);
        assert_eq!(db_id(42), 42);
        assert_eq!(id_of(-1), 0);
    }
}
