//! `edge-host`: the xgoals Lambda (`bootstrap`) and its local developer loop.
//!
//! With no command (as Lambda starts it) or `lambda`, it runs the Lambda runtime loop; `invoke`
//! runs the same handler on an event file; `poll` consumes a Kinesis stream like the event
//! source mapping; `precompile` writes the `.cwasm` the package ships. Configuration comes only
//! from environment variables, read here (see `edge_host::config`).

use anyhow::{anyhow, bail, Context, Result};
use aws_lambda_events::event::kinesis::KinesisEvent;
use clap::{Parser, Subcommand};
use edge_host::config::{Config, SinkSpec};
use edge_host::handler::{Backend, Handler, HandlerConfig, LogTo};
use edge_host::poll::{self, PollOptions, StartAt};
use edge_host::registry::{self, FetchedModel, ModelChoice, Registry};
use edge_host::sink::{RetryPolicy, Sink};
use edge_host::{HostConfig, ScorerEngine};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "edge-host",
    version,
    about = "The xgoals Lambda: scores Kinesis shot records with scorer.wasm in wasmtime",
    long_about = "The xgoals Lambda: scores Kinesis shot records with scorer.wasm in wasmtime.\n\n\
        Without a command it runs the Lambda runtime loop (as the provided.al2023 runtime \
        starts `bootstrap`). Configuration comes from environment variables: XGOALS_REGISTRY, \
        XGOALS_MODEL_VERSION, XGOALS_MODEL_RECHECK_S, XGOALS_OUTPUT_STREAM, XGOALS_DEAD_LETTER, \
        XGOALS_PUT_MAX_ATTEMPTS, XGOALS_DRIFT_WINDOW, XGOALS_METRICS_NAMESPACE, \
        XGOALS_PRECOMPILED_MODULE (see the README), plus the AWS SDK's own (AWS_REGION, \
        AWS_ENDPOINT_URL, credentials)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Lambda runtime loop (the default; needs AWS_LAMBDA_RUNTIME_API).
    Lambda,
    /// Run the handler once on a Lambda Kinesis event file and print JSON lines: each dead
    /// letter (under "dead_letter"), each output record, then the batch response. Metrics and
    /// timings go to stderr. Outputs go to stdout unless XGOALS_OUTPUT_STREAM /
    /// XGOALS_DEAD_LETTER name real destinations.
    ///
    /// Example: edge-host invoke --event testdata/events/kinesis-mixed.json
    #[command(verbatim_doc_comment)]
    Invoke {
        /// A Lambda Kinesis event (JSON with "Records"; record data base64-encoded; KPL
        /// aggregates are split into their user records, as in the Lambda).
        #[arg(long)]
        event: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Consume a Kinesis stream (e.g. on an emulator, via AWS_ENDPOINT_URL) and call the
    /// handler the way the event source mapping does: batches per shard, retries from the
    /// lowest batch item failure, a checkpoint per shard.
    ///
    /// Example: AWS_ENDPOINT_URL=http://127.0.0.1:5000 XGOALS_OUTPUT_STREAM=xg-out \
    ///   XGOALS_DEAD_LETTER=kinesis:xg-dead edge-host poll --stream shots --until-idle 3
    #[command(verbatim_doc_comment)]
    Poll {
        /// The input stream's name.
        #[arg(long)]
        stream: String,
        /// Records per batch (the mapping's BatchSize).
        #[arg(long, default_value_t = 100)]
        batch_size: i32,
        /// Folder of per-shard checkpoints.
        #[arg(long, default_value = ".xgoals/poll-checkpoints")]
        checkpoint_dir: PathBuf,
        /// Where a shard without a checkpoint starts.
        #[arg(long, value_enum, default_value_t = StartAt::TrimHorizon)]
        from: StartAt,
        /// Stop after this many consecutive rounds without records (default: run forever).
        #[arg(long)]
        until_idle: Option<u32>,
        /// Retries of a failing batch before stopping with an error.
        #[arg(long, default_value_t = 5)]
        max_retries: u32,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Compile the embedded scorer.wasm to native code for this machine and wasmtime build
    /// (the package ships it as scorer.cwasm beside bootstrap; cold start then skips Cranelift).
    Precompile {
        #[arg(long)]
        out: PathBuf,
        /// Target triple to compile for (default: this machine), e.g.
        /// aarch64-unknown-linux-gnu for an arm64 Lambda; other architectures need a build
        /// with the `cross-precompile` feature.
        #[arg(long)]
        target: Option<String>,
    },
}

#[derive(clap::Args)]
struct ModelArgs {
    /// A model file (.xgm) or a version folder with manifest.json. Default: XGOALS_REGISTRY's
    /// production model, else ./.xgoals/registry's, else the repo's fixed test model.
    #[arg(long)]
    model: Option<PathBuf>,
}

fn main() -> Result<()> {
    let started = Instant::now();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    match cli.command.unwrap_or(Command::Lambda) {
        Command::Lambda => runtime.block_on(lambda(started)),
        Command::Invoke { event, model } => runtime.block_on(invoke(started, &event, model)),
        Command::Poll {
            stream,
            batch_size,
            checkpoint_dir,
            from,
            until_idle,
            max_retries,
            model,
        } => runtime.block_on(async {
            let options = PollOptions {
                stream,
                batch_size,
                checkpoint_dir,
                start: from,
                until_idle,
                max_retries,
                idle_sleep: Duration::from_millis(200),
            };
            run_poll(options, model).await
        }),
        Command::Precompile { out, target } => {
            let bytes = match &target {
                Some(t) => ScorerEngine::precompile_for(t),
                None => ScorerEngine::precompile(),
            }
            .map_err(|e| anyhow!("{e}"))?;
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {} ({} bytes)", out.display(), bytes.len());
            Ok(())
        }
    }
}

fn env_config(lambda: bool) -> Result<Config> {
    Config::from_lookup(|k| std::env::var(k).ok(), lambda).map_err(|e| anyhow!("{e}"))
}

/// Whether a local command talks to AWS (an emulator, usually) at all.
fn needs_aws(config: &Config, model: &ModelArgs) -> bool {
    config.output != SinkSpec::Stdout
        || config.dead_letter != SinkSpec::Stdout
        || (model.model.is_none()
            && config
                .registry
                .as_deref()
                .is_some_and(|r| r.starts_with("s3://")))
}

/// The SDK configuration from the environment, or — for local commands that never call AWS —
/// an empty one, which costs nothing to make (loading credentials and TLS roots takes
/// milliseconds of a cold start).
async fn sdk_config_if(needed: bool) -> aws_config::SdkConfig {
    if needed {
        sdk_config().await
    } else {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build()
    }
}

async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}

fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    // Emulators serve buckets by path, not by host name.
    let path_style = sdk.endpoint_url().is_some();
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(path_style)
            .build(),
    )
}

fn sink(spec: &SinkSpec, sdk: &aws_config::SdkConfig) -> Sink {
    match spec {
        SinkSpec::Kinesis(stream) => Sink::Kinesis {
            client: aws_sdk_kinesis::Client::new(sdk),
            stream: stream.clone(),
        },
        SinkSpec::S3 { bucket, prefix } => Sink::S3 {
            client: s3_client(sdk),
            bucket: bucket.clone(),
            prefix: prefix.clone(),
        },
        SinkSpec::Stdout => Sink::Stdout,
    }
}

/// The scorer engine: from the precompiled module if configured, else compiled now.
fn engine(config: &Config) -> Result<(ScorerEngine, &'static str)> {
    match &config.precompiled_module {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            // SAFETY: the path is deployment configuration: the .cwasm `edge-host precompile`
            // wrote into the package, not data from a request.
            let engine = unsafe { ScorerEngine::from_precompiled(&bytes, HostConfig::default()) }
                .map_err(|e| anyhow!("{}: {e}", path.display()))?;
            Ok((engine, "precompiled"))
        }
        None => Ok((
            ScorerEngine::new(HostConfig::default()).map_err(|e| anyhow!("{e}"))?,
            "compiled",
        )),
    }
}

