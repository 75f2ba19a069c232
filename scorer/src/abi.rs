//! The plain exports of `scorer.wasm`: no imports, no wasm-bindgen, only integers and floats
//! across the boundary. `docs/WASM_ABI.md` is the host's guide; in short:
//!
//! 1. `xg_alloc(len) -> ptr` reserves guest memory, `xg_free(ptr, len)` returns it;
//! 2. `xg_load_model(ptr, len) -> status` parses model bytes written at `ptr`;
//! 3. `xg_score_batch(shots, n, out_xg, out_status, out_features) -> n_rejected` scores `n`
//!    shots in the flat 32-byte layout ([`crate::shot::FLAT_SHOT_BYTES`]);
//! 4. `xg_last_error_ptr()` / `xg_last_error_len()` read the last error message (UTF-8).
//!
//! Every pointer and length the host passes is checked against the guest's memory size, so a
//! bad argument is an error code, not undefined behaviour; `xg_free` frees only what
//! `xg_alloc` handed out and ignores anything else. A zero-length buffer may be any pointer
//! (0 included): nothing is read or written there.

/// Version of this export set; bumped on any incompatible change.
pub const ABI_VERSION: u32 = 1;

/// Status: success.
pub const OK: i32 = 0;
/// Status: the model bytes were refused (see the last error).
pub const ERR_MODEL: i32 = -1;
/// Status: no model is loaded yet.
pub const ERR_NO_MODEL: i32 = -2;
/// Status: a pointer/length pair lies outside guest memory.
pub const ERR_BOUNDS: i32 = -3;

/// The exports themselves (compiled into `scorer.wasm` only).
#[cfg(all(target_arch = "wasm32", not(feature = "js")))]
mod exports {
    use super::*;
    use crate::features::{self, FeatureRow, FEATURE_SET_ID, N_FEATURES};
    use crate::model::Model;
    use crate::shot::{Shot, FLAT_SHOT_BYTES};
    use std::alloc::{alloc, dealloc, Layout};
    use std::cell::RefCell;

    #[derive(Default)]
    struct State {
        model: Option<Model>,
        last_error: String,
        rows: Vec<FeatureRow>,
        codes: Vec<u32>,
        xg: Vec<f32>,
        /// What `xg_alloc` handed out and is not freed yet: (address, length asked for). A
        /// list, not a map: hosts keep a few buffers, and a map's code would grow the module
        /// by a tenth.
        live: Vec<(u32, u32)>,
    }

    thread_local! {
        static STATE: RefCell<State> = RefCell::new(State::default());
    }

    const ALIGN: usize = 8;

    fn memory_bytes() -> usize {
        core::arch::wasm32::memory_size(0) * 65536
    }

    /// A checked view of guest memory. `None` when `[ptr, ptr + len)` is not inside memory
    /// (or starts at 0). An empty region is always `Some`: nothing is read or written there.
    fn region(ptr: u32, len: usize) -> Option<(usize, usize)> {
        if len == 0 {
            return Some((ptr as usize, 0));
        }
        let start = ptr as usize;
        let end = start.checked_add(len)?;
        (start != 0 && end <= memory_bytes()).then_some((start, len))
    }

    /// The bytes of a region [`region`] checked.
    ///
    /// # Safety
    /// The host has written the region, and nothing else refers to it while the slice lives.
    unsafe fn bytes_of<'a>((start, len): (usize, usize)) -> &'a [u8] {
        if len == 0 {
            return &[];
        }
        // SAFETY: a non-empty checked region is inside linear memory and does not start at 0.
        unsafe { core::slice::from_raw_parts(start as *const u8, len) }
    }

    /// Writes bytes at a checked guest address without forming a reference to the destination.
    fn write_le(addr: usize, bytes: &[u8; 4]) {
        // SAFETY: callers pass addresses inside regions checked by `region`.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, 4) }
    }

    fn fail(code: i32, message: String) -> i32 {
        STATE.with(|s| s.borrow_mut().last_error = message);
        code
    }

