//! The course grade calculation: what a student's marks add up to under the course's grading
//! scheme, item by item, so the gradebook can answer "why is my grade what it is".
//!
//! Pure maths, free of I/O: the caller loads the scheme, the grade items and the student's marks,
//! and stores or shows the [`Calculation`]. Percentages run from 0 to 100 (extra credit may take
//! them above) and keep full precision; [`rounded`] is for display only, so a grade shown as
//! 89.995 never becomes an A by rounding twice.
use std::collections::HashMap;

pub(crate) use campus_contracts::assessments::LatePolicy;
use serde::{Deserialize, Serialize};

/// What the implicit group of items in no (or an unknown) category is called.
pub(crate) const UNCATEGORISED: &str = "Uncategorised";

/// The most items a category may drop; more points to a mistake in the scheme.
pub(crate) const DROP_LOWEST_MAX: u32 = 50;

/// Floating-point sums may leave a student's 90 % as 89.99999999999999; a grade that is a letter's
/// minimum by hand must get that letter, so boundaries are compared with this much slack.
const LETTER_SLACK: f64 = 1e-9;

/// A course's grading setup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Scheme {
    #[serde(default)]
    pub(crate) categories: Vec<Category>,
    /// `true`: each category counts for its weight. `false`: total points, every counted item's
    /// points over every counted item's maximum; categories only group (and drop) items.
    #[serde(default)]
    pub(crate) weighted: bool,
    #[serde(default)]
    pub(crate) ungraded: Ungraded,
    /// Letter grades, highest first.
    #[serde(default = "Scheme::default_letters")]
    pub(crate) letters: Vec<Letter>,
}

/// A group of items (homework, quizzes, exams) with its weight and drop rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Category {
    pub(crate) id: String,
    pub(crate) name: String,
    /// In percent. Weights need not add up to 100: they are shared out among the categories
    /// that have marks, so a category nobody has been marked in yet does not drag grades down.
    pub(crate) weight: f64,
    /// How many of a student's items in this category don't count (the ones whose removal helps
    /// the student most).
    #[serde(default)]
    pub(crate) drop_lowest: u32,
}

/// What an item without a mark means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Ungraded {
    /// The "current grade": only marked items count, so far.
    #[default]
    Exclude,
    /// The "final grade": an item past its due date without a mark counts as zero.
    Zero,
}

/// A letter grade and the lowest percentage that earns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Letter {
    pub(crate) letter: String,
    pub(crate) min_percent: f64,
}

/// A grade item: an assignment, quiz or exam that students are marked on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Item {
    pub(crate) id: String,
    pub(crate) title: String,
    /// `None`, or a category the scheme doesn't have: the item is in the uncategorised group.
    #[serde(default)]
    pub(crate) category_id: Option<String>,
    /// 0 makes the item extra credit: its points add to what the student earned, not to what
    /// they could have earned.
    pub(crate) max_points: f64,
    #[serde(default)]
    pub(crate) late: Option<LatePolicy>,
    /// The due date has passed (for [`Ungraded::Zero`]).
    #[serde(default)]
    pub(crate) past_due: bool,
}

/// A student's mark on an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Mark {
    pub(crate) item_id: String,
    /// As graded, before any late penalty; `None` while not graded.
    #[serde(default)]
    pub(crate) points: Option<f64>,
    #[serde(default)]
    pub(crate) days_late: u32,
    /// The student is let off the item: it counts neither for nor against them.
    #[serde(default)]
    pub(crate) excused: bool,
    /// The teacher's final word: replaces the points, and no late penalty applies to it.
    #[serde(default)]
    pub(crate) override_points: Option<f64>,
}

/// A student's course grade and how it came about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Calculation {
    /// `None` while nothing counts yet.
    pub(crate) percent: Option<f64>,
    pub(crate) letter: Option<String>,
    /// How `percent` was worked out.
    pub(crate) basis: Basis,
    /// Points earned on counted items (dropped ones left out); the total-points view.
    pub(crate) points: f64,
    /// Points that could have been earned on those items.
    pub(crate) max_points: f64,
    /// Every category of the scheme in order, then the uncategorised group if it has items.
    pub(crate) categories: Vec<CategoryLine>,
    /// Every item, in the order given.
    pub(crate) items: Vec<ItemLine>,
}

/// How a course percentage was worked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Basis {
    /// Points over maximum points of every counted item.
    Points,
    /// Category percentages weighted by the categories' shares.
    Weighted,
}

/// One category's part in a student's grade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct CategoryLine {
    /// `None` for the uncategorised group.
    pub(crate) id: Option<String>,
    pub(crate) name: String,
    /// As set in the scheme (0 for the uncategorised group).
    pub(crate) weight: f64,
    /// The part of the course grade this category makes up, in percent, once weights are shared
    /// out among the categories with marks; `None` when it doesn't count (no marks yet, or the
    /// grade is by total points).
    pub(crate) share: Option<f64>,
    pub(crate) drop_lowest: u32,
    pub(crate) points: f64,
    pub(crate) max_points: f64,
    /// `None` while no item with a maximum counts.
    pub(crate) percent: Option<f64>,
    pub(crate) counted: Vec<String>,
    pub(crate) dropped: Vec<String>,
}

/// One item's part in a student's grade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct ItemLine {
    pub(crate) item_id: String,
    pub(crate) title: String,
    /// The category the item counts in; `None` for the uncategorised group.
    pub(crate) category_id: Option<String>,
    /// As graded.
    pub(crate) raw_points: Option<f64>,
    pub(crate) override_points: Option<f64>,
    pub(crate) days_late: u32,
    /// Points actually lost to lateness (less than the policy's deduction when the floor applies).
    pub(crate) late_deduction: f64,
    /// The points that count (or would, for a dropped item); `None` when excused or not graded.
    pub(crate) points: Option<f64>,
    pub(crate) max_points: f64,
    pub(crate) status: Status,
    /// The mark is a what-if, not the student's real one.
    pub(crate) hypothetical: bool,
}

