//! Writing runtime edits back to the config files (`admin.persist = true`), so they survive
//! the next reload and a restart. An edit goes to the file that defines the backend (the main
//! file or one of its includes; the last one that defines it wins, as when loading); a new
//! backend goes to the main file. TOML files are edited in place, keeping their comments and
//! layout; JSON files are rewritten (their keys come out sorted). A single-backend file
//! (`mcp_settings.json`) that is removed is deleted.

use std::path::{Path, PathBuf};

use serde_json::Value;
use toml_edit::{DocumentMut, Item, Table};

use super::edit::{merge_patch, Edit};

/// Writes `edit` into the file that holds the backend.
pub fn write(main: &Path, files: &[PathBuf], edit: &Edit) -> Result<PathBuf, String> {
    let name = edit.name();
    let target = files
        .iter()
        .rev()
        .find(|f| defines(f, name))
        .cloned()
        .unwrap_or_else(|| main.to_path_buf());
    let text = std::fs::read_to_string(&target)
        .map_err(|e| format!("cannot read {}: {e}", target.display()))?;
    let written = match kind_of(&target) {
        Kind::Toml => edit_toml(&text, edit)?,
        Kind::Json => match edit_json(&text, edit)? {
            Some(text) => text,
            None => {
                std::fs::remove_file(&target)
                    .map_err(|e| format!("cannot remove {}: {e}", target.display()))?;
                return Ok(target);
            }
        },
        Kind::Yaml => {
            return Err(format!(
                "{} is YAML; admin.persist writes TOML and JSON files only",
                target.display()
            ))
        }
    };
    replace_file(&target, &written)?;
    Ok(target)
}

enum Kind {
    Toml,
    Json,
    Yaml,
}

fn kind_of(path: &Path) -> Kind {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => Kind::Json,
        Some("yaml" | "yml") => Kind::Yaml,
        _ => Kind::Toml,
    }
}

/// Whether a file defines backend `name` (as `backends.NAME`, `mcpServers.NAME`, or as a
/// single-backend file named `NAME`).
fn defines(path: &Path, name: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let value: Option<Value> = match kind_of(path) {
        Kind::Toml => toml::from_str::<toml::Value>(&text)
            .ok()
            .and_then(|v| serde_json::to_value(v).ok()),
        Kind::Json => serde_json::from_str(&text).ok(),
        Kind::Yaml => return false,
    };
    let Some(value) = value else { return false };
    ["backends", "mcpServers"]
        .iter()
        .any(|key| value.get(key).and_then(|b| b.get(name)).is_some())
        || is_single_backend(&value, name)
}

fn is_single_backend(value: &Value, name: &str) -> bool {
    value.get("name").and_then(Value::as_str) == Some(name)
        && (value.get("command").is_some() || value.get("url").is_some())
        && value.get("backends").is_none()
        && value.get("mcpServers").is_none()
}

/// Writes through a temporary file and a rename, so a reader (the reload watcher) never sees
/// half a file.
fn replace_file(path: &Path, text: &str) -> Result<(), String> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.mcpmux-tmp"));
    std::fs::write(&temp, text).map_err(|e| format!("cannot write {}: {e}", temp.display()))?;
    std::fs::rename(&temp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))
}

