//! The web app in headless Chromium (`cargo test -p web --target wasm32-unknown-unknown`;
//! `wasm-bindgen-test-runner` drives Chromium through chromedriver): the scorer's golden
//! vectors give the same bits through the page's data decoding and scoring, the components
//! render what a user sees, pointer and keyboard input move the shot marker, and failures
//! (no data, unknown match, malformed URL parameters) are shown in the page.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use scorer::shot::Shot;
use scorer::Model;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web::app::{AnalystPitch, AppData, Load, Shared, Shell};
use web::data::{Competition, Index};
use web::state::{self, Route, View};

wasm_bindgen_test_configure!(run_in_browser);

const GOLDEN: &str = include_str!("../../testdata/golden/golden.json");
const MODEL: &[u8] = include_bytes!("../../testdata/models/test-model.xgm");

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn model() -> Model {
    Model::parse(MODEL).expect("test model parses")
}

/// A competition file (the export's layout) holding the given shots in one match.
fn competition_json(shots: &[Shot]) -> String {
    let records: Vec<String> = shots
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let flat = s.to_flat();
            let c = s.context();
            let opt = |v: Option<f32>| serde_json::to_string(&v).unwrap();
            format!(
                "[0,{},{},{},{},{},{},{},{},{},{},{},{},{},{}]",
                i % 2,
                i % 2,
                i % 2 + 1,
                i % 2700,
                (i % 3 == 0) as u8,
                serde_json::to_string(&s.at().x_m).unwrap(),
                serde_json::to_string(&s.at().y_m).unwrap(),
                s.body_part().code(),
                s.kind().code(),
                u16::from_le_bytes([flat[10], flat[11]]),
                opt(c.secs_since_prev_event),
                opt(c.secs_since_prev2_event),
                opt(c.prev_event_at.map(|p| p.x_m)),
                opt(c.prev_event_at.map(|p| p.y_m)),
            )
        })
        .collect();
    format!(
        r#"{{"format":2,"competition":"Test_Cup","teams":[[1,"Reds"],[2,"Blues"]],
        "players":[[10,"A. Striker"],[11,"B. Winger"]],
        "matches":[{{"id":77,"date":"2018-07-15","home":0,"away":1,"home_goals":2,"away_goals":1,"extra_time":false}}],
        "shot_fields":[],"shots":[{}]}}"#,
        records.join(",")
    )
}

const INDEX: &str = r#"{"format":2,"model":{"version":"test","file":"model.xgm","bytes":1},
  "model_card":"model-card.json","competitions":[{"id":"Test_Cup","name":"Test Cup",
  "file":"competitions/Test_Cup.json","matches":1,"shots":3,"bytes":1}]}"#;

#[wasm_bindgen_test]
fn golden_vectors_give_the_same_bits_through_the_pages_decoding_and_scoring() {
    let golden: serde_json::Value = serde_json::from_str(GOLDEN).unwrap();
    let model = model();
    let cases = golden["cases"].as_array().unwrap();
    let mut shots = Vec::new();
    let mut want = Vec::new();
    for case in cases {
        let shot = Shot::from_flat(&hex_bytes(case["flat"].as_str().unwrap())).unwrap();
        let bits = u32::from_str_radix(case["xg_bits"].as_str().unwrap(), 16).unwrap();
        assert_eq!(
            web::score::xg(&model, &shot).to_bits(),
            bits,
            "{}",
            case["name"]
        );
        shots.push(shot);
        want.push(bits);
    }
    // The same shots written in the export's layout and read back as the page reads them.
    let c = Competition::parse(&competition_json(&shots)).unwrap();
    assert_eq!(c.shots.len(), cases.len());
    for ((s, bits), case) in c.shots.iter().zip(&want).zip(cases) {
        assert_eq!(
            web::score::xg(&model, &s.shot).to_bits(),
            *bits,
            "{}",
            case["name"]
        );
    }
    assert!(cases.len() >= 500);
}

// ------------------------------------------------------------------------------------------

async fn tick() {
    for _ in 0..3 {
        leptos::task::tick().await;
    }
}