/// What became of an item in the calculation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    Counted,
    /// Counted by the category's drop rule as one the student is better off without.
    Dropped,
    Excused,
    /// Not graded, and not counted yet.
    Ungraded,
    /// Not handed in by the due date: counts as zero.
    Missing,
    /// The teacher's override counts.
    Overridden,
}

impl Status {
    /// Whether the item is in the student's grade (before the drop rule).
    fn counts(self) -> bool {
        matches!(self, Self::Counted | Self::Missing | Self::Overridden)
    }
}

impl Default for Scheme {
    fn default() -> Self {
        Self {
            categories: Vec::new(),
            weighted: false,
            ungraded: Ungraded::Exclude,
            letters: Self::default_letters(),
        }
    }
}

impl Scheme {
    /// The usual scale: A from 90 %, B from 80 %, C from 70 %, D from 60 %, otherwise F.
    pub(crate) fn default_letters() -> Vec<Letter> {
        [
            ("A", 90.0),
            ("B", 80.0),
            ("C", 70.0),
            ("D", 60.0),
            ("F", 0.0),
        ]
        .into_iter()
        .map(|(letter, min_percent)| Letter {
            letter: letter.to_owned(),
            min_percent,
        })
        .collect()
    }

    /// What is wrong with the scheme, as (field, message) pairs for the caller's API errors;
    /// empty when it is fine.
    pub(crate) fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let mut problem = |field: String, message: &str| problems.push((field, message.to_owned()));
        let mut seen: Vec<&str> = Vec::new();
        for (i, category) in self.categories.iter().enumerate() {
            let field = |name: &str| format!("categories[{i}].{name}");
            if category.id.trim().is_empty() {
                problem(field("id"), "must not be empty");
            } else if seen.contains(&category.id.as_str()) {
                problem(field("id"), "another category has this id");
            }
            seen.push(&category.id);
            if category.name.trim().is_empty() {
                problem(field("name"), "must not be empty");
            }
            if !(0.0..=100.0).contains(&category.weight) {
                problem(field("weight"), "must be between 0 and 100");
            }
            if category.drop_lowest > DROP_LOWEST_MAX {
                problem(
                    field("drop_lowest"),
                    &format!("at most {DROP_LOWEST_MAX} items"),
                );
            }
        }
        for (i, letter) in self.letters.iter().enumerate() {
            let field = |name: &str| format!("letters[{i}].{name}");
            if letter.letter.trim().is_empty() {
                problem(field("letter"), "must not be empty");
            }
            if !letter.min_percent.is_finite() || letter.min_percent < 0.0 {
                problem(field("min_percent"), "must be a percentage of 0 or more");
            } else if i > 0 && letter.min_percent >= self.letters[i - 1].min_percent {
                // Listed highest first, so each letter needs less than the one before it.
                problem(
                    field("min_percent"),
                    "must be lower than the letter before it",
                );
            }
        }
        problems
    }
}

/// The letter a percentage earns: the one with the highest minimum the percentage reaches
/// (whatever order the letters are listed in); `None` below every minimum.
pub(crate) fn letter_for(letters: &[Letter], percent: f64) -> Option<String> {
    letters
        .iter()
        .filter(|l| percent + LETTER_SLACK >= l.min_percent)
        .max_by(|a, b| a.min_percent.total_cmp(&b.min_percent))
        .map(|l| l.letter.clone())
}

