#[crest::main]
async fn main() -> Result<(), std::io::Error> {
    println!("forgot to return Ok(())");
}