    /// The ABI version ([`ABI_VERSION`]).
    #[no_mangle]
    pub extern "C" fn xg_abi_version() -> u32 {
        ABI_VERSION
    }

    /// Number of features in a row.
    #[no_mangle]
    pub extern "C" fn xg_n_features() -> u32 {
        N_FEATURES as u32
    }

    /// The feature-set id (u64 bits).
    #[no_mangle]
    pub extern "C" fn xg_feature_set_id() -> u64 {
        FEATURE_SET_ID
    }

    /// Size of one shot in the flat layout.
    #[no_mangle]
    pub extern "C" fn xg_shot_bytes() -> u32 {
        FLAT_SHOT_BYTES as u32
    }

    /// Allocates `len` bytes (8-aligned); 0 when out of memory.
    #[no_mangle]
    pub extern "C" fn xg_alloc(len: u32) -> u32 {
        let Ok(layout) = Layout::from_size_align(len.max(1) as usize, ALIGN) else {
            return 0;
        };
        // SAFETY: the layout has non-zero size.
        let ptr = unsafe { alloc(layout) } as usize as u32;
        if ptr != 0 {
            STATE.with(|s| s.borrow_mut().live.push((ptr, len)));
        }
        ptr
    }

    /// Frees memory from [`xg_alloc`], given the length it was allocated with. Anything else
    /// (a pointer it did not hand out, one already freed, another length) is left alone and
    /// described in the last error: freeing it would corrupt the allocator. 0 does nothing.
    #[no_mangle]
    pub extern "C" fn xg_free(ptr: u32, len: u32) {
        if ptr == 0 {
            return;
        }
        // Only what the live list holds is freed; anything else is named in the last error.
        let freed = STATE.with(|s| {
            let mut s = s.borrow_mut();
            let found = s.live.iter().position(|&(p, _)| p == ptr);
            match found {
                Some(k) if s.live[k].1 == len => {
                    s.live.swap_remove(k);
                    true
                }
                Some(k) => {
                    s.last_error = format!(
                        "xg_free({ptr}, {len}): that block was allocated with {} bytes; not freed",
                        s.live[k].1
                    );
                    false
                }
                None => {
                    s.last_error = format!(
                        "xg_free({ptr}, {len}): not a block xg_alloc handed out (or freed already)"
                    );
                    false
                }
            }
        });
        if freed {
            let layout = Layout::from_size_align(len.max(1) as usize, ALIGN)
                .expect("xg_alloc made this layout");
            // SAFETY: `ptr` came from `xg_alloc(len)` with this layout (the live list says so)
            // and is not freed yet (it has just left the list).
            unsafe { dealloc(ptr as usize as *mut u8, layout) }
        }
    }

    /// Parses the model written at `ptr..ptr+len` and makes it current. On error the previous
    /// model (if any) stays loaded.
    #[no_mangle]
    pub extern "C" fn xg_load_model(ptr: u32, len: u32) -> i32 {
        let Some(model_bytes) = region(ptr, len as usize) else {
            return fail(ERR_BOUNDS, "model bytes lie outside guest memory".into());
        };
        // SAFETY: the host wrote the region before calling, and only this call reads it.
        let bytes = unsafe { bytes_of(model_bytes) };
        match Model::parse(bytes) {
            Ok(model) => {
                STATE.with(|s| {
                    let mut s = s.borrow_mut();
                    s.model = Some(model);
                    s.last_error.clear();
                });
                OK
            }
            Err(e) => fail(ERR_MODEL, e.to_string()),
        }
    }

