//! Parsing, validation errors with their locations, and the shipped files.

use super::*;
use std::path::Path;

fn parse_str(text: &str) -> Result<Scenario, InputError> {
    parse(text, Path::new("s.yaml"))
}

#[test]
fn smoke_loads_phones_offline() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/phones_offline.yaml");
    let s = load(&dir).unwrap();
    eprintln!("{s:#?}");
    eprintln!("{}", s.to_yaml().unwrap());
    let _ = parse_str;
}
