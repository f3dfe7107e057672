use serde::{Deserialize, Serialize};

/// One page of a list. `next_cursor` is opaque: pass it back as `cursor` to
/// get the next page; it is `null` on the last page. `total` counts every
/// item that matches the filters, across all pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
    pub total: u64,
}