    /// Scores `n` flat shots at `shots`. Writes `n` f32 xG values to `out_xg` (NaN for a rejected
    /// shot), `n` u32 statuses to `out_status` (0, or the [`crate::ShotError::code`] of the
    /// rejection) and, unless `out_features` is 0, `n × xg_n_features()` f32 features.
    /// Returns the number of rejected shots, or a negative status. The last error describes the
    /// first rejected shot.
    #[no_mangle]
    pub extern "C" fn xg_score_batch(
        shots: u32,
        n: u32,
        out_xg: u32,
        out_status: u32,
        out_features: u32,
    ) -> i32 {
        let n = n as usize;
        let in_region = n
            .checked_mul(FLAT_SHOT_BYTES)
            .and_then(|l| region(shots, l));
        let xg_region = n.checked_mul(4).and_then(|l| region(out_xg, l));
        let status_region = n.checked_mul(4).and_then(|l| region(out_status, l));
        let feature_region = if out_features == 0 {
            Some((0, 0))
        } else {
            n.checked_mul(N_FEATURES * 4)
                .and_then(|l| region(out_features, l))
        };
        let (Some(input), Some(xg_out), Some(status_out), Some(feat_out)) =
            (in_region, xg_region, status_region, feature_region)
        else {
            return fail(ERR_BOUNDS, "a buffer lies outside guest memory".into());
        };
        STATE.with(|cell| {
            let state = &mut *cell.borrow_mut();
            let Some(model) = state.model.as_ref() else {
                state.last_error = "no model loaded".into();
                return ERR_NO_MODEL;
            };
            // SAFETY: the input region was checked to lie inside linear memory. It is only read
            // here, before any output is written, so overlapping buffers cannot alias a reference.
            let input = unsafe { bytes_of(input) };
            // The buffers only grow, and each call overwrites the first n entries: a clear
            // and refill would copy every feature row through a temporary and zero the
            // scores first, each a `memory.copy` or `memory.fill` (calls into the runtime in
            // wasmtime) per call.
            if state.rows.len() < n {
                state.rows.resize(n, [0.0; N_FEATURES]);
                state.codes.resize(n, 0);
                state.xg.resize(n, 0.0);
            }
            let (rows, codes, xg) = (
                &mut state.rows[..n],
                &mut state.codes[..n],
                &mut state.xg[..n],
            );
            let mut rejected = 0;
            let mut first_error = None;
            let records = input.chunks_exact(FLAT_SHOT_BYTES);
            for (i, ((rec, row), code)) in records.zip(&mut *rows).zip(&mut *codes).enumerate() {
                match Shot::from_flat(rec) {
                    Ok(shot) => {
                        *row = features::extract(&shot);
                        *code = 0;
                    }
                    Err(e) => {
                        rejected += 1;
                        first_error.get_or_insert_with(|| format!("shot {i}: {e}"));
                        // A placeholder row keeps indices aligned; its score is replaced by NaN.
                        *row = [f32::NAN; N_FEATURES];
                        *code = e.code();
                    }
                }
            }
            model.predict_batch(rows, xg);
            for ((v, &code), i) in xg.iter_mut().zip(&*codes).zip(0..) {
                if code != 0 {
                    *v = f32::NAN;
                }
                write_le(xg_out.0 + 4 * i, &v.to_le_bytes());
                write_le(status_out.0 + 4 * i, &code.to_le_bytes());
            }
            if feat_out.1 > 0 {
                for (row, i) in rows.iter().zip(0..) {
                    for (v, j) in row.iter().zip(0..) {
                        write_le(feat_out.0 + 4 * (i * N_FEATURES + j), &v.to_le_bytes());
                    }
                }
            }
            // The last error always describes this call: empty when every shot scored.
            state.last_error = first_error.unwrap_or_default();
            rejected
        })
    }

    /// Address of the last error message (UTF-8, [`xg_last_error_len`] bytes).
    #[no_mangle]
    pub extern "C" fn xg_last_error_ptr() -> u32 {
        STATE.with(|s| s.borrow().last_error.as_ptr() as usize as u32)
    }

    /// Length of the last error message in bytes.
    #[no_mangle]
    pub extern "C" fn xg_last_error_len() -> u32 {
        STATE.with(|s| s.borrow().last_error.len() as u32)
    }
}
