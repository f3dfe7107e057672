//! Reusable components, one per file.

mod account_form;
mod account_menu;
mod api_tokens;
mod bill_of_materials;
mod design_card;
mod error_notice;
mod filter_select;
mod form_field;
mod licence_badge;
mod main_nav;
mod submit_button;

pub use account_form::AccountForm;
pub use account_menu::AccountMenu;
pub use api_tokens::ApiTokens;
pub use bill_of_materials::BillOfMaterialsTable;
pub use design_card::DesignCard;
pub use error_notice::ErrorNotice;
pub use filter_select::{FilterOption, FilterSelect};
pub use form_field::FormField;
pub use licence_badge::LicenceBadge;
pub use main_nav::MainNav;
pub use submit_button::SubmitButton;
