//! The scoring core: `scorer.wasm` inside wasmtime.
//!
//! - [`ScorerEngine`]: built once per process (cold start). It owns the wasmtime [`Engine`]
//!   (NaN canonicalisation and fuel on), the module (compiled from the embedded
//!   [`SCORER_WASM`] with Cranelift, or deserialized from bytes made by
//!   [`ScorerEngine::precompile`]) and an [`InstancePre`] that makes new instances cheaply.
//! - [`ScorerInstance`]: one guest instance in its own [`Store`] with a memory cap, plus typed
//!   handles to the exports of the ABI (`docs/WASM_ABI.md`). It loads model bytes and scores
//!   batches of [`Shot`]s (or raw flat records) into a reusable [`Scores`].
//!
//! Failure has two levels:
//!
//! - a shot the scorer rejects is a **per-record** outcome, [`Rejected`], inside an otherwise
//!   successful call: the Lambda reports that record and moves on;
//! - a trap, exhausted fuel or output that breaks the ABI is a [`GuestError`] for the **whole
//!   call**. Nothing panics. After a trap the guest's state is unknown (it may have stopped
//!   half-way through updating it), so the instance refuses further calls with
//!   [`GuestError::Poisoned`] until [`ScorerInstance::recreate`] replaces it with a fresh one
//!   from the [`InstancePre`] and reloads the last good model.
//!
//! Before every call into the guest the store is refuelled with a budget for that call
//! ([`FuelBudget`]): a fixed part plus a part per shot (scoring) or per model byte (loading).

use scorer::shot::FLAT_SHOT_BYTES;
use scorer::{FeatureRow, Shot, FEATURE_SET_ID, N_FEATURES};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use wasmtime::{
    Config, Engine, InstancePre, Linker, Memory, Module, Store, StoreLimits, StoreLimitsBuilder,
    Trap, TypedFunc, WasmParams, WasmResults,
};

/// `scorer.wasm`, built from this workspace's `scorer` crate by `build.rs`.
pub static SCORER_WASM: &[u8] = include_bytes!(env!("SCORER_WASM_PATH"));

/// The `xg_abi_version` this host speaks: the scorer crate's, so host and guest are built
/// from the same definition.
pub const SUPPORTED_ABI_VERSION: u32 = scorer::abi::ABI_VERSION;

/// `xg_load_model` status: the model bytes were refused; the last error says why.
const STATUS_MODEL_REFUSED: i32 = scorer::abi::ERR_MODEL;
/// Status of any call that needs a model before one is loaded.
const STATUS_NO_MODEL: i32 = scorer::abi::ERR_NO_MODEL;

/// Bytes of one feature row in guest memory (little-endian `f32`s).
const FEATURE_ROW_BYTES: usize = N_FEATURES * 4;
/// Bytes of the I/O buffer per shot: the flat shot, its xG, its status and its features.
const SLOT_BYTES: usize = FLAT_SHOT_BYTES + 4 + 4 + FEATURE_ROW_BYTES;
/// Smallest I/O buffer, in shots, so that small batches do not reallocate one by one.
const MIN_CAPACITY_SHOTS: usize = 64;

/// Fuel for one call into the guest. wasmtime charges about one unit per wasm instruction.
///
/// Fuel bounds the work of every call, so a pathological model or a guest bug ends in
/// [`GuestError::OutOfFuel`] instead of a Lambda that runs until its timeout. The budgets only
/// need to be the right order of magnitude: [`FuelBudget::for_model_shape`] sizes them from
/// the model's shape with a wide margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuelBudget {
    /// Every call: entry, allocation, bookkeeping, reading the last error.
    pub per_call: u64,
    /// Added per shot to a scoring call.
    pub per_shot: u64,
    /// Added per model byte to a model-loading call.
    pub per_model_byte: u64,
    /// Added to a model-loading call for each split slot of the evaluation layouts, as many
    /// as any model may need (`scorer::model::MAX_PADDED_SPLITS`): they grow with each tree's
    /// padding, which the file's size does not show (512 chains of 12 splits, 131 KB, fill
    /// them; measured about 77 fuel per slot, 135 before scorer.wasm's bit-plane layout).
    pub per_padded_split: u64,
}

impl FuelBudget {
    /// Fuel per shot for decoding, feature extraction and the bookkeeping of a batch
    /// (measured with scorer.wasm of ABI 1: 1,000–1,300).
    pub const FEATURE_FUEL_PER_SHOT: u64 = 10_000;
    /// Fuel per step of one tree walk, i.e. per tree per level per shot (measured: about 50,
    /// e.g. 88,000 per shot for 300 trees of depth 6), with a threefold margin.
    pub const FUEL_PER_TREE_STEP: u64 = 150;