fn handler_config(
    config: &Config,
    sdk: &aws_config::SdkConfig,
    registry: Option<Registry>,
    log: LogTo,
) -> HandlerConfig {
    HandlerConfig {
        registry,
        choice: choice(config),
        recheck: Duration::from_secs(config.recheck_s),
        output: sink(&config.output, sdk),
        dead_letter: sink(&config.dead_letter, sdk),
        retry: RetryPolicy {
            max_attempts: config.put_max_attempts,
            ..RetryPolicy::default()
        },
        drift_window: config.drift_window,
        metrics_namespace: config.metrics_namespace.clone(),
        function_name: config.function_name.clone(),
        log,
    }
}

fn choice(config: &Config) -> ModelChoice {
    match &config.model_version {
        Some(v) => ModelChoice::Pinned(v.clone()),
        None => ModelChoice::Production,
    }
}

async fn fetch_from(registry: &Registry, choice: &ModelChoice) -> Result<FetchedModel> {
    let version = registry
        .resolve(choice)
        .await
        .with_context(|| format!("resolving the model in {}", registry.describe()))?;
    registry
        .fetch_version(&version)
        .await
        .with_context(|| format!("loading model {version} from {}", registry.describe()))
}

/// The model for local commands: `--model`, else XGOALS_REGISTRY, else ./.xgoals/registry,
/// else the repo's test model.
async fn local_model(
    args: &ModelArgs,
    config: &Config,
    sdk: &aws_config::SdkConfig,
) -> Result<(FetchedModel, Option<Registry>)> {
    if let Some(path) = &args.model {
        let model = registry::fetch_path(path)
            .await
            .with_context(|| format!("loading --model {}", path.display()))?;
        return Ok((model, None));
    }
    let registry = match &config.registry {
        Some(location) => Some(Registry::parse(location, || s3_client(sdk))),
        None => {
            let local = Path::new(".xgoals/registry");
            local
                .join(registry::PRODUCTION_KEY)
                .is_file()
                .then(|| Registry::Local(local.to_path_buf()))
        }
    };
    if let Some(registry) = registry {
        let model = fetch_from(&registry, &choice(config)).await?;
        return Ok((model, Some(registry)));
    }
    let test_model = [
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/models/test-model.xgm"
        )),
        PathBuf::from("testdata/models/test-model.xgm"),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .context("no model: pass --model, set XGOALS_REGISTRY, or run from the repository root")?;
    eprintln!(
        "edge-host: no registry found; using the fixed test model {}",
        test_model.display()
    );
    Ok((
        registry::fetch_path(&test_model)
            .await
            .with_context(|| format!("loading {}", test_model.display()))?,
        None,
    ))
}

/// A handler for the local commands, with how long its parts took.
struct LocalHandler {
    handler: Handler,
    module_source: &'static str,
    engine_ms: f64,
    fetch_ms: f64,
}

async fn local_handler(
    config: &Config,
    sdk: &aws_config::SdkConfig,
    model: &ModelArgs,
) -> Result<LocalHandler> {
    let engine_started = Instant::now();
    let (engine, module_source) = engine(config)?;
    let engine_ms = engine_started.elapsed().as_secs_f64() * 1e3;
    let fetch_started = Instant::now();
    let (fetched, registry) = local_model(model, config, sdk).await?;
    let fetch_ms = fetch_started.elapsed().as_secs_f64() * 1e3;
    let backend = Backend::wasm(&engine).map_err(|e| anyhow!("{e}"))?;
    let handler = Handler::new(
        backend,
        fetched,
        handler_config(config, sdk, registry, LogTo::Stderr),
    )
    .map_err(|e| anyhow!(e))?;
    Ok(LocalHandler {
        handler,
        module_source,
        engine_ms,
        fetch_ms,
    })
}

