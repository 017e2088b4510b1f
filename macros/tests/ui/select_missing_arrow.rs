#[crest::main]
async fn main() {
    crest::select! {
        v = async { 1 } { v }
    }
}
