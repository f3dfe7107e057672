//! Mounts the app; everything else lives in the library.

fn main() {
    // A panic's message in the console, for developers. The release build
    // goes without: the hook and the formatting it keeps cost the wasm
    // budget every visitor pays, and a release panic aborts either way.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(stigmergy_app::App);
}
