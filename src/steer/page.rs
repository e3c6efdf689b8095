//! Gateway-minted cursors and page rendering for the merged lists.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::value::RawValue;

use crate::protocol::mcp::ListKind;
use crate::protocol::{ErrorObject, RawJson};

/// Renders one page of `items` starting at `cursor`, as a list result.
///
/// The page is joined straight from the stored raw entries into one exactly-sized buffer: no
/// JSON tree, no serializer, no re-validation (each entry was validated when it was listed).
/// This is hand-written because `serde_json::value::to_raw_value` took ~310 µs for a
/// 5,000-tool page (growing its buffer by doubling and shrinking it at the end) against ~50 µs
/// for the join (`tools_list_page` in `benches/catalog.rs`).
pub fn render(
    kind: ListKind,
    items: &[Arc<RawValue>],
    cursor: Option<&str>,
    page_size: usize,
) -> Result<RawJson, ErrorObject> {
    let start = start_of(cursor)?;
    Ok(render_from(kind, items, start, page_size))
}

/// The offset a cursor points at (`None`: the first page).
pub fn start_of(cursor: Option<&str>) -> Result<usize, ErrorObject> {
    match cursor {
        None => Ok(0),
        Some(c) => decode(c).ok_or_else(|| {
            ErrorObject::invalid_params(format!(
                "invalid cursor `{c}`: pass back a nextCursor from a previous page"
            ))
        }),
    }
}

/// Renders the page of `items` that begins at offset `start`.
pub fn render_from(
    kind: ListKind,
    items: &[Arc<RawValue>],
    start: usize,
    page_size: usize,
) -> RawJson {
    let start = start.min(items.len());
    let end = start.saturating_add(page_size).min(items.len());
    let page = &items[start..end];
    let next_cursor = (end < items.len()).then(|| encode(end));
    let field = kind.field();
    let entries: usize = page.iter().map(|item| item.get().len() + 1).sum();
    let mut out = Vec::with_capacity(
        field.len() + entries + next_cursor.as_ref().map_or(0, |c| c.len() + 16) + 8,
    );
    out.extend_from_slice(b"{\"");
    // Field names are fixed ASCII identifiers (`tools`, `resourceTemplates`, ...).
    out.extend_from_slice(field.as_bytes());
    out.extend_from_slice(b"\":[");
    for (i, item) in page.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item.get().as_bytes());
    }
    out.push(b']');
    if let Some(cursor) = next_cursor {
        // Cursors are `mcpmux-` plus hex digits: nothing to escape.
        out.extend_from_slice(b",\"nextCursor\":\"");
        out.extend_from_slice(cursor.as_bytes());
        out.push(b'"');
    }
    out.push(b'}');
    RawJson::from_trusted(Bytes::from(out))
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
    fn joins_exactly_what_a_serializer_would_write() {
        let all = items(3);
        for (start, size) in [(0, 10), (0, 2), (1, 1), (3, 5)] {
            let joined = render_from(ListKind::ResourceTemplates, &all, start, size);
            let parsed: serde_json::Value = serde_json::from_str(joined.get()).unwrap();
            let end = (start + size).min(3);
            let mut expected = serde_json::json!({
                "resourceTemplates": (start..end).map(|i| serde_json::json!({"name": format!("t{i}")})).collect::<Vec<_>>(),
            });
            if end < 3 {
                expected["nextCursor"] = serde_json::json!(encode(end));
            }
            assert_eq!(parsed, expected, "start {start} size {size}");
        }
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
