//! Compiles the long-double arithmetic of INCRBYFLOAT (src/keyspace/longdouble.c): Rust has no
//! long double type, and Redis's replies are that type's digits.

fn main() {
    println!("cargo:rerun-if-changed=src/keyspace/longdouble.c");
    cc::Build::new()
        .file("src/keyspace/longdouble.c")
        .warnings(true)
        .warnings_into_errors(true)
        .compile("ringdis_longdouble");
}