fn edit_toml(text: &str, edit: &Edit) -> Result<String, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("the config file does not parse as TOML: {e}"))?;
    let key = if doc.contains_key("mcpServers") && !doc.contains_key("backends") {
        "mcpServers"
    } else {
        "backends"
    };
    let backends = doc
        .entry(key)
        .or_insert_with(|| {
            let mut table = Table::new();
            table.set_implicit(true);
            Item::Table(table)
        })
        .as_table_like_mut()
        .ok_or_else(|| format!("`{key}` is not a table"))?;
    let name = edit.name();
    match edit {
        Edit::Add { config, .. } => {
            let mut table = Table::new();
            if let Value::Object(members) = config {
                for (k, v) in members {
                    if let Some(item) = to_toml(v) {
                        table.insert(k, Item::Value(item));
                    }
                }
            }
            backends.insert(name, Item::Table(table));
        }
        Edit::Patch { patch, .. } => {
            let entry = backends
                .get_mut(name)
                .and_then(Item::as_table_like_mut)
                .ok_or_else(|| format!("backend `{name}` is not a table in the file"))?;
            if let Value::Object(members) = patch {
                for (k, v) in members {
                    match v {
                        Value::Null => {
                            entry.remove(k);
                        }
                        Value::Object(_) => {
                            // A nested table is merged, as the patch is.
                            let mut current = entry
                                .get(k)
                                .and_then(|i| i.as_value())
                                .and_then(from_toml)
                                .unwrap_or(Value::Null);
                            merge_patch(&mut current, v);
                            match to_toml(&current) {
                                Some(item) => entry.insert(k, Item::Value(item)),
                                None => entry.remove(k),
                            };
                        }
                        other => {
                            if let Some(item) = to_toml(other) {
                                entry.insert(k, Item::Value(item));
                            }
                        }
                    }
                }
            }
        }
        Edit::Remove { .. } => {
            backends.remove(name);
        }
        Edit::SetEnabled { enabled, .. } => {
            let entry = backends
                .get_mut(name)
                .and_then(Item::as_table_like_mut)
                .ok_or_else(|| format!("backend `{name}` is not a table in the file"))?;
            set_enabled_toml(entry, *enabled);
        }
    }
    Ok(doc.to_string())
}

fn set_enabled_toml(entry: &mut dyn toml_edit::TableLike, enabled: bool) {
    if entry.contains_key("isActive") {
        entry.insert("isActive", toml_edit::value(enabled));
    } else if entry.contains_key("disabled") {
        entry.insert("disabled", toml_edit::value(!enabled));
    } else {
        entry.insert("enabled", toml_edit::value(enabled));
    }
}

/// The edited JSON text, or `None` when the file is to be deleted.
fn edit_json(text: &str, edit: &Edit) -> Result<Option<String>, String> {
    let mut doc: Value = serde_json::from_str(text)
        .map_err(|e| format!("the config file does not parse as JSON: {e}"))?;
    let name = edit.name();
    let single = is_single_backend(&doc, name);
    let entry: &mut Value = if single {
        if matches!(edit, Edit::Remove { .. }) {
            return Ok(None);
        }
        &mut doc
    } else {
        let key = if doc.get("mcpServers").is_some() && doc.get("backends").is_none() {
            "mcpServers"
        } else {
            "backends"
        };
        let Value::Object(root) = &mut doc else {
            return Err("the config file is not a JSON object".into());
        };
        let backends = root
            .entry(key)
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        let Value::Object(backends) = backends else {
            return Err(format!("`{key}` is not an object"));
        };
        match edit {
            Edit::Add { config, .. } => {
                backends.insert(name.to_string(), config.clone());
                return finish(&doc);
            }
            Edit::Remove { .. } => {
                backends.remove(name);
                return finish(&doc);
            }
            _ => backends
                .get_mut(name)
                .ok_or_else(|| format!("backend `{name}` is not in the file"))?,
        }
    };
    match edit {
        Edit::Patch { patch, .. } => merge_patch(entry, patch),
        Edit::SetEnabled { enabled, .. } => {
            let Value::Object(entry) = entry else {
                return Err(format!("backend `{name}` is not an object in the file"));
            };
            if entry.contains_key("isActive") {
                entry.insert("isActive".into(), Value::Bool(*enabled));
            } else if entry.contains_key("disabled") {
                entry.insert("disabled".into(), Value::Bool(!*enabled));
            } else {
                entry.insert("enabled".into(), Value::Bool(*enabled));
            }
        }
        Edit::Add { .. } | Edit::Remove { .. } => {}
    }
    finish(&doc)
}

