//! Mounts the app; everything else lives in the library.

fn main() {
    // A panic's message in the console, for developers. The release build
    // goes without: the hook and the formatting it keeps cost the wasm
    // budget every visitor pays, and a release panic aborts either way.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    // index.html's static shell goes in the same task as the app comes, so
    // no frame shows both, or neither (see index.html).
    if let Some(shell) = leptos::prelude::document().get_element_by_id("shell") {
        shell.remove();
    }
    leptos::mount::mount_to_body(stigmergy_app::App);
}
