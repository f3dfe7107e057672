//! One routed page per file.

mod commons;
mod design;
mod not_found;

pub use commons::CommonsPage;
pub use design::DesignPage;
pub use not_found::NotFoundPage;