/// `x` to 2 decimals, for display only.
pub(crate) fn rounded(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A student's course grade from their marks.
pub(crate) fn calculate(scheme: &Scheme, items: &[Item], marks: &[Mark]) -> Calculation {
    assemble(scheme, items, marks, &[])
}

/// What a student's grade would be if some items had other marks: each hypothetical mark takes the
/// place of the student's real mark on that item (or is the only one, for an item not graded yet).
pub(crate) fn what_if(
    scheme: &Scheme,
    items: &[Item],
    marks: &[Mark],
    hypothetical: &[Mark],
) -> Calculation {
    assemble(scheme, items, marks, hypothetical)
}

fn assemble(scheme: &Scheme, items: &[Item], marks: &[Mark], hypothetical: &[Mark]) -> Calculation {
    // One mark per item: a later mark replaces an earlier one, a what-if replaces the real one.
    let mut mark_of: HashMap<&str, (&Mark, bool)> = HashMap::new();
    for mark in marks {
        mark_of.insert(&mark.item_id, (mark, false));
    }
    for mark in hypothetical {
        mark_of.insert(&mark.item_id, (mark, true));
    }

    // Groups are the scheme's categories by position, then the uncategorised group.
    let uncategorised = scheme.categories.len();
    let mut group_of: HashMap<&str, usize> = HashMap::new();
    for (g, category) in scheme.categories.iter().enumerate() {
        group_of.entry(&category.id).or_insert(g);
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); uncategorised + 1];
    let mut lines: Vec<ItemLine> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let group = item
            .category_id
            .as_deref()
            .and_then(|id| group_of.get(id).copied())
            .unwrap_or(uncategorised);
        members[group].push(i);
        let mark = mark_of.get(item.id.as_str()).copied();
        let mut line = item_line(scheme.ungraded, item, mark);
        line.category_id = scheme.categories.get(group).map(|c| c.id.clone());
        lines.push(line);
    }

    let mut categories = Vec::with_capacity(uncategorised + 1);
    for (g, group) in members.iter().enumerate() {
        let category = scheme.categories.get(g);
        if category.is_none() && group.is_empty() {
            continue;
        }
        // Extra credit never hurts, so only items with a maximum are worth dropping.
        let candidates: Vec<usize> = group
            .iter()
            .copied()
            .filter(|&i| lines[i].status.counts() && lines[i].max_points > 0.0)
            .collect();
        let scores: Vec<(f64, f64)> = candidates
            .iter()
            .map(|&i| (lines[i].points.unwrap_or(0.0), lines[i].max_points))
            .collect();
        let drop_lowest = category.map_or(0, |c| c.drop_lowest);
        for d in best_to_drop(&scores, drop_lowest) {
            lines[candidates[d]].status = Status::Dropped;
        }

        let (mut points, mut max_points) = (0.0, 0.0);
        let (mut counted, mut dropped) = (Vec::new(), Vec::new());
        for &i in group {
            let line = &lines[i];
            if line.status.counts() {
                points += line.points.unwrap_or(0.0);
                max_points += line.max_points;
                counted.push(line.item_id.clone());
            } else if line.status == Status::Dropped {
                dropped.push(line.item_id.clone());
            }
        }
        categories.push(CategoryLine {
            id: category.map(|c| c.id.clone()),
            name: category.map_or_else(|| UNCATEGORISED.to_owned(), |c| c.name.clone()),
            // A negative weight is a mistake (see `Scheme::check`); it must not take marks away.
            weight: category.map_or(0.0, |c| c.weight.max(0.0)),
            share: None,
            drop_lowest,
            points,
            max_points,
            percent: percent_of(points, max_points),
            counted,
            dropped,
        });
    }

    let points: f64 = categories.iter().map(|c| c.points).sum();
    let max_points: f64 = categories.iter().map(|c| c.max_points).sum();
    // Only categories with marks share the weight, so the first homework's mark is not diluted by
    // the exam nobody has sat yet.
    let total_weight: f64 = categories
        .iter()
        .filter(|c| c.percent.is_some())
        .map(|c| c.weight)
        .sum();
    let (percent, basis) = if scheme.weighted && total_weight > 0.0 {
        let mut percent = 0.0;
        for line in &mut categories {
            if let Some(category_percent) = line.percent {
                percent += line.weight * category_percent / total_weight;
                line.share = Some(line.weight * 100.0 / total_weight);
            }
        }
        (Some(percent), Basis::Weighted)
    } else {
        // Not weighted, or the weighted categories have no marks yet (only uncategorised items,
        // or weights of 0): total points is the only fair measure left.
        (percent_of(points, max_points), Basis::Points)
    };

    Calculation {
        percent,
        letter: percent.and_then(|p| letter_for(&scheme.letters, p)),
        basis,
        points,
        max_points,
        categories,
        items: lines,
    }
}

/// Points as a percentage of the maximum; `None` when there was nothing to earn.
fn percent_of(points: f64, max_points: f64) -> Option<f64> {
    // Multiplying first keeps whole-number cases exact: 29 of 100 is 29, not 28.999999999999996.
    (max_points > 0.0).then(|| points * 100.0 / max_points)
}

/// An item's line before the drop rule (category left for the caller to fill in).
fn item_line(ungraded: Ungraded, item: &Item, mark: Option<(&Mark, bool)>) -> ItemLine {
    // A broken maximum (negative, not a number) counts as extra credit rather than as a debt.
    let max_points = if item.max_points.is_finite() {
        item.max_points.max(0.0)
    } else {
        0.0
    };
    let finite = |v: Option<f64>| v.filter(|v| v.is_finite());
    let (raw_points, override_points, days_late, excused, hypothetical) = match mark {
        Some((m, hypothetical)) => (
            finite(m.points),
            finite(m.override_points),
            m.days_late,
            m.excused,
            hypothetical,
        ),
        None => (None, None, 0, false, false),
    };
    let (points, late_deduction, status) = if excused {
        (None, 0.0, Status::Excused)
    } else if let Some(points) = override_points {
        (Some(points), 0.0, Status::Overridden)
    } else if let Some(raw) = raw_points {
        let points = item
            .late
            .map_or(raw, |late| late_points(raw, max_points, days_late, late));
        (Some(points), raw - points, Status::Counted)
    } else if ungraded == Ungraded::Zero && item.past_due && max_points > 0.0 {
        // Not handed in on time costs the item's maximum; missing extra credit costs nothing, so
        // it is simply not graded.
        (Some(0.0), 0.0, Status::Missing)
    } else {
        (None, 0.0, Status::Ungraded)
    };
    ItemLine {
        item_id: item.id.clone(),
        title: item.title.clone(),
        category_id: None,
        raw_points,
        override_points,
        days_late,
        late_deduction,
        points,
        max_points,
        status,
        hypothetical,
    }
}

/// A raw mark after the late penalty, as most learning platforms do it: each day late costs
/// `percent_per_day` % of the maximum, but lateness alone never takes the mark below
/// `floor_percent` % of the maximum (a mark already below that floor loses nothing and is not
/// raised either), and never below 0.
fn late_points(raw: f64, max_points: f64, days_late: u32, late: LatePolicy) -> f64 {
    if days_late == 0 {
        return raw;
    }
    let per_day = late.percent_per_day.clamp(0.0, 100.0);
    let floor = late.floor_percent.clamp(0.0, 100.0) * max_points / 100.0;
    let deduction = f64::from(days_late) * per_day * max_points / 100.0;
    (raw - deduction).max(raw.min(floor)).max(0.0)
}

