//! Static markup written as strings: a picture or a table that never
//! changes once drawn costs the wasm bundle far less as one string set with
//! `inner_html` than as a view per element. Everything that comes from data
//! goes through [`escape`].
//!
//! Its own crate, not the core's: the core holds the wire types and domain
//! rules, and building HTML is neither. The browser app and the accounts
//! page's module both use it; it depends on nothing.

use std::fmt::Write;

/// Text made safe to put inside HTML or SVG markup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A cell: its text, and whether it is a number (right-aligned).
pub type Cell = (String, bool);

/// A data table: a header row, then rows whose first cell heads the row.
pub fn table(testid: &str, headers: &[Cell], rows: &[Vec<Cell>]) -> String {
    let mut out = format!(r#"<table class="data-table" data-testid="{testid}"><thead><tr>"#);
    for (text, number) in headers {
        let class = if *number { r#" class="num""# } else { "" };
        let _ = write!(out, r#"<th scope="col"{class}>{}</th>"#, escape(text));
    }
    out.push_str("</tr></thead><tbody>");
    out.push_str(&body(rows, None));
    out.push_str("</tbody></table>");
    out
}

/// Table rows; `class_of` may give a row a class.
pub fn body(
    rows: &[Vec<Cell>],
    class_of: Option<&dyn Fn(usize) -> Option<&'static str>>,
) -> String {
    let mut out = String::new();
    for (r, row) in rows.iter().enumerate() {
        match class_of.and_then(|f| f(r)) {
            Some(class) => {
                let _ = write!(out, r#"<tr class="{class}">"#);
            }
            None => out.push_str("<tr>"),
        }
        for (i, (text, number)) in row.iter().enumerate() {
            let (open, close) = if i == 0 {
                ("th scope=\"row\"", "th")
            } else {
                ("td", "td")
            };
            let class = if *number { r#" class="num""# } else { "" };
            let _ = write!(out, "<{open}{class}>{}</{close}>", escape(text));
        }
        out.push_str("</tr>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_leaves_no_character_that_opens_a_tag_an_entity_or_an_attribute() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>Tom & Jerry</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;"
        );
        assert_eq!(escape("Kumasi, Ghana · 3 €"), "Kumasi, Ghana · 3 €");
    }

    #[test]
    fn a_table_heads_its_columns_and_each_row_with_numbers_aligned_right() {
        let html = table(
            "owed",
            &[("Owed to".into(), false), ("Owed".into(), true)],
            &[vec![("<Ana>".into(), false), ("$1.00".into(), true)]],
        );
        assert_eq!(
            html,
            concat!(
                r#"<table class="data-table" data-testid="owed"><thead><tr>"#,
                r#"<th scope="col">Owed to</th><th scope="col" class="num">Owed</th>"#,
                r#"</tr></thead><tbody><tr><th scope="row">&lt;Ana&gt;</th>"#,
                r#"<td class="num">$1.00</td></tr></tbody></table>"#
            )
        );
    }

    #[test]
    fn rows_take_the_class_their_function_gives_them() {
        let rows = [vec![("1".into(), true)], vec![("2".into(), true)]];
        let struck = |i: usize| (i == 1).then_some("corrected");
        assert_eq!(
            body(&rows, Some(&struck)),
            concat!(
                r#"<tr><th scope="row" class="num">1</th></tr>"#,
                r#"<tr class="corrected"><th scope="row" class="num">2</th></tr>"#
            )
        );
        assert_eq!(body(&[], None), "");
    }
}
