//! Reading models from the trainer's registry (read-only).
//!
//! The layout is the trainer's (`trainer/src/registry.rs`): `production.json` names the
//! production version, `versions/<v>/manifest.json` describes a version and
//! `versions/<v>/model.xgm` is its model. A registry is a local folder or an S3 prefix
//! (`s3://bucket/prefix`).
//!
//! [`Registry::resolve`] resolves a [`ModelChoice`] to a version; [`Registry::fetch_version`]
//! reads its manifest and model and checks them **before** they reach the scorer: the
//! manifest's feature-set id against this host's scorer crate, and the model bytes' sha256
//! against the manifest. The scorer then checks the model format itself (magic, version,
//! CRC-32, tree shapes) when it is loaded.

use crate::drift::Reference;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};

pub use scorer::registry_layout::{
    is_valid_name as is_valid_version, MANIFEST_NAME, PRODUCTION_KEY, VERSIONS_DIR,
};

/// Where a registry lives.
#[derive(Clone)]
pub enum Registry {
    Local(PathBuf),
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
        prefix: String,
    },
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.describe())
    }
}

/// Which version to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelChoice {
    /// Whatever `production.json` names, re-checked periodically.
    Production,
    /// One immutable version.
    Pinned(String),
}

/// A checked model, ready for the scorer.
#[derive(Debug, Clone)]
pub struct FetchedModel {
    pub version: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub feature_set_id: String,
    /// Reference distributions for drift (absent in manifests that have none).
    pub reference: Option<Reference>,
}

/// Why a model could not be fetched; the current model, if any, keeps serving.
#[derive(Debug)]
pub enum RegistryError {
    /// Reading a key failed (network, permissions, I/O).
    Read { key: String, message: String },
    /// A key that must exist does not.
    Missing { key: String },
    /// A JSON file is malformed or misses a field.
    BadJson { key: String, message: String },
    /// A version name that could escape the registry (`..`, `/`, …).
    BadVersion(String),
    Sha256Mismatch {
        version: String,
        manifest: String,
        actual: String,
    },
    FeatureSetMismatch {
        version: String,
        manifest: String,
        host: String,
    },
    /// A file larger than any valid one of its kind (refused unread).
    TooLarge {
        key: String,
        bytes: u64,
        limit: usize,
    },
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::Read { key, message } => write!(f, "reading {key}: {message}"),
            RegistryError::Missing { key } => write!(f, "{key} does not exist"),
            RegistryError::BadJson { key, message } => write!(f, "{key} is malformed: {message}"),
            RegistryError::BadVersion(v) => write!(f, "{v:?} is not a valid version name"),
            RegistryError::TooLarge { key, bytes, limit } => write!(
                f,
                "{key} is at least {bytes} bytes, more than such a file may be ({limit}); not read"
            ),
            RegistryError::Sha256Mismatch {
                version,
                manifest,
                actual,
            } => write!(
                f,
                "model of version {version} has sha256 {actual}, its manifest says {manifest}"
            ),
            RegistryError::FeatureSetMismatch {
                version,
                manifest,
                host,
            } => write!(
                f,
                "version {version} was trained on feature set {manifest}, this host computes {host}"
            ),
        }
    }
}

impl RegistryError {
    /// Whether the error is about what the registry holds (a checksum, a feature set, a size,
    /// a name), so reading the same files again gives the same answer; reads that failed,
    /// files not there (yet) and malformed JSON (perhaps caught mid-write) may pass later.
    pub fn is_about_content(&self) -> bool {
        match self {
            RegistryError::Read { .. }
            | RegistryError::Missing { .. }
            | RegistryError::BadJson { .. } => false,
            RegistryError::BadVersion(_)
            | RegistryError::Sha256Mismatch { .. }
            | RegistryError::FeatureSetMismatch { .. }
            | RegistryError::TooLarge { .. } => true,
        }
    }
}

impl std::error::Error for RegistryError {}

/// The feature-set id of this build, as manifests write it.
pub fn host_feature_set_id() -> String {
    format!("{:016x}", scorer::FEATURE_SET_ID)
}

/// Lower-case hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Deserialize)]
struct Production {
    version: String,
}

#[derive(Deserialize)]
struct Manifest {
    model_sha256: String,
    feature_set_id: String,
    #[serde(default = "default_model_file")]
    model_file: String,
    #[serde(default)]
    reference: Option<serde_json::Value>,
}

