#[crest::test(flavor = "multi-thread")]
async fn close_to_multi_thread() {}

#[crest::test(flavor = "basic_scheduler")]
async fn close_to_current_thread() {}

#[crest::test(flavor = "fast")]
async fn unknown() {}

fn main() {}
