//! One routed page per file.

mod account;
mod commons;
mod design;
mod edit_design;
mod new_design;
mod not_found;
mod register;
mod sign_in;

pub use account::AccountPage;
pub use commons::CommonsPage;
pub use design::DesignPage;
pub use edit_design::EditDesignPage;
pub use new_design::NewDesignPage;
pub use not_found::NotFoundPage;
pub use register::RegisterPage;
pub use sign_in::SignInPage;
