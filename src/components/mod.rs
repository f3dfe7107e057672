//! Reusable components, one per file.

mod bill_of_materials;
mod design_card;
mod error_notice;
mod filter_select;
mod licence_badge;

pub use bill_of_materials::BillOfMaterialsTable;
pub use design_card::DesignCard;
pub use error_notice::ErrorNotice;
pub use filter_select::{FilterOption, FilterSelect};
pub use licence_badge::LicenceBadge;
