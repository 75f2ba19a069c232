//! Reading the shared Wyscout data for the examples.

use std::io::Read;
use std::path::PathBuf;

/// `../shared/data/wyscout` beside the project root, or `$XGOALS_WYSCOUT_DIR`.
pub fn wyscout_dir() -> PathBuf {
    std::env::var_os("XGOALS_WYSCOUT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/wyscout")
        })
}

/// Reads a `.json` or `.json.gz` file into a string.
pub fn read_text(path: &std::path::Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .map_err(|e| format!("decompressing {}: {e}", path.display()))?;
        Ok(text)
    } else {
        String::from_utf8(bytes).map_err(|e| format!("{}: not UTF-8: {e}", path.display()))
    }
}