async fn lambda(started: Instant) -> Result<()> {
    let config = env_config(true)?;
    let engine_started = Instant::now();
    let (engine, module_source) = engine(&config)?;
    let engine_ms = engine_started.elapsed().as_secs_f64() * 1e3;
    let sdk_started = Instant::now();
    let sdk = sdk_config().await;
    let sdk_ms = sdk_started.elapsed().as_secs_f64() * 1e3;
    let location = config.registry.as_deref().expect("required in lambda mode");
    let registry = Registry::parse(location, || s3_client(&sdk));
    let fetch_started = Instant::now();
    // No loadable model at cold start: fail loudly (the init error shows in the logs and
    // Lambda retries the batch later).
    let model = fetch_from(&registry, &choice(&config)).await?;
    let fetch_ms = fetch_started.elapsed().as_secs_f64() * 1e3;
    let backend = Backend::wasm(&engine).map_err(|e| anyhow!("{e}"))?;
    let handler = Handler::new(
        backend,
        model,
        handler_config(&config, &sdk, Some(registry), LogTo::Stdout),
    )
    .map_err(|e| anyhow!(e))?;
    println!(
        "{}",
        serde_json::json!({
            "level": "info",
            "message": "edge-host ready",
            "model_version": handler.serving().tag.version(),
            "module": module_source,
            "engine_ms": engine_ms,
            "sdk_ms": sdk_ms,
            "model_fetch_ms": fetch_ms,
            "init_ms": started.elapsed().as_secs_f64() * 1e3,
        })
    );
    let handler = Arc::new(tokio::sync::Mutex::new(handler));
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<KinesisEvent>| {
            let handler = handler.clone();
            async move {
                let mut handler = handler.lock().await;
                handler
                    .handle(event.payload)
                    .await
                    .map_err(lambda_runtime::Error::from)
            }
        },
    ))
    .await
    .map_err(|e| anyhow!("lambda runtime: {e}"))
}

async fn invoke(started: Instant, event_path: &Path, model: ModelArgs) -> Result<()> {
    let text = std::fs::read_to_string(event_path)
        .with_context(|| format!("reading {}", event_path.display()))?;
    let text = edge_host::record::without_bom(&text);
    let event: KinesisEvent = serde_json::from_str(text).with_context(|| {
        format!(
            "{} is not a Lambda Kinesis event ({{\"Records\": [{{\"kinesis\": {{\"data\": base64, …}}}}]}})",
            event_path.display()
        )
    })?;
    let config = env_config(false)?;
    let sdk_started = Instant::now();
    let sdk = sdk_config_if(needs_aws(&config, &model)).await;
    let sdk_ms = sdk_started.elapsed().as_secs_f64() * 1e3;
    let local = local_handler(&config, &sdk, &model).await?;
    let mut handler = local.handler;
    let ready_ms = started.elapsed().as_secs_f64() * 1e3;
    let batch_started = Instant::now();
    let response = handler.handle(event).await.map_err(|e| anyhow!("{e}"))?;
    let batch_ms = batch_started.elapsed().as_secs_f64() * 1e3;
    println!("{}", serde_json::to_string(&response)?);
    eprintln!(
        "{}",
        serde_json::json!({"timing": {
            "module": local.module_source,
            "sdk_ms": sdk_ms,
            "engine_ms": local.engine_ms,
            "model_fetch_ms": local.fetch_ms,
            "ready_ms": ready_ms,
            "first_batch_ms": batch_ms,
            "to_first_scored_batch_ms": started.elapsed().as_secs_f64() * 1e3,
        }, "model_version": handler.serving().tag.version()})
    );
    Ok(())
}

async fn run_poll(options: PollOptions, model: ModelArgs) -> Result<()> {
    let config = env_config(false)?;
    let sdk = sdk_config().await;
    let mut handler = local_handler(&config, &sdk, &model).await?.handler;
    if matches!(config.output, SinkSpec::Stdout) {
        eprintln!("edge-host poll: XGOALS_OUTPUT_STREAM is not set; predictions go to stdout");
    }
    let client = aws_sdk_kinesis::Client::new(&sdk);
    let stats = poll::poll(&client, &mut handler, &options).await?;
    eprintln!(
        "{}",
        serde_json::json!({"poll": {"stream": options.stream, "batches": stats.batches,
            "records": stats.records, "retried_batches": stats.retried_batches}})
    );
    if stats.batches == 0 && options.until_idle.is_none() {
        bail!("no shards to read");
    }
    Ok(())
}