fn default_model_file() -> String {
    "model.xgm".into()
}

impl Registry {
    /// Parses `s3://bucket/prefix` (S3, needs a client) or a folder path.
    pub fn parse(location: &str, s3: impl FnOnce() -> aws_sdk_s3::Client) -> Registry {
        match location.strip_prefix("s3://") {
            Some(rest) => {
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                Registry::S3 {
                    client: s3(),
                    bucket: bucket.to_string(),
                    prefix: prefix.trim_matches('/').to_string(),
                }
            }
            None => Registry::Local(PathBuf::from(location)),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Registry::Local(p) => format!("local registry {}", p.display()),
            Registry::S3 { bucket, prefix, .. } => format!("s3://{bucket}/{prefix}"),
        }
    }

    /// The bytes at `key`, `None` if there are none. A file larger than any valid one of its
    /// kind (`registry_layout::max_bytes`) is refused before it is read.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, RegistryError> {
        let limit = scorer::registry_layout::max_bytes(key.rsplit('/').next().unwrap_or(key));
        match self {
            Registry::Local(root) => {
                let path = root.join(key);
                let read_error = |e: std::io::Error| RegistryError::Read {
                    key: path.display().to_string(),
                    message: e.to_string(),
                };
                let file = match std::fs::File::open(&path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(read_error(e)),
                };
                // Read at most one byte past the limit: a device or a growing file has no
                // trustworthy length.
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(
                    &mut std::io::Read::take(file, limit as u64 + 1),
                    &mut bytes,
                )
                .map_err(read_error)?;
                if bytes.len() > limit {
                    return Err(RegistryError::TooLarge {
                        key: path.display().to_string(),
                        bytes: bytes.len() as u64,
                        limit,
                    });
                }
                Ok(Some(bytes))
            }
            Registry::S3 {
                client,
                bucket,
                prefix,
            } => {
                let full = if prefix.is_empty() {
                    key.to_string()
                } else {
                    format!("{prefix}/{key}")
                };
                let read_error = |message: String| RegistryError::Read {
                    key: format!("s3://{bucket}/{full}"),
                    message,
                };
                match client.get_object().bucket(bucket).key(&full).send().await {
                    Ok(object) if object.content_length.unwrap_or(0) as u64 > limit as u64 => {
                        Err(RegistryError::TooLarge {
                            key: format!("s3://{bucket}/{full}"),
                            bytes: object.content_length.unwrap_or(0) as u64,
                            limit,
                        })
                    }
                    Ok(object) => {
                        let body = object
                            .body
                            .collect()
                            .await
                            .map_err(|e| read_error(e.to_string()))?;
                        Ok(Some(body.into_bytes().to_vec()))
                    }
                    Err(e) => {
                        let not_found = e.as_service_error().is_some_and(|s| s.is_no_such_key());
                        if not_found {
                            Ok(None)
                        } else {
                            Err(read_error(
                                aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
                            ))
                        }
                    }
                }
            }
        }
    }

    async fn require(&self, key: &str) -> Result<Vec<u8>, RegistryError> {
        self.get(key).await?.ok_or_else(|| RegistryError::Missing {
            key: format!("{} in {}", key, self.describe()),
        })
    }

    /// The version `choice` names now.
    pub async fn resolve(&self, choice: &ModelChoice) -> Result<String, RegistryError> {
        let version = match choice {
            ModelChoice::Pinned(v) => v.clone(),
            ModelChoice::Production => {
                let bytes = self.require(PRODUCTION_KEY).await?;
                let p: Production = parse_json(PRODUCTION_KEY, &bytes)?;
                p.version
            }
        };
        if !is_valid_version(&version) {
            return Err(RegistryError::BadVersion(version));
        }
        Ok(version)
    }

    /// Reads and checks one version.
    pub async fn fetch_version(&self, version: &str) -> Result<FetchedModel, RegistryError> {
        if !is_valid_version(version) {
            return Err(RegistryError::BadVersion(version.to_string()));
        }
        self.fetch_dir(
            version,
            &scorer::registry_layout::version_file_key(version, ""),
        )
        .await
    }

    /// Reads and checks the manifest and model under `dir` (empty, or ending in `/`).
    async fn fetch_dir(&self, version: &str, dir: &str) -> Result<FetchedModel, RegistryError> {
        let manifest_key = format!("{dir}{MANIFEST_NAME}");
        let manifest: Manifest = parse_json(&manifest_key, &self.require(&manifest_key).await?)?;
        let host = host_feature_set_id();
        if manifest.feature_set_id != host {
            return Err(RegistryError::FeatureSetMismatch {
                version: version.to_string(),
                manifest: manifest.feature_set_id,
                host,
            });
        }
        if !is_valid_version(&manifest.model_file) || manifest.model_file.starts_with('.') {
            return Err(RegistryError::BadJson {
                key: manifest_key,
                message: format!(
                    "model_file {:?} is not a plain file name",
                    manifest.model_file
                ),
            });
        }
        let reference = match &manifest.reference {
            None => None,
            Some(v) => {
                Some(
                    Reference::from_manifest(v).map_err(|message| RegistryError::BadJson {
                        key: manifest_key.clone(),
                        message,
                    })?,
                )
            }
        };
        let bytes = self
            .require(&format!("{dir}{}", manifest.model_file))
            .await?;
        let actual = sha256_hex(&bytes);
        if !actual.eq_ignore_ascii_case(&manifest.model_sha256) {
            return Err(RegistryError::Sha256Mismatch {
                version: version.to_string(),
                manifest: manifest.model_sha256,
                actual,
            });
        }
        Ok(FetchedModel {
            version: version.to_string(),
            bytes,
            sha256: actual,
            feature_set_id: manifest.feature_set_id,
            reference,
        })
    }
}

