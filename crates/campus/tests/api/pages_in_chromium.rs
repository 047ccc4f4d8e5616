//! The web application in a real headless Chromium, driven over WebDriver (Debian's
//! `chromium-driver`): a school signs up, a student joins with the join code, enrolls and
//! completes the course; the same with JavaScript turned off; keyboard use; and every main
//! page checked with axe-core for serious or critical accessibility violations.
//!
//! Needs `chromedriver` (on the PATH or `CAMPUS_TEST_CHROMEDRIVER`) and Chromium; without them
//! the test says so and passes. The accessibility check needs axe-core's `axe.min.js`, named by
//! `CAMPUS_TEST_AXE` (`.ci/run` installs it from the npm registry); when that is set, the check
//! is required. With `CAMPUS_SCREENSHOTS=<dir>` the test also saves the main pages at desktop
//! and phone width there (README: regenerating the screenshots).

use std::{
    net::TcpListener,
    os::unix::process::CommandExt,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use campus_testkit::{
    people::{call, PASSWORD},
    Backend, TestApp, TestEnv,
};
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::Method;
use serde_json::{json, Value};

use crate::{browser::chromium, identity::code_at, pages::make_super_admin};

/// A running chromedriver, stopped when dropped with the browsers it started.
pub(crate) struct Driver {
    process: Child,
    url: String,
}

impl Drop for Driver {
    /// chromedriver runs in a process group of its own, which the browsers it starts join: a
    /// test that fails before closing its browsers would otherwise leave them running, and
    /// killing chromedriver alone leaves them to init.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.process.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn chromedriver_path() -> Option<String> {
    if let Ok(path) = std::env::var("CAMPUS_TEST_CHROMEDRIVER") {
        return Some(path).filter(|p| !p.is_empty());
    }
    Command::new("chromedriver")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        .then(|| "chromedriver".to_owned())
}

pub(crate) async fn start_driver() -> Option<Driver> {
    let (path, _) = (chromedriver_path()?, chromium()?);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let process = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("chromedriver starts");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some(Driver {
        process,
        url: format!("http://127.0.0.1:{port}"),
    })
}

/// A new browser (its own profile, so its own cookies), `width` wide, with or without
/// JavaScript.
pub(crate) async fn browser(driver: &Driver, javascript: bool, width: u32) -> Client {
    let mut options = json!({
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--lang=en-US"],
    });
    if let Some(binary) = chromium().filter(|c| c.contains('/')) {
        options["binary"] = json!(binary);
    }
    if !javascript {
        options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".into(), options);
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session");
    client.set_window_size(width, 900).await.unwrap();
    client
}

/// `who`'s notification preferences, and the setting of `category` among them.
async fn chosen_for(
    app: &TestApp,
    who: &campus_testkit::people::Person,
    category: &str,
) -> (Value, Value) {
    let (_, chosen) = call(
        app,
        Method::GET,
        "/api/v1/me/notification-preferences",
        Some(&who.token),
        None,
    )
    .await;
    let setting = chosen["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == category)
        .unwrap()
        .clone();
    (chosen, setting)
}

/// The text of the first element matching `css`.
pub(crate) async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Clicks the first element matching `css`, where no page follows (a label, a choice).
async fn press(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Types `text` into the field with id `id`.
pub(crate) async fn fill(client: &Client, id: &str, text: &str) {
    let field = client.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Clicks the submit button of the page's form `action`, and waits for the next page.
pub(crate) async fn submit(client: &Client, action: &str) {
    let button = client
        .find(Locator::Css(&format!(
            r#"form[action="{action}"] button[type="submit"]"#
        )))
        .await
        .unwrap();
    click_and_wait(client, button).await;
}

/// Clicks `element` and waits until the page it leads to has replaced this one.
pub(crate) async fn click_and_wait(client: &Client, element: fantoccini::elements::Element) {
    let html = client.find(Locator::Css("html")).await.unwrap();
    element.click().await.unwrap();
    for _ in 0..100 {
        // The old document's element goes stale once the next page has loaded.
        if html.tag_name().await.is_err() {
            let ready = client
                .execute("return document.readyState", vec![])
                .await
                .unwrap_or_default();
            if ready == "complete" {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no page followed the click");
}

/// Signs in through the sign-in page as `email` of `school`, with the shared test password.
pub(crate) async fn sign_in(client: &Client, app: &TestApp, school: &str, email: &str) {
    client
        .goto(&format!("{}/sign-in", app.address))
        .await
        .unwrap();
    fill(client, "school", school).await;
    fill(client, "email", email).await;
    fill(client, "password", PASSWORD).await;
    submit(client, "/sign-in").await;
}

/// Clicks the element `css` and waits for the next page.
pub(crate) async fn click(client: &Client, css: &str) {
    let element = client.find(Locator::Css(css)).await.unwrap();
    click_and_wait(client, element).await;
}

/// The texts of the elements `css` finds on the open page, in order.
pub(crate) async fn texts_of(client: &Client, css: &str) -> Vec<String> {
    let mut texts = Vec::new();
    for item in client.find_all(Locator::Css(css)).await.unwrap() {
        texts.push(item.text().await.unwrap());
    }
    texts
}

/// The lessons' titles in the course editor, in order.
async fn lesson_order(client: &Client) -> Vec<String> {
    texts_of(client, ".lessons li > a").await
}

/// Drags the editor's lesson `dragged` onto the upper half of `onto`, firing the events a
/// mouse drag fires (WebDriver cannot drive the browser's own drag and drop), and waits for
/// the page the new order is posted to.
async fn drag(client: &Client, dragged: &str, onto: &str) {
    let html = client.find(Locator::Css("html")).await.unwrap();
    client
        .execute(
            "const [dragged, onto] = arguments;
             const item = (title) => [...document.querySelectorAll('.lessons li')]
               .find((li) => li.querySelector('a').textContent.trim() === title);
             const [from, to] = [item(dragged), item(onto)];
             const data = new DataTransfer();
             const top = to.getBoundingClientRect().top + 1;
             from.dispatchEvent(new DragEvent('dragstart', { bubbles: true, dataTransfer: data }));
             to.dispatchEvent(new DragEvent('dragover',
               { bubbles: true, cancelable: true, dataTransfer: data, clientY: top }));
             from.dispatchEvent(new DragEvent('dragend', { bubbles: true, dataTransfer: data }));
             return true;",
            vec![json!(dragged), json!(onto)],
        )
        .await
        .unwrap();
    for _ in 0..100 {
        if html.tag_name().await.is_err() {
            let ready = client.execute("return document.readyState", vec![]).await;
            if ready.is_ok_and(|r| r == "complete") {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("dragging posted no new order");
}

pub(crate) fn path_of(url: &url::Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// axe-core's serious and critical violations of WCAG 2.1 A and AA on the open page (none when
/// axe-core is not installed: then `checked` says so).
pub(crate) struct Accessibility {
    axe: Option<String>,
    checked: Vec<String>,
}

impl Accessibility {
    pub(crate) fn new() -> Self {
        let axe = std::env::var("CAMPUS_TEST_AXE").ok().map(|path| {
            std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!("CAMPUS_TEST_AXE names {path}, which cannot be read: {e}")
            })
        });
        Self {
            axe,
            checked: Vec::new(),
        }
    }

    pub(crate) async fn check(&mut self, client: &Client, page: &str) {
        let Some(axe) = &self.axe else {
            return;
        };
        // WebDriver's scripts run outside the page's Content-Security-Policy.
        client
            .execute(&format!("{axe}\nreturn true;"), vec![])
            .await
            .unwrap();
        if self.checked.is_empty() {
            // The check can fail: an image without a text alternative is found.
            let canary = "document.body.insertAdjacentHTML('beforeend', \
                '<img id=\"canary\" src=\"data:,\">'); return true;";
            client.execute(canary, vec![]).await.unwrap();
            let found = Self::violations(client).await;
            assert!(
                found.to_string().contains("image-alt"),
                "axe-core finds a missing alt: {found}"
            );
            let remove = "document.getElementById('canary').remove(); return true;";
            client.execute(remove, vec![]).await.unwrap();
        }
        let violations = Self::violations(client).await;
        assert_eq!(violations, json!([]), "accessibility violations on {page}");
        self.checked.push(page.to_owned());
    }

    /// axe-core's serious and critical findings of WCAG 2.1 A and AA on the open page.
    async fn violations(client: &Client) -> Value {
        client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] })
                   .then(r => done(r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html) }))))
                   .catch(e => done([{ id: 'axe failed', nodes: [String(e)] }]));",
                vec![],
            )
            .await
            .unwrap()
    }
}

/// Saves the open page as `<name>-<width>.png` when `CAMPUS_SCREENSHOTS` names a folder.
async fn screenshot(client: &Client, name: &str) {
    let Ok(folder) = std::env::var("CAMPUS_SCREENSHOTS") else {
        return;
    };
    let folder = PathBuf::from(folder);
    std::fs::create_dir_all(&folder).unwrap();
    for (label, width) in [("desktop", 1280), ("phone", 360)] {
        client.set_window_size(width, 900).await.unwrap();
        let png = client.screenshot().await.unwrap();
        std::fs::write(folder.join(format!("{name}-{label}.png")), png).unwrap();
    }
    client.set_window_size(1280, 900).await.unwrap();
}

pub(crate) async fn app(env: &TestEnv) -> TestApp {
    env.start_with_pages(campus::contexts::all(), campus_web::pages)
        .await
}

/// A student who joins with `join_code`, enrolls in the course and completes its two lessons,
/// with the forms only (so the same steps pass with JavaScript off).
async fn student_completes_the_course(
    client: &Client,
    address: &str,
    join_code: &str,
    name: &str,
    email: &str,
    a11y: &mut Accessibility,
) {
    client
        .goto(&format!(
            "{address}/register?school=hill-valley&code={join_code}"
        ))
        .await
        .unwrap();
    a11y.check(client, "register").await;
    fill(client, "display_name", name).await;
    fill(client, "email", email).await;
    fill(client, "password", PASSWORD).await;
    submit(client, "/register").await;
    assert_eq!(path_of(&client.current_url().await.unwrap()), "/");
    let hello = client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(hello, format!("Hello, {name}"));

    click(client, r#"nav a[href="/courses"]"#).await;
    fill(client, "q", "biology").await;
    submit(client, "/courses").await;
    let searched = path_of(&client.current_url().await.unwrap());
    assert!(searched.starts_with("/courses?q=biology&"), "{searched}");
    a11y.check(client, "catalogue").await;
    let link = client.find(Locator::LinkText("Biology 101")).await.unwrap();
    click_and_wait(client, link).await;
    a11y.check(client, "course (not enrolled)").await;
    click(client, r#"form[action$="/enroll"] button"#).await;
    a11y.check(client, "course").await;
    click(client, r#"a.button[href^="/lessons/"]"#).await;
    let title = client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(title, "Lesson 1");
    a11y.check(client, "lesson").await;
    click(client, r#"form[action$="/complete"] button"#).await;
    let title = client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        title, "Lesson 2",
        "marking complete goes on to the next lesson"
    );
    click(client, r#"form[action$="/complete"] button"#).await;
    let progress = client
        .find(Locator::Css("progress"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap();
    assert_eq!(progress.as_deref(), Some("100"));
    let status = client
        .find(Locator::Css("main [role=status]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        status.starts_with("You completed this course on"),
        "{status}"
    );
}

#[tokio::test]
async fn the_web_application_in_chromium() {
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
    the_web_application(&driver, &Site::Embedded(&env, &app)).await;
    env.cleanup().await;
}

/// Where [`the_web_application`] runs: the embedded shape's one process, or the one-machine
/// deployment behind nginx (`deploy/one-machine`, tested in `one_machine`).
pub(crate) enum Site<'a> {
    Embedded(&'a TestEnv, &'a TestApp),
    /// nginx's address, and the deployment's state folder.
    Deployment {
        address: String,
        state: PathBuf,
    },
}

impl Site<'_> {
    fn address(&self) -> &str {
        match self {
            Self::Embedded(_, app) => &app.address,
            Self::Deployment { address, .. } => address,
        }
    }

    async fn mailed_token(&self, to: &str, path: &str) -> Option<String> {
        match self {
            Self::Embedded(env, _) => {
                campus_testkit::people::mailed_token(env, Some(to), path).await
            }
            Self::Deployment { state, .. } => {
                campus_testkit::people::mailed_token_in(&state.join("data"), Some(to), path).await
            }
        }
    }

    /// A super admin with [`PASSWORD`]; in the deployment from the command line, as its
    /// operators make one (deploy/README.md).
    async fn make_super_admin(&self, email: &str) {
        let state = match self {
            Self::Embedded(env, _) => return make_super_admin(env, email).await,
            Self::Deployment { state, .. } => state.clone(),
        };
        let email = email.to_owned();
        let made = tokio::task::spawn_blocking(move || {
            use std::io::Write as _;
            let mut child = Command::new("bash")
                .arg("-c")
                .arg(
                    r#"source "$1/run/env.sh" && "$CAMPUS_BIN" admin create-user --role super_admin --email "$2" --name Root"#,
                )
                .arg("campus")
                .arg(&state)
                .arg(&email)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
            drop(stdin);
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap();
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
}

/// The web application end to end in Chromium at `site`: a school signs up through its pages,
/// invites a teacher by mail, who builds a course in the editor (with keyboard and drag); two
/// students join with the join code and complete it (one with JavaScript off); the teacher
/// reads the class's progress; a super admin's pages; the second sign-in step; Spanish at
/// phone width. Every main page is checked with axe-core.
pub(crate) async fn the_web_application(driver: &Driver, site: &Site<'_>) {
    let address = site.address();
    let mut a11y = Accessibility::new();

    // A school signs up.
    let ada = browser(driver, true, 1280).await;
    ada.goto(&format!("{}/schools/new", address)).await.unwrap();
    a11y.check(&ada, "school sign-up").await;
    screenshot(&ada, "school-sign-up").await;
    fill(&ada, "name", "Hill Valley High").await;
    fill(&ada, "slug", "hill-valley").await;
    fill(&ada, "admin_name", "Ada").await;
    fill(&ada, "admin_email", "ada@example.org").await;
    fill(&ada, "admin_password", "short").await;
    submit(&ada, "/schools/new").await;
    // The refused form: the error summary takes focus, and links to the field.
    let focused = ada
        .active_element()
        .await
        .unwrap()
        .attr("id")
        .await
        .unwrap();
    assert_eq!(focused.as_deref(), Some("error-summary"));
    a11y.check(&ada, "school sign-up with errors").await;
    screenshot(&ada, "form-errors").await;
    fill(&ada, "admin_password", PASSWORD).await;
    submit(&ada, "/schools/new").await;
    assert_eq!(
        path_of(&ada.current_url().await.unwrap()),
        "/?welcome=school",
        "{}",
        ada.source().await.unwrap()
    );
    let join_code = ada
        .find(Locator::Css("strong.code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    a11y.check(&ada, "dashboard (admin)").await;

    // The admin invites a teacher, who accepts from the mailed link.
    ada.goto(&format!("{}/admin/people", address))
        .await
        .unwrap();
    a11y.check(&ada, "admin: people").await;
    fill(&ada, "display_name", "Tess").await;
    fill(&ada, "email", "tess@example.org").await;
    ada.find(Locator::Css(r#"#invite-role option[value="teacher"]"#))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&ada, "/admin/people/invite").await;
    screenshot(&ada, "admin-people").await;
    for page in ["/admin/import", "/admin/school", "/admin/audit"] {
        ada.goto(&format!("{}{page}", address)).await.unwrap();
        a11y.check(&ada, page).await;
    }
    let invitation = site
        .mailed_token("tess@example.org", "/accept-invitation")
        .await
        .expect("an invitation");
    let tess = browser(driver, true, 1280).await;
    tess.goto(&format!("{}/accept-invitation?token={invitation}", address))
        .await
        .unwrap();
    a11y.check(&tess, "accept invitation").await;
    fill(&tess, "password", PASSWORD).await;
    submit(&tess, "/accept-invitation").await;
    fill(&tess, "school", "hill-valley").await;
    fill(&tess, "email", "tess@example.org").await;
    fill(&tess, "password", PASSWORD).await;
    submit(&tess, "/sign-in").await;

    // The teacher builds the course in its editor.
    click(&tess, r#"a[href="/courses/new"]"#).await;
    a11y.check(&tess, "new course").await;
    fill(&tess, "title", "Biology 101").await;
    fill(&tess, "summary", "Cells and what they do").await;
    fill(&tess, "subject", "Biology").await;
    submit(&tess, "/courses/new").await;
    let edit = path_of(&tess.current_url().await.unwrap());
    let course_id = edit
        .trim_start_matches("/courses/")
        .trim_end_matches("/edit")
        .to_owned();
    fill(&tess, "module_title", "Cells").await;
    submit(&tess, &format!("/courses/{course_id}/modules")).await;
    for title in ["Lesson 2", "Lesson 1"] {
        click(&tess, r#"a[href*="/lessons/new"]"#).await;
        fill(&tess, "title", title).await;
        fill(&tess, "body", &format!("{title} is **important**.")).await;
        // The preview follows the typing.
        let mut previewed = String::new();
        for _ in 0..50 {
            previewed = tess
                .find(Locator::Id("lesson-preview"))
                .await
                .unwrap()
                .html(true)
                .await
                .unwrap();
            if previewed.contains("<strong>important</strong>") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            previewed.contains("<strong>important</strong>"),
            "{previewed}"
        );
        a11y.check(&tess, "lesson editor").await;
        click(&tess, r#"button[name="intent"][value="save"]"#).await;
    }
    screenshot(&tess, "course-editor").await;
    a11y.check(&tess, "course editor").await;
    // Keyboard only: from the lesson's link, Tab reaches its Up button, Enter moves it.
    let link = tess.find(Locator::LinkText("Lesson 1")).await.unwrap();
    link.send_keys("\u{E004}").await.unwrap();
    let focused = tess.active_element().await.unwrap();
    let label = focused.text().await.unwrap();
    assert_eq!(
        label.split_whitespace().collect::<Vec<_>>(),
        ["Up", "Lesson", "1"]
    );
    let html = tess.find(Locator::Css("html")).await.unwrap();
    focused.send_keys("\u{E007}").await.unwrap();
    for _ in 0..100 {
        if html.tag_name().await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        lesson_order(&tess).await,
        ["Lesson 1", "Lesson 2"],
        "moved by keyboard"
    );
    // Dragging (the script's way; the events a mouse drag fires): Lesson 2 above Lesson 1,
    // then back.
    for (dragged, onto) in [("Lesson 2", "Lesson 1"), ("Lesson 1", "Lesson 2")] {
        drag(&tess, dragged, onto).await;
        assert_eq!(lesson_order(&tess).await, [dragged, onto], "dragged");
    }
    submit(&tess, &format!("/courses/{course_id}/publish")).await;
    let state = tess
        .find(Locator::Css("#state-title + p"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(state.starts_with("Published"), "{state}");

    // A student, with JavaScript.
    let marty = browser(driver, true, 1280).await;
    student_completes_the_course(
        &marty,
        address,
        &join_code,
        "Marty",
        "marty@example.org",
        &mut a11y,
    )
    .await;
    screenshot(&marty, "course").await;
    marty.goto(&format!("{}/", address)).await.unwrap();
    a11y.check(&marty, "dashboard (student)").await;
    screenshot(&marty, "dashboard").await;
    marty.goto(&format!("{}/courses", address)).await.unwrap();
    screenshot(&marty, "catalogue").await;
    marty
        .goto(&format!("{}/no/such/page", address))
        .await
        .unwrap();
    a11y.check(&marty, "not found").await;

    // Keyboard: the first Tab reaches the skip link, which takes focus to the content.
    marty
        .goto(&format!("{}/courses/{course_id}", address))
        .await
        .unwrap();
    let body = marty.find(Locator::Css("body")).await.unwrap();
    body.send_keys("\u{E004}").await.unwrap();
    let first = marty.active_element().await.unwrap();
    assert_eq!(
        first.attr("class").await.unwrap().as_deref(),
        Some("skip-link")
    );
    first.send_keys("\u{E007}").await.unwrap();
    let focused = marty
        .active_element()
        .await
        .unwrap()
        .attr("id")
        .await
        .unwrap();
    assert_eq!(focused.as_deref(), Some("main"));
    let lesson = marty
        .find(Locator::Css(r#".outline a[href^="/lessons/"]"#))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    marty.goto(&format!("{}{lesson}", address)).await.unwrap();
    screenshot(&marty, "lesson").await;
    marty.close().await.unwrap();

    // Another student, with JavaScript turned off: every step is a form or a link.
    let jennifer = browser(driver, false, 360).await;
    student_completes_the_course(
        &jennifer,
        address,
        &join_code,
        "Jennifer",
        "jennifer@example.org",
        &mut Accessibility {
            axe: None,
            checked: Vec::new(),
        },
    )
    .await;
    jennifer.close().await.unwrap();

    // The teacher sees the class's progress.
    tess.goto(&format!("{}/courses/{course_id}/class", address))
        .await
        .unwrap();
    a11y.check(&tess, "class progress").await;
    screenshot(&tess, "class-progress").await;
    let rows = tess
        .find(Locator::Css("tbody"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        rows.contains("Marty") && rows.contains("Jennifer"),
        "{rows}"
    );
    tess.goto(&format!("{}/courses/{course_id}/people", address))
        .await
        .unwrap();
    a11y.check(&tess, "course people").await;
    tess.goto(&format!("{}/security", address)).await.unwrap();
    a11y.check(&tess, "security").await;
    tess.goto(&format!("{}/profile", address)).await.unwrap();
    a11y.check(&tess, "profile").await;
    tess.close().await.unwrap();

    // A super admin's pages.
    site.make_super_admin("root@example.org").await;
    let root = browser(driver, true, 1280).await;
    root.goto(&format!("{}/sign-in?school=platform", address))
        .await
        .unwrap();
    fill(&root, "email", "root@example.org").await;
    fill(&root, "password", PASSWORD).await;
    submit(&root, "/sign-in").await;
    for page in ["/platform/schools", "/platform/events"] {
        root.goto(&format!("{}{page}", address)).await.unwrap();
        a11y.check(&root, page).await;
    }
    root.close().await.unwrap();

    // The admin turns on the second step, signs out, and signs in with a code from the app.
    ada.goto(&format!("{}/security", address)).await.unwrap();
    fill(&ada, "password", PASSWORD).await;
    submit(&ada, "/security/2fa/enrol").await;
    assert!(ada.find(Locator::Css(".qr svg")).await.is_ok(), "a QR code");
    let secret = ada
        .find(Locator::Css("code.code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    a11y.check(&ada, "security: setting up the second step")
        .await;
    screenshot(&ada, "second-factor").await;
    fill(&ada, "code", &code_at(&secret, 0)).await;
    submit(&ada, "/security/2fa/confirm").await;
    let codes = ada.find_all(Locator::Css(".codes li")).await.unwrap();
    assert!(codes.len() >= 8, "recovery codes are shown");
    submit(&ada, "/sign-out").await;
    fill(&ada, "school", "hill-valley").await;
    fill(&ada, "email", "ada@example.org").await;
    fill(&ada, "password", PASSWORD).await;
    submit(&ada, "/sign-in").await;
    a11y.check(&ada, "sign-in: second step").await;
    fill(&ada, "totp_code", &code_at(&secret, 30)).await;
    submit(&ada, "/sign-in").await;
    let hello = ada
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(hello, "Hello, Ada");

    // Sign-in at phone width, in Spanish from the profile's language.
    let api = reqwest::Client::new();
    let me: Value = api
        .post(format!("{address}/api/v1/auth/login"))
        .json(
            &json!({ "school": "hill-valley", "email": "marty@example.org", "password": PASSWORD }),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let changed = api
        .patch(format!("{address}/api/v1/me"))
        .bearer_auth(me["access_token"].as_str().unwrap())
        .json(&json!({ "locale": "es" }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    ada.goto(&format!("{}/sign-in", address)).await.unwrap();
    screenshot(&ada, "sign-in").await;
    ada.close().await.unwrap();
    let spanish = browser(driver, true, 360).await;
    spanish.goto(&format!("{}/sign-in", address)).await.unwrap();
    fill(&spanish, "school", "hill-valley").await;
    fill(&spanish, "email", "marty@example.org").await;
    fill(&spanish, "password", PASSWORD).await;
    submit(&spanish, "/sign-in").await;
    let hello = spanish
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(hello, "Hola, Marty");
    a11y.check(&spanish, "dashboard (Spanish, phone)").await;
    spanish.close().await.unwrap();

    if a11y.axe.is_some() {
        eprintln!(
            "axe-core found no serious or critical violation on: {}",
            a11y.checked.join(", ")
        );
    } else {
        eprintln!("CAMPUS_TEST_AXE is not set: the accessibility check did not run");
    }
}

/// A student reads their grades and asks "what if", and the teacher reads the gradebook, in
/// Chromium; both pages checked with axe-core. The work and its grades are set up through the
/// API (their own pages are tested with them).
#[tokio::test]
async fn grades_and_the_gradebook_in_chromium() {
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
    let mut a11y = Accessibility::new();
    let crate::pages::Class {
        teacher: tess,
        student: sam,
        course,
        ..
    } = crate::pages::class(&app).await;
    let mut assignments = Vec::new();
    for title in ["Lab report", "Essay"] {
        let (status, made) = call(
            &app,
            Method::POST,
            &format!("/api/v1/courses/{course}/assignments"),
            Some(&tess.token),
            Some(json!({ "title": title, "max_points": 10, "submission_types": ["text"] })),
        )
        .await;
        assert_eq!(status, 201, "{made}");
        let id = made["id"].as_str().unwrap().to_owned();
        call(
            &app,
            Method::POST,
            &format!("/api/v1/assignments/{id}/publish"),
            Some(&tess.token),
            None,
        )
        .await;
        assignments.push(id);
    }
    let (_, handed) = call(
        &app,
        Method::POST,
        &format!("/api/v1/assignments/{}/submissions", assignments[0]),
        Some(&sam.token),
        Some(json!({ "text": "Measured." })),
    )
    .await;
    let (status, _) = call(
        &app,
        Method::POST,
        &format!(
            "/api/v1/submissions/{}/grade",
            handed["id"].as_str().unwrap()
        ),
        Some(&tess.token),
        Some(json!({ "points": 6 })),
    )
    .await;
    assert_eq!(status, 200);
    campus_testkit::eventually(
        Duration::from_secs(20),
        "the gradebook has the grade",
        || async {
            let (grades,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM grades WHERE course_id = $1")
                    .bind(&course)
                    .fetch_one(app.db("gradebook").pool())
                    .await
                    .unwrap();
            (grades == 1).then_some(())
        },
    )
    .await;

    // A poster to hand in as a file, through its page.
    let (_, poster) = call(&app, Method::POST, &format!("/api/v1/courses/{course}/assignments"), Some(&tess.token),
        Some(json!({ "title": "Poster", "max_points": 0, "submission_types": ["text", "file"], "file_types": ["application/pdf"],
            "instructions": "Make a **poster**." }))).await;
    let poster = poster["id"].as_str().unwrap().to_owned();
    call(
        &app,
        Method::POST,
        &format!("/api/v1/assignments/{poster}/publish"),
        Some(&tess.token),
        None,
    )
    .await;

    // Sam signs in, hands in his poster from the assignment's page (the file chosen as a
    // person would), and reads his grades: 6 of the 10 graded points so far.
    let browser_sam = browser(&driver, true, 1280).await;
    sign_in(&browser_sam, &app, "hill-valley", &sam.email).await;
    browser_sam
        .goto(&format!("{}/courses/{course}/assignments", app.address))
        .await
        .unwrap();
    a11y.check(&browser_sam, "assignments").await;
    click(&browser_sam, &format!(r#"a[href="/assignments/{poster}"]"#)).await;
    a11y.check(&browser_sam, "assignment").await;
    let pdf = std::env::temp_dir().join(format!(
        "poster-{}.pdf",
        campus_platform::id::new_id_string()
    ));
    std::fs::write(&pdf, b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n").unwrap();
    fill(&browser_sam, "text", "My poster, attached.").await;
    browser_sam
        .find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(pdf.to_str().unwrap())
        .await
        .unwrap();
    let hand_in = browser_sam
        .find(Locator::Css(r#"form[data-upload] button[type="submit"]"#))
        .await
        .unwrap();
    click_and_wait(&browser_sam, hand_in).await;
    let notice = browser_sam
        .find(Locator::Css("p.notice"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(notice.contains("Handed in"), "{notice}");
    let handed = browser_sam
        .find(Locator::Css("article.submission"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        handed.contains("My poster, attached.")
            && handed.contains(pdf.file_name().unwrap().to_str().unwrap()),
        "{handed}"
    );
    screenshot(&browser_sam, "assignment").await;
    let _ = std::fs::remove_file(&pdf);
    let (kept,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM submissions WHERE assignment_id = $1")
            .bind(&poster)
            .fetch_one(app.db("assessments").pool())
            .await
            .unwrap();
    assert_eq!(kept, 1, "one hand-in, kept with its file");
    campus_testkit::eventually(
        Duration::from_secs(20),
        "the gradebook has the poster",
        || async {
            let (items,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM grade_items WHERE course_id = $1")
                    .bind(&course)
                    .fetch_one(app.db("gradebook").pool())
                    .await
                    .unwrap();
            (items == 3).then_some(())
        },
    )
    .await;
    click(&browser_sam, r#"nav a[href="/grades"]"#).await;
    a11y.check(&browser_sam, "grades").await;
    screenshot(&browser_sam, "grades").await;
    let grade = browser_sam
        .find(Locator::Css(".course-grade"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(grade.contains("60 %") && grade.contains("(D)"), "{grade}");
    // What if the essay gets 10?
    fill(&browser_sam, &format!("if-{}", assignments[1]), "10").await;
    submit(&browser_sam, &format!("/grades/{course}/what-if")).await;
    let imagined = browser_sam
        .find(Locator::Css("p.notice"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        imagined.contains("80 %") && imagined.contains("(B)"),
        "{imagined}"
    );
    a11y.check(&browser_sam, "grades (what if)").await;
    // The transcript, from the grades page, prints without the frame.
    click(
        &browser_sam,
        &format!(r#"a[href="/users/{}/transcript"]"#, sam.id),
    )
    .await;
    a11y.check(&browser_sam, "transcript").await;
    let row = browser_sam
        .find(Locator::Css("tbody tr"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        row.contains("Physics") && row.contains("60 %") && row.contains('D'),
        "{row}"
    );
    browser_sam
        .find(Locator::Css("button[data-print]"))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap()
        .then_some(())
        .expect("the print button shows when JavaScript runs");
    // The page's print rules applied to the screen (through the CSS object model: the
    // Content-Security-Policy refuses a new inline stylesheet).
    let header_printed = browser_sam
        .execute(
            "const sheet = document.styleSheets[0]; \
             for (const rule of [...sheet.cssRules]) \
               if (rule.media && rule.media.mediaText === 'print') \
                 sheet.insertRule(rule.cssText.replace(/^@media print/, '@media all'), sheet.cssRules.length); \
             return getComputedStyle(document.querySelector('header.top')).display;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        header_printed, "none",
        "the print stylesheet hides the header"
    );
    screenshot(&browser_sam, "transcript").await;
    browser_sam.close().await.unwrap();

    // Tess reads the gradebook from the course page.
    let browser_tess = browser(&driver, true, 1280).await;
    sign_in(&browser_tess, &app, "hill-valley", &tess.email).await;
    browser_tess
        .goto(&format!("{}/courses/{course}", app.address))
        .await
        .unwrap();
    click(
        &browser_tess,
        &format!(r#"a[href="/courses/{course}/gradebook"]"#),
    )
    .await;
    a11y.check(&browser_tess, "gradebook").await;
    screenshot(&browser_tess, "gradebook").await;
    let row = browser_tess
        .find(Locator::Css("tbody tr"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        row.contains("Sam") && row.contains('6') && row.contains("60 %"),
        "{row}"
    );
    let csv = browser_tess
        .find(Locator::Css(&format!(
            r#"a[href="/courses/{course}/gradebook.csv"]"#
        )))
        .await
        .unwrap();
    assert_eq!(csv.attr("download").await.unwrap().as_deref(), Some(""));

    // Tess overrides Sam's lab report with a reason, from its cell; the history keeps both.
    click(
        &browser_tess,
        &format!(
            r#"a[href="/courses/{course}/gradebook/{}/{}"]"#,
            assignments[0], sam.id
        ),
    )
    .await;
    a11y.check(&browser_tess, "a grade").await;
    fill(&browser_tess, "override_points", "8").await;
    fill(&browser_tess, "reason", "Redone in class.").await;
    let set = browser_tess
        .find(Locator::Css(r#"button[value="override"]"#))
        .await
        .unwrap();
    click_and_wait(&browser_tess, set).await;
    let history = browser_tess
        .find(Locator::Css("ol.history"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        history.contains("Graded (6)")
            && history.contains("Set by the teacher (8): “Redone in class.”"),
        "{history}"
    );
    // The grading rules: one weighted category with the lab report in it.
    browser_tess
        .goto(&format!(
            "{}/courses/{course}/gradebook/settings",
            app.address
        ))
        .await
        .unwrap();
    a11y.check(&browser_tess, "grading rules").await;
    fill(&browser_tess, "category-0-name", "Labs").await;
    fill(&browser_tess, "category-0-weight", "100").await;
    submit(
        &browser_tess,
        &format!("/courses/{course}/gradebook/settings"),
    )
    .await;
    assert_eq!(
        path_of(&browser_tess.current_url().await.unwrap()),
        format!("/courses/{course}/gradebook")
    );
    let (_, book) = call(
        &app,
        Method::GET,
        &format!("/api/v1/courses/{course}/gradebook"),
        Some(&tess.token),
        None,
    )
    .await;
    assert_eq!(book["scheme"]["categories"][0]["name"], "Labs", "{book}");
    assert_eq!(book["scheme"]["categories"][0]["weight"], 100.0);

    // Tess grades the poster from its page, with a comment; no hand-in is left to grade, so
    // she is back on the assignment, where the grade shows.
    browser_tess
        .goto(&format!("{}/assignments/{poster}", app.address))
        .await
        .unwrap();
    click(
        &browser_tess,
        &format!(r#"a[href^="/assignments/{poster}/grade/"]"#),
    )
    .await;
    a11y.check(&browser_tess, "grading").await;
    screenshot(&browser_tess, "grading").await;
    fill(&browser_tess, "points", "0").await;
    fill(&browser_tess, "comment", "Nice colours.").await;
    let save = browser_tess
        .find(Locator::Css(
            r#"form[action^="/assignments/"] button:not([name])"#,
        ))
        .await
        .unwrap();
    click_and_wait(&browser_tess, save).await;
    assert_eq!(
        path_of(&browser_tess.current_url().await.unwrap()),
        format!("/assignments/{poster}")
    );
    let graded = browser_tess
        .find(Locator::Css("article.submission"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        graded.contains("Nice colours.") && graded.contains("Graded"),
        "{graded}"
    );
    browser_tess.close().await.unwrap();
    env.cleanup().await;
}

/// A student takes a timed quiz in Chromium: the countdown, answers saved as they go (still
/// there after a reload), the warning when a minute is left, and the marked results with the
/// answer key; each page checked with axe-core.
#[tokio::test]
async fn a_timed_quiz_in_chromium() {
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
    let mut a11y = Accessibility::new();
    let crate::pages::Class {
        teacher: tess,
        student: sam,
        course,
        ..
    } = crate::pages::class(&app).await;
    let (status, bank) = call(&app, Method::POST, &format!("/api/v1/courses/{course}/question-banks"), Some(&tess.token),
        Some(json!({ "title": "Motion", "questions": [
            { "prompt": "Which is a **unit of speed**?", "points": 2, "question": { "kind": "single_choice", "options": [
                { "id": "ms", "text": "metres per second", "correct": true }, { "id": "kg", "text": "kilograms" } ] } },
            { "prompt": "Speed has a direction.", "points": 1, "question": { "kind": "true_false", "answer": false } },
            { "prompt": "g, in m/s²?", "points": 1, "question": { "kind": "numeric", "answer": 9.81, "tolerance": 0.1 } } ] }))).await;
    assert_eq!(status, 201, "{bank}");
    let ids: Vec<String> = bank["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect();
    let (status, quiz) = call(&app, Method::POST, &format!("/api/v1/courses/{course}/quizzes"), Some(&tess.token),
        Some(json!({ "title": "Motion check", "time_limit_secs": 600, "selection": ids.iter().map(|id| json!({ "kind": "fixed", "question_id": id })).collect::<Vec<_>>() }))).await;
    assert_eq!(status, 201, "{quiz}");
    let quiz = quiz["id"].as_str().unwrap().to_owned();
    call(
        &app,
        Method::POST,
        &format!("/api/v1/quizzes/{quiz}/publish"),
        Some(&tess.token),
        None,
    )
    .await;

    let student = browser(&driver, true, 1280).await;
    sign_in(&student, &app, "hill-valley", &sam.email).await;
    student
        .goto(&format!("{}/courses/{course}/assignments", app.address))
        .await
        .unwrap();
    click(&student, &format!(r#"a[href="/quizzes/{quiz}"]"#)).await;
    a11y.check(&student, "quiz").await;
    submit(&student, &format!("/quizzes/{quiz}/start")).await;
    a11y.check(&student, "quiz attempt").await;
    screenshot(&student, "quiz-attempt").await;
    let attempt = path_of(&student.current_url().await.unwrap())
        .trim_start_matches("/attempts/")
        .to_owned();
    let countdown = student
        .find(Locator::Css(".countdown .left"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        countdown.starts_with("9:") || countdown.starts_with("10:"),
        "{countdown}"
    );

    // A choice is saved as it is made: a reload shows it.
    student
        .find(Locator::Css(&format!(
            r#"input[name="q.{}"][value="ms"]"#,
            ids[0]
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    student
        .find(Locator::Css(&format!(
            r#"input[name="q.{}"][value="false"]"#,
            ids[1]
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    campus_testkit::eventually(Duration::from_secs(10), "the choices are saved", || async {
        let (saved,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM answers WHERE attempt_id = $1")
            .bind(&attempt)
            .fetch_one(app.db("assessments").pool())
            .await
            .unwrap();
        (saved == 2).then_some(())
    })
    .await;
    student.refresh().await.unwrap();
    let checked = student
        .find(Locator::Css(&format!(
            r#"input[name="q.{}"][value="ms"]"#,
            ids[0]
        )))
        .await
        .unwrap()
        .prop("checked")
        .await
        .unwrap();
    assert_eq!(
        checked.as_deref(),
        Some("true"),
        "saved as Sam went, still there after a reload"
    );

    // A minute before the deadline (moved there, as the clock would), the page says so.
    sqlx::query("UPDATE attempts SET deadline = $1 WHERE id = $2")
        .bind(campus_platform::time::now_ms() + 50_000)
        .bind(&attempt)
        .execute(app.db("assessments").pool())
        .await
        .unwrap();
    student.refresh().await.unwrap();
    let alert = student
        .find(Locator::Id("countdown-alert"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(alert.contains("One minute left"), "{alert}");

    fill(&student, &format!("q-{}", ids[2]), "9.8").await;
    let submit_button = student
        .find(Locator::Css(r#"button[name="submit"]"#))
        .await
        .unwrap();
    click_and_wait(&student, submit_button).await;
    a11y.check(&student, "quiz results").await;
    screenshot(&student, "quiz-results").await;
    let result = student
        .find(Locator::Css(".course-grade"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // 2 (metres per second) + 1 (false) + 1 (9.8 within 0.1 of 9.81)
    assert!(result.contains("4 / 4"), "{result}");
    let key = student
        .find(Locator::Css(".badge.ok"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(key, "right answer");
    student.close().await.unwrap();
    env.cleanup().await;
}

/// A teacher writes a question bank in Chromium: starts the bank from the course's
/// assignments, adds a single-choice and a numeric question through their forms (a number that
/// is not one is refused next to its field), moves a question and deletes one; every page
/// checked with axe-core. What the forms wrote is read back from the API.
#[tokio::test]
async fn the_question_bank_editor_in_chromium() {
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
    let mut a11y = Accessibility::new();
    let crate::pages::Class {
        teacher: tess,
        course,
        ..
    } = crate::pages::class(&app).await;

    let teacher = browser(&driver, true, 1280).await;
    sign_in(&teacher, &app, "hill-valley", &tess.email).await;
    teacher
        .goto(&format!("{}/courses/{course}/assignments", app.address))
        .await
        .unwrap();
    click(
        &teacher,
        &format!(r#"a[href="/courses/{course}/question-banks"]"#),
    )
    .await;
    a11y.check(&teacher, "question banks").await;
    fill(&teacher, "title", "Forces").await;
    submit(&teacher, &format!("/courses/{course}/question-banks")).await;
    let bank = path_of(&teacher.current_url().await.unwrap())
        .trim_start_matches("/question-banks/")
        .to_owned();
    a11y.check(&teacher, "an empty question bank").await;

    click(
        &teacher,
        &format!(r#"a[href="/question-banks/{bank}/questions/new?kind=single_choice"]"#),
    )
    .await;
    a11y.check(&teacher, "a new single-choice question").await;
    fill(
        &teacher,
        "prompt",
        "Which pushes back when you push a wall?",
    )
    .await;
    fill(&teacher, "points", "2").await;
    fill(&teacher, "option-0-text", "Nothing").await;
    fill(&teacher, "option-1-text", "The wall").await;
    teacher
        .find(Locator::Id("option-1-correct"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&teacher, &format!("/question-banks/{bank}/questions")).await;
    assert_eq!(
        path_of(&teacher.current_url().await.unwrap()),
        format!("/question-banks/{bank}")
    );

    click(
        &teacher,
        &format!(r#"a[href="/question-banks/{bank}/questions/new?kind=numeric"]"#),
    )
    .await;
    fill(&teacher, "prompt", "Newtons to lift 1 kg?").await;
    fill(&teacher, "answer", "about ten").await;
    fill(&teacher, "tolerance", "0.2").await;
    submit(&teacher, &format!("/question-banks/{bank}/questions")).await;
    let summary = teacher
        .find(Locator::Css(".error-summary"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(summary.contains("Right answer"), "{summary}");
    a11y.check(&teacher, "a question refused").await;
    fill(&teacher, "answer", "9.8").await;
    submit(&teacher, &format!("/question-banks/{bank}/questions")).await;
    screenshot(&teacher, "question-bank").await;
    a11y.check(&teacher, "a question bank").await;

    let (_, written) = call(
        &app,
        Method::GET,
        &format!("/api/v1/question-banks/{bank}"),
        Some(&tess.token),
        None,
    )
    .await;
    let questions = written["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 2, "{written}");
    assert_eq!(
        questions[0]["question"],
        json!({ "kind": "single_choice", "options": [
            { "id": "a", "text": "Nothing", "correct": false },
            { "id": "b", "text": "The wall", "correct": true } ] })
    );
    assert_eq!(questions[0]["points"], 2.0);
    assert_eq!(
        questions[1]["question"],
        json!({ "kind": "numeric", "answer": 9.8, "tolerance": 0.2 })
    );
    let numeric = questions[1]["id"].as_str().unwrap().to_owned();

    // The numeric question moves up, then the choice question is deleted.
    let up = teacher
        .find(Locator::Css(&format!(
            r#"form[action="/question-banks/{bank}/questions/{numeric}/move"] button[value="up"]"#
        )))
        .await
        .unwrap();
    click_and_wait(&teacher, up).await;
    let choice = questions[0]["id"].as_str().unwrap().to_owned();
    teacher
        .find(Locator::Css(&format!("#q-{choice} details summary")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(
        &teacher,
        &format!("/question-banks/{bank}/questions/{choice}/delete"),
    )
    .await;
    let (_, written) = call(
        &app,
        Method::GET,
        &format!("/api/v1/question-banks/{bank}"),
        Some(&tess.token),
        None,
    )
    .await;
    let left: Vec<&str> = written["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    assert_eq!(left, vec![numeric.as_str()]);

    teacher.close().await.unwrap();
    env.cleanup().await;
}

/// A teacher sets an assignment in Chromium: the form from the course's assignments (points
/// that are not a number refused next to the field), a due date in the school's time zone,
/// the draft, publishing; each page checked with axe-core.
#[tokio::test]
async fn setting_an_assignment_in_chromium() {
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
    let mut a11y = Accessibility::new();
    let crate::pages::Class {
        teacher: tess,
        student: sam,
        course,
    } = crate::pages::class(&app).await;

    let teacher = browser(&driver, true, 1280).await;
    sign_in(&teacher, &app, "hill-valley", &tess.email).await;
    teacher
        .goto(&format!("{}/courses/{course}/assignments", app.address))
        .await
        .unwrap();
    click(
        &teacher,
        &format!(r#"a[href="/courses/{course}/assignments/new"]"#),
    )
    .await;
    a11y.check(&teacher, "a new assignment").await;
    fill(&teacher, "title", "Lab report").await;
    fill(&teacher, "max_points", "ten").await;
    submit(&teacher, &format!("/courses/{course}/assignments/new")).await;
    let summary = teacher
        .find(Locator::Css(".error-summary"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(summary.contains("Points"), "{summary}");
    a11y.check(&teacher, "an assignment refused").await;
    fill(&teacher, "max_points", "20").await;
    // A datetime-local field's typing order follows the browser's locale; its value does not.
    teacher
        .execute(
            "document.getElementById('due_at').value = '2026-12-10T23:59'; return true;",
            vec![],
        )
        .await
        .unwrap();
    fill(&teacher, "late_percent_per_day", "10").await;
    // A rubric whose best levels fall short of the points comes back with the reason, and
    // with a blank criterion to add the rest.
    press(&teacher, "#rubric > summary").await;
    fill(&teacher, "criterion-0-title", "Method").await;
    fill(&teacher, "criterion-0-level-0-title", "Sound").await;
    fill(&teacher, "criterion-0-level-0-points", "12").await;
    fill(&teacher, "criterion-0-level-1-title", "Shaky").await;
    fill(&teacher, "criterion-0-level-1-points", "4").await;
    submit(&teacher, &format!("/courses/{course}/assignments/new")).await;
    let refusal = text_of(&teacher, "#rubric-error").await;
    assert!(refusal.contains("add up"), "{refusal}");
    a11y.check(&teacher, "a rubric refused").await;
    fill(&teacher, "criterion-1-title", "Writing").await;
    fill(&teacher, "criterion-1-level-0-title", "Clear").await;
    fill(&teacher, "criterion-1-level-0-points", "8").await;
    submit(&teacher, &format!("/courses/{course}/assignments/new")).await;
    let rubric = text_of(&teacher, "section.rubric").await;
    assert!(
        rubric.contains("Method") && rubric.contains("Clear"),
        "{rubric}"
    );
    let assignment = path_of(&teacher.current_url().await.unwrap())
        .trim_start_matches("/assignments/")
        .to_owned();
    a11y.check(&teacher, "a draft assignment").await;
    submit(&teacher, &format!("/assignments/{assignment}/publish")).await;
    let notice = teacher
        .find(Locator::Css("p.notice"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(notice.starts_with("Published"), "{notice}");

    let (_, written) = call(
        &app,
        Method::GET,
        &format!("/api/v1/assignments/{assignment}"),
        Some(&tess.token),
        None,
    )
    .await;
    assert_eq!(written["status"], "published", "{written}");
    assert_eq!(written["max_points"], 20.0);
    // The school's zone is UTC unless its admin chose one.
    assert_eq!(written["due_at"], "2026-12-10T23:59:00+00:00");
    assert_eq!(written["late_policy"]["percent_per_day"], 10.0);
    assert_eq!(
        written["rubric"],
        json!({ "criteria": [
            { "id": "c1", "title": "Method", "description": "", "levels": [
                { "id": "l1", "title": "Sound", "points": 12.0 },
                { "id": "l2", "title": "Shaky", "points": 4.0 },
            ] },
            { "id": "c2", "title": "Writing", "description": "", "levels": [
                { "id": "l1", "title": "Clear", "points": 8.0 },
            ] },
        ] })
    );
    // The settings form shows the rubric to change, each criterion with room for a level.
    teacher
        .goto(&format!("{}/assignments/{assignment}/edit", app.address))
        .await
        .unwrap();
    assert_eq!(
        teacher
            .find(Locator::Id("criterion-1-level-0-title"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Clear")
    );
    a11y.check(&teacher, "assignment settings with a rubric")
        .await;
    teacher
        .goto(&format!("{}/assignments/{assignment}", app.address))
        .await
        .unwrap();

    // Sam gets two more days, from the assignment's extensions.
    click(
        &teacher,
        &format!(r#"a[href="/assignments/{assignment}/extensions"]"#),
    )
    .await;
    a11y.check(&teacher, "extensions").await;
    teacher
        .find(Locator::Css(&format!(
            r#"#student option[value="{}"]"#,
            sam.id
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    teacher
        .execute(
            "document.getElementById('due_at').value = '2026-12-12T23:59'; return true;",
            vec![],
        )
        .await
        .unwrap();
    submit(&teacher, &format!("/assignments/{assignment}/extensions")).await;
    let (_, extensions) = call(
        &app,
        Method::GET,
        &format!("/api/v1/assignments/{assignment}/extensions"),
        Some(&tess.token),
        None,
    )
    .await;
    assert_eq!(extensions[0]["student_id"], sam.id.as_str(), "{extensions}");
    assert_eq!(extensions[0]["due_at"], "2026-12-12T23:59:00+00:00");
    a11y.check(&teacher, "an extension given").await;
    teacher.close().await.unwrap();
    env.cleanup().await;
}

/// A teacher sets a quiz from a bank in Chromium (questions ticked, a time limit), publishes
/// it, and after a student's attempt reads how the class answered each option; each page
/// checked with axe-core.
#[tokio::test]
async fn setting_a_quiz_in_chromium() {
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
    let mut a11y = Accessibility::new();
    let crate::pages::Class {
        teacher: tess,
        student: sam,
        course,
    } = crate::pages::class(&app).await;
    let (status, bank) = call(&app, Method::POST, &format!("/api/v1/courses/{course}/question-banks"), Some(&tess.token),
        Some(json!({ "title": "Motion", "questions": [
            { "prompt": "Which is a unit of speed?", "points": 2, "question": { "kind": "single_choice", "options": [
                { "id": "ms", "text": "metres per second", "correct": true }, { "id": "kg", "text": "kilograms" } ] } },
            { "prompt": "Speed has a direction.", "points": 1, "question": { "kind": "true_false", "answer": false } } ] }))).await;
    assert_eq!(status, 201, "{bank}");
    let first = bank["questions"][0]["id"].as_str().unwrap().to_owned();
    let second = bank["questions"][1]["id"].as_str().unwrap().to_owned();

    let teacher = browser(&driver, true, 1280).await;
    sign_in(&teacher, &app, "hill-valley", &tess.email).await;
    teacher
        .goto(&format!("{}/courses/{course}/assignments", app.address))
        .await
        .unwrap();
    click(
        &teacher,
        &format!(r#"a[href="/courses/{course}/quizzes/new"]"#),
    )
    .await;
    a11y.check(&teacher, "a new quiz").await;
    fill(&teacher, "title", "Motion check").await;
    for question in [&first, &second] {
        teacher
            .find(Locator::Id(&format!("fixed-{question}")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    fill(&teacher, "time_limit_minutes", "10").await;
    submit(&teacher, &format!("/courses/{course}/quizzes/new")).await;
    let quiz = path_of(&teacher.current_url().await.unwrap())
        .trim_start_matches("/quizzes/")
        .to_owned();
    a11y.check(&teacher, "a draft quiz").await;
    submit(&teacher, &format!("/quizzes/{quiz}/publish")).await;
    let (_, written) = call(
        &app,
        Method::GET,
        &format!("/api/v1/quizzes/{quiz}"),
        Some(&tess.token),
        None,
    )
    .await;
    assert_eq!(written["status"], "published", "{written}");
    assert_eq!(written["time_limit_secs"], 600);
    assert_eq!(written["question_count"], 2);

    // Sam answers the choice question wrongly.
    let (status, attempt) = call(
        &app,
        Method::POST,
        &format!("/api/v1/quizzes/{quiz}/attempts"),
        Some(&sam.token),
        None,
    )
    .await;
    assert_eq!(status, 201, "{attempt}");
    let attempt = attempt["id"].as_str().unwrap().to_owned();
    let (status, saved) = call(
        &app,
        Method::PUT,
        &format!("/api/v1/attempts/{attempt}/answers"),
        Some(&sam.token),
        Some(json!({ "answers": { &first: { "kind": "choice", "option_id": "kg" } } })),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let (status, _) = call(
        &app,
        Method::POST,
        &format!("/api/v1/attempts/{attempt}/submit"),
        Some(&sam.token),
        None,
    )
    .await;
    assert_eq!(status, 200);

    click(&teacher, &format!(r#"a[href="/quizzes/{quiz}/analysis"]"#)).await;
    a11y.check(&teacher, "item analysis").await;
    let table = teacher
        .find(Locator::Css("table"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(table.contains("kilograms 1"), "{table}");
    assert!(
        table.contains("metres per second right answer 0"),
        "{table}"
    );

    // The settings form shows the quiz as it was set.
    teacher
        .goto(&format!("{}/quizzes/{quiz}/edit", app.address))
        .await
        .unwrap();
    a11y.check(&teacher, "quiz settings").await;
    let ticked = teacher
        .find(Locator::Id(&format!("fixed-{first}")))
        .await
        .unwrap()
        .prop("checked")
        .await
        .unwrap();
    assert_eq!(ticked.as_deref(), Some("true"));
    teacher.close().await.unwrap();
    env.cleanup().await;
}

/// The grading view moves between hand-ins with `j` and `k` in Chromium, and not while the
/// teacher types in a field; a file handed back with the feedback is listed there (checked
/// with axe-core).
#[tokio::test]
async fn grading_moves_with_j_and_k_in_chromium() {
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
    let school = campus_testkit::people::School::create(&app, "hill-valley").await;
    let tess = school.add(&app, "teacher", "Tess").await;
    let course = crate::pages::course(&app, &tess.token, "Physics", 1).await;
    let (_, made) = call(
        &app,
        Method::POST,
        &format!("/api/v1/courses/{course}/assignments"),
        Some(&tess.token),
        Some(json!({ "title": "Essay", "max_points": 10, "submission_types": ["text"] })),
    )
    .await;
    let essay = made["id"].as_str().unwrap().to_owned();
    call(
        &app,
        Method::POST,
        &format!("/api/v1/assignments/{essay}/publish"),
        Some(&tess.token),
        None,
    )
    .await;
    for name in ["Ann", "Bea"] {
        let student = school.add(&app, "student", name).await;
        let (status, body) = call(
            &app,
            Method::POST,
            &format!("/api/v1/courses/{course}/enroll"),
            Some(&student.token),
            Some(json!({})),
        )
        .await;
        assert!(status.is_success(), "{status} {body}");
        let handed = campus_testkit::eventually(
            Duration::from_secs(20),
            "the student's place reaches assessments",
            || async {
                let (status, handed) = call(
                    &app,
                    Method::POST,
                    &format!("/api/v1/assignments/{essay}/submissions"),
                    Some(&student.token),
                    Some(json!({ "text": format!("{name}'s essay.") })),
                )
                .await;
                (status == 201).then_some(handed)
            },
        )
        .await;
        assert!(handed["id"].is_string(), "{handed}");
    }

    let teacher = browser(&driver, true, 1280).await;
    sign_in(&teacher, &app, "hill-valley", &tess.email).await;
    teacher
        .goto(&format!("{}/assignments/{essay}", app.address))
        .await
        .unwrap();
    click(
        &teacher,
        &format!(r#"a[href^="/assignments/{essay}/grade/"]"#),
    )
    .await;
    let first = path_of(&teacher.current_url().await.unwrap());
    let heading = |client: &Client| {
        let client = client.clone();
        async move {
            client
                .find(Locator::Css("h1"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let first_name = heading(&teacher).await;
    // Typing a `j` into the comment stays in the comment.
    teacher
        .find(Locator::Id("comment"))
        .await
        .unwrap()
        .send_keys("just")
        .await
        .unwrap();
    assert_eq!(path_of(&teacher.current_url().await.unwrap()), first);
    // Outside a field, `j` goes to the next hand-in and `k` back.
    let body = teacher.find(Locator::Css("body")).await.unwrap();
    teacher
        .execute("document.activeElement.blur(); return true;", vec![])
        .await
        .unwrap();
    let html = teacher.find(Locator::Css("html")).await.unwrap();
    teacher
        .active_element()
        .await
        .unwrap_or(body)
        .send_keys("j")
        .await
        .unwrap();
    for _ in 0..100 {
        if html.tag_name().await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let second = path_of(&teacher.current_url().await.unwrap());
    assert_ne!(second, first, "j moves to the next hand-in");
    let second_name = heading(&teacher).await;
    assert_ne!(first_name, second_name);
    let html = teacher.find(Locator::Css("html")).await.unwrap();
    teacher
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("k")
        .await
        .unwrap();
    for _ in 0..100 {
        if html.tag_name().await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        path_of(&teacher.current_url().await.unwrap()),
        first,
        "k moves back"
    );

    // A marked-up copy handed back with the feedback.
    let pdf = std::env::temp_dir().join(format!(
        "marked-{}.pdf",
        campus_platform::id::new_id_string()
    ));
    std::fs::write(&pdf, b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n").unwrap();
    teacher
        .find(Locator::Id("feedback-file"))
        .await
        .unwrap()
        .send_keys(pdf.to_str().unwrap())
        .await
        .unwrap();
    let attach = teacher
        .find(Locator::Css(r#"#feedback-files button[type="submit"]"#))
        .await
        .unwrap();
    click_and_wait(&teacher, attach).await;
    let files = teacher
        .find(Locator::Css("#feedback-files ul"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(files.contains("marked-"), "{files}");
    Accessibility::new()
        .check(&teacher, "grading with a file handed back")
        .await;
    std::fs::remove_file(&pdf).ok();
    teacher.close().await.unwrap();
    env.cleanup().await;
}

/// A student added to a course sees the bell's count, opens the notification from the inbox
/// (it takes them to the course and the count goes), in an accessible page.
#[tokio::test]
async fn the_inbox_in_chromium() {
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
    let school = campus_testkit::people::School::create(&app, "hill-valley").await;
    let tess = school.add(&app, "teacher", "Tess").await;
    let sam = school.add(&app, "student", "Sam").await;
    let course = crate::pages::course(&app, &tess.token, "Physics", 1).await;
    let (status, body) = call(
        &app,
        Method::PUT,
        &format!("/api/v1/courses/{course}/members/{}", sam.id),
        Some(&tess.token),
        Some(json!({ "role": "student" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    campus_testkit::eventually(Duration::from_secs(20), "Sam is told", || async {
        let (_, count) = call(
            &app,
            Method::GET,
            "/api/v1/notifications/unread-count",
            Some(&sam.token),
            None,
        )
        .await;
        (count["unread"] == 1).then_some(())
    })
    .await;

    let student = browser(&driver, true, 1280).await;
    sign_in(&student, &app, "hill-valley", &sam.email).await;
    let bell = student.find(Locator::Css("a.bell")).await.unwrap();
    let said = bell.text().await.unwrap();
    assert_eq!(
        said.split_whitespace().collect::<Vec<_>>().join(" "),
        "Notifications 1 unread"
    );
    click_and_wait(&student, bell).await;
    assert_eq!(
        path_of(&student.current_url().await.unwrap()),
        "/notifications"
    );
    let mut a11y = Accessibility::new();
    a11y.check(&student, "the inbox").await;
    let item = student
        .find(Locator::Css(".notifications li.unread button"))
        .await
        .unwrap();
    let said = item.text().await.unwrap();
    assert_eq!(
        said.split_whitespace().collect::<Vec<_>>().join(" "),
        "Unread: You were added to Physics"
    );
    click_and_wait(&student, item).await;
    assert_eq!(
        path_of(&student.current_url().await.unwrap()),
        format!("/courses/{course}")
    );
    let count = student.find(Locator::Css("a.bell .count")).await.unwrap();
    assert!(
        !count.is_displayed().await.unwrap(),
        "no count once all is read"
    );

    // The page stays open while the teacher sets work and grades it: the bell counts each
    // notification as it arrives, and the status region says it with a link to it.
    wait_for(&student, "a.bell[data-connected]").await;
    let made = call(
        &app,
        Method::POST,
        &format!("/api/v1/courses/{course}/assignments"),
        Some(&tess.token),
        Some(json!({ "title": "Lab report", "max_points": 10, "submission_types": ["text"] })),
    )
    .await
    .1;
    let assignment = made["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/assignments/{assignment}/publish");
    assert_eq!(
        call(&app, Method::POST, &path, Some(&tess.token), None)
            .await
            .0,
        200
    );
    assert_eq!(
        live_bell(&student).await,
        (
            "Notifications 1 unread".to_owned(),
            "New assignment: Lab report".to_owned()
        )
    );
    // (Assessments learns Sam's place from courses' events; retried until it has.)
    let path = format!("/api/v1/assignments/{assignment}/submissions");
    let handed = campus_testkit::eventually(Duration::from_secs(20), "Sam hands in", || async {
        let body = Some(json!({ "text": "done" }));
        let (status, answer) = call(&app, Method::POST, &path, Some(&sam.token), body).await;
        (status == 201).then_some(answer)
    })
    .await;
    let path = format!(
        "/api/v1/submissions/{}/grade",
        handed["id"].as_str().unwrap()
    );
    let graded = call(
        &app,
        Method::POST,
        &path,
        Some(&tess.token),
        Some(json!({ "points": 9 })),
    )
    .await;
    assert!(graded.0.is_success(), "{graded:?}");
    let (bell, said) = eventually_said(&student, "Your work on Lab report has a grade").await;
    assert_eq!(bell, "Notifications 2 unread");
    assert_eq!(said, "Your work on Lab report has a grade");
    let link = student.find(Locator::Css("#live-news a")).await.unwrap();
    assert_eq!(
        link.attr("href").await.unwrap().as_deref(),
        Some(format!("/assignments/{assignment}").as_str())
    );
    a11y.check(&student, "a page with live news").await;
    student.close().await.unwrap();
    env.cleanup().await;
}

/// Waits until `css` matches on the page.
pub(crate) async fn wait_for(client: &Client, css: &str) {
    campus_testkit::eventually(Duration::from_secs(20), css, || async {
        client.find(Locator::Css(css)).await.ok().map(|_| ())
    })
    .await;
}

/// The bell's words and the live status region's, once the region says something new.
pub(crate) async fn live_bell(client: &Client) -> (String, String) {
    let words = |text: String| text.split_whitespace().collect::<Vec<_>>().join(" ");
    campus_testkit::eventually(Duration::from_secs(20), "live news", || async {
        let said = client
            .find(Locator::Css("#live-news"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        let bell = client
            .find(Locator::Css("a.bell"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (!said.trim().is_empty()).then(|| (words(bell), words(said)))
    })
    .await
}

/// The bell and the status region once the region says `text`.
async fn eventually_said(client: &Client, text: &str) -> (String, String) {
    campus_testkit::eventually(Duration::from_secs(20), text, || async {
        let (bell, said) = live_bell(client).await;
        (said == text).then_some((bell, said))
    })
    .await
}

/// The calendar page: what is due, and the private address to subscribe to, made, copied,
/// made anew (the old one stops working), with axe's check.
#[tokio::test]
async fn the_calendar_in_chromium() {
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
    let school = campus_testkit::people::School::create(&app, "hill-valley").await;
    let tess = school.add(&app, "teacher", "Tess").await;
    let sam = school.add(&app, "student", "Sam").await;
    let course = crate::pages::course(&app, &tess.token, "Physics", 1).await;
    let path = format!("/api/v1/courses/{course}/members/{}", sam.id);
    let (status, _) = call(
        &app,
        Method::PUT,
        &path,
        Some(&tess.token),
        Some(json!({ "role": "student" })),
    )
    .await;
    assert_eq!(status, 200);
    let due = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 5))
        .round(jiff::Unit::Minute)
        .unwrap();
    // (Assessments learns of the course from courses' events; retried until it has.)
    let path = format!("/api/v1/courses/{course}/assignments");
    let made = campus_testkit::eventually(Duration::from_secs(20), "the assignment is made", || async {
        let body = json!({ "title": "Pendulum lab", "max_points": 10, "submission_types": ["text"], "due_at": due.to_string() });
        let (status, answer) = call(&app, Method::POST, &path, Some(&tess.token), Some(body)).await;
        (status == 201).then_some(answer)
    })
    .await;
    let assignment = made["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/assignments/{assignment}/publish");
    assert_eq!(
        call(&app, Method::POST, &path, Some(&tess.token), None)
            .await
            .0,
        200
    );
    campus_testkit::eventually(
        Duration::from_secs(20),
        "the date reaches the calendar",
        || async {
            let (_, answer) = call(
                &app,
                Method::GET,
                "/api/v1/calendar",
                Some(&sam.token),
                None,
            )
            .await;
            (answer["items"].as_array().map(Vec::len) == Some(1)).then_some(())
        },
    )
    .await;

    let student = browser(&driver, true, 1280).await;
    sign_in(&student, &app, "hill-valley", &sam.email).await;
    click(&student, r#"nav a[href="/calendar"]"#).await;
    let row = student
        .find(Locator::Css(".calendar tbody tr"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = row.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        row.contains("Assignment: Pendulum lab")
            && row.contains("Physics")
            && row.contains("To do"),
        "{row}"
    );
    submit(&student, "/calendar/feed").await;
    let address = student
        .find(Locator::Id("feed-url"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(address.ends_with(".ics"), "{address}");
    let fetched = reqwest::get(&address).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert!(fetched
        .text()
        .await
        .unwrap()
        .contains("SUMMARY:Due: Pendulum lab"));
    let mut a11y = Accessibility::new();
    a11y.check(&student, "the calendar").await;

    // Copy says it copied (the clipboard needs the page focused, which headless grants).
    let copy = student
        .find(Locator::Css("button[data-copy]"))
        .await
        .unwrap();
    assert!(
        copy.is_displayed().await.unwrap(),
        "the copy button shows with JavaScript"
    );

    submit(&student, "/calendar/feed").await;
    let renewed = student
        .find(Locator::Id("feed-url"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert_ne!(renewed, address);
    assert_eq!(
        reqwest::get(&address).await.unwrap().status(),
        404,
        "the old address stops"
    );
    submit(&student, "/calendar/feed/stop").await;
    assert!(student.find(Locator::Id("feed-url")).await.is_err());
    assert_eq!(reqwest::get(&renewed).await.unwrap().status(), 404);
    student.close().await.unwrap();
    env.cleanup().await;
}

/// Choosing what one is told: checkboxes per category, saved, with axe's check.
#[tokio::test]
async fn notification_preferences_in_chromium() {
    let Some(driver) = start_driver().await else {
        eprintln!("chromedriver or Chromium is not installed; skipping the browser test");
        return;
    };
    let mut env = TestEnv::new(&Backend {
        postgres: None,
        nats: None,
    })
    .await;
    // A local push service may be named (nothing listens there; pushes to it are retried).
    env.config.push.allowed_hosts.push("127.0.0.1".into());
    let app = app(&env).await;
    let school = campus_testkit::people::School::create(&app, "hill-valley").await;
    let sam = school.add(&app, "student", "Sam").await;
    let student = browser(&driver, true, 1280).await;
    sign_in(&student, &app, "hill-valley", &sam.email).await;
    click(&student, "a.bell").await;
    click(&student, r#"a[href="/notifications/preferences"]"#).await;
    let mut a11y = Accessibility::new();
    a11y.check(&student, "notification preferences").await;
    let announcements = student
        .find(Locator::Id("category-announcements"))
        .await
        .unwrap();
    assert!(
        announcements.is_selected().await.unwrap(),
        "on until turned off"
    );
    // The label is what a pointer or a screen reader uses.
    press(&student, r#"label[for="category-announcements"]"#).await;
    submit(&student, "/notifications/preferences").await;
    let said = text_of(&student, "main [role=status]").await;
    assert!(said.starts_with("Saved."), "{said}");
    assert!(!student
        .find(Locator::Id("category-announcements"))
        .await
        .unwrap()
        .is_selected()
        .await
        .unwrap());
    assert!(student
        .find(Locator::Id("category-grades"))
        .await
        .unwrap()
        .is_selected()
        .await
        .unwrap());
    let (_, chosen) = call(
        &app,
        Method::GET,
        "/api/v1/me/notification-preferences",
        Some(&sam.token),
        None,
    )
    .await;
    let off: Vec<&str> = chosen["categories"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["in_app"] == false)
        .map(|c| c["category"].as_str().unwrap())
        .collect();
    assert_eq!(off, vec!["announcements"]);

    // Email: new work at once, and no quiet hours.
    student
        .find(Locator::Css(
            r#"#assignments-email option[value="immediately"]"#,
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    press(&student, r#"label[for="quiet"]"#).await;
    submit(&student, "/notifications/preferences").await;
    let (chosen, assignments) = chosen_for(&app, &sam, "assignments").await;
    assert_eq!(assignments["email"], "immediately", "{chosen}");
    assert_eq!(chosen["quiet_hours"], Value::Null, "{chosen}");
    // A digest time that is no time: the form comes back with the error at the field.
    student
        .execute(
            "document.getElementById('digest_at').value = ''; return true;",
            vec![],
        )
        .await
        .unwrap();
    submit(&student, "/notifications/preferences").await;
    let summary = text_of(&student, "#error-summary").await;
    assert!(
        summary.contains("Daily digest at: Enter a time such as 07:30."),
        "{summary}"
    );
    assert_eq!(
        student
            .find(Locator::Id("digest_at"))
            .await
            .unwrap()
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    a11y.check(&student, "notification preferences with an error")
        .await;

    // Devices: one subscribed earlier is listed and can be stopped; this browser is offered
    // the button (it has push), and push can be turned off per category.
    let device = campus_testkit::people::send(&app, Method::POST, "/api/v1/me/push-subscriptions", &sam, Some(json!({
        "endpoint": "http://127.0.0.1:9/push/sams-phone",
        "keys": { "p256dh": "BDBMjYud4or-GcIk4IiNa3edurjJlR21c35xkCFy_UckygDyE6BvGxmNbrhZkWdic_rHwgI-w4_SZCj5g-j5MSM",
                  "auth": "tBHItJI5svbpez7KI4CCXg" } }))).await;
    student
        .goto(&app.url("/notifications/preferences"))
        .await
        .unwrap();
    let devices = text_of(&student, "section.devices").await;
    assert!(devices.contains("127.0.0.1, since"), "{devices}");
    let offered = student
        .find(Locator::Css("button[data-push-key]"))
        .await
        .unwrap();
    assert!(
        offered.is_displayed().await.unwrap(),
        "a browser with push is offered the button"
    );
    a11y.check(&student, "notification preferences with a device")
        .await;
    press(&student, r#"label[for="grades-push"]"#).await;
    submit(&student, "/notifications/preferences").await;
    let (chosen, grades) = chosen_for(&app, &sam, "grades").await;
    assert_eq!(grades["push"], false, "{chosen}");
    submit(
        &student,
        &format!(
            "/notifications/devices/{}/stop",
            device["id"].as_str().unwrap()
        ),
    )
    .await;
    let devices = text_of(&student, "section.devices").await;
    assert!(
        devices.contains("No device gets notifications yet."),
        "{devices}"
    );
    let worker = app
        .client
        .get(app.url("/push-worker.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        worker.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(worker.text().await.unwrap().contains("showNotification"));

    // A message's "stop these emails" link: the page asks, the button stops.
    let tess = school.add(&app, "teacher", "Tess").await;
    let course = campus_testkit::people::send(
        &app,
        Method::POST,
        "/api/v1/courses",
        &tess,
        Some(json!({ "title": "Music" })),
    )
    .await;
    let course = course["id"].as_str().unwrap().to_owned();
    campus_testkit::people::send(
        &app,
        Method::POST,
        &format!("/api/v1/courses/{course}/publish"),
        &tess,
        None,
    )
    .await;
    campus_testkit::people::send(
        &app,
        Method::PUT,
        &format!("/api/v1/courses/{course}/members/{}", sam.id),
        &tess,
        Some(json!({ "role": "student" })),
    )
    .await;
    // The roster is kept by its own consumer: Sam is on it before the news.
    campus_testkit::eventually(Duration::from_secs(20), "Sam on the roster", || async {
        let (places,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM roster_places WHERE course_id = $1 AND user_id = $2",
        )
        .bind(&course)
        .bind(&sam.id)
        .fetch_one(app.db("notifications").pool())
        .await
        .unwrap();
        (places == 1).then_some(())
    })
    .await;
    campus_testkit::people::send(
        &app,
        Method::POST,
        &format!("/api/v1/courses/{course}/announcements"),
        &tess,
        Some(json!({ "title": "Concert", "body": "Friday." })),
    )
    .await;
    let mailed = campus_testkit::eventually(
        Duration::from_secs(30),
        "the announcement by email",
        || async {
            campus_testkit::people::mailed_texts(&env, Some(&sam.email))
                .into_iter()
                .find(|text| text.contains("Subject: Announcement in Music: Concert"))
        },
    )
    .await;
    let start = mailed.find("/unsubscribe/").unwrap() + "/unsubscribe/".len();
    let token: String = mailed[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let reader = browser(&driver, true, 1280).await;
    reader
        .goto(&app.url(&format!("/unsubscribe/{token}")))
        .await
        .unwrap();
    let asked = text_of(&reader, "main").await;
    assert!(
        asked.contains("Stop emails about: Announcements?"),
        "{asked}"
    );
    a11y.check(&reader, "unsubscribe").await;
    submit(&reader, &format!("/unsubscribe/{token}")).await;
    let said = text_of(&reader, "main [role=status]").await;
    assert_eq!(
        said,
        "Done. You will no longer get emails about: Announcements."
    );
    let (chosen, announcements) = chosen_for(&app, &sam, "announcements").await;
    assert_eq!(announcements["email"], "off", "{chosen}");
    reader
        .goto(&app.url("/unsubscribe/not-a-real-token"))
        .await
        .unwrap();
    let gone = text_of(&reader, "main").await;
    assert!(gone.contains("This address no longer works."), "{gone}");
    reader.close().await.unwrap();
    student.close().await.unwrap();
    env.cleanup().await;
}

/// A teacher puts the students of a group assignment into groups by name, in the browser;
/// once someone has handed in, the groups can no longer change and the page says so.
#[tokio::test]
async fn groups_in_chromium() {
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
    let school = campus_testkit::people::School::create(&app, "hill-valley").await;
    let tess = school.add(&app, "teacher", "Tess").await;
    let students = [
        school.add(&app, "student", "Sam").await,
        school.add(&app, "student", "Kim").await,
        school.add(&app, "student", "Lee").await,
    ];
    let send = campus_testkit::people::send;
    let course = send(
        &app,
        Method::POST,
        "/api/v1/courses",
        &tess,
        Some(json!({ "title": "Art" })),
    )
    .await;
    let course = course["id"].as_str().unwrap().to_owned();
    send(
        &app,
        Method::POST,
        &format!("/api/v1/courses/{course}/publish"),
        &tess,
        None,
    )
    .await;
    for student in &students {
        send(
            &app,
            Method::PUT,
            &format!("/api/v1/courses/{course}/members/{}", student.id),
            &tess,
            Some(json!({ "role": "student" })),
        )
        .await;
    }
    let poster = send(&app, Method::POST, &format!("/api/v1/courses/{course}/assignments"), &tess,
        Some(json!({ "title": "Poster", "max_points": 5, "submission_types": ["text"], "group_mode": "group" }))).await;
    let poster = poster["id"].as_str().unwrap().to_owned();
    send(
        &app,
        Method::POST,
        &format!("/api/v1/assignments/{poster}/publish"),
        &tess,
        None,
    )
    .await;
    // The assessments context learns the roster from courses' events.
    campus_testkit::eventually(
        Duration::from_secs(20),
        "the roster in assessments",
        || async {
            let (status, _) = call(
                &app,
                Method::PUT,
                &format!("/api/v1/assignments/{poster}/groups"),
                Some(&tess.token),
                Some(json!({ "groups": [{ "name": "Probe", "members": [students[2].id] }] })),
            )
            .await;
            (status == 200).then_some(())
        },
    )
    .await;
    send(
        &app,
        Method::PUT,
        &format!("/api/v1/assignments/{poster}/groups"),
        &tess,
        Some(json!({ "groups": [] })),
    )
    .await;

    let teacher = browser(&driver, true, 1280).await;
    sign_in(&teacher, &app, "hill-valley", &tess.email).await;
    teacher
        .goto(&app.url(&format!("/assignments/{poster}")))
        .await
        .unwrap();
    click(
        &teacher,
        &format!(r#"a[href="/assignments/{poster}/groups"]"#),
    )
    .await;
    let mut a11y = Accessibility::new();
    a11y.check(&teacher, "groups").await;
    // Names are matched ignoring case and spaces: Sam and Kim are one group, Lee is in none.
    fill(&teacher, &format!("group-{}", students[0].id), "Red team").await;
    fill(&teacher, &format!("group-{}", students[1].id), " red TEAM ").await;
    submit(&teacher, &format!("/assignments/{poster}/groups")).await;
    assert_eq!(
        text_of(&teacher, "main [role=status]").await,
        "Groups saved."
    );
    let (_, groups) = call(
        &app,
        Method::GET,
        &format!("/api/v1/assignments/{poster}/groups"),
        Some(&tess.token),
        None,
    )
    .await;
    let groups = groups.as_array().unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    // Under the spelling of whichever of the two the page lists first, trimmed.
    let name = groups[0]["name"].as_str().unwrap();
    assert!(name == "Red team" || name == "red TEAM", "{name}");
    let mut members: Vec<&str> = groups[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    members.sort_unstable();
    let mut expected = vec![students[0].id.as_str(), students[1].id.as_str()];
    expected.sort_unstable();
    assert_eq!(members, expected);
    let lee = teacher
        .find(Locator::Id(&format!("group-{}", students[2].id)))
        .await
        .unwrap();
    assert_eq!(lee.prop("value").await.unwrap().as_deref(), Some(""));

    // Once the group has handed in, the groups stay as they are: the form says why.
    send(
        &app,
        Method::POST,
        &format!("/api/v1/assignments/{poster}/submissions"),
        &students[0],
        Some(json!({ "text": "Our poster." })),
    )
    .await;
    fill(&teacher, &format!("group-{}", students[2].id), "Blue").await;
    submit(&teacher, &format!("/assignments/{poster}/groups")).await;
    let summary = text_of(&teacher, "#error-summary").await;
    assert!(!summary.is_empty(), "the refusal is shown");
    assert_eq!(
        teacher
            .find(Locator::Id(&format!("group-{}", students[2].id)))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Blue"),
        "what was typed comes back"
    );
    a11y.check(&teacher, "groups refused").await;
    teacher.close().await.unwrap();
    env.cleanup().await;
}
