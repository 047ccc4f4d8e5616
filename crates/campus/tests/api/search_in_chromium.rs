//! Search in a real headless Chromium: the header's box suggests as a student types (a
//! combobox the keyboard drives), Enter on a suggestion opens it, a typo leads to a results
//! page that says what it searched for instead, a search with no results says so, what is
//! trending shows before anything is asked, a conversation's members search its messages from
//! its page, and the box works without JavaScript too. The box with its suggestions and the
//! results pages pass axe-core's check.

use campus_testkit::{
    eventually,
    people::{send, School},
    Backend, TestEnv,
};
use fantoccini::Locator;
use reqwest::Method;
use serde_json::json;

use crate::pages_in_chromium::{
    app, browser, click, fill, path_of, sign_in, start_driver, submit, text_of, texts_of, wait_for,
    Accessibility,
};

const ARROW_DOWN: &str = "\u{E015}";
const ENTER: &str = "\u{E007}";

#[tokio::test]
async fn a_student_finds_a_course_as_she_types_in_chromium() {
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
    let school = School::create(&app, "shelbyville").await;
    let tess = school.add(&app, "teacher", "Tess").await;
    let sam = school.add(&app, "student", "Sam").await;
    let course = crate::pages::course(&app, &tess.token, "Photosynthesis basics", 1).await;
    let path = format!("/api/v1/courses/{course}/members/{}", sam.id);
    send(
        &app,
        Method::PUT,
        &path,
        &tess,
        Some(json!({ "role": "student" })),
    )
    .await;
    send(
        &app,
        Method::POST,
        "/api/v1/courses",
        &tess,
        Some(json!({ "title": "Photography club" })),
    )
    .await;
    // The teacher finds both once the index has them; the student will be offered only the
    // published one.
    eventually(
        std::time::Duration::from_secs(20),
        "the index to hold both courses",
        || async {
            let page = send(
                &app,
                Method::GET,
                "/api/v1/search/suggest?q=pho",
                &tess,
                None,
            )
            .await;
            (page["items"].as_array().unwrap().len() == 2).then_some(())
        },
    )
    .await;
    let mut a11y = Accessibility::new();

    let sams = browser(&driver, true, 1280).await;
    sign_in(&sams, &app, "shelbyville", &sam.email).await;
    // Sam opens her course; before anything is asked, the search page shows it among the
    // week's most joined and most opened courses.
    sams.goto(&format!("{}/courses/{course}", app.address))
        .await
        .unwrap();
    eventually(
        std::time::Duration::from_secs(20),
        "the course to trend",
        || async {
            sams.goto(&format!("{}/search", app.address)).await.unwrap();
            let joined = texts_of(&sams, "#trending-joined li").await;
            let viewed = texts_of(&sams, "#trending-viewed li").await;
            (joined == ["Photosynthesis basics"] && viewed == ["Photosynthesis basics"])
                .then_some(())
        },
    )
    .await;

    let box_ = sams.find(Locator::Id("site-search")).await.unwrap();
    box_.send_keys("pho").await.unwrap();
    wait_for(&sams, "#site-search-options li[role=option]").await;
    assert_eq!(
        texts_of(&sams, "#site-search-options li[role=option]").await,
        ["Photosynthesis basics · Course"]
    );
    assert_eq!(
        box_.attr("aria-expanded").await.unwrap().as_deref(),
        Some("true")
    );
    assert_eq!(text_of(&sams, "#site-search-status").await, "1 suggestion");
    a11y.check(&sams, "the search box with its suggestions")
        .await;
    box_.send_keys(ARROW_DOWN).await.unwrap();
    assert_eq!(
        box_.attr("aria-activedescendant").await.unwrap().as_deref(),
        Some("site-search-option-0")
    );
    box_.send_keys(ENTER).await.unwrap();
    eventually(
        std::time::Duration::from_secs(10),
        "the course page",
        || async {
            let url = sams.current_url().await.ok()?;
            (path_of(&url) == format!("/courses/{course}")).then_some(())
        },
    )
    .await;

    // A typo: the results page says what it found nothing for and what it searched instead.
    let box_ = sams.find(Locator::Id("site-search")).await.unwrap();
    box_.send_keys("photosynthsis").await.unwrap();
    sams.find(Locator::Css("form.site-search button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&sams, "#did-you-mean").await;
    let said = text_of(&sams, "#did-you-mean").await;
    assert!(said.contains("No results for “photosynthsis”"), "{said}");
    assert!(said.contains("Did you mean photosynthesis?"), "{said}");
    assert_eq!(
        texts_of(&sams, ".results h2").await,
        ["Photosynthesis basics"]
    );
    assert!(text_of(&sams, ".results .snippet")
        .await
        .starts_with("Cells and what they do"));
    a11y.check(&sams, "search results").await;

    // Nothing at all.
    sams.goto(&format!("{}/search?q=zebra", app.address))
        .await
        .unwrap();
    assert!(text_of(&sams, "#no-results")
        .await
        .starts_with("No results for “zebra”."));

    // Within a conversation: its members search its messages from the conversation's page.
    let conversation = send(
        &app,
        Method::POST,
        "/api/v1/conversations",
        &tess,
        Some(json!({ "member_ids": [sam.id] })),
    )
    .await;
    let conversation = conversation["id"].as_str().unwrap().to_owned();
    let messages = format!("/api/v1/conversations/{conversation}/messages");
    for body in ["The quiz is on Friday", "Bring a calculator"] {
        send(
            &app,
            Method::POST,
            &messages,
            &tess,
            Some(json!({ "body": body })),
        )
        .await;
    }
    let path = format!("/api/v1/search/messages?conversation={conversation}&q=quiz");
    eventually(
        std::time::Duration::from_secs(20),
        "the message to be found",
        || async {
            let (status, page) =
                campus_testkit::people::call(&app, Method::GET, &path, Some(&sam.token), None)
                    .await;
            (status == reqwest::StatusCode::OK && page["total"] == 1).then_some(())
        },
    )
    .await;
    sams.goto(&format!("{}/messages/{conversation}", app.address))
        .await
        .unwrap();
    fill(&sams, "conversation-q", "quiz").await;
    submit(&sams, &format!("/messages/{conversation}/search")).await;
    wait_for(&sams, ".results").await;
    assert_eq!(texts_of(&sams, ".results .author").await, ["Tess"]);
    assert_eq!(texts_of(&sams, ".results .snippet mark").await, ["quiz"]);
    a11y.check(&sams, "a conversation's search results").await;
    click(&sams, ".results a").await;
    let url = sams.current_url().await.unwrap();
    assert_eq!(path_of(&url), format!("/messages/{conversation}"));
    assert_eq!(url.fragment().map(|f| f.starts_with("m-")), Some(true));

    // Without JavaScript the box is a plain search form.
    let plain = browser(&driver, false, 1280).await;
    sign_in(&plain, &app, "shelbyville", &sam.email).await;
    let box_ = plain.find(Locator::Id("site-search")).await.unwrap();
    box_.send_keys("photosynthesis").await.unwrap();
    plain
        .find(Locator::Css("form.site-search button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&plain, ".results").await;
    assert_eq!(
        texts_of(&plain, ".results h2").await,
        ["Photosynthesis basics"]
    );
    assert_eq!(text_of(&plain, "#results-count").await, "One result");
    for client in [sams, plain] {
        client.close().await.unwrap();
    }
    env.cleanup().await;
}
