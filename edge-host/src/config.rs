//! Configuration: environment variables only, read once in `main`.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `XGOALS_REGISTRY` | model registry: `s3://bucket/prefix` or a folder | required by `lambda` |
//! | `XGOALS_MODEL_VERSION` | serve this version instead of following `production.json` | follow production |
//! | `XGOALS_MODEL_RECHECK_S` | seconds between re-reads of the production alias | 60 |
//! | `XGOALS_OUTPUT_STREAM` | output Kinesis stream (name or ARN) | required by `lambda` (`invoke`: stdout) |
//! | `XGOALS_DEAD_LETTER` | `kinesis:STREAM` or `s3://bucket/prefix` | required by `lambda` (`invoke`: stdout) |
//! | `XGOALS_PUT_MAX_ATTEMPTS` | attempts per output record, 1–20 | 6 |
//! | `XGOALS_DRIFT_WINDOW` | shots in the drift window, 1–1,000,000 | 5000 |
//! | `XGOALS_METRICS_NAMESPACE` | CloudWatch namespace of the EMF metrics | `xgoals/edge` |
//! | `XGOALS_PRECOMPILED_MODULE` | a `.cwasm` made by `edge-host precompile` | `$LAMBDA_TASK_ROOT/scorer.cwasm` if present, else compile |
//! | `AWS_LAMBDA_FUNCTION_NAME` | the metrics' `FunctionName` dimension (set by Lambda) | `edge-host` |
//!
//! The AWS SDK reads its own standard variables (`AWS_REGION`, credentials,
//! `AWS_ENDPOINT_URL` for an emulator).

use std::fmt;
use std::path::PathBuf;

/// A dead-letter or output destination, before clients exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkSpec {
    Kinesis(String),
    S3 { bucket: String, prefix: String },
    Stdout,
}

impl SinkSpec {
    /// `kinesis:NAME`, `s3://bucket/prefix` or `stdout`.
    pub fn parse_dead_letter(value: &str) -> Result<SinkSpec, String> {
        if let Some(stream) = value.strip_prefix("kinesis:") {
            check_stream(stream)?;
            Ok(SinkSpec::Kinesis(stream.to_string()))
        } else if let Some(rest) = value.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if !(3..=63).contains(&bucket.len())
                || !bucket
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            {
                return Err(format!("{bucket:?} is not an S3 bucket name"));
            }
            Ok(SinkSpec::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.trim_matches('/').to_string(),
            })
        } else if value == "stdout" {
            Ok(SinkSpec::Stdout)
        } else {
            Err(format!(
                "{value:?} is neither kinesis:STREAM, s3://bucket/prefix nor stdout"
            ))
        }
    }
}

fn check_stream(stream: &str) -> Result<(), String> {
    let ok_name = (1..=128).contains(&stream.len())
        && stream
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok_name || (stream.starts_with("arn:") && stream.len() <= 2048) {
        Ok(())
    } else {
        Err(format!("{stream:?} is not a Kinesis stream name or ARN"))
    }
}

/// A variable that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.var, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Everything the environment says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub registry: Option<String>,
    pub model_version: Option<String>,
    pub recheck_s: u64,
    pub output: SinkSpec,
    pub dead_letter: SinkSpec,
    pub put_max_attempts: u32,
    pub drift_window: usize,
    pub metrics_namespace: String,
    pub precompiled_module: Option<PathBuf>,
    pub function_name: String,
}

