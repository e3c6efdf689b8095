//! What a session keeps of its client's `initialize`: the capabilities the gateway bridges, as
//! flags, and the client's name and version, cut to a bound. Nothing else the client sent is
//! kept, so a session costs the same whatever a client pads its `initialize` with.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::protocol::ErrorObject;

/// Longest client name or version kept, in bytes.
const MAX_LABEL: usize = 128;

/// The client capabilities the gateway can bridge to backends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientCaps {
    /// Answers `roots/list`.
    pub roots: bool,
    /// Sends `notifications/roots/list_changed`.
    pub roots_list_changed: bool,
    /// Answers `sampling/createMessage`.
    pub sampling: bool,
    /// Answers form-mode `elicitation/create`.
    pub elicitation_form: bool,
    /// Answers URL-mode `elicitation/create`.
    pub elicitation_url: bool,
}

/// The bounded summary of a client's `initialize`.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// What it can answer.
    pub caps: ClientCaps,
    /// `clientInfo.name`, cut to a bound.
    pub name: Box<str>,
    /// `clientInfo.version`, cut to a bound.
    pub version: Box<str>,
}

/// A server-to-client request method and whether the client declared it can answer it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// `sampling/createMessage`.
    Sampling,
    /// `elicitation/create` in form mode.
    ElicitForm,
    /// `elicitation/create` in URL mode.
    ElicitUrl,
    /// `roots/list`.
    Roots,
    /// Any other method: passed on; the client answers or refuses it itself.
    Other,
}

// === impl ClientCaps ===

impl ClientCaps {
    /// Reads the capabilities object; members the gateway does not bridge are ignored.
    pub fn parse(raw: Option<&RawValue>) -> ClientCaps {
        #[derive(Deserialize, Default)]
        struct Caps<'a> {
            #[serde(default, borrow)]
            roots: Option<&'a RawValue>,
            #[serde(default, borrow)]
            sampling: Option<&'a RawValue>,
            #[serde(default, borrow)]
            elicitation: Option<&'a RawValue>,
        }
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase")]
        struct Roots {
            #[serde(default)]
            list_changed: Option<bool>,
        }
        #[derive(Deserialize, Default)]
        struct Elicitation<'a> {
            #[serde(default, borrow)]
            form: Option<&'a RawValue>,
            #[serde(default, borrow)]
            url: Option<&'a RawValue>,
        }
        let Some(raw) = raw else {
            return ClientCaps::default();
        };
        let caps: Caps<'_> = serde_json::from_str(raw.get()).unwrap_or_default();
        let present = |v: Option<&RawValue>| v.is_some_and(|v| v.get() != "null");
        let roots: Roots = caps
            .roots
            .and_then(|r| serde_json::from_str(r.get()).ok())
            .unwrap_or_default();
        let elicitation: Elicitation<'_> = caps
            .elicitation
            .and_then(|e| serde_json::from_str(e.get()).ok())
            .unwrap_or_default();
        let elicits = present(caps.elicitation);
        // `elicitation: {}` means form mode (2025-11-25: an empty object is form-only).
        let form_by_default = elicits && !present(elicitation.form) && !present(elicitation.url);
        ClientCaps {
            roots: present(caps.roots),
            roots_list_changed: roots.list_changed == Some(true),
            sampling: present(caps.sampling),
            elicitation_form: form_by_default || present(elicitation.form),
            elicitation_url: present(elicitation.url),
        }
    }

    /// Whether the client declared it can answer `ask`.
    pub fn answers(&self, ask: Ask) -> bool {
        match ask {
            Ask::Sampling => self.sampling,
            Ask::ElicitForm => self.elicitation_form,
            Ask::ElicitUrl => self.elicitation_url,
            Ask::Roots => self.roots,
            Ask::Other => true,
        }
    }
}

// === impl Ask ===

impl Ask {
    /// The kind of a server-to-client request, from its method and (for elicitation) mode.
    pub fn of(method: &str, params: Option<&RawValue>) -> Ask {
        match method {
            "sampling/createMessage" => Ask::Sampling,
            "roots/list" => Ask::Roots,
            "elicitation/create" => {
                #[derive(Deserialize)]
                struct Mode<'a> {
                    #[serde(default, borrow)]
                    mode: Option<&'a str>,
                }
                let mode = params
                    .and_then(|p| serde_json::from_str::<Mode<'_>>(p.get()).ok())
                    .and_then(|m| m.mode);
                if mode == Some("url") {
                    Ask::ElicitUrl
                } else {
                    Ask::ElicitForm
                }
            }
            _ => Ask::Other,
        }
    }

