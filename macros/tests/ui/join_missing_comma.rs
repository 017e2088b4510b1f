#[crest::main]
async fn main() {
    let _ = crest::join!(async { 1 } async { 2 });
}
