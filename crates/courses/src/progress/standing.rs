//! One student's standing in one course, computed from the outline and their completions,
//! free of I/O but for loading the completions: what is done, what is locked, what is next.

use std::collections::HashSet;

use campus_platform::{db::Db, Result};

use crate::{
    domain,
    shelf::Outline,
    store::{self, LessonHead, ModuleRow},
};

/// One student's standing in one course, computed from the outline and their completions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Standing {
    pub modules: Vec<ModuleStanding>,
    pub required: i64,
    pub completed: i64,
    /// The first published lesson, in course order, not yet done and not locked.
    pub next_lesson: Option<(String, String)>,
    pub completed_ids: HashSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModuleStanding {
    pub module_id: String,
    pub title: String,
    pub required: i64,
    pub completed: i64,
    pub locked: bool,
}

impl Standing {
    /// `lessons` are those the student can see (published), in any order.
    pub fn of(modules: &[ModuleRow], lessons: &[LessonHead], completed: &HashSet<String>) -> Self {
        let mut ordered: Vec<&ModuleRow> = modules.iter().collect();
        ordered.sort_by_key(|m| (m.position, m.id.clone()));
        let mut standings = Vec::with_capacity(ordered.len());
        let mut previous_done = true;
        let mut next_lesson = None;
        for module in ordered {
            let mut in_module: Vec<&LessonHead> = lessons
                .iter()
                .filter(|l| l.module_id == module.id && l.published != 0)
                .collect();
            in_module.sort_by_key(|l| (l.position, l.id.clone()));
            let required: Vec<&&LessonHead> =
                in_module.iter().filter(|l| l.required != 0).collect();
            let done = required
                .iter()
                .filter(|l| completed.contains(&l.id))
                .count();
            let locked = module.requires_previous != 0 && !previous_done;
            if !locked && next_lesson.is_none() {
                next_lesson = in_module
                    .iter()
                    .find(|l| !completed.contains(&l.id))
                    .map(|l| (l.id.clone(), l.title.clone()));
            }
            let module_done = done == required.len();
            previous_done = module_done && !locked;
            standings.push(ModuleStanding {
                module_id: module.id.clone(),
                title: module.title.clone(),
                required: count(required.len()),
                completed: count(done),
                locked,
            });
        }
        Self {
            required: standings.iter().map(|m| m.required).sum(),
            completed: standings.iter().map(|m| m.completed).sum(),
            modules: standings,
            next_lesson,
            completed_ids: completed.clone(),
        }
    }

    /// Reads the student's completions (one query) and computes against the outline.
    pub async fn load(db: &Db, outline: &Outline, user_id: &str) -> Result<Self> {
        let completed = store::progress::completed_lessons(db, &outline.course.id, user_id).await?;
        Ok(Self::of(
            &outline.modules,
            &outline.lessons,
            &completed.into_iter().collect(),
        ))
    }

    pub fn is_locked(&self, module_id: &str) -> bool {
        self.modules
            .iter()
            .any(|m| m.module_id == module_id && m.locked)
    }

    pub fn has_completed(&self, lesson_id: &str) -> bool {
        self.completed_ids.contains(lesson_id)
    }

    pub fn percent(&self) -> i64 {
        domain::percent(self.completed, self.required)
    }

    /// Every required lesson done (and there is at least one).
    pub fn is_complete(&self) -> bool {
        self.required > 0 && self.completed >= self.required
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(id: &str, position: i64, requires_previous: bool) -> ModuleRow {
        ModuleRow {
            id: id.into(),
            course_id: "c".into(),
            title: id.to_uppercase(),
            position,
            requires_previous: i64::from(requires_previous),
        }
    }

    fn lesson(id: &str, module_id: &str, position: i64, required: bool) -> LessonHead {
        LessonHead {
            id: id.into(),
            module_id: module_id.into(),
            title: id.to_uppercase(),
            position,
            estimated_minutes: None,
            required: i64::from(required),
            published: 1,
            has_video: 0,
        }
    }

    #[test]
    fn a_module_stays_locked_until_the_previous_one_is_done() {
        let modules = [module("m1", 0, false), module("m2", 1, true)];
        let lessons = [
            lesson("l1", "m1", 0, true),
            lesson("l2", "m1", 1, false),
            lesson("l3", "m2", 0, true),
        ];
        let fresh = Standing::of(&modules, &lessons, &HashSet::new());
        assert!(fresh.is_locked("m2"));
        assert_eq!(fresh.next_lesson.as_ref().unwrap().0, "l1");
        assert_eq!(fresh.percent(), 0);

        // The optional lesson is not needed to open the next module.
        let done: HashSet<String> = ["l1".to_owned()].into();
        let after = Standing::of(&modules, &lessons, &done);
        assert!(!after.is_locked("m2"));
        assert_eq!(after.percent(), 50);
        assert_eq!(after.next_lesson.as_ref().unwrap().0, "l2");
        assert!(!after.is_complete());

        let all: HashSet<String> = ["l1".to_owned(), "l3".to_owned()].into();
        assert!(Standing::of(&modules, &lessons, &all).is_complete());
    }

    #[test]
    fn unpublished_lessons_do_not_count() {
        let modules = [module("m1", 0, false)];
        let mut hidden = lesson("l2", "m1", 1, true);
        hidden.published = 0;
        let lessons = [lesson("l1", "m1", 0, true), hidden];
        let done: HashSet<String> = ["l1".to_owned()].into();
        let standing = Standing::of(&modules, &lessons, &done);
        assert_eq!(standing.required, 1);
        assert!(standing.is_complete());
    }

    #[test]
    fn a_course_without_required_lessons_is_never_complete() {
        let standing = Standing::of(&[module("m1", 0, false)], &[], &HashSet::new());
        assert!(!standing.is_complete());
        assert_eq!(standing.percent(), 0);
    }
}
