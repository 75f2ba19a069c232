//! The Leptos components (wasm32 only): the app shell with its navigation and error banner,
//! the analyst pitch, the match centre, the tables and the model card.
//!
//! Data arrive through [`AppData`] (signals in a context): the model and the data index are
//! fetched at start, a competition when a view first needs it. Tests build an [`AppData`]
//! with a model already loaded and mount single components with it.

use crate::data::{Competition, Index, ModelCard, Side};
use crate::score;
use crate::state::{
    self, body_part_label, clamp_to_half, kind_label, PitchShot, Route, View, CONTEXT_FLAGS,
};
use crate::stats;
use crate::surface;
use leptos::prelude::*;
use leptos::task::spawn_local;
use scorer::pitch::{self, Point};
use scorer::{BodyPart, Model, ShotKind};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Where the exported data live, relative to the page.
pub const DATA_URL: &str = "data/";

/// The data set's licence requires this wherever it or results from it are shown.
pub const ATTRIBUTION: &str = "Pappalardo, L., Cintia, P., Rossi, A., Massucco, E., Ferragina, P., Pedreschi, D., Giannotti, F. A public data set of spatio-temporal match events in soccer competitions. Scientific Data 6, 236 (2019). https://doi.org/10.1038/s41597-019-0247-7 — Pappalardo, L.; Massucco, E. (2019): Soccer match event dataset. figshare collection https://doi.org/10.6084/m9.figshare.c.4415000 (v2). Licence: CC BY 4.0.";

/// Shared, compared by identity (so signals holding big data stay cheap to compare).
#[derive(Debug)]
pub struct Shared<T>(pub Arc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}
impl<T> PartialEq for Shared<T> {
    fn eq(&self, o: &Self) -> bool {
        Arc::ptr_eq(&self.0, &o.0)
    }
}
impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}
impl<T> Shared<T> {
    pub fn new(v: T) -> Self {
        Shared(Arc::new(v))
    }
}

/// Something fetched.
#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    Loading,
    Ready(T),
    Failed(String),
}

/// The page's data and state, provided as a context.
#[derive(Clone, Copy)]
pub struct AppData {
    pub route: RwSignal<Route>,
    pub url_errors: RwSignal<Vec<String>>,
    pub model: RwSignal<Load<Shared<Model>>>,
    pub index: RwSignal<Load<Shared<Index>>>,
    pub card: RwSignal<Load<Shared<ModelCard>>>,
    pub competitions: RwSignal<Vec<(String, Load<Shared<Competition>>)>>,
}

