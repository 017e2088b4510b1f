#[crest::main]
struct Server;

fn main() {}
