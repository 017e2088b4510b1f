#[crest::main]
fn main() {}