fn js_error(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Fetches a file's bytes; any failure (network, HTTP status) is an error message.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let resp = wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("{url}: {}", js_error(e)))?;
    let resp: web_sys::Response = resp.dyn_into().map_err(js_error)?;
    if !resp.ok() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    let buf = wasm_bindgen_futures::JsFuture::from(resp.array_buffer().map_err(js_error)?)
        .await
        .map_err(|e| format!("{url}: {}", js_error(e)))?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

async fn fetch_text(url: &str) -> Result<String, String> {
    String::from_utf8(fetch_bytes(url).await?).map_err(|_| format!("{url}: not UTF-8 text"))
}

/// The query string of the page's URL.
pub fn current_query() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

fn set_url(r: &Route, push: bool) {
    let Some(h) = web_sys::window().and_then(|w| w.history().ok()) else {
        return;
    };
    let q = state::to_query(r);
    let _ = if push {
        h.push_state_with_url(&JsValue::NULL, "", Some(&q))
    } else {
        h.replace_state_with_url(&JsValue::NULL, "", Some(&q))
    };
}

fn performance() -> Option<web_sys::Performance> {
    web_sys::window().and_then(|w| w.performance())
}

/// `performance.mark(name)` (benchmarks read these).
pub fn mark(name: &str) {
    if let Some(p) = performance() {
        let _ = p.mark(name);
    }
}

/// `performance.measure(name, start_mark)`.
pub fn measure(name: &str, start: &str) {
    if let Some(p) = performance() {
        let _ = p.measure_with_start_mark(name, start);
    }
}

impl AppData {
    pub fn new(route: Route, url_errors: Vec<String>) -> AppData {
        AppData {
            route: RwSignal::new(route),
            url_errors: RwSignal::new(url_errors),
            model: RwSignal::new(Load::Loading),
            index: RwSignal::new(Load::Loading),
            card: RwSignal::new(Load::Loading),
            competitions: RwSignal::new(Vec::new()),
        }
    }

    /// Fetches the index, then the model and its card.
    pub fn load(self) {
        spawn_local(async move {
            let index = match fetch_text(&format!("{DATA_URL}index.json")).await {
                Ok(t) => Index::parse(&t).map_err(|e| format!("{DATA_URL}index.json: {e}")),
                Err(e) => Err(e),
            };
            let index = match index {
                Ok(i) => Shared::new(i),
                Err(e) => {
                    let msg = format!("could not load the data index: {e}");
                    self.index.set(Load::Failed(msg.clone()));
                    self.model.set(Load::Failed(msg.clone()));
                    self.card.set(Load::Failed(msg));
                    return;
                }
            };
            self.index.set(Load::Ready(index.clone()));
            let url = format!("{DATA_URL}{}", index.model.file);
            // The index, the model and its card are uploaded as separate files: during an
            // upload they may not belong together, and the page must not show one model's
            // card beside another's xG.
            let model = match fetch_bytes(&url).await {
                Ok(b) => index
                    .model
                    .check_size(b.len())
                    .and_then(|()| Model::parse(&b).map_err(|e| e.to_string()))
                    .map_err(|e| format!("{url}: {e}")),
                Err(e) => Err(e),
            };
            self.model.set(match model {
                Ok(m) => Load::Ready(Shared::new(m)),
                Err(e) => Load::Failed(format!("could not load the model: {e}")),
            });
            let url = format!("{DATA_URL}{}", index.model_card);
            let card = match fetch_text(&url).await {
                Ok(t) => ModelCard::parse(&t)
                    .map_err(|e| e.to_string())
                    .and_then(|c| index.model.check_card(&c).map(|()| c))
                    .map_err(|e| format!("{url}: {e}")),
                Err(e) => Err(e),
            };
            self.card.set(match card {
                Ok(c) => Load::Ready(Shared::new(c)),
                Err(e) => Load::Failed(format!("could not load the model card: {e}")),
            });
        });
    }

    /// The competition's load state (tracked).
    pub fn competition(self, id: &str) -> Load<Shared<Competition>> {
        self.competitions.with(|cs| {
            cs.iter()
                .find(|(c, _)| c == id)
                .map_or(Load::Loading, |(_, l)| l.clone())
        })
    }

    /// Starts loading a competition listed in the index, once.
    pub fn ensure_competition(self, id: String) {
        let known = self
            .competitions
            .with_untracked(|cs| cs.iter().any(|(c, _)| *c == id));
        let file = self.index.with_untracked(|i| match i {
            Load::Ready(i) => i.competition(&id).map(|c| c.file.clone()),
            _ => None,
        });
        let (false, Some(file)) = (known, file) else {
            return;
        };
        self.competitions
            .update(|cs| cs.push((id.clone(), Load::Loading)));
        spawn_local(async move {
            let url = format!("{DATA_URL}{file}");
            let c = match fetch_text(&url).await {
                Ok(t) => Competition::parse(&t).map_err(|e| format!("{url}: {e}")),
                Err(e) => Err(e),
            };
            let state = match c {
                Ok(c) => Load::Ready(Shared::new(c)),
                Err(e) => Load::Failed(format!("could not load competition {id}: {e}")),
            };
            self.competitions.update(|cs| {
                if let Some(slot) = cs.iter_mut().find(|(c, _)| *c == id) {
                    slot.1 = state;
                }
            });
        });
    }

    /// Goes to another route, adding a history entry.
    pub fn navigate(self, r: Route) {
        set_url(&r, true);
        self.url_errors.set(Vec::new());
        self.route.set(r);
    }
}

fn data() -> AppData {
    expect_context::<AppData>()
}

/// A link to a route that navigates without reloading the page.
#[component]
fn RouteLink(route: Route, children: Children) -> impl IntoView {
    let href = state::to_query(&route);
    view! {
        <a
            href=href
            on:click=move |ev| {
                if ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.button() != 0 {
                    return;
                }
                ev.prevent_default();
                data().navigate(route.clone());
            }
        >
            {children()}
        </a>
    }
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let (route, errors) = state::parse_query(&current_query());
    let d = AppData::new(route, errors.iter().map(|e| e.to_string()).collect());
    provide_context(d);
    d.load();
    let on_pop = Closure::<dyn FnMut()>::new(move || {
        let (r, e) = state::parse_query(&current_query());
        d.url_errors.set(e.iter().map(|e| e.to_string()).collect());
        d.route.set(r);
    });
    if let Some(w) = web_sys::window() {
        let _ = w.add_event_listener_with_callback("popstate", on_pop.as_ref().unchecked_ref());
    }
    on_pop.forget();
    view! { <Shell/> }
}

/// Navigation, errors, the current view and the footer, for an [`AppData`] in context.
#[component]
pub fn Shell() -> impl IntoView {
    let d = data();
    let view_now = Memo::new(move |_| d.route.with(|r| r.view));
    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <header>
            <h1>"xgoals"</h1>
            <nav aria-label="Views">
                {View::ALL
                    .into_iter()
                    .map(|v| {
                        // The open competition and the analyst's shot carry over between views.
                        let target = move || {
                            d.route.with(|r| Route {
                                view: v,
                                competition: r.competition.clone(),
                                match_id: None,
                                pitch: r.pitch,
                            })
                        };
                        view! {
                            <span
                                class="tab"
                                class:current=move || view_now.get() == v
                            >
                                <a
                                    href=move || state::to_query(&target())
                                    aria-current=move || (view_now.get() == v).then_some("page")
                                    on:click=move |ev| {
                                        if ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.button() != 0 {
                                            return;
                                        }
                                        ev.prevent_default();
                                        d.navigate(target());
                                    }
                                >
                                    {v.label()}
                                </a>
                            </span>
                        }
                    })
                    .collect::<Vec<_>>()}
            </nav>
        </header>
        <ErrorBanner/>
        <main id="main" tabindex="-1">
            {move || match view_now.get() {
                View::Pitch => view! { <AnalystPitch/> }.into_any(),
                View::Matches => view! { <MatchesView/> }.into_any(),
                View::Tables => view! { <TablesView/> }.into_any(),
                View::Model => view! { <ModelCardView/> }.into_any(),
            }}
        </main>
        <footer>
            <p>
                "xG computed in your browser by the xgoals scorer. Data: Wyscout soccer match event dataset (Pappalardo et al., 2019), CC BY 4.0 — "
                <RouteLink route=Route { view: View::Model, ..Route::default() }>"full citation"</RouteLink>
                "."
            </p>
        </footer>
    }
}

/// URL problems and load failures, shown at the top of every view.
#[component]
fn ErrorBanner() -> impl IntoView {
    let d = data();
    let messages = move || {
        let mut m = d.url_errors.get();
        for l in [
            d.index.with(|l| match l {
                Load::Failed(e) => Some(e.clone()),
                _ => None,
            }),
            d.model.with(|l| match l {
                Load::Failed(e) => Some(e.clone()),
                _ => None,
            }),
        ]
        .into_iter()
        .flatten()
        {
            if !m.contains(&l) {
                m.push(l);
            }
        }
        m
    };
    view! {
        <Show when=move || !messages().is_empty()>
            <div class="errors" role="alert">
                <ul>{move || messages().into_iter().map(|m| view! { <li>{m}</li> }).collect::<Vec<_>>()}</ul>
            </div>
        </Show>
    }
}

// ------------------------------------------------------------------------------------------
// Pitch drawing. SVG coordinates of a half pitch attacking upwards: svg x = y_m, svg y = the
// distance in front of the goal line (GOAL_X_M − x_m). All dimensions from scorer::pitch.

fn svg_x(p: Point) -> f32 {
    p.y_m
}
fn svg_y(p: Point) -> f32 {
    pitch::GOAL_X_M - p.x_m
}

/// The half-pitch view box: the half plus a margin for the goal and the labels.
const HALF_VIEW_BOX: &str = "-3 -4 74 58.5";

