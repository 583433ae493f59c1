//! Empty: the package has a build script only so that its
//! `[build-dependencies]` (the features of `syn` the workspace's build turns
//! on, see `Cargo.toml`) are resolved with the procedural macros.

fn main() {
    // Run once, not again at every change of the package's files.
    println!("cargo::rerun-if-changed=build.rs");
}
