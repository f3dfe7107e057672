//! The open licences a design in the commons may carry, by SPDX id.

use serde::{Deserialize, Serialize};

/// An open licence, serialised as its SPDX identifier. The Peer Production
/// License has no SPDX id of its own, so it uses the SPDX `LicenseRef-` form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Licence {
    #[serde(rename = "LicenseRef-PPL")]
    PeerProduction,
    #[serde(rename = "CERN-OHL-S-2.0")]
    CernOhlS2,
    #[serde(rename = "CERN-OHL-W-2.0")]
    CernOhlW2,
    #[serde(rename = "CERN-OHL-P-2.0")]
    CernOhlP2,
    #[serde(rename = "CC-BY-SA-4.0")]
    CcBySa4,
    #[serde(rename = "CC-BY-4.0")]
    CcBy4,
    #[serde(rename = "CC0-1.0")]
    Cc0,
    #[serde(rename = "TAPR-OHL-1.0")]
    TaprOhl1,
    #[serde(rename = "GPL-3.0-or-later")]
    Gpl3OrLater,
}

impl Licence {
    pub const ALL: [Licence; 9] = [
        Licence::PeerProduction,
        Licence::CernOhlS2,
        Licence::CernOhlW2,
        Licence::CernOhlP2,
        Licence::CcBySa4,
        Licence::CcBy4,
        Licence::Cc0,
        Licence::TaprOhl1,
        Licence::Gpl3OrLater,
    ];

    /// The SPDX identifier (or `LicenseRef-PPL`).
    pub fn spdx_id(self) -> &'static str {
        match self {
            Licence::PeerProduction => "LicenseRef-PPL",
            Licence::CernOhlS2 => "CERN-OHL-S-2.0",
            Licence::CernOhlW2 => "CERN-OHL-W-2.0",
            Licence::CernOhlP2 => "CERN-OHL-P-2.0",
            Licence::CcBySa4 => "CC-BY-SA-4.0",
            Licence::CcBy4 => "CC-BY-4.0",
            Licence::Cc0 => "CC0-1.0",
            Licence::TaprOhl1 => "TAPR-OHL-1.0",
            Licence::Gpl3OrLater => "GPL-3.0-or-later",
        }
    }

    /// The licence's full name.
    pub fn name(self) -> &'static str {
        match self {
            Licence::PeerProduction => "Peer Production License",
            Licence::CernOhlS2 => "CERN Open Hardware Licence v2, strongly reciprocal",
            Licence::CernOhlW2 => "CERN Open Hardware Licence v2, weakly reciprocal",
            Licence::CernOhlP2 => "CERN Open Hardware Licence v2, permissive",
            Licence::CcBySa4 => "Creative Commons Attribution-ShareAlike 4.0",
            Licence::CcBy4 => "Creative Commons Attribution 4.0",
            Licence::Cc0 => "Creative Commons Zero 1.0 (public domain)",
            Licence::TaprOhl1 => "TAPR Open Hardware License 1.0",
            Licence::Gpl3OrLater => "GNU General Public License 3.0 or later",
        }
    }

    /// What the licence means for someone who makes the design, in one line.
    pub fn explanation(self) -> &'static str {
        match self {
            Licence::PeerProduction => {
                "Free to make and adapt; commons-based cooperatives and non-profits may sell it, \
                 other businesses pay the commons back."
            }
            Licence::CernOhlS2 => {
                "Anyone may make and sell it; changed designs, and the parts they include, must be \
                 shared under the same licence."
            }
            Licence::CernOhlW2 => {
                "Anyone may make and sell it; changes to the design must be shared, but it may be \
                 combined with closed parts."
            }
            Licence::CernOhlP2 => {
                "Anyone may make, change and sell it, keeping the notice; sharing changes is not \
                 required."
            }
            Licence::CcBySa4 => {
                "Reuse and adapt for any purpose, credit the contributors, and share adaptations \
                 under the same licence."
            }
            Licence::CcBy4 => {
                "Reuse and adapt for any purpose, as long as the contributors are credited."
            }
            Licence::Cc0 => "Dedicated to the public domain: no conditions at all.",
            Licence::TaprOhl1 => {
                "Make and sell freely; modified documentation must be shared and the original \
                 developers told."
            }
            Licence::Gpl3OrLater => {
                "Copyleft: anyone may use and change it, and what they distribute must stay under \
                 the GPL with its source."
            }
        }
    }

    /// What making or selling the design obliges a maker to do, for the
    /// licences whose obligations reach beyond credit.
    pub fn obligations(self) -> &'static [&'static str] {
        match self {
            Licence::CernOhlS2 => &[
                "Keep the licence notice and the design's source location on every product and in its documentation.",
                "Give everyone who receives a product the way to get the design's complete source.",
                "If you change the design and make or share products of it, publish the changed design's complete source, including the parts it incorporates, under CERN-OHL-S-2.0.",
                "Do not add terms that restrict what others may do under the licence.",
            ],
            Licence::PeerProduction => &[
                "Worker-owned cooperatives and non-profits may make and sell it freely.",
                "Other makers who sell it owe the coalition's reciprocity fee to its commons fund, per piece claimed.",
                "Credit the contributors and share changes under the same licence.",
            ],
            _ => &[],
        }
    }

    /// Parses an SPDX id, ignoring ASCII case.
    pub fn from_spdx(id: &str) -> Option<Licence> {
        Licence::ALL
            .into_iter()
            .find(|licence| licence.spdx_id().eq_ignore_ascii_case(id.trim()))
    }
}

impl std::fmt::Display for Licence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.spdx_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_uses_the_spdx_id_for_every_licence() {
        for licence in Licence::ALL {
            let json = serde_json::to_string(&licence).unwrap();
            assert_eq!(json, format!("\"{}\"", licence.spdx_id()));
            assert_eq!(serde_json::from_str::<Licence>(&json).unwrap(), licence);
        }
    }

    #[test]
    fn from_spdx_ignores_case_and_rejects_unknown_ids() {
        assert_eq!(
            Licence::from_spdx("cern-ohl-s-2.0"),
            Some(Licence::CernOhlS2)
        );
        assert_eq!(
            Licence::from_spdx("LicenseRef-PPL"),
            Some(Licence::PeerProduction)
        );
        assert_eq!(Licence::from_spdx("Proprietary"), None);
    }

    #[test]
    fn every_licence_is_explained_in_one_line() {
        for licence in Licence::ALL {
            let text = licence.explanation();
            assert!(
                !text.contains('\n') && text.len() < 140,
                "{licence}: {text}"
            );
        }
    }
}
