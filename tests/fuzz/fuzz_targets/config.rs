//! `mcpmux::config::load` on an arbitrary file: byte 0 picks the format (TOML, JSON, YAML, by
//! the file's extension), the rest is the file. It must return `Ok` or `Err`, never panic.
//!
//! The file lives alone in a directory of its own (one per process, reused). `include` globs
//! are resolved relative to it, and an absolute or `..` pattern would walk and read files of
//! the machine running the fuzzer, so inputs whose `include` reaches outside that directory are
//! skipped (the pre-check reads `include` exactly as `load` does, with figment).
#![no_main]

use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use figment::providers::{Format, Json, Toml, Yaml};
use figment::Figment;
use libfuzzer_sys::fuzz_target;
use mcpmux::config::{load, Overrides};

struct Files {
    paths: [PathBuf; 3],
}

fn files() -> &'static Files {
    static FILES: OnceLock<Files> = OnceLock::new();
    FILES.get_or_init(|| {
        // No `MCPMUX_*` variable of the fuzzing machine may decide the outcome.
        let vars: Vec<_> = std::env::vars_os()
            .map(|(k, _)| k)
            .filter(|k| k.to_string_lossy().to_ascii_uppercase().starts_with("MCPMUX_"))
            .collect();
        for k in vars {
            std::env::remove_var(k);
        }
        let dir = std::env::temp_dir().join(format!("mcpmux-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Files {
            paths: ["toml", "json", "yaml"].map(|ext| dir.join(format!("config.{ext}"))),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let files = files();
    let kind = usize::from(first % 3);
    if !includes_stay_inside(kind, body) {
        return;
    }
    // Only one of the three files exists at a time, so `include = ["*"]` finds only itself.
    for (i, path) in files.paths.iter().enumerate() {
        if i != kind {
            let _ = std::fs::remove_file(path);
        }
    }
    let path = &files.paths[kind];
    std::fs::write(path, body).expect("write the config file");
    let _ = load(Some(path), &Overrides::default());
});

/// Whether every `include` pattern is relative and has no `..`, as `load` reads `include`.
fn includes_stay_inside(kind: usize, body: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(body) else {
        // figment reads files as UTF-8 and fails before looking at `include`.
        return true;
    };
    let figment = match kind {
        0 => Figment::from(Toml::string(text)),
        1 => Figment::from(Json::string(text)),
        _ => Figment::from(Yaml::string(text)),
    };
    let patterns: Vec<String> = figment.extract_inner("include").unwrap_or_default();
    patterns.iter().all(|p| {
        Path::new(p)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    })
}
