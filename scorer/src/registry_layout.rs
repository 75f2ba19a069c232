//! Where a model version lives in a registry, shared by the trainer (which writes registries)
//! and edge-host (which reads them), so the two cannot disagree on a key or on which names
//! are allowed. A registry is a folder or an S3 prefix holding:
//!
//! ```text
//! versions/<version>/model.xgm       the model file (docs/MODEL_FORMAT.md)
//! versions/<version>/manifest.json   written last: a version exists once its manifest does
//! production.json                    the alias: {"version": …, …}
//! ```
//!
//! Version strings and file names match `[A-Za-z0-9._-]{1,64}` and are not `.` or `..`, so a
//! hostile name can never leave the registry root.

/// Key of the production alias.
pub const PRODUCTION_KEY: &str = "production.json";
/// The file whose presence makes a version exist.
pub const MANIFEST_NAME: &str = "manifest.json";
/// The model file of a version.
pub const MODEL_NAME: &str = "model.xgm";
/// Folder (key prefix) holding one sub-folder per version.
pub const VERSIONS_DIR: &str = "versions";
/// Longest version string or file name.
pub const MAX_NAME_LEN: usize = 64;

/// Largest production alias a reader takes (it is a few hundred bytes).
pub const MAX_PRODUCTION_BYTES: usize = 64 << 10;
/// Largest manifest a reader takes (the trainer's are tens of KB).
pub const MAX_MANIFEST_BYTES: usize = 16 << 20;

/// The most bytes a reader takes of `name` (a key's last part): more could not be valid, and a
/// reader that loaded it whole could run out of memory (the Lambda rechecks production
/// while it serves).
pub fn max_bytes(name: &str) -> usize {
    match name {
        PRODUCTION_KEY => MAX_PRODUCTION_BYTES,
        MANIFEST_NAME => MAX_MANIFEST_BYTES,
        _ => crate::model::MAX_FILE_BYTES,
    }
}

/// Whether `name` is an allowed version string or file name: `[A-Za-z0-9._-]{1,64}`, not `.`
/// or `..`.
pub fn is_valid_name(name: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len())
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Key of file `name` of `version`: `versions/<version>/<name>`.
pub fn version_file_key(version: &str, name: &str) -> String {
    format!("{VERSIONS_DIR}/{version}/{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["m-dba3ba884ed5", "2024-06-01.rc_1", "a", &"v".repeat(64)] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "a b",
            "é",
            "a\\b",
            "a\0",
            &"v".repeat(65),
        ] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
        assert_eq!(version_file_key("v1", MODEL_NAME), "versions/v1/model.xgm");
    }
}