#[component]
fn HalfPitchLines() -> impl IntoView {
    let half = pitch::LENGTH_M / 2.0;
    let c = pitch::CENTRE_Y_M;
    let spot = pitch::PENALTY_SPOT_DISTANCE_M;
    let r = pitch::CIRCLE_RADIUS_M;
    // Where the penalty arc meets the edge of the penalty area.
    let dy = pitch::PENALTY_AREA_DEPTH_M - spot;
    let dx = (r * r - dy * dy).sqrt();
    let arc = format!(
        "M {} {} A {r} {r} 0 0 0 {} {}",
        c - dx,
        pitch::PENALTY_AREA_DEPTH_M,
        c + dx,
        pitch::PENALTY_AREA_DEPTH_M
    );
    let centre = format!("M {} {half} A {r} {r} 0 0 1 {} {half}", c - r, c + r);
    view! {
        <g class="lines" fill="none" stroke-width="0.15">
            <rect x="0" y="0" width=pitch::WIDTH_M.to_string() height=half.to_string()/>
            <rect
                x=(c - pitch::PENALTY_AREA_WIDTH_M / 2.0).to_string()
                y="0"
                width=pitch::PENALTY_AREA_WIDTH_M.to_string()
                height=pitch::PENALTY_AREA_DEPTH_M.to_string()
            />
            <rect
                x=(c - pitch::GOAL_AREA_WIDTH_M / 2.0).to_string()
                y="0"
                width=pitch::GOAL_AREA_WIDTH_M.to_string()
                height=pitch::GOAL_AREA_DEPTH_M.to_string()
            />
            <path d=arc/>
            <path d=centre/>
            <circle class="spot" cx=c.to_string() cy=spot.to_string() r="0.3"/>
            <line
                class="goal"
                x1=(c - pitch::GOAL_HALF_WIDTH_M).to_string()
                y1="-0.5"
                x2=(c + pitch::GOAL_HALF_WIDTH_M).to_string()
                y2="-0.5"
                stroke-width="1"
            />
        </g>
    }
}

// ------------------------------------------------------------------------------------------
// Analyst pitch

static INTERACTIVE_MARKED: AtomicBool = AtomicBool::new(false);

/// The pointer's position in pitch metres (clamped onto the half, snapped to the grid).
fn pointer_to_pitch(svg: &web_sys::SvgsvgElement, client_x: f32, client_y: f32) -> Option<Point> {
    let inv = svg.get_screen_ctm()?.inverse().ok()?;
    let sx = inv.a() * client_x + inv.c() * client_y + inv.e();
    let sy = inv.b() * client_x + inv.d() * client_y + inv.f();
    Some(clamp_to_half(Point::new(pitch::GOAL_X_M - sy, sx)))
}

/// Renders the xG surface into a PNG data URL (one pixel per cell).
fn surface_png(xg: &[f32]) -> Result<String, String> {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let canvas: web_sys::HtmlCanvasElement = doc
        .create_element("canvas")
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| "not a canvas")?;
    let (w, h) = (surface::columns() as u32, surface::rows() as u32);
    canvas.set_width(w);
    canvas.set_height(h);
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(js_error)?
        .ok_or("no 2d context")?
        .dyn_into()
        .map_err(|_| "not a 2d context")?;
    let px = surface::rgba(xg);
    let img =
        web_sys::ImageData::new_with_u8_clamped_array_and_sh(wasm_bindgen::Clamped(&px), w, h)
            .map_err(js_error)?;
    ctx.put_image_data(&img, 0.0, 0.0).map_err(js_error)?;
    canvas.to_data_url().map_err(js_error)
}

