//! Messages in a real headless Chromium: two students of one course start a conversation from
//! the messages page and chat live — what one writes, that they are typing, that the other
//! has read it, and whether the other has the app open reach the other's open page without a
//! reload — and the same conversation works
//! as plain forms with JavaScript turned off; a picture sent from the form reaches the other's
//! open page; a reported message hidden from the moderation
//! queue disappears from the open page. The pages pass axe-core's check.

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
    app, browser, click, path_of, sign_in, start_driver, submit, text_of, texts_of, wait_for,
    Accessibility,
};

const WITHIN: Duration = Duration::from_secs(20);

/// The texts of the conversation's messages on the open page, in order.
async fn messages(client: &Client) -> Vec<String> {
    texts_of(client, "#messages .body").await
}

/// Waits until the open page shows `text` as its newest message.
async fn until_newest(client: &Client, text: &str) {
    eventually(WITHIN, text, || async {
        (messages(client).await.last().map(String::as_str) == Some(text)).then_some(())
    })
    .await;
}

/// Waits until the element `css` says `text`.
async fn until_says(client: &Client, css: &str, text: &str) {
    eventually(WITHIN, text, || async {
        (text_of(client, css).await == text).then_some(())
    })
    .await;
}

#[tokio::test]
async fn two_students_chat_live_in_chromium() {
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
    school.add(&app, "student", "Lee").await;
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
    campus_testkit::roster_has(&app, "messaging", &course, 3).await;
    let mut a11y = Accessibility::new();

    // Sam starts a conversation with Kim: the page offers his classmate and his teacher only.
    let sams = browser(&driver, true, 1280).await;
    sign_in(&sams, &app, "hill-valley", &sam.email).await;
    click(&sams, r#"header a[href="/messages"]"#).await;
    let offered: Vec<String> = {
        let mut names = Vec::new();
        for label in sams
            .find_all(Locator::Css("form[action=\"/messages\"] .choice label"))
            .await
            .unwrap()
        {
            names.push(
                label
                    .text()
                    .await
                    .unwrap()
                    .split(" · ")
                    .next()
                    .unwrap()
                    .to_owned(),
            );
        }
        names
    };
    assert_eq!(offered, ["Kim", "Tess"]);
    assert!(
        text_of(&sams, ".conversations").await.contains("Physics"),
        "the class channel is listed"
    );
    a11y.check(&sams, "the messages page").await;
    sams.find(Locator::Css(&format!("label[for=\"contact-{}\"]", kim.id)))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&sams, "/messages").await;
    let conversation = path_of(&sams.current_url().await.unwrap());
    assert!(conversation.starts_with("/messages/"), "{conversation}");
    assert_eq!(text_of(&sams, "h1").await, "Kim");

    // Kim opens it too; both pages follow the live connection.
    let kims = browser(&driver, true, 1280).await;
    sign_in(&kims, &app, "hill-valley", &kim.email).await;
    kims.goto(&format!("{}{conversation}", app.address))
        .await
        .unwrap();
    assert_eq!(text_of(&kims, "h1").await, "Sam");
    wait_for(&kims, "#chat[data-connected]").await;
    wait_for(&sams, "#chat[data-connected]").await;
    // Sam's page, open before Kim signed in, shows her online without a reload.
    let kims_item = format!(".members [data-user=\"{}\"]", kim.id);
    let kims_badge = format!("{kims_item} .badge");
    wait_for(&sams, &kims_badge).await;
    assert_eq!(text_of(&sams, &kims_badge).await, "online");

    // Sam types: Kim sees that he is typing, then his message, without a reload.
    let field = sams.find(Locator::Id("body")).await.unwrap();
    field
        .send_keys("Did you finish the **lab**?")
        .await
        .unwrap();
    until_says(&kims, "#typing", "Sam is typing…").await;
    field.send_keys("\u{E007}").await.unwrap(); // Enter sends
    until_newest(&kims, "Did you finish the lab?").await;
    until_newest(&sams, "Did you finish the lab?").await;
    assert_eq!(
        text_of(&sams, "#body").await,
        "",
        "the field is emptied once sent"
    );
    assert_eq!(
        path_of(&sams.current_url().await.unwrap()),
        conversation,
        "no page was loaded"
    );
    let bold = kims
        .find(Locator::Css("#messages .body strong"))
        .await
        .unwrap();
    assert_eq!(bold.text().await.unwrap(), "lab");
    // Kim's open page read it: Sam sees the receipt.
    until_says(&sams, "#seen", "Seen by Kim").await;

    // Kim answers with the button.
    let field = kims.find(Locator::Id("body")).await.unwrap();
    field.send_keys("Yes, just now").await.unwrap();
    kims.find(Locator::Css("#send-message button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until_newest(&sams, "Yes, just now").await;
    assert_eq!(
        messages(&kims).await,
        ["Did you finish the lab?", "Yes, just now"]
    );
    a11y.check(&kims, "a live conversation").await;
    // What arrived live offers what the server offers on a page it writes: Sam may change his
    // own message and report Kim's, and not the other way round.
    let kims_id = sams
        .find(Locator::Css("#messages li:last-child"))
        .await
        .unwrap()
        .attr("data-id")
        .await
        .unwrap()
        .unwrap();
    let report = sams
        .find(Locator::Css("#messages li:last-child details.report form"))
        .await
        .unwrap();
    assert_eq!(
        report.attr("action").await.unwrap().as_deref(),
        Some(format!("{conversation}/{kims_id}/report").as_str())
    );
    let own = sams
        .find(Locator::Css(
            "#messages li:first-child details.change textarea",
        ))
        .await
        .unwrap();
    assert_eq!(
        own.prop("value").await.unwrap().as_deref(),
        Some("Did you finish the **lab**?"),
        "the change starts from what he wrote"
    );
    for (css, what) in [
        (
            "#messages li:first-child details.report",
            "a report of his own",
        ),
        (
            "#messages li:last-child details.change",
            "a change of Kim's",
        ),
    ] {
        assert!(sams.find(Locator::Css(css)).await.is_err(), "{what}");
    }

    // Without JavaScript the same conversation is a page and a form.
    let plain = browser(&driver, false, 360).await;
    sign_in(&plain, &app, "hill-valley", &kim.email).await;
    // The teacher writes in the class channel, which nobody has open: every page's navigation
    // counts it beside "Messages".
    let (status, body) = call(
        &app,
        Method::POST,
        &format!("/api/v1/conversations/{course}/messages"),
        Some(&tess.token),
        Some(json!({ "body": "Lab reports are due Friday" })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    // Kim's open conversation page counts it live; a page loaded now counts it too.
    until_says(&kims, "#messages-unread [data-number]", "1").await;
    plain
        .goto(&format!("{}/courses", app.address))
        .await
        .unwrap();
    assert_eq!(text_of(&plain, "#messages-unread [data-number]").await, "1");
    plain
        .goto(&format!("{}{conversation}", app.address))
        .await
        .unwrap();
    assert_eq!(
        messages(&plain).await,
        ["Did you finish the lab?", "Yes, just now"]
    );
    // The times Sam's page wrote as the messages arrived are the server's.
    assert_eq!(
        texts_of(&sams, "#messages time").await,
        texts_of(&plain, "#messages time").await
    );
    crate::pages_in_chromium::fill(&plain, "body", "Sent without JavaScript").await;
    submit(&plain, &conversation).await;
    assert_eq!(
        messages(&plain).await.last().map(String::as_str),
        Some("Sent without JavaScript")
    );
    until_newest(&sams, "Sent without JavaScript").await;
    // Her own message can be changed for a quarter of an hour: the edit reaches Sam live.
    plain
        .find(Locator::Css(
            "#messages li:last-child details.change summary",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let edit = plain
        .find(Locator::Css(
            "#messages li:last-child details.change textarea",
        ))
        .await
        .unwrap();
    assert_eq!(
        edit.prop("value").await.unwrap().as_deref(),
        Some("Sent without JavaScript")
    );
    edit.clear().await.unwrap();
    edit.send_keys("Edited without JavaScript").await.unwrap();
    let save = plain
        .find(Locator::Css(
            "#messages li:last-child details.change button[value=edit]",
        ))
        .await
        .unwrap();
    crate::pages_in_chromium::click_and_wait(&plain, save).await;
    assert_eq!(
        messages(&plain).await.last().map(String::as_str),
        Some("Edited without JavaScript")
    );
    until_newest(&sams, "Edited without JavaScript").await;
    assert!(text_of(&sams, "#messages li:last-child .meta")
        .await
        .contains("(edited)"));
    // Sam's messages offer him nothing to change on Kim's page.
    assert!(plain
        .find(Locator::Css("#messages li:first-child details.change"))
        .await
        .is_err());
    // An empty message is refused with the reason, next to the field.
    submit(&plain, &conversation).await;
    assert!(
        text_of(&plain, "#error-summary").await.contains("Message"),
        "the summary names the field"
    );

    // Kim sends a picture from the form for files; Sam's open page shows it at once.
    let name = format!("diagram-{}.png", campus_platform::id::new_id_string());
    let picture = std::env::temp_dir().join(&name);
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    bytes.extend(std::iter::repeat_n(1u8, 2_000));
    std::fs::write(&picture, &bytes).unwrap();
    plain
        .find(Locator::Css("details.send-file summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    plain
        .find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(picture.to_str().unwrap())
        .await
        .unwrap();
    crate::pages_in_chromium::fill(&plain, "caption", "The diagram").await;
    let send = plain
        .find(Locator::Css("#send-file button[type=submit]"))
        .await
        .unwrap();
    crate::pages_in_chromium::click_and_wait(&plain, send).await;
    std::fs::remove_file(&picture).unwrap();
    assert_eq!(
        text_of(&plain, "#messages li:last-child .file a").await,
        name
    );
    assert_eq!(
        messages(&plain).await.last().map(String::as_str),
        Some("The diagram")
    );
    eventually(WITHIN, "Sam's page to show the file", || async {
        (text_of(&sams, "#messages li:last-child .file a").await == name).then_some(())
    })
    .await;
    let link = sams
        .find(Locator::Css("#messages li:last-child .file a"))
        .await
        .unwrap();
    let href = link.attr("href").await.unwrap().unwrap();
    assert!(href.ends_with("/file"), "{href}");
    a11y.check(&sams, "a conversation with a picture").await;

    // Kim reports Sam's first message; the school's admin hides it from the moderation
    // queue, and Sam's open page shows at once that a moderator removed it.
    plain
        .goto(&format!("{}{conversation}", app.address))
        .await
        .unwrap();
    assert!(
        plain
            .find(Locator::Css("#messages li:last-child details.report"))
            .await
            .is_err(),
        "her own message offers no report"
    );
    plain
        .find(Locator::Css(
            "#messages li:first-child details.report summary",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    plain
        .find(Locator::Css(
            "#messages li:first-child details.report input[name=reason]",
        ))
        .await
        .unwrap()
        .send_keys("He keeps asking me for my answers")
        .await
        .unwrap();
    let send = plain
        .find(Locator::Css(
            "#messages li:first-child details.report button",
        ))
        .await
        .unwrap();
    crate::pages_in_chromium::click_and_wait(&plain, send).await;
    assert_eq!(
        text_of(&plain, ".notice[role=status]").await,
        "Thank you. The moderators will look at it."
    );
    let admins = browser(&driver, true, 1280).await;
    sign_in(&admins, &app, "hill-valley", &school.admin.email).await;
    click(&admins, r#"header a[href="/moderation"]"#).await;
    let queue = text_of(&admins, ".queue").await;
    assert!(
        queue.contains("He keeps asking me for my answers")
            && queue.contains("Did you finish the lab?"),
        "{queue}"
    );
    a11y.check(&admins, "the moderation queue with a message")
        .await;
    click(&admins, ".queue button[value=hide]").await;
    assert!(text_of(&admins, "main")
        .await
        .contains("Nothing is waiting"));
    eventually(WITHIN, "Sam's page to show the message removed", || async {
        (messages(&sams).await.first().map(String::as_str)
            == Some("A moderator removed this message."))
        .then_some(())
    })
    .await;
    plain
        .goto(&format!("{}{conversation}", app.address))
        .await
        .unwrap();
    assert_eq!(
        messages(&plain).await.first().map(String::as_str),
        Some("A moderator removed this message.")
    );

    // Kim closes her live page (the one without JavaScript holds no connection): Sam's page
    // stops showing her online.
    kims.close().await.unwrap();
    eventually(WITHIN, "Sam's page to show Kim gone", || async {
        sams.find(Locator::Css(&kims_badge))
            .await
            .is_err()
            .then_some(())
    })
    .await;
    assert_eq!(text_of(&sams, &kims_item).await, "Kim", "her name stays");
    for client in [sams, plain, admins] {
        client.close().await.unwrap();
    }
    env.cleanup().await;
}