    /// A budget for models of up to `n_trees` trees of depth up to `max_depth`.
    pub fn for_model_shape(n_trees: usize, max_depth: usize) -> FuelBudget {
        let steps = (n_trees as u64).saturating_mul(max_depth as u64);
        FuelBudget {
            per_shot: Self::FEATURE_FUEL_PER_SHOT
                .saturating_add(steps.saturating_mul(Self::FUEL_PER_TREE_STEP)),
            ..FuelBudget::default()
        }
    }

    /// The budget for scoring `n_shots` shots in one call.
    pub fn for_batch(&self, n_shots: usize) -> u64 {
        self.per_call
            .saturating_add(self.per_shot.saturating_mul(n_shots as u64))
    }

    /// The budget for loading a model of `n_bytes` bytes.
    pub fn for_model_bytes(&self, n_bytes: usize) -> u64 {
        let padding = self
            .per_padded_split
            .saturating_mul(scorer::model::MAX_PADDED_SPLITS as u64);
        self.per_call
            .saturating_add(self.per_model_byte.saturating_mul(n_bytes as u64))
            .saturating_add(padding)
    }
}

impl Default for FuelBudget {
    /// Room for models of up to 2,000 trees of depth 8 (2.4 million fuel per shot) and for
    /// loading them (measured with scorer.wasm built with `relaxed-simd`, which builds two
    /// evaluation layouts at load: 80 fuel per model byte for 2,000 trees of depth 8, 91 for
    /// 300 of depth 6, 122 for 100,000 stumps).
    fn default() -> Self {
        FuelBudget {
            per_call: 1_000_000,
            per_shot: Self::FEATURE_FUEL_PER_SHOT + 2_000 * 8 * Self::FUEL_PER_TREE_STEP,
            per_model_byte: 300,
            per_padded_split: 200,
        }
    }
}

/// Limits every [`ScorerInstance`] runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostConfig {
    /// Largest size the guest's linear memory may grow to. A guest allocation beyond it fails
    /// inside the guest (the scorer then aborts, which is a trap).
    pub memory_limit_bytes: usize,
    /// Fuel for each call into the guest.
    pub fuel: FuelBudget,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            memory_limit_bytes: 64 << 20,
            fuel: FuelBudget::default(),
        }
    }
}

/// Why a call into the guest failed as a whole. Per-shot rejections are not errors: see
/// [`Rejected`].
#[derive(Debug)]
#[non_exhaustive]
pub enum GuestError {
    /// wasmtime could not create the engine, compile or deserialize the module, or
    /// instantiate it (for instance when its initial memory exceeds the limit).
    Setup {
        context: &'static str,
        source: wasmtime::Error,
    },
    /// The module lacks an export this host needs, or it has another type.
    MissingExport { name: &'static str, reason: String },
    /// The guest speaks another ABI version.
    AbiMismatch { host: u32, guest: u32 },
    /// The guest's flat shot size or feature count differ from this host's `scorer` crate.
    LayoutMismatch {
        what: &'static str,
        host: u64,
        guest: u64,
    },
    /// The guest computes a different feature table than this host's `scorer` crate.
    FeatureSetMismatch { host: u64, guest: u64 },
    /// The guest refused the model bytes; the message is the scorer's own. The previously
    /// loaded model, if any, is still in use.
    ModelRefused(String),
    /// Scoring was asked for before any model was loaded.
    NoModel,
    /// A model larger than the guest's 32-bit address space.
    ModelTooLarge { n_bytes: usize },
    /// A batch whose buffers do not fit the guest's 32-bit address space.
    BatchTooLarge { n_shots: usize },
    /// The guest could not allocate a buffer of this size (see
    /// [`HostConfig::memory_limit_bytes`]).
    OutOfGuestMemory { requested_bytes: usize },
    /// The call used up its fuel budget. The instance must be re-created.
    OutOfFuel { budget: u64 },
    /// The guest trapped. The instance must be re-created.
    Trap { trap: Option<Trap>, message: String },
    /// A guest call returned an error status this host does not know.
    GuestStatus {
        call: &'static str,
        code: i32,
        message: String,
    },
    /// The guest's output breaks a promise of the ABI (a region outside its memory, a count
    /// that does not match the statuses, an xG outside (0, 1)).
    BadGuestOutput(String),
    /// An earlier call trapped or ran out of fuel; [`ScorerInstance::recreate`] first.
    Poisoned,
}

impl GuestError {
    /// Whether the instance that returned this error must be re-created before further use.
    pub fn needs_new_instance(&self) -> bool {
        matches!(
            self,
            GuestError::OutOfFuel { .. }
                | GuestError::Trap { .. }
                | GuestError::Poisoned
                | GuestError::BadGuestOutput(_)
        )
    }