fn finish(doc: &Value) -> Result<Option<String>, String> {
    serde_json::to_string_pretty(doc)
        .map(|mut text| {
            text.push('\n');
            Some(text)
        })
        .map_err(|e| e.to_string())
}

fn to_toml(value: &Value) -> Option<toml_edit::Value> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64()?.into(),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(items) => {
            let mut array = toml_edit::Array::new();
            for item in items {
                if let Some(v) = to_toml(item) {
                    array.push(v);
                }
            }
            toml_edit::Value::Array(array)
        }
        Value::Object(members) => {
            let mut table = toml_edit::InlineTable::new();
            for (k, v) in members {
                if let Some(v) = to_toml(v) {
                    table.insert(k, v);
                }
            }
            toml_edit::Value::InlineTable(table)
        }
    })
}

fn from_toml(value: &toml_edit::Value) -> Option<Value> {
    let text = value.to_string();
    toml::from_str::<toml::Value>(&format!("v = {text}"))
        .ok()
        .and_then(|t| t.get("v").cloned())
        .and_then(|v| serde_json::to_value(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn toml_edits_keep_comments_and_other_backends() {
        let text = "# the gateway\nport = 1\n\n[backends.a] # first\ncommand = \"x\"\ntimeout = \"5s\"\n\n[backends.b]\nurl = \"http://h/mcp\"\n";
        let added = edit_toml(
            text,
            &Edit::Add {
                name: "c".into(),
                config: json!({ "command": ["y", "z"], "env": { "K": "v" } }),
            },
        )
        .unwrap();
        assert!(added.starts_with("# the gateway\n"), "{added}");
        assert!(added.contains("[backends.a] # first"), "{added}");
        assert!(
            added.contains("[backends.c]\ncommand = [\"y\", \"z\"]"),
            "{added}"
        );
        let patched = edit_toml(
            &added,
            &Edit::Patch {
                name: "a".into(),
                patch: json!({ "timeout": null, "args": ["-v"] }),
            },
        )
        .unwrap();
        assert!(!patched.contains("timeout"), "{patched}");
        assert!(patched.contains("args = [\"-v\"]"), "{patched}");
        let disabled = edit_toml(
            &patched,
            &Edit::SetEnabled {
                name: "b".into(),
                enabled: false,
            },
        )
        .unwrap();
        assert!(disabled.contains("enabled = false"), "{disabled}");
        let removed = edit_toml(&disabled, &Edit::Remove { name: "a".into() }).unwrap();
        assert!(!removed.contains("[backends.a]"), "{removed}");
        assert!(removed.contains("[backends.b]"), "{removed}");
        let parsed: toml::Value = toml::from_str(&removed).unwrap();
        assert_eq!(parsed["backends"]["c"]["env"]["K"].as_str(), Some("v"));
    }

    #[test]
    fn json_edits_use_the_files_own_keys() {
        let text = r#"{"mcpServers":{"fs":{"command":"npx","isActive":true}}}"#;
        let off = edit_json(
            text,
            &Edit::SetEnabled {
                name: "fs".into(),
                enabled: false,
            },
        )
        .unwrap()
        .unwrap();
        let v: Value = serde_json::from_str(&off).unwrap();
        assert_eq!(v["mcpServers"]["fs"]["isActive"], json!(false));
        assert!(v["mcpServers"]["fs"].get("enabled").is_none());

        let single =
            r#"{"provider":"p","isActive":true,"name":"solo","type":"stdio","command":"x"}"#;
        assert!(edit_json(
            single,
            &Edit::Remove {
                name: "solo".into()
            }
        )
        .unwrap()
        .is_none());
        let patched = edit_json(
            single,
            &Edit::Patch {
                name: "solo".into(),
                patch: json!({ "args": ["a"] }),
            },
        )
        .unwrap()
        .unwrap();
        let v: Value = serde_json::from_str(&patched).unwrap();
        assert_eq!(v["args"], json!(["a"]));
        assert_eq!(v["name"], json!("solo"));
    }
}
