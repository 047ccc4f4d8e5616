//! The feed in a real headless Chromium: a student posts in his course's feed, a classmate
//! reacts and reports the post, the course's teacher hides it from her moderation queue, and
//! it disappears from everyone's feed; the school's admin sets the community rules. The
//! feed, a post, the queue, a profile and the rules pass axe-core's check.

use std::time::Duration;

use campus_testkit::{
    eventually,
    people::{call, School},
    Backend, TestEnv,
};
use fantoccini::{Client, Locator};
use reqwest::Method;
use serde_json::json;

use crate::pages_in_chromium::{
    app, browser, click, fill, sign_in, start_driver, submit, text_of, texts_of, wait_for,
    Accessibility,
};

/// A picture one pixel wide, which a browser decodes.
const ONE_PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0xd, 0xa, 0x1a, 0xa, 0x0, 0x0, 0x0, 0xd, 0x49, 0x48, 0x44, 0x52, 0x0,
    0x0, 0x0, 0x1, 0x0, 0x0, 0x0, 0x1, 0x8, 0x4, 0x0, 0x0, 0x0, 0xb5, 0x1c, 0xc, 0x2, 0x0, 0x0,
    0x0, 0xb, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64, 0x60, 0x0, 0x0, 0x0, 0x6, 0x0, 0x2,
    0x30, 0x81, 0xd0, 0x2f, 0x0, 0x0, 0x0, 0x0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

const WITHIN: Duration = Duration::from_secs(20);

/// The texts of the posts on the open page, in order.
async fn posts(client: &Client) -> Vec<String> {
    texts_of(client, ".post .body").await
}

