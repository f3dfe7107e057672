//! Reusable components, one per file.

mod account_form;
mod account_menu;
mod api_tokens;
mod bill_of_materials;
mod bom_editor;
mod claim_list;
mod design_actions;
mod design_card;
mod design_editor;
mod error_notice;
mod filter_select;
mod form_field;
mod licence_badge;
mod licence_picker;
mod main_nav;
mod need_card;
mod submit_button;
mod version_history;

pub use account_form::AccountForm;
pub use account_menu::AccountMenu;
pub use api_tokens::ApiTokens;
pub use bill_of_materials::BillOfMaterialsTable;
pub use bom_editor::{BomEditor, BomRows};
pub use claim_list::ClaimList;
pub use design_actions::DesignActions;
pub use design_card::DesignCard;
pub use design_editor::DesignEditor;
pub use error_notice::ErrorNotice;
pub use filter_select::{FilterOption, FilterSelect};
pub use form_field::FormField;
pub use licence_badge::LicenceBadge;
pub use licence_picker::LicencePicker;
pub use main_nav::MainNav;
pub use need_card::NeedCard;
pub use submit_button::SubmitButton;
pub use version_history::VersionHistory;
