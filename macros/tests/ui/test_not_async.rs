#[crest::test]
fn not_async() {}

fn main() {}