impl Config {
    /// Reads the variables through `get` (`std::env::var` in `main`). `lambda` makes the
    /// registry and both destinations required.
    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
        lambda: bool,
    ) -> Result<Config, ConfigError> {
        let text = |var: &'static str| get(var).filter(|v| !v.trim().is_empty());
        let required = |var: &'static str| {
            text(var).ok_or_else(|| ConfigError {
                var,
                message: "must be set".into(),
            })
        };
        let number =
            |var: &'static str, default: u64, min: u64, max: u64| -> Result<u64, ConfigError> {
                match text(var) {
                    None => Ok(default),
                    Some(v) => v
                        .trim()
                        .parse::<u64>()
                        .ok()
                        .filter(|n| (min..=max).contains(n))
                        .ok_or_else(|| ConfigError {
                            var,
                            message: format!("{v:?} is not a whole number in {min}..={max}"),
                        }),
                }
            };
        let registry = if lambda {
            Some(required("XGOALS_REGISTRY")?)
        } else {
            text("XGOALS_REGISTRY")
        };
        let model_version = text("XGOALS_MODEL_VERSION");
        if let Some(v) = &model_version {
            if !crate::registry::is_valid_version(v) {
                return Err(ConfigError {
                    var: "XGOALS_MODEL_VERSION",
                    message: format!("{v:?} is not a version name ([A-Za-z0-9._-], 1-64)"),
                });
            }
        }
        let output = match text("XGOALS_OUTPUT_STREAM") {
            Some(s) if s == "stdout" => SinkSpec::Stdout,
            Some(s) => {
                check_stream(&s).map_err(|message| ConfigError {
                    var: "XGOALS_OUTPUT_STREAM",
                    message,
                })?;
                SinkSpec::Kinesis(s)
            }
            None if lambda => return Err(required("XGOALS_OUTPUT_STREAM").unwrap_err()),
            None => SinkSpec::Stdout,
        };
        let dead_letter = match text("XGOALS_DEAD_LETTER") {
            Some(s) => SinkSpec::parse_dead_letter(&s).map_err(|message| ConfigError {
                var: "XGOALS_DEAD_LETTER",
                message,
            })?,
            None if lambda => return Err(required("XGOALS_DEAD_LETTER").unwrap_err()),
            None => SinkSpec::Stdout,
        };
        for (var, sink) in [
            ("XGOALS_OUTPUT_STREAM", &output),
            ("XGOALS_DEAD_LETTER", &dead_letter),
        ] {
            if lambda && *sink == SinkSpec::Stdout {
                return Err(ConfigError {
                    var,
                    message: "stdout is only a destination for the local invoke command".into(),
                });
            }
        }
        let precompiled_module = text("XGOALS_PRECOMPILED_MODULE")
            .map(PathBuf::from)
            .or_else(|| {
                let candidate = PathBuf::from(text("LAMBDA_TASK_ROOT")?).join("scorer.cwasm");
                candidate.is_file().then_some(candidate)
            });
        Ok(Config {
            registry,
            model_version,
            recheck_s: number("XGOALS_MODEL_RECHECK_S", 60, 0, 86_400)?,
            output,
            dead_letter,
            put_max_attempts: number("XGOALS_PUT_MAX_ATTEMPTS", 6, 1, 20)? as u32,
            drift_window: number("XGOALS_DRIFT_WINDOW", 5000, 1, 1_000_000)? as usize,
            metrics_namespace: text("XGOALS_METRICS_NAMESPACE")
                .unwrap_or_else(|| "xgoals/edge".into()),
            precompiled_module,
            function_name: text("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| "edge-host".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)], lambda: bool) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned(), lambda)
    }

    const LAMBDA: &[(&str, &str)] = &[
        ("XGOALS_REGISTRY", "s3://models/registry"),
        ("XGOALS_OUTPUT_STREAM", "xg-out"),
        ("XGOALS_DEAD_LETTER", "s3://dead-letters/edge"),
    ];

    #[test]
    fn defaults_and_a_full_lambda_config() {
        let c = config(LAMBDA, true).unwrap();
        assert_eq!(c.registry.as_deref(), Some("s3://models/registry"));
        assert_eq!(c.output, SinkSpec::Kinesis("xg-out".into()));
        assert_eq!(
            c.dead_letter,
            SinkSpec::S3 {
                bucket: "dead-letters".into(),
                prefix: "edge".into()
            }
        );
        assert_eq!(
            (c.recheck_s, c.put_max_attempts, c.drift_window),
            (60, 6, 5000)
        );
        assert_eq!(c.metrics_namespace, "xgoals/edge");
        let local = config(&[], false).unwrap();
        assert_eq!(
            (local.output, local.dead_letter),
            (SinkSpec::Stdout, SinkSpec::Stdout)
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            ("XGOALS_MODEL_RECHECK_S", "soon"),
            ("XGOALS_MODEL_RECHECK_S", "-1"),
            ("XGOALS_PUT_MAX_ATTEMPTS", "0"),
            ("XGOALS_PUT_MAX_ATTEMPTS", "99"),
            ("XGOALS_DRIFT_WINDOW", "1e9"),
            ("XGOALS_DEAD_LETTER", "sqs://queue"),
            ("XGOALS_DEAD_LETTER", "s3://A_B/x"),
            ("XGOALS_DEAD_LETTER", "kinesis:bad name"),
            ("XGOALS_OUTPUT_STREAM", "no/slashes"),
            ("XGOALS_MODEL_VERSION", "../../etc"),
        ] {
            let mut vars = LAMBDA.to_vec();
            vars.retain(|(k, _)| *k != var);
            vars.push((var, value));
            let e = config(&vars, true).unwrap_err();
            assert_eq!(e.var, var, "{e}");
        }
        for missing in [
            "XGOALS_REGISTRY",
            "XGOALS_OUTPUT_STREAM",
            "XGOALS_DEAD_LETTER",
        ] {
            let vars: Vec<_> = LAMBDA
                .iter()
                .copied()
                .filter(|(k, _)| *k != missing)
                .collect();
            assert_eq!(config(&vars, true).unwrap_err().var, missing);
            assert!(config(&vars, false).is_ok());
        }
        // stdout is for `invoke` only; the error names the variable that asked for it.
        for var in ["XGOALS_OUTPUT_STREAM", "XGOALS_DEAD_LETTER"] {
            let mut vars = LAMBDA.to_vec();
            vars.retain(|(k, _)| *k != var);
            vars.push((var, "stdout"));
            let e = config(&vars, true).unwrap_err();
            assert_eq!(e.var, var, "{e}");
            assert!(e.to_string().contains("stdout"), "{e}");
            assert!(config(&vars, false).is_ok());
        }
    }
}