/// The analyst pitch: drag the shot (mouse, touch, pen) or move it with the arrow keys, set
/// body part, kind and context, read the xG and the surface.
#[component]
pub fn AnalystPitch() -> impl IntoView {
    let d = data();
    let shot = Memo::new(move |_| d.route.with(|r| r.pitch));
    let settings = Memo::new(move |_| shot.with(|s| (s.body, s.kind, s.flags)));
    let xg = Memo::new(move |_| {
        d.model.with(|m| match m {
            Load::Ready(m) => Some(shot.with(|s| s.shot().map(|s| score::xg(m, &s)))),
            _ => None,
        })
    });
    let dragging = RwSignal::new(false);
    let surface_url = RwSignal::new(String::new());
    let svg_ref = NodeRef::<leptos::svg::Svg>::new();

    // The surface depends on the settings, not on where the marker is.
    Effect::new(move |_| {
        let (body, kind, flags) = settings.get();
        let png = d.model.with(|m| match m {
            Load::Ready(m) => {
                mark("xg-surface-start");
                let cells = surface::compute(
                    m,
                    &PitchShot {
                        body,
                        kind,
                        flags,
                        ..PitchShot::default()
                    },
                );
                measure("xg-surface-score", "xg-surface-start");
                let png = surface_png(&cells).ok();
                measure("xg-surface", "xg-surface-start");
                png
            }
            _ => None,
        });
        surface_url.set(png.unwrap_or_default());
    });
    Effect::new(move |_| {
        if matches!(xg.get(), Some(Ok(_))) && !INTERACTIVE_MARKED.swap(true, Ordering::Relaxed) {
            mark("pitch-interactive");
        }
    });

    let move_to = move |p: Point| {
        mark("xg-input");
        d.route.update(|r| r.pitch.at = p);
        spawn_local(async {
            leptos::task::tick().await;
            measure("xg-update", "xg-input");
        });
    };
    let commit = move || set_url(&d.route.get_untracked(), false);
    let from_event = move |ev: &web_sys::PointerEvent| {
        svg_ref
            .get_untracked()
            .and_then(|svg| svg.dyn_into::<web_sys::SvgsvgElement>().ok())
            .and_then(|svg| pointer_to_pitch(&svg, ev.client_x() as f32, ev.client_y() as f32))
    };
    let on_down = move |ev: web_sys::PointerEvent| {
        if let Some(p) = from_event(&ev) {
            ev.prevent_default();
            dragging.set(true);
            if let Some(svg) = svg_ref.get_untracked() {
                let _ = svg.set_pointer_capture(ev.pointer_id());
            }
            move_to(p);
        }
    };
    let on_move = move |ev: web_sys::PointerEvent| {
        if dragging.get_untracked() {
            if let Some(p) = from_event(&ev) {
                move_to(p);
            }
        }
    };
    let on_up = move |_ev: web_sys::PointerEvent| {
        if dragging.get_untracked() {
            dragging.set(false);
            commit();
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let step = if ev.shift_key() { state::SNAP_M } else { 1.0 };
        let (dx, dy) = match ev.key().as_str() {
            "ArrowUp" => (step, 0.0),
            "ArrowDown" => (-step, 0.0),
            "ArrowLeft" => (0.0, -step),
            "ArrowRight" => (0.0, step),
            _ => return,
        };
        ev.prevent_default();
        let at = shot.get_untracked().at;
        move_to(clamp_to_half(Point::new(at.x_m + dx, at.y_m + dy)));
        commit();
    };
    let set_settings = move |f: &dyn Fn(&mut PitchShot)| {
        d.route.update(|r| f(&mut r.pitch));
        commit();
    };

    let xg_text = move || match xg.get() {
        None => match d.model.with(|m| matches!(m, Load::Failed(_))) {
            true => "unavailable".to_string(),
            false => "loading…".to_string(),
        },
        Some(Ok(v)) => score::percent(v),
        Some(Err(e)) => format!("invalid shot: {e}"),
    };
    let xg_exact = move || match xg.get() {
        Some(Ok(v)) => format!("{v}"),
        _ => String::new(),
    };
    let position_text = move || {
        let s = shot.get();
        format!(
            "x {:.1} m, y {:.1} m: {:.1} m from goal, goal-mouth angle {:.1}°",
            s.at.x_m,
            s.at.y_m,
            pitch::distance_to_goal_m(s.at),
            pitch::goal_mouth_angle_rad(s.at).to_degrees()
        )
    };
    let link = move || state::to_query(&d.route.get());

    view! {
        <section class="analyst" aria-labelledby="analyst-h">
            <h2 id="analyst-h">"Analyst pitch"</h2>
            <div class="pitch-layout">
                <div class="pitch-col">
                    <svg
                        node_ref=svg_ref
                        class="pitch analyst-pitch"
                        viewBox=HALF_VIEW_BOX
                        role="application"
                        aria-label="Attacking half of the pitch; the goal is at the top. Drag the shot marker, or focus it and use the arrow keys (Shift for 0.1 m steps)."
                        on:pointerdown=on_down
                        on:pointermove=on_move
                        on:pointerup=on_up
                        on:pointercancel=on_up
                    >
                        <rect class="grass" x="-3" y="-4" width="74" height="58.5"/>
                        <image
                            class="surface"
                            href=move || surface_url.get()
                            x="0"
                            y="0"
                            width=(surface::columns() as f32 * surface::CELL_M).to_string()
                            height=(surface::rows() as f32 * surface::CELL_M).to_string()
                            preserveAspectRatio="none"
                            clip-path="url(#half-clip)"
                        />
                        <clipPath id="half-clip">
                            <rect x="0" y="0" width=pitch::WIDTH_M.to_string() height=(pitch::LENGTH_M / 2.0).to_string()/>
                        </clipPath>
                        <HalfPitchLines/>
                        <circle
                            class="marker"
                            data-testid="marker"
                            cx=move || svg_x(shot.get().at).to_string()
                            cy=move || svg_y(shot.get().at).to_string()
                            r="1.1"
                            tabindex="0"
                            role="img"
                            aria-label=move || format!("Shot marker at {}", position_text())
                            on:keydown=on_key
                        />
                    </svg>
                    <Legend/>
                </div>
                <div class="controls">
                    <p class="xg-readout">
                        <span id="xg-label">"xG of this shot: "</span>
                        <output
                            data-testid="xg"
                            aria-labelledby="xg-label"
                            aria-live="polite"
                            data-xg=xg_exact
                        >
                            {xg_text}
                        </output>
                    </p>
                    <p class="position" data-testid="position">{position_text}</p>
                    <label for="body-part">"Body part"</label>
                    <select
                        id="body-part"
                        prop:value=move || shot.get().body.name()
                        on:change=move |ev| {
                            if let Some(b) = BodyPart::from_name(&event_target_value(&ev)) {
                                set_settings(&|p| p.body = b);
                            }
                        }
                    >
                        {BodyPart::ALL
                            .into_iter()
                            .map(|b| view! { <option value=b.name()>{body_part_label(b)}</option> })
                            .collect::<Vec<_>>()}
                    </select>
                    <label for="shot-kind">"Kind of shot"</label>
                    <select
                        id="shot-kind"
                        prop:value=move || shot.get().kind.name()
                        on:change=move |ev| {
                            if let Some(k) = ShotKind::from_name(&event_target_value(&ev)) {
                                set_settings(&|p| p.kind = k);
                            }
                        }
                    >
                        {ShotKind::ALL
                            .into_iter()
                            .map(|k| view! { <option value=k.name()>{kind_label(k)}</option> })
                            .collect::<Vec<_>>()}
                    </select>
                    <fieldset>
                        <legend>"Play before the shot"</legend>
                        {CONTEXT_FLAGS
                            .into_iter()
                            .map(|(name, label, bit)| {
                                let id = format!("ctx-{name}");
                                view! {
                                    <div class="check">
                                        <input
                                            type="checkbox"
                                            id=id.clone()
                                            prop:checked=move || shot.get().flags & bit != 0
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                set_settings(&|p| {
                                                    if on { p.flags |= bit } else { p.flags &= !bit }
                                                });
                                            }
                                        />
                                        <label for=id>{label}</label>
                                    </div>
                                }
                            })
                            .collect::<Vec<_>>()}
                    </fieldset>
                    <p class="note">
                        "Timing and the previous event are left unrecorded (missing), as for a shot with no known build-up."
                    </p>
                    <p><a href=link>"Link to this shot"</a></p>
                </div>
            </div>
        </section>
    }
}

/// The colour scale of the surface, with ticks.
#[component]
fn Legend() -> impl IntoView {
    let stops: Vec<_> = (0..=10)
        .map(|i| {
            let t = i as f32 / 10.0;
            // Invert the square-root scale to find the xG at this position.
            let xg = t * t;
            view! { <stop offset=format!("{}%", i * 10) stop-color=surface::css_colour(xg)/> }
        })
        .collect();
    view! {
        <figure class="legend">
            <svg viewBox="0 0 200 30" role="img" aria-label="Colour scale of the xG surface, from 0 % (dark blue) to 100 % (yellow), on a square-root axis">
                <defs>
                    <linearGradient id="xg-scale">{stops}</linearGradient>
                </defs>
                <rect x="5" y="2" width="190" height="12" fill="url(#xg-scale)"/>
                {surface::LEGEND_TICKS
                    .into_iter()
                    .map(|t| {
                        let x = 5.0 + 190.0 * surface::scale(t);
                        view! {
                            <line x1=x.to_string() x2=x.to_string() y1="14" y2="18" class="tick"/>
                            <text x=x.to_string() y="27" text-anchor="middle" class="tick-label">
                                {format!("{}%", (t * 100.0).round())}
                            </text>
                        }
                    })
                    .collect::<Vec<_>>()}
            </svg>
            <figcaption>"xG surface: every spot of the half scored with the current body part, kind and context."</figcaption>
        </figure>
    }
}

// ------------------------------------------------------------------------------------------
// Match centre and tables