    fn setup(context: &'static str) -> impl FnOnce(wasmtime::Error) -> GuestError {
        move |source| GuestError::Setup { context, source }
    }
}

impl fmt::Display for GuestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GuestError::Setup { context, source } => write!(f, "{context}: {source:#}"),
            GuestError::MissingExport { name, reason } => {
                write!(f, "scorer.wasm export `{name}` is unusable: {reason}")
            }
            GuestError::AbiMismatch { host, guest } => write!(
                f,
                "scorer.wasm speaks ABI version {guest}, this host speaks version {host}"
            ),
            GuestError::LayoutMismatch { what, host, guest } => write!(
                f,
                "scorer.wasm has {what} = {guest}, this host's scorer crate has {host}"
            ),
            GuestError::FeatureSetMismatch { host, guest } => write!(
                f,
                "scorer.wasm has feature set {guest:#018x}, this host's scorer crate has {host:#018x}"
            ),
            GuestError::ModelRefused(message) => write!(f, "the scorer refused the model: {message}"),
            GuestError::NoModel => write!(f, "no model is loaded"),
            GuestError::ModelTooLarge { n_bytes } => {
                write!(f, "a {n_bytes}-byte model does not fit in guest memory")
            }
            GuestError::BatchTooLarge { n_shots } => {
                write!(f, "a batch of {n_shots} shots does not fit in guest memory")
            }
            GuestError::OutOfGuestMemory { requested_bytes } => write!(
                f,
                "the guest could not allocate {requested_bytes} bytes (memory limit reached)"
            ),
            GuestError::OutOfFuel { budget } => {
                write!(f, "the guest call used up its budget of {budget} fuel")
            }
            GuestError::Trap { message, .. } => write!(f, "the guest trapped: {message}"),
            GuestError::GuestStatus {
                call,
                code,
                message,
            } => write!(f, "{call} returned status {code}: {message}"),
            GuestError::BadGuestOutput(what) => write!(f, "bad output from the guest: {what}"),
            GuestError::Poisoned => write!(
                f,
                "the guest instance trapped earlier and must be re-created before use"
            ),
        }
    }
}

impl std::error::Error for GuestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            GuestError::Setup { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// A shot the scorer rejected: a per-record outcome, not a failure of the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    /// Position of the shot in its batch.
    pub index: usize,
    /// The scorer's `ShotError::code` (1 not finite, 2 off pitch, 3 time gap out of range,
    /// 4 unknown value, 5 bad length).
    pub code: u32,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "shot {} rejected by the scorer (error code {})",
            self.index, self.code
        )
    }
}

impl std::error::Error for Rejected {}

/// The outcome of one scoring call, reusable across calls to avoid allocating.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scores {
    include_features: bool,
    xg: Vec<f32>,
    status: Vec<u32>,
    features: Vec<FeatureRow>,
    first_rejection: Option<String>,
}

impl Scores {
    /// Scores without feature rows.
    pub fn new() -> Scores {
        Scores::default()
    }

    /// Scores that also carry each shot's feature row as the guest computed it.
    pub fn with_features() -> Scores {
        Scores {
            include_features: true,
            ..Scores::default()
        }
    }

    /// Number of shots in the batch.
    pub fn len(&self) -> usize {
        self.xg.len()
    }

    pub fn is_empty(&self) -> bool {
        self.xg.is_empty()
    }

    /// The outcome for shot `index`: its xG, or why it was rejected.
    pub fn get(&self, index: usize) -> Option<Result<f32, Rejected>> {
        let (&xg, &code) = self.xg.get(index).zip(self.status.get(index))?;
        Some(if code == 0 {
            Ok(xg)
        } else {
            Err(Rejected { index, code })
        })
    }

    /// Every shot's outcome, in batch order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Result<f32, Rejected>> + '_ {
        self.xg
            .iter()
            .zip(&self.status)
            .enumerate()
            .map(|(index, (&xg, &code))| {
                if code == 0 {
                    Ok(xg)
                } else {
                    Err(Rejected { index, code })
                }
            })
    }

    /// The raw xG values; NaN for rejected shots.
    pub fn xg(&self) -> &[f32] {
        &self.xg
    }

    /// The raw statuses: 0, or the rejection code.
    pub fn statuses(&self) -> &[u32] {
        &self.status
    }

    /// Feature rows (NaN rows for rejected shots), if these scores were made
    /// [`with_features`](Scores::with_features).
    pub fn features(&self) -> Option<&[FeatureRow]> {
        self.include_features.then_some(self.features.as_slice())
    }

    pub fn n_rejected(&self) -> usize {
        self.status.iter().filter(|&&s| s != 0).count()
    }

    /// The scorer's message for the first rejected shot ("shot 3: body_part has unknown
    /// value 9").
    pub fn first_rejection(&self) -> Option<&str> {
        self.first_rejection.as_deref()
    }

    fn clear(&mut self) {
        self.xg.clear();
        self.status.clear();
        self.features.clear();
        self.first_rejection = None;
    }
}

/// The wasmtime configuration; precompiled bytes only load into an engine configured alike.
fn engine_config() -> Config {
    let mut config = Config::new();
    config
        .cranelift_nan_canonicalization(true)
        .consume_fuel(true);
    config
}

/// Per-process part of the host: engine, compiled module, pre-linked instance template.
#[derive(Clone)]
pub struct ScorerEngine {
    pre: InstancePre<GuestState>,
    config: HostConfig,
}

