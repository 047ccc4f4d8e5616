//! Who opened which published course: tallied in memory and sent as one `course_viewed` event
//! per course every window (`courses.view_window_secs`), so reading a course stays a read (no write per page view) while
//! search can still rank the week's most viewed courses.
//!
//! A process killed with `kill -9` loses at most one window of views: they only rank courses,
//! and a write per view would cost every course read a transaction. A graceful stop sends what
//! it has.

use std::{
    collections::{HashMap, HashSet},
    sync::{Mutex, PoisonError},
    time::Duration,
};

use campus_contracts::courses::CourseViewed;
use campus_platform::{people::Caller, tasks::Task, time, Result};

use crate::{access::CourseAccess, domain::Visibility, Courses};

/// At most this many viewers are named in one event; a busier course sends several.
const VIEWERS_PER_EVENT: usize = 500;

/// The views of the current window: for each (school, course), who opened it.
#[derive(Default)]
pub(crate) struct ViewTally {
    window: Mutex<Window>,
}

struct Window {
    from_ms: i64,
    viewers: HashMap<(String, String), HashSet<String>>,
}

impl Default for Window {
    fn default() -> Self {
        Self {
            from_ms: time::now_ms(),
            viewers: HashMap::new(),
        }
    }
}

impl ViewTally {
    /// Notes that `caller` opened the course, if it is published and they are not its staff
    /// (teachers looking at their own course say nothing about its interest to others).
    pub(crate) fn note(&self, caller: &Caller, access: &CourseAccess) {
        if access.visibility() != Visibility::Published || access.is_staff() {
            return;
        }
        let course = access.course();
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        window
            .viewers
            .entry((course.school_id.clone(), course.id.clone()))
            .or_default()
            .insert(caller.user_id.clone());
    }

    /// Takes the window's views, leaving a new window.
    fn take(&self) -> Window {
        std::mem::take(&mut *self.window.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Sends the window's views through the outbox, then starts a new window; on shutdown, sends
/// what it has and stops.
pub(crate) fn sender(courses: Courses, window: Duration) -> Task {
    Task::new("course views", move |shutdown| async move {
        let mut ticks = tokio::time::interval(window);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            let stopping = tokio::select! {
                _ = ticks.tick() => false,
                () = shutdown.cancelled() => true,
            };
            if let Err(error) = send(&courses).await {
                tracing::warn!(error = %error, "course views not sent; they are dropped");
            }
            if stopping {
                return;
            }
        }
    })
}

async fn send(courses: &Courses) -> Result<()> {
    let window = courses.views.take();
    if window.viewers.is_empty() {
        return Ok(());
    }
    let to_ms = time::now_ms();
    let mut change = courses.change().await?;
    for ((school_id, course_id), viewers) in window.viewers {
        let mut viewers: Vec<String> = viewers.into_iter().collect();
        viewers.sort_unstable();
        for viewer_ids in viewers.chunks(VIEWERS_PER_EVENT) {
            let event = CourseViewed {
                course_id: course_id.clone(),
                school_id: school_id.clone(),
                viewer_ids: viewer_ids.to_vec(),
                from_ms: window.from_ms,
                to_ms,
            };
            change.record(&school_id, &event).await?;
        }
    }
    change.commit().await
}
