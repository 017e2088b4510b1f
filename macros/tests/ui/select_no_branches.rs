#[crest::main]
async fn main() {
    crest::select! {}
}
