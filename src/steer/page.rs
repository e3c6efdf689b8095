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
    let page = Page {
        kind,
        items: &items[start..end],
        next_cursor: (end < items.len()).then(|| encode(end)),
    };
    // `to_raw_value` concatenates the stored raw entries without re-validating them; building
    // a String and calling `RawValue::from_string` would re-parse the whole page (about 1.5 ms
    // for 5,000 tools).
    Ok(serde_json::value::to_raw_value(&page).expect("a page of raw entries always serialises"))
}

/// One page as serialised: `{"<field>":[...],"nextCursor":"..."}`.
struct Page<'a> {
    kind: ListKind,
    items: &'a [Arc<RawValue>],
    next_cursor: Option<String>,
}

impl serde::Serialize for Page<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map =
            serializer.serialize_map(Some(1 + usize::from(self.next_cursor.is_some())))?;
        map.serialize_entry(self.kind.field(), &RawItems(self.items))?;
        if let Some(cursor) = &self.next_cursor {
            map.serialize_entry("nextCursor", cursor)?;
        }
        map.end()
    }
}

struct RawItems<'a>(&'a [Arc<RawValue>]);

impl serde::Serialize for RawItems<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|item| &**item))
    }
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
