//! Static markup written as strings: a picture or a table that never
//! changes once drawn costs the wasm bundle far less as one string set with
//! `inner_html` than as a view per element. Everything that comes from data
//! goes through [`escape`].

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