/// Which `(points, max_points)` items to drop (indices, ascending) so that the rest have the
/// highest percentage, dropping `drop_lowest` of them but always keeping at least one.
///
/// Dropping the lowest percentages is not enough: of 0/10, 50/100 and 100/100, dropping the
/// 0/10 leaves 150/200 = 75 %, dropping the 50/100 leaves 100/110 ≈ 90.9 %. The best set to keep
/// is found exactly by Dinkelbach's method for fractional problems: for a target percentage q,
/// the kept items that best beat it are those with the largest `points − q × max`; keeping those
/// gives a higher q, until no set beats q. Every round strictly raises q and there are finitely
/// many sets, so it ends, usually after two or three rounds.
///
/// Dropping fewer items than asked never helps a student (the best k items always do at least as
/// well as the best k + 1), so exactly `drop_lowest` are dropped when there are enough.
fn best_to_drop(scores: &[(f64, f64)], drop_lowest: u32) -> Vec<usize> {
    let n = scores.len();
    let drop = usize::try_from(drop_lowest)
        .unwrap_or(usize::MAX)
        .min(n.saturating_sub(1));
    if drop == 0 {
        return Vec::new();
    }
    let keep = n - drop;
    let ratio = |set: &[usize]| {
        let (points, max): (f64, f64) = set
            .iter()
            .fold((0.0, 0.0), |(p, m), &i| (p + scores[i].0, m + scores[i].1));
        points / max
    };
    // Sorting by value, best first, and by position among equals keeps the choice deterministic:
    // of two equally good items, the later one is dropped.
    let best_first = |order: &mut Vec<usize>, value: &dyn Fn(usize) -> f64| {
        order.sort_by(|&a, &b| value(b).total_cmp(&value(a)).then(a.cmp(&b)));
    };

    let mut order: Vec<usize> = (0..n).collect();
    best_first(&mut order, &|i| scores[i].0 / scores[i].1);
    let mut kept = order[..keep].to_vec();
    let mut q = ratio(&kept);
    // The bound only guards against floating-point surprises; the loop ends long before it.
    for _ in 0..n + 64 {
        best_first(&mut order, &|i| scores[i].0 - q * scores[i].1);
        let better = ratio(&order[..keep]);
        if better <= q {
            break;
        }
        kept = order[..keep].to_vec();
        q = better;
    }
    let mut dropped: Vec<usize> = (0..n).filter(|i| !kept.contains(i)).collect();
    dropped.sort_unstable();
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() < 1e-9
    }

    #[track_caller]
    fn assert_close(actual: f64, expected: f64) {
        assert!(close(actual, expected), "{actual} ≠ {expected}");
    }

    #[track_caller]
    fn assert_percent(calculation: &Calculation, expected: f64) {
        let Some(percent) = calculation.percent else {
            panic!("no percentage, expected {expected}");
        };
        assert_close(percent, expected);
    }

    fn item(id: &str, category: Option<&str>, max_points: f64) -> Item {
        Item {
            id: id.to_owned(),
            title: format!("Item {id}"),
            category_id: category.map(str::to_owned),
            max_points,
            late: None,
            past_due: false,
        }
    }

    fn mark(item_id: &str, points: f64) -> Mark {
        Mark {
            item_id: item_id.to_owned(),
            points: Some(points),
            days_late: 0,
            excused: false,
            override_points: None,
        }
    }

    fn category(id: &str, weight: f64, drop_lowest: u32) -> Category {
        Category {
            id: id.to_owned(),
            name: id.to_uppercase(),
            weight,
            drop_lowest,
        }
    }

    fn line<'a>(calculation: &'a Calculation, item_id: &str) -> &'a ItemLine {
        let found = calculation.items.iter().find(|l| l.item_id == item_id);
        found.unwrap_or_else(|| panic!("no line for {item_id}"))
    }

    fn category_line<'a>(calculation: &'a Calculation, id: Option<&str>) -> &'a CategoryLine {
        let found = calculation
            .categories
            .iter()
            .find(|c| c.id.as_deref() == id);
        found.unwrap_or_else(|| panic!("no line for category {id:?}"))
    }

    #[test]
    fn points_mode_is_points_over_maximum_of_marked_items() {
        let scheme = Scheme {
            categories: vec![category("hw", 30.0, 0), category("exam", 70.0, 0)],
            ..Scheme::default()
        };
        let items = [
            item("a", Some("hw"), 10.0),
            item("b", Some("exam"), 20.0),
            item("c", Some("exam"), 10.0),
        ];
        let calculation = calculate(&scheme, &items, &[mark("a", 8.0), mark("b", 15.0)]);
        // (8 + 15) / (10 + 20) = 23/30 = 76.666…%; the weights play no part.
        assert_eq!(calculation.basis, Basis::Points);
        assert_close(calculation.points, 23.0);
        assert_close(calculation.max_points, 30.0);
        assert_percent(&calculation, 2300.0 / 30.0);
        assert_eq!(calculation.letter.as_deref(), Some("C"));
        assert_eq!(line(&calculation, "c").status, Status::Ungraded);
        assert_eq!(line(&calculation, "c").points, None);
        // exam: 15/20 = 75 %, and no share since weights don't count.
        let exam = category_line(&calculation, Some("exam"));
        assert_eq!(exam.percent, Some(75.0));
        assert_eq!(exam.share, None);
        assert_eq!(exam.counted, ["b"]);
    }

    #[test]
    fn weighted_mode_shares_weight_among_categories_with_marks() {
        let scheme = Scheme {
            categories: vec![
                category("hw", 30.0, 0),
                category("quiz", 20.0, 0),
                category("exam", 50.0, 0),
            ],
            weighted: true,
            ..Scheme::default()
        };
        let items = [
            item("h1", Some("hw"), 10.0),
            item("h2", Some("hw"), 10.0),
            item("q1", Some("quiz"), 10.0),
            item("e1", Some("exam"), 100.0),
        ];
        let marks = [mark("h1", 10.0), mark("h2", 8.0), mark("q1", 7.0)];
        let calculation = calculate(&scheme, &items, &marks);
        // hw 18/20 = 90 %, quiz 7/10 = 70 %, exam not sat: weights 30 and 20 of 50.
        // (30 × 90 + 20 × 70) / 50 = (2700 + 1400) / 50 = 82.
        assert_eq!(calculation.basis, Basis::Weighted);
        assert_percent(&calculation, 82.0);
        assert_eq!(calculation.letter.as_deref(), Some("B"));
        assert_eq!(category_line(&calculation, Some("hw")).share, Some(60.0));
        assert_eq!(category_line(&calculation, Some("quiz")).share, Some(40.0));
        let exam = category_line(&calculation, Some("exam"));
        assert_eq!((exam.percent, exam.share), (None, None));
        // Total points still shown: 25/30.
        assert_close(calculation.points, 25.0);
        assert_close(calculation.max_points, 30.0);

        // The exam marked 40/100: (30 × 90 + 20 × 70 + 50 × 40) / 100 = 61.
        let marks = [marks.as_slice(), &[mark("e1", 40.0)]].concat();
        assert_percent(&calculate(&scheme, &items, &marks), 61.0);
    }

    #[test]
    fn weighted_mode_gives_uncategorised_items_no_weight_unless_nothing_else_has_marks() {
        let scheme = Scheme {
            categories: vec![category("hw", 50.0, 0)],
            weighted: true,
            ..Scheme::default()
        };
        let items = [
            item("h1", Some("hw"), 10.0),
            item("loose", None, 10.0),
            item("lost", Some("no-such-category"), 10.0),
        ];
        let marks = [mark("h1", 10.0), mark("loose", 0.0), mark("lost", 0.0)];
        let calculation = calculate(&scheme, &items, &marks);
        // hw 10/10 = 100 % with weight 50; the uncategorised 0/20 has weight 0.
        assert_percent(&calculation, 100.0);
        let loose = category_line(&calculation, None);
        assert_eq!(loose.name, UNCATEGORISED);
        assert_eq!(loose.counted, ["loose", "lost"]);
        assert_eq!(loose.share, Some(0.0));
        assert_eq!(line(&calculation, "lost").category_id, None);
        assert_eq!(line(&calculation, "h1").category_id.as_deref(), Some("hw"));

        // Only uncategorised items marked: total points, (0 + 0) / 20 = 0 %.
        let calculation = calculate(&scheme, &items, &marks[1..]);
        assert_eq!(calculation.basis, Basis::Points);
        assert_percent(&calculation, 0.0);
        assert_eq!(calculation.letter.as_deref(), Some("F"));
    }

    #[test]
    fn weighted_mode_with_only_zero_weights_falls_back_to_points() {
        let scheme = Scheme {
            categories: vec![category("hw", 0.0, 0), category("exam", 0.0, 0)],
            weighted: true,
            ..Scheme::default()
        };
        let items = [item("h", Some("hw"), 10.0), item("e", Some("exam"), 30.0)];
        let calculation = calculate(&scheme, &items, &[mark("h", 10.0), mark("e", 15.0)]);
        // (10 + 15) / (10 + 30) = 62.5 %.
        assert_eq!(calculation.basis, Basis::Points);
        assert_percent(&calculation, 62.5);
    }

    #[test]
    fn drop_lowest_drops_the_weakest_item() {
        let scheme = Scheme {
            categories: vec![category("hw", 100.0, 1)],
            ..Scheme::default()
        };
        let items = [
            item("a", Some("hw"), 10.0),
            item("b", Some("hw"), 10.0),
            item("c", Some("hw"), 10.0),
        ];
        let marks = [mark("a", 9.0), mark("b", 5.0), mark("c", 10.0)];
        let calculation = calculate(&scheme, &items, &marks);
        // Without b (5/10): (9 + 10) / 20 = 95 %.
        assert_percent(&calculation, 95.0);
        assert_eq!(line(&calculation, "b").status, Status::Dropped);
        assert_eq!(line(&calculation, "b").points, Some(5.0));
        let hw = category_line(&calculation, Some("hw"));
        assert_eq!(hw.counted, ["a", "c"]);
        assert_eq!(hw.dropped, ["b"]);
    }

    #[test]
    fn drop_lowest_keeps_the_best_set_not_the_best_percentages() {
        let scheme = Scheme {
            categories: vec![category("hw", 100.0, 1)],
            ..Scheme::default()
        };
        let items = [
            item("x", Some("hw"), 10.0),
            item("y", Some("hw"), 100.0),
            item("z", Some("hw"), 100.0),
        ];
        let marks = [mark("x", 0.0), mark("y", 50.0), mark("z", 100.0)];
        let calculation = calculate(&scheme, &items, &marks);
        // Dropping x (0 %) leaves 150/200 = 75 %; dropping y (50 %) leaves 100/110 = 90.909…%.
        assert_percent(&calculation, 10_000.0 / 110.0);
        assert_eq!(category_line(&calculation, Some("hw")).dropped, ["y"]);
        assert_eq!(line(&calculation, "x").status, Status::Counted);
        assert_eq!(calculation.letter.as_deref(), Some("A"));
    }

    #[test]
    fn drop_lowest_never_drops_every_item_nor_excused_or_ungraded_ones() {
        let scheme = Scheme {
            categories: vec![category("hw", 100.0, 3)],
            ..Scheme::default()
        };
        let items = [
            item("excused", Some("hw"), 10.0),
            item("low", Some("hw"), 10.0),
            item("high", Some("hw"), 10.0),
            item("later", Some("hw"), 10.0),
            item("bonus", Some("hw"), 0.0),
        ];
        let marks = [
            Mark {
                excused: true,
                ..mark("excused", 2.0)
            },
            mark("low", 4.0),
            mark("high", 8.0),
            mark("bonus", 1.0),
        ];
        let calculation = calculate(&scheme, &items, &marks);
        // Drop 3 asked, but only low and high may go, and one must stay: low goes.
        // (8 + 1 extra credit) / 10 = 90 %.
        assert_percent(&calculation, 90.0);
        let hw = category_line(&calculation, Some("hw"));
        assert_eq!(hw.dropped, ["low"]);
        assert_eq!(hw.counted, ["high", "bonus"]);
        assert_eq!(line(&calculation, "excused").status, Status::Excused);
        assert_eq!(line(&calculation, "later").status, Status::Ungraded);

        // A single marked item is never dropped: 4/10 = 40 %.
        let calculation = calculate(&scheme, &items, &[mark("low", 4.0)]);
        assert_percent(&calculation, 40.0);
        assert_eq!(line(&calculation, "low").status, Status::Counted);
    }

    #[test]
    fn drop_lowest_may_drop_a_missing_item() {
        let scheme = Scheme {
            categories: vec![category("hw", 100.0, 1)],
            ungraded: Ungraded::Zero,
            ..Scheme::default()
        };
        let items = [
            item("a", Some("hw"), 10.0),
            Item {
                past_due: true,
                ..item("b", Some("hw"), 10.0)
            },
        ];
        let calculation = calculate(&scheme, &items, &[mark("a", 7.0)]);
        // The zero for b is dropped: 7/10 = 70 %.
        assert_percent(&calculation, 70.0);
        assert_eq!(line(&calculation, "b").status, Status::Dropped);
    }

    /// A tiny deterministic generator (SplitMix64), enough to try many small categories.
    struct SplitMix(u64);

    impl SplitMix {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % n
        }
    }

    /// The best percentage keeping exactly `keep` of the items, trying every subset.
    fn brute_force_best(scores: &[(f64, f64)], keep: usize) -> f64 {
        let mut best = f64::NEG_INFINITY;
        for subset in 0u32..(1 << scores.len()) {
            if subset.count_ones() as usize != keep {
                continue;
            }
            let (mut points, mut max) = (0.0, 0.0);
            for (i, &(p, m)) in scores.iter().enumerate() {
                if subset & (1 << i) != 0 {
                    points += p;
                    max += m;
                }
            }
            best = best.max(points / max);
        }
        best
    }

    #[test]
    fn drop_lowest_matches_brute_force() {
        let mut random = SplitMix(2024);
        for _ in 0..3000 {
            let n = 1 + random.below(8) as usize;
            let scores: Vec<(f64, f64)> = (0..n)
                .map(|_| {
                    // Mostly small items, some large ones, as in a real course.
                    let largest = if random.below(2) == 0 { 10 } else { 200 };
                    let max = 1 + random.below(largest);
                    // Now and then a mark above the maximum (bonus points on the item).
                    let points = random.below(max + max / 4 + 1);
                    (points as f64, max as f64)
                })
                .collect();
            let drop = random.below(n as u64 + 2) as u32;
            let dropped = best_to_drop(&scores, drop);
            let expected_drops = (drop as usize).min(n - 1);
            assert_eq!(dropped.len(), expected_drops, "{scores:?} drop {drop}");
            let kept: Vec<(f64, f64)> = (0..n)
                .filter(|i| !dropped.contains(i))
                .map(|i| scores[i])
                .collect();
            let (points, max) = kept.iter().fold((0.0, 0.0), |(p, m), s| (p + s.0, m + s.1));
            let best = brute_force_best(&scores, n - expected_drops);
            assert!(
                close(points / max, best),
                "{scores:?} drop {drop}: kept {points}/{max}, best {best}"
            );
        }
    }

    #[test]
    fn late_penalty_follows_the_deduction_and_the_floor() {
        let policy = LatePolicy {
            percent_per_day: 10.0,
            floor_percent: 40.0,
        };
        // 80 − 3 × 10 % of 100 = 50, above the floor of 40.
        assert_close(late_points(80.0, 100.0, 3, policy), 50.0);
        // 80 − 6 × 10 = 20, below the floor: 40.
        assert_close(late_points(80.0, 100.0, 6, policy), 40.0);
        // 30 is already below the floor of 40: 30 − 20 = 10, but max(10, min(30, 40)) = 30.
        assert_close(late_points(30.0, 100.0, 2, policy), 30.0);
        // On time: no deduction.
        assert_close(late_points(80.0, 100.0, 0, policy), 80.0);
        // Half the maximum matters, not the raw mark: 15 − 2 × 10 % of 50 = 5; floor 40 % of 50
        // = 20, and 15 < 20 so it stays 15.
        assert_close(late_points(15.0, 50.0, 2, policy), 15.0);
        // 45 of 50, 2 days: 45 − 10 = 35 (above the floor of 20).
        assert_close(late_points(45.0, 50.0, 2, policy), 35.0);

        // A penalty larger than the mark, no floor: 20 − 5 × 10 = −30, never below 0.
        let no_floor = LatePolicy {
            percent_per_day: 10.0,
            floor_percent: 0.0,
        };
        assert_close(late_points(20.0, 100.0, 5, no_floor), 0.0);
    }

    #[test]
    fn late_penalty_shows_in_the_item_line() {
        let late = Some(LatePolicy {
            percent_per_day: 10.0,
            floor_percent: 40.0,
        });
        let items = [
            Item {
                late,
                ..item("essay", None, 100.0)
            },
            Item {
                late,
                ..item("lab", None, 100.0)
            },
            // Late but the item has no late policy: no penalty.
            item("free", None, 100.0),
        ];
        let marks = [
            Mark {
                days_late: 6,
                ..mark("essay", 80.0)
            },
            Mark {
                days_late: 1,
                ..mark("lab", 70.0)
            },
            Mark {
                days_late: 9,
                ..mark("free", 90.0)
            },
        ];
        let calculation = calculate(&Scheme::default(), &items, &marks);
        // essay: 80 − 60 = 20, floor 40: counts 40, lost 40 (not the policy's 60).
        let essay = line(&calculation, "essay");
        assert_eq!(
            (essay.raw_points, essay.points, essay.days_late),
            (Some(80.0), Some(40.0), 6)
        );
        assert_close(essay.late_deduction, 40.0);
        // lab: 70 − 10 = 60.
        assert_eq!(line(&calculation, "lab").points, Some(60.0));
        assert_close(line(&calculation, "lab").late_deduction, 10.0);
        assert_eq!(line(&calculation, "free").points, Some(90.0));
        assert_close(line(&calculation, "free").late_deduction, 0.0);
        // (40 + 60 + 90) / 300 = 63.333…%.
        assert_percent(&calculation, 19_000.0 / 300.0);
    }

    #[test]
    fn excused_items_count_neither_way() {
        let items = [item("a", None, 10.0), item("b", None, 10.0)];
        let marks = [
            Mark {
                excused: true,
                ..mark("a", 5.0)
            },
            mark("b", 9.0),
        ];
        let calculation = calculate(&Scheme::default(), &items, &marks);
        // Only b: 9/10 = 90 %.
        assert_percent(&calculation, 90.0);
        assert_close(calculation.max_points, 10.0);
        let a = line(&calculation, "a");
        assert_eq!(
            (a.status, a.points, a.raw_points),
            (Status::Excused, None, Some(5.0))
        );

        // Excused even when past due in the final-grade view.
        let scheme = Scheme {
            ungraded: Ungraded::Zero,
            ..Scheme::default()
        };
        let items = [
            Item {
                past_due: true,
                ..item("a", None, 10.0)
            },
            item("b", None, 10.0),
        ];
        let excused = Mark {
            points: None,
            excused: true,
            ..mark("a", 0.0)
        };
        let calculation = calculate(&scheme, &items, &[excused, mark("b", 9.0)]);
        assert_percent(&calculation, 90.0);
    }

    #[test]
    fn an_override_replaces_the_mark_and_bypasses_the_late_penalty() {
        let items = [Item {
            late: Some(LatePolicy {
                percent_per_day: 10.0,
                floor_percent: 0.0,
            }),
            ..item("a", None, 100.0)
        }];
        let marks = [Mark {
            days_late: 5,
            override_points: Some(70.0),
            ..mark("a", 60.0)
        }];
        let calculation = calculate(&Scheme::default(), &items, &marks);
        // 70 counts, not 60 − 50 = 10.
        assert_percent(&calculation, 70.0);
        let a = line(&calculation, "a");
        assert_eq!(a.status, Status::Overridden);
        assert_eq!(
            (a.raw_points, a.override_points, a.points),
            (Some(60.0), Some(70.0), Some(70.0))
        );
        assert_close(a.late_deduction, 0.0);

        // An override also counts for an item never marked.
        let marks = [Mark {
            points: None,
            override_points: Some(55.0),
            ..mark("a", 0.0)
        }];
        assert_percent(&calculate(&Scheme::default(), &items, &marks), 55.0);
    }

    #[test]
    fn extra_credit_adds_points_but_no_maximum() {
        let scheme = Scheme {
            ungraded: Ungraded::Zero,
            ..Scheme::default()
        };
        let items = [
            item("a", None, 20.0),
            item("bonus", None, 0.0),
            Item {
                past_due: true,
                ..item("unclaimed", None, 0.0)
            },
        ];
        let calculation = calculate(&scheme, &items, &[mark("a", 18.0), mark("bonus", 3.0)]);
        // (18 + 3) / 20 = 105 %.
        assert_close(calculation.points, 21.0);
        assert_close(calculation.max_points, 20.0);
        assert_percent(&calculation, 105.0);
        assert_eq!(calculation.letter.as_deref(), Some("A"));
        // Unclaimed extra credit is not a missing item.
        assert_eq!(line(&calculation, "unclaimed").status, Status::Ungraded);

        // Extra credit alone gives no percentage: there was nothing to earn.
        let calculation = calculate(&scheme, &items[1..], &[mark("bonus", 3.0)]);
        assert_eq!(calculation.percent, None);
    }

    #[test]
    fn ungraded_items_are_left_out_of_the_current_grade_and_zero_in_the_final() {
        let items = [
            item("a", None, 10.0),
            Item {
                past_due: true,
                ..item("overdue", None, 10.0)
            },
            item("upcoming", None, 10.0),
            Item {
                past_due: true,
                ..item("unmarked", None, 10.0)
            },
        ];
        let marks = [
            mark("a", 9.0),
            // A mark row without points is as good as none.
            Mark {
                points: None,
                ..mark("unmarked", 0.0)
            },
        ];

        let current = calculate(&Scheme::default(), &items, &marks);
        // 9/10 = 90 %.
        assert_percent(&current, 90.0);
        assert_eq!(line(&current, "overdue").status, Status::Ungraded);
        assert_eq!(line(&current, "unmarked").status, Status::Ungraded);

        let scheme = Scheme {
            ungraded: Ungraded::Zero,
            ..Scheme::default()
        };
        let last = calculate(&scheme, &items, &marks);
        // (9 + 0 + 0) / 30 = 30 %; the upcoming item is not due yet.
        assert_percent(&last, 30.0);
        assert_eq!(last.letter.as_deref(), Some("F"));
        let overdue = line(&last, "overdue");
        assert_eq!(
            (overdue.status, overdue.points),
            (Status::Missing, Some(0.0))
        );
        assert_eq!(line(&last, "unmarked").status, Status::Missing);
        assert_eq!(line(&last, "upcoming").status, Status::Ungraded);
    }

    #[test]
    fn letters_at_their_boundaries() {
        let letters = Scheme::default_letters();
        let letter = |percent| letter_for(&letters, percent);
        assert_eq!(letter(89.999).as_deref(), Some("B"));
        assert_eq!(letter(90.0).as_deref(), Some("A"));
        assert_eq!(letter(105.0).as_deref(), Some("A"));
        assert_eq!(letter(60.0).as_deref(), Some("D"));
        assert_eq!(letter(59.99).as_deref(), Some("F"));
        assert_eq!(letter(0.0).as_deref(), Some("F"));
        assert_eq!(letter(-1.0), None);
        // A sum that is 90 by hand but a hair under in floating point is still an A.
        assert_eq!(letter(90.0 - 1e-12).as_deref(), Some("A"));
        // The order they are listed in doesn't matter.
        let reversed: Vec<Letter> = letters.iter().rev().cloned().collect();
        assert_eq!(letter_for(&reversed, 85.0).as_deref(), Some("B"));
        assert_eq!(letter_for(&[], 85.0), None);

        // 27/30 is 90 %: an A.
        let calculation = calculate(
            &Scheme::default(),
            &[item("a", None, 30.0)],
            &[mark("a", 27.0)],
        );
        assert_eq!(calculation.letter.as_deref(), Some("A"));
    }

    #[test]
    fn what_if_replaces_only_the_hypothetical_items() {
        let items = [item("a", None, 10.0), item("b", None, 10.0)];
        let marks = [mark("a", 7.0)];

        let real = calculate(&Scheme::default(), &items, &marks);
        // 7/10 = 70 %.
        assert_percent(&real, 70.0);

        let if_b = what_if(&Scheme::default(), &items, &marks, &[mark("b", 10.0)]);
        // (7 + 10) / 20 = 85 %.
        assert_percent(&if_b, 85.0);
        assert!(line(&if_b, "b").hypothetical);
        assert!(!line(&if_b, "a").hypothetical);

        let if_a = what_if(&Scheme::default(), &items, &marks, &[mark("a", 9.0)]);
        // a's 9 replaces its 7: 9/10 = 90 %.
        assert_percent(&if_a, 90.0);
        assert_eq!(line(&if_a, "a").raw_points, Some(9.0));

        // No hypothetical marks: the real grade.
        assert_eq!(what_if(&Scheme::default(), &items, &marks, &[]), real);
    }

    #[test]
    fn an_empty_course_has_no_grade_yet() {
        let scheme = Scheme {
            categories: vec![category("hw", 40.0, 1), category("exam", 60.0, 0)],
            weighted: true,
            ..Scheme::default()
        };
        let calculation = calculate(&scheme, &[], &[]);
        assert_eq!(
            (calculation.percent, calculation.letter.as_deref()),
            (None, None)
        );
        assert_eq!(calculation.basis, Basis::Points);
        assert_close(calculation.points, 0.0);
        assert_close(calculation.max_points, 0.0);
        // Both categories shown, without percentages; no uncategorised group.
        assert_eq!(calculation.categories.len(), 2);
        assert!(calculation.categories.iter().all(|c| c.percent.is_none()));
        assert!(calculation.items.is_empty());

        // Items, none marked yet: still no grade.
        let items = [item("h", Some("hw"), 10.0)];
        assert_eq!(calculate(&scheme, &items, &[]).percent, None);
    }

    #[test]
    fn a_sound_scheme_has_no_problems() {
        let scheme = Scheme {
            categories: vec![category("hw", 40.0, 2), category("exam", 60.0, 0)],
            weighted: true,
            ..Scheme::default()
        };
        assert_eq!(scheme.check(), Vec::<(String, String)>::new());
    }

    #[test]
    fn scheme_problems_name_their_fields() {
        let scheme = Scheme {
            categories: vec![
                category("hw", -1.0, 0),
                category("hw", 101.0, 51),
                category("exam", 50.0, 50),
            ],
            letters: vec![
                Letter {
                    letter: "A".to_owned(),
                    min_percent: 90.0,
                },
                Letter {
                    letter: "B".to_owned(),
                    min_percent: 90.0,
                },
                Letter {
                    letter: "C".to_owned(),
                    min_percent: 95.0,
                },
                Letter {
                    letter: "F".to_owned(),
                    min_percent: 0.0,
                },
            ],
            ..Scheme::default()
        };
        let fields: Vec<String> = scheme.check().into_iter().map(|(field, _)| field).collect();
        assert_eq!(
            fields,
            [
                "categories[0].weight",
                "categories[1].id",
                "categories[1].weight",
                "categories[1].drop_lowest",
                "letters[1].min_percent",
                "letters[2].min_percent",
            ]
        );
    }

    #[test]
    fn rounded_is_two_decimals() {
        assert_eq!(rounded(2300.0 / 30.0), 76.67);
        assert_eq!(rounded(10_000.0 / 110.0), 90.91);
        assert_eq!(rounded(82.0), 82.0);
        assert_eq!(rounded(89.994), 89.99);
    }

    #[test]
    fn stored_and_shown_as_json() -> anyhow::Result<()> {
        // Left-out fields take their defaults, letters included.
        let scheme: Scheme = serde_json::from_str(
            r#"{"categories": [{"id": "hw", "name": "Homework", "weight": 100}]}"#,
        )?;
        assert_eq!(scheme.letters, Scheme::default_letters());
        assert_eq!(
            (scheme.weighted, scheme.ungraded),
            (false, Ungraded::Exclude)
        );
        assert_eq!(scheme.categories[0].drop_lowest, 0);

        let item: Item =
            serde_json::from_str(r#"{"id": "a", "title": "Essay", "max_points": 10}"#)?;
        let calculation = calculate(
            &Scheme {
                ungraded: Ungraded::Zero,
                ..scheme
            },
            &[Item {
                past_due: true,
                ..item
            }],
            &[],
        );
        let json = serde_json::to_value(&calculation)?;
        assert_eq!(json["items"][0]["status"], "missing");
        assert_eq!(json["basis"], "points");
        assert_eq!(json["percent"], 0.0);
        let back: Calculation = serde_json::from_value(json)?;
        assert_eq!(back, calculation);
        Ok(())
    }
}