/// A competition with the xG of every shot, once both it and the model are loaded.
type Scored = (Shared<Competition>, Shared<Vec<f32>>);

fn scored(d: AppData, id: String) -> Memo<Load<Scored>> {
    Memo::new(move |_| {
        let c = match d.competition(&id) {
            Load::Ready(c) => c,
            Load::Failed(e) => return Load::Failed(e),
            Load::Loading => return Load::Loading,
        };
        d.model.with(|m| match m {
            Load::Ready(m) => {
                let xg: Vec<f32> = c.shots.iter().map(|s| score::xg(m, &s.shot)).collect();
                Load::Ready((c.clone(), Shared::new(xg)))
            }
            Load::Failed(e) => Load::Failed(e.clone()),
            Load::Loading => Load::Loading,
        })
    })
}

/// Whether the route's competition is known: `Ok(Some(id))` if listed, `Ok(None)` if none
/// chosen, an error message if unknown.
fn chosen_competition(d: AppData) -> Load<Option<String>> {
    let comp = d.route.with(|r| r.competition.clone());
    d.index.with(|i| match (i, comp) {
        (_, None) => Load::Ready(None),
        (Load::Ready(i), Some(c)) => match i.competition(&c) {
            Some(_) => Load::Ready(Some(c)),
            None => Load::Failed(format!("Unknown competition {c:?}.")),
        },
        (Load::Loading, _) => Load::Loading,
        (Load::Failed(e), _) => Load::Failed(e.clone()),
    })
}

#[component]
fn CompetitionPicker(view_kind: View) -> impl IntoView {
    let d = data();
    move || match d.index.get() {
        Load::Loading => view! { <p>"Loading competitions…"</p> }.into_any(),
        Load::Failed(e) => view! { <p class="error">{e}</p> }.into_any(),
        Load::Ready(i) => {
            let current = d.route.with(|r| r.competition.clone());
            let items = i
                .competitions
                .iter()
                .map(|c| {
                    let r = Route {
                        view: view_kind,
                        competition: Some(c.id.clone()),
                        ..Route::default()
                    };
                    let here = current.as_deref() == Some(c.id.as_str());
                    let name = c.name.clone();
                    let facts = format!(" {} matches, {} shots", c.matches, c.shots);
                    view! {
                        <li class:current=here>
                            <RouteLink route=r>{name}</RouteLink>
                            <span class="muted">{facts}</span>
                        </li>
                    }
                })
                .collect::<Vec<_>>();
            view! {
                <nav class="competitions" aria-label="Competitions">
                    <ul>{items}</ul>
                </nav>
            }
            .into_any()
        }
    }
}