impl fmt::Debug for ScorerEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScorerEngine")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ScorerEngine {
    /// Compiles the embedded [`SCORER_WASM`] with Cranelift (tens of milliseconds).
    pub fn new(config: HostConfig) -> Result<ScorerEngine, GuestError> {
        let engine = Engine::new(&engine_config()).map_err(GuestError::setup("creating engine"))?;
        let module = Module::new(&engine, SCORER_WASM)
            .map_err(GuestError::setup("compiling scorer.wasm"))?;
        ScorerEngine::with_module(module, config)
    }

    /// Compiles the embedded [`SCORER_WASM`] to native code for this machine and this build of
    /// wasmtime, for [`ScorerEngine::from_precompiled`] (a `.cwasm` file).
    pub fn precompile() -> Result<Vec<u8>, GuestError> {
        let engine = Engine::new(&engine_config()).map_err(GuestError::setup("creating engine"))?;
        engine
            .precompile_module(SCORER_WASM)
            .map_err(GuestError::setup("precompiling scorer.wasm"))
    }

    /// [`ScorerEngine::precompile`] for another target triple (e.g.
    /// `aarch64-unknown-linux-gnu` for an arm64 Lambda), from any build machine. Other
    /// architectures need Cranelift's backends for them: build with the `cross-precompile`
    /// feature.
    pub fn precompile_for(target: &str) -> Result<Vec<u8>, GuestError> {
        let mut config = engine_config();
        config
            .target(target)
            .map_err(GuestError::setup("choosing the precompile target"))?;
        let engine = Engine::new(&config).map_err(GuestError::setup("creating engine"))?;
        engine
            .precompile_module(SCORER_WASM)
            .map_err(GuestError::setup("precompiling scorer.wasm"))
    }

    /// Loads a module precompiled by [`ScorerEngine::precompile`] (well under a millisecond).
    ///
    /// wasmtime itself refuses bytes from another wasmtime version or an incompatible engine
    /// configuration with an error ([`GuestError::Setup`]).
    ///
    /// # Safety
    ///
    /// `cwasm` is native code that runs as it is: it must be the unmodified output of
    /// [`ScorerEngine::precompile`], made by the project's own build (the same artifact this
    /// host was released with), never bytes from an untrusted source. Code compiled by
    /// wasmtime from wasm keeps the sandbox's guarantees; arbitrary bytes do not.
    pub unsafe fn from_precompiled(
        cwasm: &[u8],
        config: HostConfig,
    ) -> Result<ScorerEngine, GuestError> {
        let engine = Engine::new(&engine_config()).map_err(GuestError::setup("creating engine"))?;
        // SAFETY: the caller guarantees that `cwasm` came from `precompile` (see above).
        let module = unsafe { Module::deserialize(&engine, cwasm) }
            .map_err(GuestError::setup("loading precompiled scorer.wasm"))?;
        ScorerEngine::with_module(module, config)
    }

    fn with_module(module: Module, config: HostConfig) -> Result<ScorerEngine, GuestError> {
        // scorer.wasm imports nothing: an empty linker rejects any module that does.
        let linker = Linker::new(module.engine());
        let pre = linker
            .instantiate_pre(&module)
            .map_err(GuestError::setup("linking scorer.wasm"))?;
        Ok(ScorerEngine { pre, config })
    }

    /// The same compiled module under other limits (no recompilation).
    pub fn with_config(&self, config: HostConfig) -> ScorerEngine {
        ScorerEngine {
            pre: self.pre.clone(),
            config,
        }
    }

    /// A new guest instance with no model loaded. Checks the ABI version, the flat shot size,
    /// the feature count and the feature-set id against this host's `scorer` crate.
    pub fn instantiate(&self) -> Result<ScorerInstance, GuestError> {
        ScorerInstance::start(self.pre.clone(), self.config)
    }

    pub fn engine(&self) -> &Engine {
        self.pre.module().engine()
    }

    pub fn module(&self) -> &Module {
        self.pre.module()
    }

    pub fn config(&self) -> &HostConfig {
        &self.config
    }
}

/// What the [`Store`] carries for the host.
struct GuestState {
    limits: StoreLimits,
}

/// Typed handles to the guest's exports.
struct Exports {
    abi_version: TypedFunc<(), u32>,
    n_features: TypedFunc<(), u32>,
    feature_set_id: TypedFunc<(), u64>,
    shot_bytes: TypedFunc<(), u32>,
    alloc: TypedFunc<u32, u32>,
    free: TypedFunc<(u32, u32), ()>,
    load_model: TypedFunc<(u32, u32), i32>,
    score_batch: TypedFunc<(u32, u32, u32, u32, u32), i32>,
    last_error_ptr: TypedFunc<(), u32>,
    last_error_len: TypedFunc<(), u32>,
}

