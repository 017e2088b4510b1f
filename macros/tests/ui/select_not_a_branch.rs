#[crest::main]
async fn main() {
    crest::select! {
        v = async { 1 } => { let _ = v; }
        async { 2 }.await
    }
}
