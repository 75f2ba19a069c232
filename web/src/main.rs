//! The page's entry point: trunk builds this binary for wasm32 and loads it from
//! `web/index.html`.

#[cfg(target_arch = "wasm32")]
fn main() {
    web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the xgoals page runs in a browser: build it with `trunk build --release`");
    std::process::exit(2);
}