/// The reusable guest buffer for batches: `capacity` flat shots, then `capacity` xG values,
/// statuses and feature rows.
#[derive(Debug, Clone, Copy)]
struct IoBuffer {
    ptr: u32,
    capacity: usize,
}

impl IoBuffer {
    fn bytes(capacity: usize) -> Option<u32> {
        capacity
            .checked_mul(SLOT_BYTES)
            .and_then(|b| u32::try_from(b).ok())
    }
    fn offset(&self, shots_before: usize, bytes_per_shot: usize) -> u32 {
        // Cannot overflow: the whole buffer's size fitted in a u32 when it was allocated.
        self.ptr + (shots_before * bytes_per_shot) as u32
    }
    fn shots(&self) -> u32 {
        self.ptr
    }
    fn xg(&self) -> u32 {
        self.offset(self.capacity, FLAT_SHOT_BYTES)
    }
    fn status(&self) -> u32 {
        self.xg() + (self.capacity * 4) as u32
    }
    fn features(&self) -> u32 {
        self.status() + (self.capacity * 4) as u32
    }
}

fn range(ptr: u32, len: usize) -> Range<usize> {
    ptr as usize..ptr as usize + len
}

fn le_words(bytes: &[u8]) -> impl Iterator<Item = [u8; 4]> + '_ {
    bytes.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]])
}

/// One guest instance: its store (memory cap, fuel), typed exports and I/O buffer.
pub struct ScorerInstance {
    pre: InstancePre<GuestState>,
    config: HostConfig,
    store: Store<GuestState>,
    memory: Memory,
    exports: Exports,
    io: Option<IoBuffer>,
    /// The last model the guest accepted, reloaded by [`ScorerInstance::recreate`].
    model: Option<Arc<[u8]>>,
    poisoned: bool,
    last_fuel_used: u64,
}

impl fmt::Debug for ScorerInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScorerInstance")
            .field("config", &self.config)
            .field("io_capacity_shots", &self.io.map_or(0, |io| io.capacity))
            .field("model_bytes", &self.model.as_ref().map(|m| m.len()))
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

impl ScorerInstance {
    fn start(pre: InstancePre<GuestState>, config: HostConfig) -> Result<Self, GuestError> {
        let limits = StoreLimitsBuilder::new()
            .memory_size(config.memory_limit_bytes)
            .memories(1)
            .tables(1)
            .instances(1)
            .build();
        let mut store = Store::new(pre.module().engine(), GuestState { limits });
        store.limiter(|state| &mut state.limits);
        store
            .set_fuel(config.fuel.per_call)
            .map_err(GuestError::setup("setting fuel"))?;
        let instance = pre
            .instantiate(&mut store)
            .map_err(GuestError::setup("instantiating scorer.wasm"))?;
        let memory =
            instance
                .get_memory(&mut store, "memory")
                .ok_or_else(|| GuestError::MissingExport {
                    name: "memory",
                    reason: "no exported memory".into(),
                })?;
        macro_rules! typed {
            ($name:literal) => {
                instance.get_typed_func(&mut store, $name).map_err(|e| {
                    GuestError::MissingExport {
                        name: $name,
                        reason: format!("{e:#}"),
                    }
                })?
            };
        }
        let exports = Exports {
            abi_version: typed!("xg_abi_version"),
            n_features: typed!("xg_n_features"),
            feature_set_id: typed!("xg_feature_set_id"),
            shot_bytes: typed!("xg_shot_bytes"),
            alloc: typed!("xg_alloc"),
            free: typed!("xg_free"),
            load_model: typed!("xg_load_model"),
            score_batch: typed!("xg_score_batch"),
            last_error_ptr: typed!("xg_last_error_ptr"),
            last_error_len: typed!("xg_last_error_len"),
        };
        let mut instance = ScorerInstance {
            pre,
            config,
            store,
            memory,
            exports,
            io: None,
            model: None,
            poisoned: false,
            last_fuel_used: 0,
        };
        instance.check_abi()?;
        Ok(instance)
    }

    fn check_abi(&mut self) -> Result<(), GuestError> {
        let fuel = self.config.fuel.per_call;
        let guest = self.call(|e| &e.abi_version, (), fuel)?;
        if guest != SUPPORTED_ABI_VERSION {
            return Err(GuestError::AbiMismatch {
                host: SUPPORTED_ABI_VERSION,
                guest,
            });
        }
        let shot_bytes = self.call(|e| &e.shot_bytes, (), fuel)?;
        if shot_bytes as usize != FLAT_SHOT_BYTES {
            return Err(GuestError::LayoutMismatch {
                what: "xg_shot_bytes",
                host: FLAT_SHOT_BYTES as u64,
                guest: shot_bytes.into(),
            });
        }
        let n_features = self.call(|e| &e.n_features, (), fuel)?;
        if n_features as usize != N_FEATURES {
            return Err(GuestError::LayoutMismatch {
                what: "xg_n_features",
                host: N_FEATURES as u64,
                guest: n_features.into(),
            });
        }
        let set_id = self.call(|e| &e.feature_set_id, (), fuel)?;
        if set_id != FEATURE_SET_ID {
            return Err(GuestError::FeatureSetMismatch {
                host: FEATURE_SET_ID,
                guest: set_id,
            });
        }
        Ok(())
    }