/// Loads the route's competition and renders `body` with it once scored.
fn with_competition(
    d: AppData,
    body: impl Fn(Shared<Competition>, Shared<Vec<f32>>) -> AnyView + Send + Sync + 'static,
) -> impl IntoView {
    let chosen = Memo::new(move |_| chosen_competition(d));
    Effect::new(move |_| {
        if let Load::Ready(Some(id)) = chosen.get() {
            d.ensure_competition(id);
        }
    });
    let body = Arc::new(body);
    move || match chosen.get() {
        Load::Loading => view! { <p>"Loading…"</p> }.into_any(),
        Load::Failed(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
        Load::Ready(None) => view! { <p>"Choose a competition."</p> }.into_any(),
        Load::Ready(Some(id)) => {
            let s = scored(d, id);
            let body = body.clone();
            (move || match s.get() {
                Load::Loading => view! { <p>"Loading the competition…"</p> }.into_any(),
                Load::Failed(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Load::Ready((c, xg)) => body(c, xg),
            })
            .into_any()
        }
    }
}

#[component]
fn MatchesView() -> impl IntoView {
    let d = data();
    let match_id = Memo::new(move |_| d.route.with(|r| r.match_id));
    view! {
        <section aria-labelledby="matches-h">
            <h2 id="matches-h">"Match centre"</h2>
            <CompetitionPicker view_kind=View::Matches/>
            {with_competition(d, move |c, xg| match match_id.get() {
                None => view! { <MatchList c=c xg=xg/> }.into_any(),
                Some(id) => match c.match_index(id) {
                    Some(m) => view! { <MatchPage c=c xg=xg m=m/> }.into_any(),
                    None => {
                        view! {
                            <p class="error" role="alert">
                                {format!("Unknown match {id} in {}.", c.id.replace('_', " "))}
                            </p>
                        }
                            .into_any()
                    }
                },
            })}
        </section>
    }
}

#[component]
fn MatchList(c: Shared<Competition>, xg: Shared<Vec<f32>>) -> impl IntoView {
    let rows = c
        .matches
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let t = stats::match_totals(&c, &xg, i);
            let r = Route {
                view: View::Matches,
                competition: Some(c.id.clone()),
                match_id: Some(m.id),
                ..Route::default()
            };
            view! {
                <tr>
                    <td>{m.date.clone()}</td>
                    <td>
                        <RouteLink route=r>
                            {format!(
                                "{} {} – {} {}",
                                c.team_name(m, Side::Home),
                                m.home_goals,
                                m.away_goals,
                                c.team_name(m, Side::Away)
                            )}
                        </RouteLink>
                        {(!m.note.is_empty()).then(|| view! { <span class="muted">{format!(" ({})", m.note)}</span> })}
                    </td>
                    <td class="num">{format!("{:.2} – {:.2}", t.xg[0], t.xg[1])}</td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    view! {
        <table class="matches">
            <caption>{format!("{} matches", c.matches.len())}</caption>
            <thead>
                <tr><th scope="col">"Date"</th><th scope="col">"Match"</th><th scope="col">"xG"</th></tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// Circle radius of a shot on a map, in metres: area grows with xG.
fn shot_radius_m(xg: f32) -> f32 {
    0.5 + 2.5 * xg.max(0.0).sqrt()
}

fn shot_description(c: &Competition, i: usize, xg: f32) -> String {
    let s = &c.shots[i];
    format!(
        "{}, {}, {}, {}, xG {}{}",
        c.player_name(s),
        s.clock(),
        body_part_label(s.shot.body_part()),
        kind_label(s.shot.kind()),
        score::percent(xg),
        if s.goal { ", goal" } else { "" }
    )
}

#[component]
fn MatchPage(c: Shared<Competition>, xg: Shared<Vec<f32>>, m: usize) -> impl IntoView {
    let mt = &c.matches[m];
    let t = stats::match_totals(&c, &xg, m);
    let selected = RwSignal::new(None::<usize>);
    let names = [
        c.team_name(mt, Side::Home).to_string(),
        c.team_name(mt, Side::Away).to_string(),
    ];
    let title = format!(
        "{} {} – {} {}",
        names[0], mt.home_goals, mt.away_goals, names[1]
    );
    let maps = [Side::Home, Side::Away]
        .into_iter()
        .map(|side| {
            let k = side.index();
            let circles = c
                .shots_of(m)
                .filter(|(_, s)| s.side == side)
                .map(|(i, s)| {
                    let x = xg[i];
                    let at = s.shot.at();
                    let desc = shot_description(&c, i, x);
                    let title = desc.clone();
                    view! {
                        <circle
                            class="shot"
                            class:goal=s.goal
                            class:selected=move || selected.get() == Some(i)
                            cx=svg_x(at).to_string()
                            cy=svg_y(at).clamp(-2.0, 54.0).to_string()
                            r=shot_radius_m(x).to_string()
                            tabindex="0"
                            role="button"
                            aria-label=desc
                            on:click=move |_| selected.set(Some(i))
                            on:keydown=move |ev| {
                                if ev.key() == "Enter" || ev.key() == " " {
                                    ev.prevent_default();
                                    selected.set(Some(i));
                                }
                            }
                        >
                            <title>{title}</title>
                        </circle>
                    }
                })
                .collect::<Vec<_>>();
            let label = format!(
                "Shot map of {}: {} shots, {:.2} xG, {} goals from shots. Circles are sized by xG; filled circles are goals.",
                names[k], t.shots[k], t.xg[k], t.goals_from_shots[k]
            );
            view! {
                <figure class="shot-map">
                    <figcaption>{format!("{} — {} shots, xG {:.2}", names[k], t.shots[k], t.xg[k])}</figcaption>
                    <svg class=format!("pitch side-{k}") viewBox=HALF_VIEW_BOX role="group" aria-label=label>
                        <rect class="grass" x="-3" y="-4" width="74" height="58.5"/>
                        <HalfPitchLines/>
                        {circles}
                    </svg>
                </figure>
            }
        })
        .collect::<Vec<_>>();
    let card_c = c.clone();
    let card_xg = xg.clone();
    let card = move || {
        selected.get().map(|i| {
            let s = &card_c.shots[i];
            let team = card_c
                .team_name(&card_c.matches[s.match_index], s.side)
                .to_string();
            view! {
                <div class="shot-card" role="status" data-testid="shot-card">
                    <h3>{card_c.player_name(s).to_string()}</h3>
                    <dl>
                        <dt>"Team"</dt><dd>{team}</dd>
                        <dt>"Minute"</dt><dd>{s.clock()}</dd>
                        <dt>"Body part"</dt><dd>{body_part_label(s.shot.body_part())}</dd>
                        <dt>"Kind"</dt><dd>{kind_label(s.shot.kind())}</dd>
                        <dt>"xG"</dt><dd>{score::percent(card_xg[i])}</dd>
                        <dt>"Outcome"</dt><dd>{if s.goal { "Goal" } else { "No goal" }}</dd>
                    </dl>
                    <button type="button" on:click=move |_| selected.set(None)>"Close"</button>
                </div>
            }
        })
    };
    view! {
        <article class="match" aria-labelledby="match-h">
            <h3 id="match-h">{title}</h3>
            <p class="muted">
                {mt.date.clone()}
                {(!mt.note.is_empty()).then(|| format!(", {}", mt.note))}
            </p>
            <table class="totals" data-testid="totals">
                <caption>"Totals"</caption>
                <thead><tr><th scope="col"></th><th scope="col">{names[0].clone()}</th><th scope="col">{names[1].clone()}</th></tr></thead>
                <tbody>
                    <tr><th scope="row">"xG"</th><td class="num">{format!("{:.2}", t.xg[0])}</td><td class="num">{format!("{:.2}", t.xg[1])}</td></tr>
                    <tr><th scope="row">"Goals"</th><td class="num">{mt.home_goals}</td><td class="num">{mt.away_goals}</td></tr>
                    <tr><th scope="row">"Goals from shots"</th><td class="num">{t.goals_from_shots[0]}</td><td class="num">{t.goals_from_shots[1]}</td></tr>
                    <tr><th scope="row">"Shots"</th><td class="num">{t.shots[0]}</td><td class="num">{t.shots[1]}</td></tr>
                </tbody>
            </table>
            <div class="maps">{maps}</div>
            {card}
            <RaceChart c=c.clone() xg=xg.clone() m=m names=names.clone()/>
        </article>
    }
}

#[component]
fn RaceChart(
    c: Shared<Competition>,
    xg: Shared<Vec<f32>>,
    m: usize,
    names: [String; 2],
) -> impl IntoView {
    let race = stats::race(&c, &xg, m);
    let end_min = stats::race_end_minute(&c.matches[m], &race);
    let top = race
        .iter()
        .flatten()
        .map(|p| p.total)
        .fold(1.0f64, f64::max);
    let top = (top * 2.0).ceil() / 2.0;
    let (x0, x1, y0, y1) = (34.0f32, 312.0f32, 150.0f32, 12.0f32);
    let x = move |m: f32| x0 + (x1 - x0) * m / end_min;
    let y = move |v: f64| y0 - (y0 - y1) * (v / top) as f32;
    let lines = race
        .iter()
        .enumerate()
        .map(|(k, pts)| {
            let mut d = format!("M {} {}", x(0.0), y(0.0));
            for p in pts {
                d.push_str(&format!(" H {} V {}", x(p.minute), y(p.total)));
            }
            d.push_str(&format!(" H {}", x(end_min)));
            let goals = pts
                .iter()
                .filter(|p| p.goal)
                .map(|p| view! { <circle class=format!("race-goal side-{k}") cx=x(p.minute).to_string() cy=y(p.total).to_string() r="3.5"/> })
                .collect::<Vec<_>>();
            view! { <path class=format!("race side-{k}") d=d fill="none" stroke-width="2"/> {goals} }
        })
        .collect::<Vec<_>>();
    // Every 15 minutes, within the match's length (stoppage time past the last tick).
    let ticks = (0..=(end_min as u32 / 15))
        .map(|i| {
            let m = i as f32 * 15.0;
            view! { <text x=x(m).to_string() y="165" text-anchor="middle" class="tick-label">{format!("{}'", m as u32)}</text> }
        })
        .collect::<Vec<_>>();
    let yticks = [0.0, top / 2.0, top]
        .into_iter()
        .map(|v| view! { <text x="28" y=(y(v) + 3.0).to_string() text-anchor="end" class="tick-label">{format!("{v}")}</text> })
        .collect::<Vec<_>>();
    let totals: Vec<f64> = race
        .iter()
        .map(|p| p.last().map_or(0.0, |p| p.total))
        .collect();
    let label = format!(
        "xG race: cumulative xG over the match. {} {:.2}, {} {:.2}. Dots mark goals.",
        names[0], totals[0], names[1], totals[1]
    );
    view! {
        <figure class="race-chart">
            <figcaption>
                "xG race — "
                <span class="key side-0">{names[0].clone()}</span>
                " vs "
                <span class="key side-1">{names[1].clone()}</span>
                " (dots are goals)"
            </figcaption>
            <svg viewBox="0 0 320 172" role="img" aria-label=label>
                <line class="axis" x1=x0.to_string() y1=y0.to_string() x2=x1.to_string() y2=y0.to_string()/>
                <line class="axis" x1=x0.to_string() y1=y0.to_string() x2=x0.to_string() y2=y1.to_string()/>
                {ticks}
                {yticks}
                {lines}
            </svg>
        </figure>
    }
}

#[component]
fn TablesView() -> impl IntoView {
    let d = data();
    view! {
        <section aria-labelledby="tables-h">
            <h2 id="tables-h">"Tables"</h2>
            <CompetitionPicker view_kind=View::Tables/>
            {with_competition(d, |c, xg| view! { <Tables c=c xg=xg/> }.into_any())}
        </section>
    }
}

/// A sortable column header.
fn sort_header<K: Copy + PartialEq + Send + Sync + 'static>(
    label: &'static str,
    key: K,
    sort: RwSignal<(K, bool)>,
) -> impl IntoView {
    let aria = move || {
        let (k, desc) = sort.get();
        if k != key {
            "none"
        } else if desc {
            "descending"
        } else {
            "ascending"
        }
    };
    view! {
        <th scope="col" aria-sort=aria>
            <button
                type="button"
                on:click=move |_| sort.update(|(k, desc)| {
                    if *k == key { *desc = !*desc } else { *k = key; *desc = true }
                })
            >
                {label}
                <span aria-hidden="true">
                    {move || match sort.get() {
                        (k, true) if k == key => " ▼",
                        (k, false) if k == key => " ▲",
                        _ => "",
                    }}
                </span>
            </button>
        </th>
    }
}

#[component]
fn Tables(c: Shared<Competition>, xg: Shared<Vec<f32>>) -> impl IntoView {
    use stats::{PlayerSort as P, TeamSort as T};
    let teams = stats::team_table(&c, &xg);
    let players = stats::player_table(&c, &xg);
    let team_sort = RwSignal::new((T::XgFor, true));
    let player_sort = RwSignal::new((P::GoalsMinusXg, true));
    let team_rows = move || {
        let mut rows = teams.clone();
        let (k, desc) = team_sort.get();
        stats::sort_teams(&mut rows, k, desc);
        rows.into_iter()
            .map(|r| {
                view! {
                    <tr>
                        <th scope="row">{r.name.clone()}</th>
                        <td class="num">{r.matches}</td>
                        <td class="num">{format!("{:.1}", r.xg_for)}</td>
                        <td class="num">{r.goals_for}</td>
                        <td class="num">{format!("{:.1}", r.xg_against)}</td>
                        <td class="num">{r.goals_against}</td>
                        <td class="num">{format!("{:+.1}", (r.goals_for as f64 - r.goals_against as f64) - (r.xg_for - r.xg_against))}</td>
                    </tr>
                }
            })
            .collect::<Vec<_>>()
    };
    let player_rows = move || {
        let mut rows = players.clone();
        let (k, desc) = player_sort.get();
        stats::sort_players(&mut rows, k, desc);
        rows.into_iter()
            .map(|r| {
                view! {
                    <tr>
                        <th scope="row">{r.name.clone()}</th>
                        <td>{r.team.clone()}</td>
                        <td class="num">{r.shots}</td>
                        <td class="num">{format!("{:.2}", r.xg)}</td>
                        <td class="num">{r.goals}</td>
                        <td class="num">{format!("{:+.2}", r.goals_minus_xg())}</td>
                    </tr>
                }
            })
            .collect::<Vec<_>>()
    };
    view! {
        <div class="table-wrap">
            <table class="teams sortable" data-testid="team-table">
                <caption>"Teams: xG for and against vs goals (match results)"</caption>
                <thead>
                    <tr>
                        {sort_header("Team", T::Name, team_sort)}
                        <th scope="col">"Matches"</th>
                        {sort_header("xG for", T::XgFor, team_sort)}
                        {sort_header("Goals for", T::GoalsFor, team_sort)}
                        {sort_header("xG against", T::XgAgainst, team_sort)}
                        {sort_header("Goals against", T::GoalsAgainst, team_sort)}
                        {sort_header("Goal diff − xG diff", T::GoalDiffMinusXgDiff, team_sort)}
                    </tr>
                </thead>
                <tbody>{team_rows}</tbody>
            </table>
        </div>
        <div class="table-wrap">
            <table class="players sortable" data-testid="player-table">
                <caption>"Players: who finishes above or below expectation (goals from shots)"</caption>
                <thead>
                    <tr>
                        {sort_header("Player", P::Name, player_sort)}
                        <th scope="col">"Team"</th>
                        {sort_header("Shots", P::Shots, player_sort)}
                        {sort_header("xG", P::Xg, player_sort)}
                        {sort_header("Goals", P::Goals, player_sort)}
                        {sort_header("Goals − xG", P::GoalsMinusXg, player_sort)}
                    </tr>
                </thead>
                <tbody>{player_rows}</tbody>
            </table>
        </div>
    }
}

// ------------------------------------------------------------------------------------------
// Model card

fn metric(v: Option<f64>, digits: usize) -> String {
    v.map_or("—".into(), |v| format!("{v:.digits$}"))
}

#[component]
fn ModelCardView() -> impl IntoView {
    let d = data();
    view! {
        <section aria-labelledby="model-h">
            <h2 id="model-h">"Model card"</h2>
            {move || match d.card.get() {
                Load::Loading => view! { <p>"Loading the model card…"</p> }.into_any(),
                Load::Failed(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Load::Ready(c) => view! { <Card card=c/> }.into_any(),
            }}
            <h3>"Data and attribution"</h3>
            <p class="attribution" data-testid="attribution">{ATTRIBUTION}</p>
            <p>
                "The model is trained on this data set; the shots on this page are its matches. Goals in the tables come from the data's shot tags and match results."
            </p>
        </section>
    }
}

#[component]
fn Card(card: Shared<ModelCard>) -> impl IntoView {
    let ours: Vec<&str> = scorer::features::names().collect();
    let mismatch = card
        .feature_names
        .iter()
        .map(String::as_str)
        .ne(ours.iter().copied());
    let trained = card.trained_at_unix_s.map(|s| {
        // Days since 1970-01-01 → civil date (Howard Hinnant's algorithm).
        let z = (s / 86_400) as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + (month <= 2) as i64;
        format!("{year:04}-{month:02}-{day:02}")
    });
    let metrics_row = |name: &'static str, m: &Option<crate::data::Metrics>| {
        let m = m.clone();
        view! {
            <tr>
                <th scope="row">{name}</th>
                <td class="num">{metric(m.as_ref().and_then(|m| m.auc), 4)}</td>
                <td class="num">{metric(m.as_ref().and_then(|m| m.log_loss), 4)}</td>
                <td class="num">{metric(m.as_ref().and_then(|m| m.brier), 4)}</td>
                <td class="num">{metric(m.as_ref().and_then(|m| m.ece), 4)}</td>
                <td class="num">{metric(m.as_ref().and_then(|m| m.xg_ratio), 3)}</td>
            </tr>
        }
    };
    let test_size = card.test.as_ref().map(|t| {
        format!(
            "Test set: {} shots, {} goals{}.",
            t.n_shots.unwrap_or(0),
            t.n_goals.unwrap_or(0),
            card.split
                .as_ref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        )
    });
    let bins = card.calibration.clone().unwrap_or_default();
    let (p0, p1) = (30.0f64, 210.0f64);
    let sx = move |v: f64| p0 + (p1 - p0) * v;
    let sy = move |v: f64| p1 - (p1 - p0) * v;
    let total: u64 = bins
        .iter()
        .fold(0u64, |sum, b| sum.saturating_add(b.n))
        .max(1);
    let points = bins
        .iter()
        .filter_map(|b| Some((b.mean_xg?, b.goal_rate?, b.n, b.lo, b.hi)))
        .filter(|(_, _, n, _, _)| *n > 0)
        .map(|(m, g, n, lo, hi)| {
            let r = 2.0 + 10.0 * (n as f64 / total as f64).sqrt();
            view! {
                <circle class="cal" cx=sx(m).to_string() cy=sy(g.clamp(0.0, 1.0)).to_string() r=r.to_string()>
                    <title>{format!("xG {lo:.1}–{hi:.1}: {n} shots, mean xG {:.3}, goal rate {:.3}", m, g)}</title>
                </circle>
            }
        })
        .collect::<Vec<_>>();
    let ticks = [0.0, 0.5, 1.0]
        .into_iter()
        .map(|v| view! {
            <text x=sx(v).to_string() y="225" text-anchor="middle" class="tick-label">{format!("{v}")}</text>
            <text x="24" y=(sy(v) + 3.0).to_string() text-anchor="end" class="tick-label">{format!("{v}")}</text>
        })
        .collect::<Vec<_>>();
    let has_bins = !bins.is_empty();
    view! {
        <dl class="card-facts">
            <dt>"Version"</dt><dd data-testid="model-version">{card.version.clone()}</dd>
            <dt>"Trained"</dt><dd>{trained.unwrap_or_else(|| "not recorded".into())}</dd>
            <dt>"Trees"</dt><dd>{card.n_trees.map_or("—".into(), |n| match card.max_depth {
                Some(d) => format!("{n} (depth ≤ {d})"),
                None => n.to_string(),
            })}</dd>
            <dt>"Training data"</dt>
            <dd>
                {card.data.as_ref().map_or("not recorded".into(), |dd| {
                    let count = |n: Option<u64>| n.map_or("—".into(), |n| n.to_string());
                    format!(
                        "{} shots, {} goals: {}",
                        count(dd.n_shots),
                        count(dd.n_goals),
                        dd.competitions.clone().unwrap_or_default().join(", ").replace('_', " ")
                    )
                })}
            </dd>
            <dt>"Model file"</dt><dd>{format!("{} bytes, sha256 {}…", card.model_bytes, &card.sha256[..card.sha256.len().min(16)])}</dd>
        </dl>
        <h3>"Metrics on held-out matches"</h3>
        <p>{test_size.unwrap_or_else(|| "No metrics were recorded with this model.".into())}</p>
        <div class="table-wrap">
            <table class="metrics">
                <thead><tr><th scope="col">"Model"</th><th scope="col">"AUC"</th><th scope="col">"Log loss"</th><th scope="col">"Brier"</th><th scope="col">"ECE"</th><th scope="col">"xG / goals"</th></tr></thead>
                <tbody>
                    {metrics_row("xgoals (gradient-boosted trees, 19 features)", &card.test)}
                    {metrics_row("Baseline: logistic on distance and angle", &card.baseline_test)}
                </tbody>
            </table>
        </div>
        <h3>"Calibration"</h3>
        {if has_bins {
            view! {
                <figure class="calibration">
                    <svg viewBox="0 0 230 235" role="img" aria-label="Calibration plot: observed goal rate against mean predicted xG per bin; points on the diagonal are perfectly calibrated; point size grows with the number of shots.">
                        <rect class="plot-bg" x=p0.to_string() y=p0.to_string() width=(p1 - p0).to_string() height=(p1 - p0).to_string()/>
                        <line class="diag" x1=sx(0.0).to_string() y1=sy(0.0).to_string() x2=sx(1.0).to_string() y2=sy(1.0).to_string()/>
                        {ticks}
                        {points}
                        <text x="120" y="234" text-anchor="middle" class="axis-label">"mean predicted xG"</text>
                        <text x="8" y="120" text-anchor="middle" class="axis-label" transform="rotate(-90 8 120)">"goal rate"</text>
                    </svg>
                    <figcaption>"Each point is a bin of test shots by predicted xG."</figcaption>
                </figure>
            }.into_any()
        } else {
            view! { <p>"No calibration bins were recorded with this model."</p> }.into_any()
        }}
        <h3>"Features"</h3>
        {mismatch.then(|| view! {
            <p class="error" role="alert">"The model card lists other features than this page's scorer: the page's xG may not be this model's."</p>
        })}
        <ol class="features">
            {scorer::FEATURES
                .iter()
                .map(|f| view! { <li><code>{f.name}</code>": "{f.description}</li> })
                .collect::<Vec<_>>()}
        </ol>
    }
}
