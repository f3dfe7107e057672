//! One routed page per file.

mod account;
mod accounts;
mod coalition;
mod coalitions;
mod commons;
mod design;
mod edit_design;
mod map;
mod my_work;
mod need;
mod needs;
mod new_design;
pub(crate) mod new_need;
mod not_found;
mod register;
mod sign_in;

pub use account::AccountPage;
pub use accounts::AccountsPage;
pub use coalition::CoalitionPage;
pub use coalitions::CoalitionsPage;
pub use commons::CommonsPage;
pub use design::DesignPage;
pub use edit_design::EditDesignPage;
pub use map::MapPage;
pub use my_work::MyWorkPage;
pub use need::NeedPage;
pub use needs::NeedsPage;
pub use new_design::NewDesignPage;
pub use new_need::NewNeedPage;
pub use not_found::NotFoundPage;
pub use register::RegisterPage;
pub use sign_in::SignInPage;