    /// Replaces this instance with a fresh one from the same [`InstancePre`] and reloads the
    /// last model the guest accepted. Use after an error for which
    /// [`GuestError::needs_new_instance`] is true.
    pub fn recreate(&mut self) -> Result<(), GuestError> {
        let model = self.model.clone();
        *self = ScorerInstance::start(self.pre.clone(), self.config)?;
        if let Some(model) = model {
            self.load_model(model)?;
        }
        Ok(())
    }

    /// Whether an earlier call trapped, so that only [`ScorerInstance::recreate`] helps.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// Fuel used by the guest's work in the most recent model load or scoring call (the
    /// `xg_load_model` or `xg_score_batch` call itself, without allocation and error reads).
    pub fn last_fuel_used(&self) -> u64 {
        self.last_fuel_used
    }

    pub fn fuel_budget(&self) -> FuelBudget {
        self.config.fuel
    }

    /// Sets the fuel budget for later calls (e.g. [`FuelBudget::for_model_shape`] after
    /// loading a large model).
    pub fn set_fuel_budget(&mut self, fuel: FuelBudget) {
        self.config.fuel = fuel;
    }

    /// Current size of the guest's linear memory.
    pub fn guest_memory_bytes(&self) -> usize {
        self.memory.data_size(&self.store)
    }

    /// Calls one export with a fresh fuel budget; a trap poisons the instance.
    fn call<P, R>(
        &mut self,
        export: fn(&Exports) -> &TypedFunc<P, R>,
        params: P,
        fuel: u64,
    ) -> Result<R, GuestError>
    where
        P: WasmParams,
        R: WasmResults,
    {
        if self.poisoned {
            return Err(GuestError::Poisoned);
        }
        self.store
            .set_fuel(fuel)
            .map_err(GuestError::setup("setting fuel"))?;
        let result = export(&self.exports).call(&mut self.store, params);
        self.last_fuel_used = fuel.saturating_sub(self.store.get_fuel().unwrap_or(0));
        result.map_err(|error| {
            self.poisoned = true;
            match error.downcast_ref::<Trap>() {
                Some(Trap::OutOfFuel) => GuestError::OutOfFuel { budget: fuel },
                trap => GuestError::Trap {
                    trap: trap.copied(),
                    message: format!("{error:#}"),
                },
            }
        })
    }

    /// Guest-allocates `n_bytes`, checking that the region lies inside guest memory.
    fn alloc(&mut self, n_bytes: u32) -> Result<u32, GuestError> {
        let ptr = self.call(|e| &e.alloc, n_bytes, self.config.fuel.per_call)?;
        if ptr == 0 {
            return Err(GuestError::OutOfGuestMemory {
                requested_bytes: n_bytes as usize,
            });
        }
        if (ptr as usize).saturating_add(n_bytes as usize) > self.guest_memory_bytes() {
            return Err(GuestError::BadGuestOutput(format!(
                "xg_alloc({n_bytes}) returned {ptr:#x}, outside guest memory"
            )));
        }
        Ok(ptr)
    }

    fn free(&mut self, ptr: u32, n_bytes: u32) -> Result<(), GuestError> {
        self.call(|e| &e.free, (ptr, n_bytes), self.config.fuel.per_call)
    }

    /// The guest's last error message.
    fn last_error(&mut self) -> Result<String, GuestError> {
        let fuel = self.config.fuel.per_call;
        let ptr = self.call(|e| &e.last_error_ptr, (), fuel)?;
        let len = self.call(|e| &e.last_error_len, (), fuel)?;
        if len == 0 {
            // An empty message has a dangling (but harmless) pointer: do not look at it.
            return Ok(String::new());
        }
        match self.memory.data(&self.store).get(range(ptr, len as usize)) {
            Some(bytes) => Ok(String::from_utf8_lossy(bytes).into_owned()),
            None => Err(GuestError::BadGuestOutput(format!(
                "last error at {ptr:#x}+{len} lies outside guest memory"
            ))),
        }
    }

    /// Loads model bytes into the guest; on success they replace the current model, on
    /// [`GuestError::ModelRefused`] the current model stays in use.
    ///
    /// Accepts anything that converts into `Arc<[u8]>` (`Vec<u8>`, `&[u8]`, an `Arc` shared by
    /// several instances); the bytes are kept so that [`ScorerInstance::recreate`] can reload
    /// them.
    pub fn load_model(&mut self, model: impl Into<Arc<[u8]>>) -> Result<(), GuestError> {
        let result = self.load_model_inner(model.into());
        self.poison_on(result)
    }

