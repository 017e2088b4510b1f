#[crest::test(flavor = "multi_thread", worker_threads = "4")]
async fn worker_threads_string() {}

#[crest::test(flavor = "multi_thread", worker_threads = 2.5)]
async fn worker_threads_float() {}

const WORKERS: usize = 4;

#[crest::test(flavor = "multi_thread", worker_threads = WORKERS)]
async fn worker_threads_constant() {}

#[crest::test(flavor = 1)]
async fn flavor_integer() {}

#[crest::test(flavor = multi_thread)]
async fn flavor_unquoted() {}

fn main() {
    let _ = WORKERS;
}
