//! `campus search reindex`: rebuilds the search index with a progress bar.

use campus_platform::config::Config;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Rebuilds one school's index (`school`: its slug or id) or every school's.
pub async fn reindex(config: &Config, school: Option<&str>) -> anyhow::Result<String> {
    let school_id = match school {
        Some(school) => Some(school_id(config, school).await?),
        None => None,
    };
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("indexing [{bar:40}] {pos}/{len} {eta}") {
        bar.set_style(style.progress_chars("=> "));
    }
    let done = campus_search::reindex(config, school_id.as_deref(), |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await;
    bar.finish_and_clear();
    let done = done?;
    let whose = school.map_or_else(|| "every school".to_owned(), |school| format!("`{school}`"));
    Ok(match done.replicas {
        0 => format!(
            "rebuilt the search index of {whose}: {} documents, {:.1} MB on disk",
            done.documents,
            done.bytes.unwrap_or_default() as f64 / 1e6
        ),
        replicas => format!(
            "{replicas} running search process(es) rebuilt the index of {whose}: {} documents",
            done.documents
        ),
    })
}

/// A school named by slug (as people know it) or by id.
async fn school_id(config: &Config, school: &str) -> anyhow::Result<String> {
    let operator = campus_identity::operator::Operator::open(config).await?;
    let found = operator.school_id(school).await;
    operator.close().await;
    // Not a slug: taken for an id, which search checks against its own documents.
    Ok(found.unwrap_or_else(|_| school.to_owned()))
}
