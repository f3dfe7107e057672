//! One routed page per file.

mod account;
mod commons;
mod design;
mod not_found;
mod register;
mod sign_in;

pub use account::AccountPage;
pub use commons::CommonsPage;
pub use design::DesignPage;
pub use not_found::NotFoundPage;
pub use register::RegisterPage;
pub use sign_in::SignInPage;