    /// The capability a client must declare, as the spec names it.
    pub fn capability(self) -> &'static str {
        match self {
            Ask::Sampling => "sampling",
            Ask::ElicitForm => "elicitation (form mode)",
            Ask::ElicitUrl => "elicitation.url",
            Ask::Roots => "roots",
            Ask::Other => "",
        }
    }
}

// === impl ClientInfo ===

impl ClientInfo {
    /// Reads what a session keeps of `initialize`, refusing a client whose `capabilities` and
    /// `clientInfo` together exceed `limit` bytes.
    pub fn from_initialize(
        capabilities: Option<&RawValue>,
        client_info: Option<&RawValue>,
        limit: usize,
    ) -> Result<ClientInfo, ErrorObject> {
        let size =
            capabilities.map_or(0, |c| c.get().len()) + client_info.map_or(0, |c| c.get().len());
        if size > limit {
            return Err(ErrorObject::invalid_params(format!(
                "initialize: `capabilities` and `clientInfo` are {size} bytes together; the gateway accepts at most {limit} (max_client_info_bytes)"
            )));
        }
        #[derive(Deserialize, Default)]
        struct Implementation<'a> {
            #[serde(default, borrow)]
            name: Option<std::borrow::Cow<'a, str>>,
            #[serde(default, borrow)]
            version: Option<std::borrow::Cow<'a, str>>,
        }
        let implementation: Implementation<'_> = client_info
            .and_then(|c| serde_json::from_str(c.get()).ok())
            .unwrap_or_default();
        Ok(ClientInfo {
            caps: ClientCaps::parse(capabilities),
            name: cut(implementation.name.as_deref().unwrap_or_default()),
            version: cut(implementation.version.as_deref().unwrap_or_default()),
        })
    }
}

fn cut(label: &str) -> Box<str> {
    if label.len() <= MAX_LABEL {
        return label.into();
    }
    let mut end = MAX_LABEL;
    while !label.is_char_boundary(end) {
        end -= 1;
    }
    label[..end].into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.into()).unwrap()
    }

    #[test]
    fn reads_the_bridged_capabilities() {
        let caps = ClientCaps::parse(Some(&raw(
            r#"{"roots":{"listChanged":true},"sampling":{},"elicitation":{"url":{}},"experimental":{"x":1}}"#,
        )));
        assert_eq!(
            caps,
            ClientCaps {
                roots: true,
                roots_list_changed: true,
                sampling: true,
                elicitation_form: false,
                elicitation_url: true,
            }
        );
        let form_only = ClientCaps::parse(Some(&raw(r#"{"elicitation":{}}"#)));
        assert!(form_only.answers(Ask::ElicitForm) && !form_only.answers(Ask::ElicitUrl));
        assert_eq!(ClientCaps::parse(None), ClientCaps::default());
        assert!(!ClientCaps::default().answers(Ask::Sampling));
    }

    #[test]
    fn refuses_oversized_client_info_and_cuts_labels() {
        let padding = format!(r#"{{"experimental":{{"pad":"{}"}}}}"#, "x".repeat(20_000));
        let err = ClientInfo::from_initialize(Some(&raw(&padding)), None, 16 * 1024).unwrap_err();
        assert!(
            err.message.contains("max_client_info_bytes"),
            "{}",
            err.message
        );

        let long = format!(r#"{{"name":"{}","version":"1"}}"#, "é".repeat(200));
        let info = ClientInfo::from_initialize(None, Some(&raw(&long)), 16 * 1024).unwrap();
        assert!(info.name.len() <= MAX_LABEL);
        assert_eq!(&*info.version, "1");
    }

    #[test]
    fn elicitation_mode_decides_the_capability() {
        assert_eq!(
            Ask::of(
                "elicitation/create",
                Some(&raw(r#"{"mode":"url","url":"https://x"}"#))
            ),
            Ask::ElicitUrl
        );
        assert_eq!(
            Ask::of("elicitation/create", Some(&raw(r#"{"message":"m"}"#))),
            Ask::ElicitForm
        );
        assert_eq!(Ask::of("tasks/get", None), Ask::Other);
    }
}
