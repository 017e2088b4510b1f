#[crest::main]
async fn main() {
    crest::select! {
        v = async { 1 } => { let _ = v; }
        else => {},
        w = async { 2 } => { let _ = w; }
    }
}
