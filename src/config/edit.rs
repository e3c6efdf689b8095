//! Edits of the backends made while the gateway runs (admin API, management meta-tools).

use serde_json::Value;

/// One edit of the backends, from the admin API or a management meta-tool.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Adds a backend; it must not exist.
    Add {
        /// Its alias.
        name: String,
        /// Its config, as a file would hold it.
        config: Value,
    },
    /// Changes some keys of a backend (a JSON merge patch: `null` removes a key).
    Patch {
        /// The alias.
        name: String,
        /// The keys to change.
        patch: Value,
    },
    /// Stops and removes a backend.
    Remove {
        /// The alias.
        name: String,
    },
    /// Starts or stops a backend, keeping its config.
    SetEnabled {
        /// The alias.
        name: String,
        /// On or off.
        enabled: bool,
    },
}

impl Edit {
    /// The backend it concerns.
    pub fn name(&self) -> &str {
        match self {
            Edit::Add { name, .. }
            | Edit::Patch { name, .. }
            | Edit::Remove { name }
            | Edit::SetEnabled { name, .. } => name,
        }
    }
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    let Value::Object(target) = target else {
        return;
    };
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// Drops `null` members (unset options), so the config reads back as a file would hold it.
pub fn strip_nulls(value: &mut Value) {
    if let Value::Object(map) = value {
        map.retain(|_, v| !v.is_null());
        map.values_mut().for_each(strip_nulls);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut target = json!({ "a": "b", "c": { "d": "e", "f": "g" } });
        merge_patch(&mut target, &json!({ "a": "z", "c": { "f": null } }));
        assert_eq!(target, json!({ "a": "z", "c": { "d": "e" } }));
        merge_patch(&mut target, &json!({ "c": [1] }));
        assert_eq!(target, json!({ "a": "z", "c": [1] }));
    }
}
