//! Task ids and spawn locations: every spawn function records the user's line, ids are
//! unique, and `task::id()` inside a task is its handle's id.
mod util;

use std::collections::HashSet;

use crest::runtime::Builder;

#[test]
fn id_inside_a_task_is_its_handles_id_and_ids_are_unique() {
    util::with_timeout(util::LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let mut seen = HashSet::new();
        rt.block_on(async {
            let handles: Vec<_> = (0..200).map(|_| crest::spawn(async { crest::task::id() })).collect();
            for handle in handles {
                let id = handle.id();
                assert_eq!(handle.await.unwrap(), id);
                assert!(seen.insert(id), "id {id} given twice");
            }
            assert_eq!(crest::task::try_id(), None, "block_on's own future is not a task");
        });
        let blocking = rt.block_on(rt.spawn_blocking(crest::task::try_id)).unwrap();
        assert_eq!(blocking, None, "a spawn_blocking closure is not an async task");
        assert_eq!(crest::task::try_id(), None);
    });
}

#[test]
fn every_spawn_function_records_the_callers_line() {
    util::with_timeout(util::LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let handle = rt.handle();
        let mut expected = Vec::new();
        let (a, b, c, d);
        expected.push(line!() + 1);
        a = rt.spawn(std::future::pending::<()>());
        expected.push(line!() + 1);
        b = handle.spawn(std::future::pending::<()>());
        let (c_line, d_line) = rt.block_on(async {
            let c_line = line!() + 1;
            let c = crest::spawn(std::future::pending::<()>());
            let d_line = line!() + 1;
            let d = crest::task::spawn_local(std::future::pending::<()>());
            crest::task::yield_now().await;
            ((c, c_line), (d, d_line))
        });
        (c, d) = (c_line.0, d_line.0);
        expected.push(c_line.1);
        expected.push(d_line.1);
        let dump = handle.dump();
        for (handle_id, line) in [a.id(), b.id(), c.id(), d.id()].into_iter().zip(expected) {
            let task = dump.tasks().iter().find(|t| t.id() == handle_id).expect("the task is in the dump");
            assert!(task.spawned_at().file().ends_with("rt_task_id.rs"), "{task}");
            assert_eq!(task.spawned_at().line(), line, "{task}");
        }
        drop(rt);
    });
}

#[test]
fn join_set_spawn_records_the_callers_line() {
    util::with_timeout(util::LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let handle = rt.handle();
        let (set, line) = rt.block_on(async {
            let mut set = crest::task::JoinSet::new();
            let line = line!() + 1;
            set.spawn(std::future::pending::<()>());
            (set, line)
        });
        let dump = handle.dump();
        assert_eq!(dump.tasks().len(), 1, "{dump}");
        let task = &dump.tasks()[0];
        assert!(task.spawned_at().file().ends_with("rt_task_id.rs"), "{task}");
        assert_eq!(task.spawned_at().line(), line, "{task}");
        drop(set);
        drop(rt);
    });
}