#[tokio::test]
async fn a_reported_post_leaves_every_feed_once_hidden_in_chromium() {
    let Some(driver) = start_driver().await else {
        eprintln!("chromedriver or Chromium is not installed; skipping the browser test");
        return;
    };
    let env = TestEnv::new(&Backend {
        postgres: None,
        nats: None,
    })
    .await;
    let app = app(&env).await;
    let school = School::create(&app, "hill-valley").await;
    let tess = school.add(&app, "teacher", "Tess").await;
    let sam = school.add(&app, "student", "Sam").await;
    let kim = school.add(&app, "student", "Kim").await;
    let course = crate::pages::course(&app, &tess.token, "Physics", 1).await;
    for student in [&sam, &kim] {
        let (status, body) = call(
            &app,
            Method::PUT,
            &format!("/api/v1/courses/{course}/members/{}", student.id),
            Some(&tess.token),
            Some(json!({ "role": "student" })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    campus_testkit::roster_has(&app, "social", &course, 3).await;
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/v1/posts",
        Some(&tess.token),
        Some(json!({ "place": "school", "body": "Welcome back, everyone" })),
    )
    .await;
    assert_eq!(status, 201);
    let mut a11y = Accessibility::new();

    // Sam posts in his course's feed (the school's feed is not offered to students).
    let sams = browser(&driver, true, 1280).await;
    sign_in(&sams, &app, "hill-valley", &sam.email).await;
    click(&sams, r#"header a[href="/feed"]"#).await;
    let mut offered = Vec::new();
    for option in sams.find_all(Locator::Css("#place option")).await.unwrap() {
        offered.push(option.text().await.unwrap());
    }
    assert_eq!(offered, ["Physics", "My profile"]);
    sams.find(Locator::Css(&format!(
        "#place option[value=\"course:{course}\"]"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    fill(&sams, "body", "Kim is *slow*").await;
    submit(&sams, "/feed").await;
    assert_eq!(
        posts(&sams).await,
        ["Kim is slow", "Welcome back, everyone"]
    );
    a11y.check(&sams, "the feed").await;

    // He adds a picture to his post, in words too for those who cannot see it: it loads on
    // the post's page and in the feed.
    click(&sams, ".post a[href$=\"#comments\"]").await;
    sams.find(Locator::Css("details.add-picture summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let picture = std::env::temp_dir().join(format!(
        "pulley-{}.png",
        campus_platform::id::new_id_string()
    ));
    std::fs::write(&picture, ONE_PIXEL_PNG).unwrap();
    sams.find(Locator::Id("image"))
        .await
        .unwrap()
        .send_keys(picture.to_str().unwrap())
        .await
        .unwrap();
    fill(&sams, "description", "A pulley with two wheels").await;
    let add = sams
        .find(Locator::Css("#add-picture button[type=submit]"))
        .await
        .unwrap();
    crate::pages_in_chromium::click_and_wait(&sams, add).await;
    std::fs::remove_file(&picture).unwrap();
    for page in ["the post", "the feed"] {
        eventually(WITHIN, "the picture to load", || async {
            let width = sams
                .execute(
                    "const img = document.querySelector('.post .picture img'); \
                     return img && img.complete ? img.naturalWidth : 0",
                    vec![],
                )
                .await
                .unwrap();
            (width == 1).then_some(())
        })
        .await;
        let alt = sams
            .find(Locator::Css(".post .picture img"))
            .await
            .unwrap()
            .attr("alt")
            .await
            .unwrap();
        assert_eq!(alt.as_deref(), Some("A pulley with two wheels"), "{page}");
        if page == "the post" {
            a11y.check(&sams, "a post with a picture").await;
            sams.goto(&format!("{}/feed", app.address)).await.unwrap();
        }
    }

    // Kim sees it, likes it, then thinks better of it and reports it.
    let kims = browser(&driver, true, 1280).await;
    sign_in(&kims, &app, "hill-valley", &kim.email).await;
    click(&kims, r#"header a[href="/feed"]"#).await;
    assert_eq!(
        posts(&kims).await,
        ["Kim is slow", "Welcome back, everyone"]
    );
    click(&kims, ".post a[href$=\"#comments\"]").await;
    a11y.check(&kims, "a post").await;
    click(&kims, "button.reaction[value=like]").await;
    let like = kims
        .find(Locator::Css("button.reaction[value=like]"))
        .await
        .unwrap();
    assert_eq!(
        like.attr("aria-pressed").await.unwrap().as_deref(),
        Some("true")
    );
    assert_eq!(like.text().await.unwrap(), "Like 1");
    kims.find(Locator::Css("details.report summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&kims, "reason", "It is unkind about me").await;
    let post_path = crate::pages_in_chromium::path_of(&kims.current_url().await.unwrap());
    submit(&kims, &format!("{post_path}/report")).await;
    assert_eq!(
        text_of(&kims, ".notice[role=status]").await,
        "Thank you. The moderators will look at it."
    );

    // Tess finds it in her queue with Kim's reason, and hides it.
    let tesss = browser(&driver, true, 1280).await;
    sign_in(&tesss, &app, "hill-valley", &tess.email).await;
    click(&tesss, r#"header a[href="/moderation"]"#).await;
    assert!(text_of(&tesss, ".queue")
        .await
        .contains("It is unkind about me"));
    a11y.check(&tesss, "the moderation queue").await;
    click(&tesss, ".queue button[value=hide]").await;
    assert!(text_of(&tesss, "main").await.contains("Nothing is waiting"));

    // Gone from everyone's feed.
    for client in [&kims, &sams, &tesss] {
        client.goto(&format!("{}/feed", app.address)).await.unwrap();
        assert_eq!(posts(client).await, ["Welcome back, everyone"]);
    }
    // The audit log has it.
    eventually(WITHIN, "the audit log records the hiding", || async {
        let (_, log) = call(
            &app,
            Method::GET,
            "/api/v1/audit?action=moderation.hide",
            Some(&school.admin.token),
            None,
        )
        .await;
        (log["items"].as_array().map_or(0, Vec::len) == 1).then_some(())
    })
    .await;

    // Kim's classmate's profile: she may follow him, mute or block him, or write to him.
    kims.goto(&format!("{}/people/{}", app.address, sam.id))
        .await
        .unwrap();
    assert_eq!(text_of(&kims, "h1").await, "Sam");
    a11y.check(&kims, "a profile").await;
    click(&kims, "button[value=follow]").await;
    assert!(kims
        .find(Locator::Css("button[value=unfollow]"))
        .await
        .is_ok());

    // The school's admin changes the community rules from the admin pages.
    let admins = browser(&driver, true, 1280).await;
    sign_in(&admins, &app, "hill-valley", &school.admin.email).await;
    admins
        .goto(&format!("{}/admin/community", app.address))
        .await
        .unwrap();
    a11y.check(&admins, "the community rules").await;
    admins
        .find(Locator::Css("label[for=students_post_to_school]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    admins
        .find(Locator::Css("label[for=student_direct_messages]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&admins, "words", "Darn\nvery bad idea").await;
    submit(&admins, "/admin/community").await;
    assert!(text_of(&admins, ".notice[role=status]")
        .await
        .starts_with("The rules are saved"));
    let (_, social) = call(
        &app,
        Method::GET,
        "/api/v1/social/settings",
        Some(&school.admin.token),
        None,
    )
    .await;
    assert_eq!(
        (
            social["students_post_to_school"].as_bool(),
            social["words"].as_str()
        ),
        (Some(true), Some("darn\nvery bad idea"))
    );
    let (_, messaging) = call(
        &app,
        Method::GET,
        "/api/v1/messaging/settings",
        Some(&kim.token),
        None,
    )
    .await;
    assert_eq!(messaging["student_direct_messages"], false);

    // Kim's open feed hears of a post she would see (the school's feed), offers it, and the
    // link shows it; a post of someone she muted (Sam, whom she follows) is not announced.
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/v1/blocks",
        Some(&kim.token),
        Some(json!({ "user_id": sam.id, "kind": "mute" })),
    )
    .await;
    assert!(status.is_success(), "{status}");
    kims.goto(&format!("{}/feed", app.address)).await.unwrap();
    wait_for(&kims, "a.bell[data-connected]").await;
    assert_eq!(text_of(&kims, "#new-posts").await, "");
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/v1/posts",
        Some(&sam.token),
        Some(json!({ "place": "profile", "profile_id": sam.id, "body": "Blocked people hear nothing" })),
    )
    .await;
    assert_eq!(status, 201);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        text_of(&kims, "#new-posts").await,
        "",
        "a muted author's post is not announced"
    );
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/v1/posts",
        Some(&tess.token),
        Some(json!({ "place": "school", "body": "The lab is open on Friday" })),
    )
    .await;
    assert_eq!(status, 201);
    wait_for(&kims, "#new-posts a").await;
    a11y.check(&kims, "the feed offering new posts").await;
    click(&kims, "#new-posts a").await;
    assert_eq!(
        posts(&kims).await.first().map(String::as_str),
        Some("The lab is open on Friday")
    );

    for client in [sams, kims, tesss, admins] {
        client.close().await.unwrap();
    }
    env.cleanup().await;
}