    fn load_model_inner(&mut self, model: Arc<[u8]>) -> Result<(), GuestError> {
        let n_bytes = u32::try_from(model.len()).map_err(|_| GuestError::ModelTooLarge {
            n_bytes: model.len(),
        })?;
        let ptr = self.alloc(n_bytes)?;
        self.memory
            .write(&mut self.store, ptr as usize, &model)
            .map_err(|_| GuestError::BadGuestOutput("model buffer outside guest memory".into()))?;
        let fuel = self.config.fuel.for_model_bytes(model.len());
        let status = self.call(|e| &e.load_model, (ptr, n_bytes), fuel)?;
        let load_fuel_used = self.last_fuel_used;
        self.free(ptr, n_bytes)?;
        self.last_fuel_used = load_fuel_used;
        match status {
            0 => {
                self.model = Some(model);
                Ok(())
            }
            STATUS_MODEL_REFUSED => Err(GuestError::ModelRefused(self.last_error()?)),
            code => Err(GuestError::GuestStatus {
                call: "xg_load_model",
                code,
                message: self.last_error()?,
            }),
        }
    }

    /// Whether a model has been loaded successfully.
    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }

    /// Scores `shots` into a new [`Scores`] (without feature rows).
    pub fn score(&mut self, shots: &[Shot]) -> Result<Scores, GuestError> {
        let mut out = Scores::new();
        self.score_into(shots, &mut out)?;
        Ok(out)
    }

    /// Scores `shots` into `out`, replacing its contents; feature rows are included when `out`
    /// was made with [`Scores::with_features`].
    pub fn score_into(&mut self, shots: &[Shot], out: &mut Scores) -> Result<(), GuestError> {
        let result = self
            .write_shots(shots.len(), |dst| {
                for (slot, shot) in dst.chunks_exact_mut(FLAT_SHOT_BYTES).zip(shots) {
                    slot.copy_from_slice(&shot.to_flat());
                }
            })
            .and_then(|()| self.run_batch(shots.len(), out));
        self.poison_on(result)
    }

    /// Scores records already in the flat layout (as a producer sent them); invalid records
    /// come back as [`Rejected`].
    pub fn score_flat_into(
        &mut self,
        shots: &[[u8; FLAT_SHOT_BYTES]],
        out: &mut Scores,
    ) -> Result<(), GuestError> {
        let result = self
            .write_shots(shots.len(), |dst| {
                for (slot, shot) in dst.chunks_exact_mut(FLAT_SHOT_BYTES).zip(shots) {
                    slot.copy_from_slice(shot);
                }
            })
            .and_then(|()| self.run_batch(shots.len(), out));
        self.poison_on(result)
    }

    /// Marks the instance unusable after an error that leaves the guest in an unknown state.
    fn poison_on<T>(&mut self, result: Result<T, GuestError>) -> Result<T, GuestError> {
        if let Err(e) = &result {
            if e.needs_new_instance() {
                self.poisoned = true;
            }
        }
        result
    }

    /// Makes room for `n` shots in the I/O buffer and lets `fill` write their flat records.
    fn write_shots(&mut self, n: usize, fill: impl FnOnce(&mut [u8])) -> Result<(), GuestError> {
        if self.poisoned {
            return Err(GuestError::Poisoned);
        }
        let io = self.io_buffer(n)?;
        let dst = self
            .memory
            .data_mut(&mut self.store)
            .get_mut(range(io.shots(), n * FLAT_SHOT_BYTES))
            .ok_or_else(|| GuestError::BadGuestOutput("I/O buffer outside guest memory".into()))?;
        fill(dst);
        Ok(())
    }

    /// The I/O buffer, grown (at least doubled) when it holds fewer than `n` shots.
    fn io_buffer(&mut self, n: usize) -> Result<IoBuffer, GuestError> {
        if let Some(io) = self.io {
            if io.capacity >= n {
                return Ok(io);
            }
        }
        let old_capacity = self.io.map_or(0, |io| io.capacity);
        let capacity = n
            .max(old_capacity.saturating_mul(2))
            .max(MIN_CAPACITY_SHOTS);
        let n_bytes = IoBuffer::bytes(capacity)
            .or_else(|| IoBuffer::bytes(n))
            .ok_or(GuestError::BatchTooLarge { n_shots: n })?;
        let capacity = n_bytes as usize / SLOT_BYTES;
        if let Some(old) = self.io.take() {
            let old_bytes = IoBuffer::bytes(old.capacity).unwrap_or(0);
            self.free(old.ptr, old_bytes)?;
        }
        let ptr = self.alloc(n_bytes)?;
        let io = IoBuffer { ptr, capacity };
        self.io = Some(io);
        Ok(io)
    }

    /// Calls `xg_score_batch` on the first `n` shots of the I/O buffer and reads the results.
    fn run_batch(&mut self, n: usize, out: &mut Scores) -> Result<(), GuestError> {
        out.clear();
        if n == 0 {
            return Ok(());
        }
        let io = self
            .io
            .ok_or_else(|| GuestError::BadGuestOutput("no I/O buffer".into()))?;
        let features_ptr = if out.include_features {
            io.features()
        } else {
            0
        };
        let fuel = self.config.fuel.for_batch(n);
        // `n` fits in u32: the buffer holding `n` shots does.
        let args = (io.shots(), n as u32, io.xg(), io.status(), features_ptr);
        let rejected = self.call(|e| &e.score_batch, args, fuel)?;
        if rejected < 0 {
            let message = self.last_error()?;
            return Err(match rejected {
                STATUS_NO_MODEL => GuestError::NoModel,
                code => GuestError::GuestStatus {
                    call: "xg_score_batch",
                    code,
                    message,
                },
            });
        }

        let memory = self.memory.data(&self.store);
        let region = |ptr: u32, len: usize| {
            memory.get(range(ptr, len)).ok_or_else(|| {
                GuestError::BadGuestOutput("output buffer outside guest memory".into())
            })
        };
        out.xg
            .extend(le_words(region(io.xg(), n * 4)?).map(f32::from_le_bytes));
        out.status
            .extend(le_words(region(io.status(), n * 4)?).map(u32::from_le_bytes));
        if out.include_features {
            let bytes = region(io.features(), n * FEATURE_ROW_BYTES)?;
            out.features
                .extend(bytes.chunks_exact(FEATURE_ROW_BYTES).map(|row_bytes| {
                    let mut row = [0.0; N_FEATURES];
                    for (v, w) in row.iter_mut().zip(le_words(row_bytes)) {
                        *v = f32::from_le_bytes(w);
                    }
                    row
                }));
        }

        let n_rejected = out.n_rejected();
        if n_rejected != rejected as usize {
            return Err(GuestError::BadGuestOutput(format!(
                "xg_score_batch reported {rejected} rejected shots, statuses say {n_rejected}"
            )));
        }
        if let Some(i) = out
            .iter()
            .position(|r| r.is_ok_and(|xg| !(xg > 0.0 && xg < 1.0)))
        {
            return Err(GuestError::BadGuestOutput(format!(
                "shot {i} scored {} (outside (0, 1))",
                out.xg[i]
            )));
        }
        if n_rejected > 0 {
            let score_fuel_used = self.last_fuel_used;
            out.first_rejection = Some(self.last_error()?);
            self.last_fuel_used = score_fuel_used;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuel_budgets_scale_and_saturate() {
        let fuel = FuelBudget {
            per_call: 100,
            per_shot: 10,
            per_model_byte: 2,
            per_padded_split: 0,
        };
        assert_eq!(fuel.for_batch(0), 100);
        assert_eq!(fuel.for_batch(7), 170);
        assert_eq!(fuel.for_model_bytes(50), 200);
        let padded = FuelBudget {
            per_padded_split: 3,
            ..fuel
        };
        assert_eq!(
            padded.for_model_bytes(50),
            200 + 3 * scorer::model::MAX_PADDED_SPLITS as u64
        );
        let huge = FuelBudget::for_model_shape(usize::MAX, usize::MAX);
        assert_eq!(huge.per_shot, u64::MAX);
        assert_eq!(huge.for_batch(usize::MAX), u64::MAX);
        let shaped = FuelBudget::for_model_shape(300, 6);
        assert_eq!(
            shaped.per_shot,
            FuelBudget::FEATURE_FUEL_PER_SHOT + 1_800 * FuelBudget::FUEL_PER_TREE_STEP
        );
    }

    #[test]
    fn io_buffer_regions_are_disjoint_and_fill_the_allocation() {
        let io = IoBuffer {
            ptr: 1024,
            capacity: 10,
        };
        assert_eq!(io.xg(), io.shots() + 10 * FLAT_SHOT_BYTES as u32);
        assert_eq!(io.status(), io.xg() + 40);
        assert_eq!(io.features(), io.status() + 40);
        let end = io.features() as usize + 10 * FEATURE_ROW_BYTES;
        assert_eq!(end - io.ptr as usize, IoBuffer::bytes(10).unwrap() as usize);
        assert_eq!(IoBuffer::bytes(usize::MAX / 2), None);
    }

    #[test]
    fn scores_report_per_record_outcomes() {
        let scores = Scores {
            include_features: false,
            xg: vec![0.25, f32::NAN, 0.5],
            status: vec![0, 4, 0],
            features: vec![],
            first_rejection: Some("shot 1: body_part has unknown value 9".into()),
        };
        assert_eq!(scores.len(), 3);
        assert_eq!(scores.n_rejected(), 1);
        assert_eq!(scores.get(0), Some(Ok(0.25)));
        assert_eq!(scores.get(1), Some(Err(Rejected { index: 1, code: 4 })));
        assert_eq!(scores.get(3), None);
        let outcomes: Vec<_> = scores.iter().collect();
        assert_eq!(outcomes[2], Ok(0.5));
        assert_eq!(scores.features(), None);
        assert!(Scores::with_features().features().is_some());
    }
}