fn parse_json<T: for<'de> Deserialize<'de>>(key: &str, bytes: &[u8]) -> Result<T, RegistryError> {
    serde_json::from_slice(bytes).map_err(|e| RegistryError::BadJson {
        key: key.to_string(),
        message: e.to_string(),
    })
}

/// A model from a plain file (`--model model.xgm`) or a version folder holding
/// `manifest.json` (as `trainer train --out` writes): checked like a registry version. A
/// folder's version is its manifest's `model_version` (what the registry would call it once
/// published), else the folder's name, else `local`.
pub async fn fetch_path(path: &Path) -> Result<FetchedModel, RegistryError> {
    if path.is_dir() {
        #[derive(Deserialize)]
        struct Named {
            model_version: Option<String>,
        }
        let from_manifest = std::fs::read(path.join(MANIFEST_NAME))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Named>(&bytes).ok())
            .and_then(|m| m.model_version)
            .filter(|v| is_valid_version(v));
        let name = from_manifest
            .or_else(|| {
                path.file_name()
                    .and_then(|n| n.to_str())
                    .filter(|n| is_valid_version(n))
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "local".to_string());
        return Registry::Local(path.to_path_buf())
            .fetch_dir(&name, "")
            .await;
    }
    let bytes = std::fs::read(path).map_err(|e| RegistryError::Read {
        key: path.display().to_string(),
        message: e.to_string(),
    })?;
    let sha256 = sha256_hex(&bytes);
    Ok(FetchedModel {
        version: format!("file-{}", &sha256[..12]),
        bytes,
        sha256,
        feature_set_id: host_feature_set_id(),
        reference: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(root: &Path) -> Registry {
        Registry::parse(root.to_str().unwrap(), || {
            unreachable!("no S3 for a folder")
        })
    }

    #[tokio::test]
    async fn files_larger_than_their_kind_may_be_are_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let registry = local(dir.path());
        // An endless alias (a link to /dev/zero): an error after its limit, not all of memory.
        std::os::unix::fs::symlink("/dev/zero", dir.path().join(PRODUCTION_KEY)).unwrap();
        match registry.resolve(&ModelChoice::Production).await {
            Err(RegistryError::TooLarge { limit, .. }) => {
                assert_eq!(limit, scorer::registry_layout::MAX_PRODUCTION_BYTES)
            }
            other => panic!("{other:?}"),
        }
        // A model file over the largest a valid model can be.
        let v = dir.path().join("versions/v1");
        std::fs::create_dir_all(&v).unwrap();
        let model = std::fs::File::create(v.join("model.xgm")).unwrap();
        model
            .set_len(scorer::model::MAX_FILE_BYTES as u64 + 1)
            .unwrap();
        match registry.get("versions/v1/model.xgm").await {
            Err(e @ RegistryError::TooLarge { .. }) => {
                assert!(e.to_string().contains("not read"), "{e}")
            }
            other => panic!("{:?}", other.map(|b| b.map(|b| b.len()))),
        }
    }
}
