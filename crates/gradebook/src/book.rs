//! A course's gradebook as the calculation needs it: the scheme, the items and every grade,
//! in three queries whatever the size of the class.

use std::collections::HashMap;

use campus_platform::{db::Db, Error, Result};

use crate::calculation::{self, Calculation, Item, LatePolicy, Mark, Scheme};

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ItemRow {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub max_points: f64,
    pub due_at: Option<i64>,
    pub late_percent_per_day: Option<f64>,
    pub late_floor_percent: Option<f64>,
    pub released: i64,
    pub category_id: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct GradeRow {
    pub item_id: String,
    pub student_id: String,
    pub points: Option<f64>,
    pub days_late: i64,
    pub excused: i64,
    pub override_points: Option<f64>,
}

pub(crate) struct Book {
    pub scheme: Scheme,
    pub items: Vec<ItemRow>,
    /// By student, then item.
    pub grades: HashMap<String, Vec<GradeRow>>,
}

/// Whose eyes a calculation is for: a student counts only released grades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Eyes {
    Staff,
    Student,
}

impl Book {
    pub(crate) async fn load(db: &Db, course_id: &str) -> Result<Self> {
        let scheme: Option<(String,)> =
            sqlx::query_as("SELECT scheme FROM schemes WHERE course_id = $1")
                .bind(course_id)
                .fetch_optional(db.pool())
                .await?;
        let scheme = match scheme {
            Some((text,)) => serde_json::from_str(&text).map_err(Error::internal)?,
            None => Scheme::default(),
        };
        let items: Vec<ItemRow> = sqlx::query_as(
            "SELECT id, kind, title, max_points, due_at, late_percent_per_day, late_floor_percent, \
             released, category_id FROM grade_items WHERE course_id = $1 \
             ORDER BY CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at, created_at, id",
        )
        .bind(course_id)
        .fetch_all(db.pool())
        .await?;
        let rows: Vec<GradeRow> = sqlx::query_as(
            "SELECT item_id, student_id, points, days_late, excused, override_points FROM grades \
             WHERE course_id = $1",
        )
        .bind(course_id)
        .fetch_all(db.pool())
        .await?;
        let mut grades: HashMap<String, Vec<GradeRow>> = HashMap::new();
        for row in rows {
            grades.entry(row.student_id.clone()).or_default().push(row);
        }
        Ok(Self {
            scheme,
            items,
            grades,
        })
    }

    /// The items as the calculation takes them, `now` deciding which are past due.
    pub(crate) fn calculation_items(&self, now: i64) -> Vec<Item> {
        self.items
            .iter()
            .map(|item| Item {
                id: item.id.clone(),
                title: item.title.clone(),
                category_id: item.category_id.clone(),
                max_points: item.max_points,
                late: item.late_percent_per_day.map(|percent_per_day| LatePolicy {
                    percent_per_day,
                    floor_percent: item.late_floor_percent.unwrap_or(0.0),
                }),
                past_due: item.due_at.is_some_and(|due| due < now),
            })
            .collect()
    }

    /// A student's marks as `eyes` may count them: a student's own view leaves out grades not
    /// yet released (overrides and excusals are the teacher's final word, and count).
    pub(crate) fn marks(&self, student_id: &str, eyes: Eyes) -> Vec<Mark> {
        let released: HashMap<&str, bool> = self
            .items
            .iter()
            .map(|item| (item.id.as_str(), item.released == 1))
            .collect();
        self.grades
            .get(student_id)
            .map(|rows| {
                rows.iter()
                    .map(|row| {
                        let visible = eyes == Eyes::Staff
                            || released.get(row.item_id.as_str()).copied().unwrap_or(false);
                        Mark {
                            item_id: row.item_id.clone(),
                            points: row.points.filter(|_| visible),
                            days_late: u32::try_from(row.days_late).unwrap_or(u32::MAX),
                            excused: row.excused != 0,
                            override_points: row.override_points,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn calculate(&self, student_id: &str, eyes: Eyes, now: i64) -> Calculation {
        calculation::calculate(
            &self.scheme,
            &self.calculation_items(now),
            &self.marks(student_id, eyes),
        )
    }
}