async fn sleep_ms(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

fn container() -> web_sys::HtmlElement {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div: web_sys::HtmlElement = doc.create_element("div").unwrap().dyn_into().unwrap();
    div.set_attribute("style", "width: 600px").unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

fn ready_data(route: Route) -> AppData {
    let d = AppData::new(route, Vec::new());
    d.model.set(Load::Ready(Shared::new(model())));
    d
}

fn query(root: &web_sys::Element, sel: &str) -> web_sys::Element {
    root.query_selector(sel)
        .unwrap()
        .unwrap_or_else(|| panic!("no {sel} in {}", root.inner_html()))
}

fn count(root: &web_sys::Element, sel: &str) -> u32 {
    root.query_selector_all(sel).unwrap().length()
}

fn text(root: &web_sys::Element, sel: &str) -> String {
    query(root, sel).text_content().unwrap_or_default()
}

fn xg_text_for(p: &state::PitchShot) -> String {
    web::score::percent(web::score::xg(&model(), &p.shot().unwrap()))
}

#[wasm_bindgen_test]
async fn the_analyst_pitch_renders_labelled_controls_and_the_xg() {
    let d = ready_data(Route::default());
    let div = container();
    let _h = leptos::mount::mount_to(div.clone(), move || {
        provide_context(d);
        view! { <AnalystPitch/> }
    });
    tick().await;
    let root: &web_sys::Element = &div;
    assert_eq!(count(root, "svg.analyst-pitch"), 1);
    assert!(query(root, "svg.analyst-pitch")
        .get_attribute("aria-label")
        .unwrap()
        .contains("arrow keys"));
    assert_eq!(
        text(root, "[data-testid=xg]"),
        xg_text_for(&state::PitchShot::default())
    );
    for id in ["body-part", "shot-kind"] {
        assert_eq!(count(root, &format!("label[for={id}]")), 1, "{id}");
    }
    assert_eq!(count(root, "input[type=checkbox]"), 7);
    assert_eq!(count(root, "fieldset label"), 7);
    assert_eq!(count(root, ".legend svg"), 1);
    assert_eq!(
        query(root, ".marker").get_attribute("tabindex").as_deref(),
        Some("0")
    );
    // The xG surface is drawn once the model is there.
    sleep_ms(50).await;
    tick().await;
    let href = query(root, "image.surface").get_attribute("href").unwrap();
    assert!(href.starts_with("data:image/png"), "{href:.40}");
    div.remove();
}

/// Client coordinates of a pitch point on the analyst pitch.
fn client_of(svg: &web_sys::SvgsvgElement, x_m: f32, y_m: f32) -> (i32, i32) {
    let m = svg.get_screen_ctm().unwrap();
    let (sx, sy) = (y_m, scorer::pitch::GOAL_X_M - x_m);
    (
        (m.a() * sx + m.c() * sy + m.e()).round() as i32,
        (m.b() * sx + m.d() * sy + m.f()).round() as i32,
    )
}

fn pointer(kind: &str, x: i32, y: i32) -> web_sys::PointerEvent {
    let init = web_sys::PointerEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_client_x(x);
    init.set_client_y(y);
    init.set_pointer_id(1);
    init.set_pointer_type("touch");
    init.set_is_primary(true);
    web_sys::PointerEvent::new_with_event_init_dict(kind, &init).unwrap()
}

#[wasm_bindgen_test]
async fn pointer_events_and_arrow_keys_move_the_marker_and_the_xg() {
    let d = ready_data(Route::default());
    let div = container();
    let _h = leptos::mount::mount_to(div.clone(), move || {
        provide_context(d);
        view! { <AnalystPitch/> }
    });
    tick().await;
    let root: &web_sys::Element = &div;
    let svg: web_sys::SvgsvgElement = query(root, "svg.analyst-pitch").dyn_into().unwrap();
    let before = text(root, "[data-testid=xg]");
    let (x0, y0) = client_of(&svg, 80.0, 20.0);
    let (x1, y1) = client_of(&svg, 100.0, 36.0);
    svg.dispatch_event(&pointer("pointerdown", x0, y0)).unwrap();
    svg.dispatch_event(&pointer("pointermove", (x0 + x1) / 2, (y0 + y1) / 2))
        .unwrap();
    svg.dispatch_event(&pointer("pointermove", x1, y1)).unwrap();
    svg.dispatch_event(&pointer("pointerup", x1, y1)).unwrap();
    tick().await;
    let at = d.route.get_untracked().pitch.at;
    // One client pixel is well under a metre here; the marker lands within a pixel.
    assert!(
        (at.x_m - 100.0).abs() < 0.6 && (at.y_m - 36.0).abs() < 0.6,
        "{at:?}"
    );
    let marker = query(root, ".marker");
    let cx: f32 = marker.get_attribute("cx").unwrap().parse().unwrap();
    let cy: f32 = marker.get_attribute("cy").unwrap().parse().unwrap();
    assert_eq!((cx, cy), (at.y_m, scorer::pitch::GOAL_X_M - at.x_m));
    let after = text(root, "[data-testid=xg]");
    assert_ne!(after, before);
    assert_eq!(after, xg_text_for(&d.route.get_untracked().pitch));
    // The URL now holds the shot.
    let (from_url, errors) = state::parse_query(&web::app::current_query());
    assert!(errors.is_empty());
    assert_eq!(from_url.pitch.at, at);

    // Keyboard: ArrowDown moves one metre away from goal.
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("ArrowDown");
    init.set_bubbles(true);
    let key = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    marker.dispatch_event(&key).unwrap();
    tick().await;
    let moved = d.route.get_untracked().pitch.at;
    assert!(
        (moved.x_m - (at.x_m - 1.0)).abs() < 1e-3 && moved.y_m == at.y_m,
        "{moved:?}"
    );
    div.remove();
}

#[wasm_bindgen_test]
async fn a_match_shows_one_circle_per_shot_and_a_card_on_tap() {
    let d = ready_data(Route {
        view: View::Matches,
        competition: Some("Test_Cup".into()),
        match_id: Some(77),
        ..Route::default()
    });
    d.index
        .set(Load::Ready(Shared::new(Index::parse(INDEX).unwrap())));
    let shots: Vec<Shot> = [(94.0, 34.0), (90.0, 20.0), (100.0, 36.0)]
        .into_iter()
        .map(|(x, y)| {
            Shot::simple(
                scorer::Point::new(x, y),
                scorer::BodyPart::RightFoot,
                scorer::ShotKind::OpenPlay,
            )
            .unwrap()
        })
        .collect();
    let comp = Competition::parse(&competition_json(&shots)).unwrap();
    d.competitions
        .set(vec![("Test_Cup".into(), Load::Ready(Shared::new(comp)))]);
    let div = container();
    let _h = leptos::mount::mount_to(div.clone(), move || {
        provide_context(d);
        view! { <Shell/> }
    });
    tick().await;
    let root: &web_sys::Element = &div;
    assert_eq!(count(root, "circle.shot"), 3);
    assert_eq!(count(root, "circle.shot.goal"), 1);
    assert_eq!(count(root, ".shot-map"), 2);
    assert_eq!(count(root, ".race-chart svg"), 1);
    assert!(text(root, "#match-h").contains("Reds 2 – 1 Blues"));
    let circle: web_sys::SvgElement = query(root, "circle.shot").dyn_into().unwrap();
    let ev = web_sys::MouseEvent::new("click").unwrap();
    circle.dispatch_event(&ev).unwrap();
    tick().await;
    let card = text(root, "[data-testid=shot-card]");
    assert!(card.contains("A. Striker") && card.contains("xG"), "{card}");

    // An unknown match is said in the page.
    d.route.update(|r| r.match_id = Some(78));
    tick().await;
    assert!(div.text_content().unwrap().contains("Unknown match 78"));
    // The tables sort when a header is clicked.
    d.route.update(|r| r.view = View::Tables);
    tick().await;
    let first_player = || text(root, "[data-testid=player-table] tbody th");
    let before = first_player();
    let name_header: web_sys::HtmlElement = query(root, "[data-testid=player-table] thead button")
        .dyn_into()
        .unwrap();
    name_header.click();
    tick().await;
    let desc = first_player();
    name_header.click();
    tick().await;
    let asc = first_player();
    assert_ne!(
        desc, asc,
        "sorting by name flips the order (first was {before})"
    );
    div.remove();
}

#[wasm_bindgen_test]
async fn load_failures_and_malformed_url_parameters_are_shown_in_the_page() {
    // The test server has no data/ folder: the real fetch fails with a 404.
    let h = web_sys::window().unwrap().history().unwrap();
    h.replace_state_with_url(&JsValue::NULL, "", Some("?view=pitch&x_m=abc&body=tail"))
        .unwrap();
    let div = container();
    let _h = leptos::mount::mount_to(div.clone(), web::app::App);
    let mut shown = String::new();
    for _ in 0..100 {
        tick().await;
        shown = div.text_content().unwrap_or_default();
        if shown.contains("could not load") {
            break;
        }
        sleep_ms(20).await;
    }
    let root: &web_sys::Element = &div;
    let alert = text(root, "[role=alert]");
    assert!(alert.contains("could not load the data index"), "{alert}");
    assert!(alert.contains("x_m=\"abc\""), "{alert}");
    assert!(alert.contains("body=\"tail\""), "{alert}");
    assert_eq!(text(root, "[data-testid=xg]"), "unavailable");
    assert_eq!(
        count(root, "svg.analyst-pitch"),
        1,
        "the pitch still renders: {shown}"
    );
    h.replace_state_with_url(&JsValue::NULL, "", Some("?"))
        .unwrap();
    div.remove();
}
