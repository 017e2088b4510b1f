//! The attributes accept the signatures users write, and keep them: visibility, `?` with the
//! declared error type, `impl Trait` returns, `return`, inner attributes, methods, arguments
//! and generics (on functions other than `main`), and arguments coming from `macro_rules!`.
#![deny(warnings)]

use std::fmt::Debug;
use std::num::ParseIntError;

#[crest::test]
pub async fn a_public_test() {}

#[crest::test]
async fn question_mark_uses_the_declared_error_type() -> Result<(), ParseIntError> {
    let parsed: u32 = "12".parse()?;
    assert_eq!(parsed, 12);
    Ok(())
}

#[crest::test]
async fn inner_attributes_stay_with_the_body() {
    #![allow(unused_variables)]
    let unused = 1;
}

#[crest::main(flavor = "current_thread")]
async fn returns_early(early: bool) -> &'static str {
    if early {
        return "early";
    }
    crest::task::yield_now().await;
    "late"
}

#[test]
fn return_leaves_the_body() {
    assert_eq!(returns_early(true), "early");
    assert_eq!(returns_early(false), "late");
}

#[crest::main(flavor = "current_thread")]
async fn opaque() -> impl Debug {
    crest::spawn(async { 7 }).await.unwrap()
}

#[test]
fn impl_trait_return_types_work() {
    assert_eq!(format!("{:?}", opaque()), "7");
}

#[crest::main(flavor = "current_thread")]
async fn generic<T: Default + Send + 'static>() -> T {
    crest::spawn(async { T::default() }).await.unwrap()
}

#[test]
fn generic_functions_work() {
    assert_eq!(generic::<u64>(), 0);
    assert_eq!(generic::<String>(), "");
}

struct Counter(u32);

impl Counter {
    #[crest::main(flavor = "current_thread")]
    async fn add(&mut self, n: u32) -> u32 {
        crest::task::yield_now().await;
        self.0 += n;
        Self::double(self.0)
    }

    fn double(n: u32) -> u32 {
        n * 2
    }
}

#[test]
fn methods_and_arguments_work() {
    let mut counter = Counter(1);
    assert_eq!(counter.add(2), 6);
    assert_eq!(counter.0, 3);
}

macro_rules! crest_test_with {
    ($name:ident, $flavor:literal, $workers:expr) => {
        #[crest::test(flavor = $flavor, worker_threads = $workers)]
        async fn $name() {
            crest::spawn(async {}).await.unwrap();
        }
    };
}

crest_test_with!(arguments_from_macro_rules, "multi_thread", 2);
