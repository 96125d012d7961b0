//! Rebuilds the binary when the bundled catalog changes: `quickstart` embeds `../courses`
//! with `include_dir!`, which does not tell cargo what it read.

fn main() {
    println!("cargo:rerun-if-changed=../courses");
}
