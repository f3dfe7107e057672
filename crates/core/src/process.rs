//! Kinds of production process (VF `ProcessSpecification`s), which a recipe
//! process conforms to and a maker's capacity offers.

use serde::{Deserialize, Serialize};

macro_rules! process_kinds {
    ($($variant:ident => $slug:literal, $label:literal;)+) => {
        /// A kind of production process, serialised as a kebab-case slug.
        // `rename_all` as well as each variant's `rename`: the OpenAPI derive
        // does not read a `rename` whose value comes from a macro, and would
        // document `FdmPrinting` where serde sends `fdm-printing`. A test
        // below keeps the two spellings the same.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "kebab-case")]
        pub enum ProcessKind {
            $(#[serde(rename = $slug)] $variant,)+
        }

        impl ProcessKind {
            pub const ALL: &'static [ProcessKind] = &[$(ProcessKind::$variant,)+];

            /// The slug used on the wire and in URLs.
            pub fn slug(self) -> &'static str {
                match self { $(ProcessKind::$variant => $slug,)+ }
            }

            /// A name for people.
            pub fn label(self) -> &'static str {
                match self { $(ProcessKind::$variant => $label,)+ }
            }
        }
    };
}

process_kinds! {
    FdmPrinting => "fdm-printing", "FDM 3D printing";
    ResinPrinting => "resin-printing", "Resin 3D printing";
    LaserCutting => "laser-cutting", "Laser cutting";
    CncMilling => "cnc-milling", "CNC milling";
    CncRouting => "cnc-routing", "CNC routing";
    Turning => "turning", "Lathe turning";
    SheetMetal => "sheet-metal", "Sheet-metal bending";
    Welding => "welding", "Welding";
    Woodworking => "woodworking", "Woodworking";
    Sewing => "sewing", "Sewing";
    Casting => "casting", "Casting and moulding";
    PcbAssembly => "pcb-assembly", "PCB assembly and soldering";
    Assembly => "assembly", "Assembly";
    Testing => "testing", "Testing and calibration";
}

impl ProcessKind {
    /// Parses a slug, ignoring ASCII case.
    pub fn from_slug(slug: &str) -> Option<ProcessKind> {
        Self::ALL
            .iter()
            .copied()
            .find(|kind| kind.slug().eq_ignore_ascii_case(slug.trim()))
    }
}

impl std::fmt::Display for ProcessKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip_through_serde_and_from_slug() {
        for &kind in ProcessKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.slug()));
            assert_eq!(ProcessKind::from_slug(kind.slug()), Some(kind));
        }
        assert_eq!(ProcessKind::from_slug("knitting"), None);
    }
}
