#[crest::test(flavor = "multi_thread", worker_threads = 0)]
async fn zero() {}

#[crest::test(flavor = "multi_thread", worker_threads = -1)]
async fn negative() {}

fn main() {}
