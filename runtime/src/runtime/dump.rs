//! Task dumps: every live task of a runtime, read from the owned-task list.
//!
//! A dump takes each shard's lock of the owned-task list in turn and reads the headers of
//! the tasks in it; it needs nothing from the workers, so it works while they are all
//! stuck. It must not poll, wake or drop any task.

use std::fmt;
use std::panic::Location;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::driver::timer::coarse;
use crate::task::header::Header;
use crate::task::Id;

/// Every live task of a runtime, from [`Handle::dump`](super::Handle::dump).
///
/// `Display` prints one line per task, oldest first (then by id).
///
/// ```
/// let rt = crest::runtime::Builder::new_current_thread().build()?;
/// let handle = rt.spawn(std::future::pending::<()>());
/// let dump = rt.handle().dump();
/// assert_eq!(dump.tasks().len(), 1);
/// assert_eq!(dump.tasks()[0].id(), handle.id());
/// println!("{dump}");
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Debug)]
pub struct TaskDump {
    tasks: Vec<TaskInfo>,
}

/// One task of a [`TaskDump`].
#[derive(Clone, Debug)]
pub struct TaskInfo {
    id: Id,
    spawned_at: &'static Location<'static>,
    age: Duration,
    polls: u64,
    state: TaskState,
}

/// What a task was doing when the dump read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskState {
    /// Waiting for a wake.
    Idle,
    /// Woken and queued to run.
    Scheduled,
    /// Being polled (or cancelled) by a thread right now.
    Running,
    /// Finished; its output waits for its `JoinHandle`.
    Complete,
}

impl TaskDump {
    pub(crate) fn collect(for_each: impl FnOnce(&mut dyn FnMut(&Header))) -> TaskDump {
        let mut tasks = Vec::new();
        for_each(&mut |h: &Header| tasks.push(TaskInfo::read(h)));
        tasks.sort_by_key(|t| (std::cmp::Reverse(t.age), t.id));
        TaskDump { tasks }
    }

    /// The tasks, oldest first.
    pub fn tasks(&self) -> &[TaskInfo] {
        &self.tasks
    }
}

impl TaskInfo {
    fn read(h: &Header) -> TaskInfo {
        let state = h.state.load();
        let state = if state.is_complete() {
            TaskState::Complete
        } else if state.is_running() {
            TaskState::Running
        } else if state.is_notified() {
            TaskState::Scheduled
        } else {
            TaskState::Idle
        };
        TaskInfo {
            id: h.id,
            spawned_at: h.spawned_at,
            age: coarse::age(h.spawned_ms),
            polls: u64::from(h.polls.load(Ordering::Relaxed)),
            state,
        }
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.id
    }

    /// The line that spawned it.
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// How long ago it was spawned (to within the scheduler's last few polls; modulo 49
    /// days).
    pub fn age(&self) -> Duration {
        self.age
    }

    /// Times it was polled (modulo 2^32).
    pub fn polls(&self) -> u64 {
        self.polls
    }

    /// What it was doing.
    pub fn state(&self) -> TaskState {
        self.state
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskState::Idle => "idle",
            TaskState::Scheduled => "scheduled",
            TaskState::Running => "running",
            TaskState::Complete => "complete",
        })
    }
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "task {} {} age {:.3}s polls {} spawned at {}:{}",
            self.id,
            self.state,
            self.age.as_secs_f64(),
            self.polls,
            self.spawned_at.file(),
            self.spawned_at.line()
        )
    }
}

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for task in &self.tasks {
            writeln!(f, "{task}")?;
        }
        Ok(())
    }
}
