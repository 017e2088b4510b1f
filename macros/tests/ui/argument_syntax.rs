#[crest::test(flavor "multi_thread")]
async fn missing_equals() {}

#[crest::test(flavor = )]
async fn missing_value() {}

#[crest::test(flavor = "multi_thread" worker_threads = 2)]
async fn missing_comma() {}

#[crest::test(flavor = "multi_thread", flavor = "current_thread")]
async fn given_twice() {}

fn main() {}
