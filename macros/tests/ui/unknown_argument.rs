#[crest::test(threads = 2)]
async fn close_to_worker_threads() {}

#[crest::test(flavour = "multi_thread")]
async fn close_to_flavor() {}

#[crest::test(multi_thread)]
async fn flavor_without_key() {}

#[crest::test("multi_thread")]
async fn string_without_key() {}

fn main() {}
