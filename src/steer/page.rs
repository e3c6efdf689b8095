//! Gateway-minted cursors and page rendering for the merged lists.

use std::sync::Arc;

use serde_json::value::RawValue;

use crate::protocol::mcp::ListKind;
use crate::protocol::ErrorObject;

/// Renders one page of `items` starting at `cursor`, as a list result.
///
/// The page is written straight from the stored raw entries: no JSON tree is built.
pub fn render(
    kind: ListKind,
    items: &[Arc<RawValue>],
    cursor: Option<&str>,
    page_size: usize,
) -> Result<Box<RawValue>, ErrorObject> {
    let start = match cursor {
        None => 0,
        Some(c) => decode(c).ok_or_else(|| {
            ErrorObject::invalid_params(format!(
                "invalid cursor `{c}`: pass back a nextCursor from a previous page"
            ))
        })?,
    };
    let start = start.min(items.len());
    let end = start.saturating_add(page_size).min(items.len());
    let page = &items[start..end];
    let mut out = String::with_capacity(32 + page.iter().map(|i| i.get().len() + 1).sum::<usize>());
    out.push_str("{\"");
    out.push_str(kind.field());
    out.push_str("\":[");
    for (i, item) in page.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item.get());
    }
    out.push(']');
    if end < items.len() {
        out.push_str(",\"nextCursor\":\"");
        out.push_str(&encode(end));
        out.push('"');
    }
    out.push('}');
    Ok(RawValue::from_string(out).expect("a page is built from valid JSON entries"))
}

const CURSOR_PREFIX: &str = "mcpmux-";

fn encode(offset: usize) -> String {
    format!("{CURSOR_PREFIX}{offset:x}")
}

fn decode(cursor: &str) -> Option<usize> {
    usize::from_str_radix(cursor.strip_prefix(CURSOR_PREFIX)?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<Arc<RawValue>> {
        (0..n)
            .map(|i| Arc::from(RawValue::from_string(format!("{{\"name\":\"t{i}\"}}")).unwrap()))
            .collect()
    }

    #[test]
    fn pages_until_the_end() {
        let all = items(5);
        let first = render(ListKind::Tools, &all, None, 2).unwrap();
        let v: serde_json::Value = serde_json::from_str(first.get()).unwrap();
        assert_eq!(v["tools"].as_array().unwrap().len(), 2);
        let next = v["nextCursor"].as_str().unwrap().to_string();
        let last = render(ListKind::Tools, &all, Some(&render_cursor(&all, &next)), 10).unwrap();
        let v: serde_json::Value = serde_json::from_str(last.get()).unwrap();
        assert_eq!(v["tools"][0]["name"], "t2");
        assert!(v.get("nextCursor").is_none());
    }

    fn render_cursor(_: &[Arc<RawValue>], c: &str) -> String {
        c.to_string()
    }

    #[test]
    fn rejects_foreign_cursors() {
        assert_eq!(
            render(ListKind::Prompts, &items(1), Some("abc"), 5)
                .unwrap_err()
                .code,
            -32602
        );
    }
}
