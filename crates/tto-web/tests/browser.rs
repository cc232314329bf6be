//! The main user journeys in a real browser: headless Chromium driven through ChromeDriver
//! (WebDriver) with fantoccini, against the real router served on a local port.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian: `apt-get install chromium
//! chromium-driver fonts-noto-cjk`); without them the tests fail and say so. Every page the
//! journeys visit is saved as a full-page screenshot to `target/screenshots/<test>-<step>.png`
//! for a human to look at.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tto_app::Actor;
use tto_domain::AchievementAction;
use tto_domain::achievement::{AchievementDraft, ContributorDraft};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const INSTALL_HINT: &str = "apt-get install chromium chromium-driver fonts-noto-cjk";

/// Viewport the journeys run in (screenshots grow to the page's full height).
const WIDTH: u32 = 1366;
const HEIGHT: u32 = 900;

/// How long to wait for a page or an element before failing.
const WAIT: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------------------------------
// Harness: ChromeDriver process, the app on a port, one browser session per test.
// ---------------------------------------------------------------------------------------

/// A ChromeDriver child process on a free port, shut down (with its browsers) on drop.
struct ChromeDriver {
    child: Child,
    port: u16,
    profile: PathBuf,
}

impl ChromeDriver {
    fn start(test: &str) -> ChromeDriver {
        for (path, what) in [(CHROMEDRIVER, "ChromeDriver"), (CHROMIUM, "Chromium")] {
            assert!(
                Path::new(path).exists(),
                "browser tests need {what} at {path}, which is missing: install it with `{INSTALL_HINT}`"
            );
        }
        let profile = std::env::temp_dir().join(format!(
            "tto-browser-{test}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
        ));
        std::fs::create_dir_all(&profile).expect("create browser profile dir");
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER} ({e}); install it with `{INSTALL_HINT}`"));
        let mut driver = ChromeDriver { child, port, profile };
        let deadline = Instant::now() + WAIT;
        loop {
            if driver.get("/status").is_some_and(|body| body.contains("\"ready\":true")) {
                return driver;
            }
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!("{CHROMEDRIVER} exited at start ({status}); is it installed properly? (`{INSTALL_HINT}`)");
            }
            assert!(Instant::now() < deadline, "{CHROMEDRIVER} did not answer on port {port} within {WAIT:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A plain HTTP GET to the driver (readiness, shutdown), body on success.
    fn get(&self, path: &str) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n", self.port);
        stream.write_all(request.as_bytes()).ok()?;
        // ChromeDriver may keep the connection open: read up to the end of the body.
        let mut response = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => response.extend_from_slice(&chunk[..n]),
            }
            let text = String::from_utf8_lossy(&response);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .filter_map(|l| l.split_once(':'))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.trim().parse::<usize>().ok());
                if length.is_some_and(|n| body.len() >= n) {
                    break;
                }
            }
        }
        let text = String::from_utf8_lossy(&response).into_owned();
        text.starts_with("HTTP/1.1 200").then_some(text)
    }

    fn capabilities(&self) -> serde_json::Map<String, Value> {
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--lang=zh-CN",
            &format!("--window-size={WIDTH},{HEIGHT}"),
            &format!("--user-data-dir={}", self.profile.display()),
        ];
        let caps = json!({ "goog:chromeOptions": { "binary": CHROMIUM, "args": args } });
        caps.as_object().unwrap().clone()
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // `/shutdown` closes the driver's browsers too; killing the driver alone would leave
        // Chromium running.
        let _ = self.get("/shutdown");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Serves the app on a local port; returns its base URL.
async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    format!("http://{addr}")
}

fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots")
}

/// One browser on the app, for one test.
struct Web {
    client: Client,
    base: String,
    test: &'static str,
    step: usize,
    /// Window height minus viewport height (headless Chromium still keeps room for a toolbar).
    chrome_height: u32,
    // Dropped last: shuts the browser down even when the test panicked.
    _driver: ChromeDriver,
}

impl Web {
    async fn start(test: &'static str, router: axum::Router) -> Web {
        let base = serve(router).await;
        let driver = ChromeDriver::start(test);
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(driver.capabilities())
            .connect(&driver.url())
            .await
            .unwrap_or_else(|e| panic!("cannot open a Chromium session through {CHROMEDRIVER}: {e}"));
        client.set_window_size(WIDTH, HEIGHT).await.unwrap();
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        // Screenshots of an earlier run of this test would mislead whoever looks at them.
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(rest) = name.strip_prefix(&format!("{test}-"))
                && rest.len() > 2
                && rest.as_bytes()[..2].iter().all(u8::is_ascii_digit)
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let mut web = Web { client, base, test, step: 0, chrome_height: 0, _driver: driver };
        web.goto("/health").await;
        let outer_inner = web.js("return [window.outerHeight, window.innerHeight];").await;
        let outer = outer_inner[0].as_u64().unwrap_or(0);
        let inner = outer_inner[1].as_u64().unwrap_or(0);
        web.chrome_height = outer.saturating_sub(inner) as u32;
        // Make the viewport itself WIDTH × HEIGHT.
        web.client.set_window_size(WIDTH, HEIGHT + web.chrome_height).await.unwrap();
        web
    }

    async fn close(self) {
        let Web { client, _driver: driver, .. } = self;
        client.close().await.unwrap();
        drop(driver);
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn goto(&self, path: &str) {
        self.client.goto(&self.url(path)).await.unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
    }

    /// Path and query of the current page.
    async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("script failed ({e}): {script}"))
    }

    async fn find(&self, css: &str) -> Element {
        match self.client.wait().at_most(WAIT).for_element(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => {
                panic!("no `{css}` on {} ({e})\n--- page text ---\n{}", self.path().await, self.body_text().await)
            }
        }
    }

    async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client.find_all(Locator::Css(css)).await.unwrap()
    }

    async fn exists(&self, css: &str) -> bool {
        !self.find_all(css).await.is_empty()
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap().trim().to_string()
    }

    async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.find_all(css).await {
            out.push(e.text().await.unwrap().trim().to_string());
        }
        out
    }

    async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(b) => b.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    async fn value(&self, css: &str) -> String {
        self.find(css).await.prop("value").await.unwrap().unwrap_or_default()
    }

    /// Replaces the content of a text field, as a user typing would.
    async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        if !text.is_empty() {
            field.send_keys(text).await.unwrap();
        }
    }

    /// Sets a date field (the browser's date picker is locale-dependent to type into).
    async fn set_date(&self, css: &str, iso: &str) {
        self.js(&format!("document.querySelector({css:?}).value = {iso:?};")).await;
    }

    async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("cannot choose {value} in `{css}`: {e}"));
    }

    /// Clicks something that loads a new page and waits until that page has loaded.
    async fn click_and_wait(&self, css: &str) {
        let target = self.find(css).await;
        self.js("window.__ttoOldPage = true;").await;
        target.click().await.unwrap_or_else(|e| panic!("cannot click `{css}`: {e}"));
        let deadline = Instant::now() + WAIT;
        loop {
            let done = self
                .client
                .execute("return window.__ttoOldPage !== true && document.readyState === 'complete';", vec![])
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if done {
                return;
            }
            assert!(Instant::now() < deadline, "clicking `{css}` did not load a new page within {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a full-page screenshot as `target/screenshots/<test>-<NN>-<step>.png`.
    async fn shot(&mut self, step: &str) {
        self.step += 1;
        let height = self
            .js("return Math.ceil(Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0));")
            .await
            .as_f64()
            .unwrap_or(f64::from(HEIGHT)) as u32;
        let height = height.clamp(HEIGHT, 8000);
        if height > HEIGHT {
            self.client.set_window_size(WIDTH, height + self.chrome_height).await.unwrap();
        }
        let png = self.client.screenshot().await.unwrap();
        if height > HEIGHT {
            self.client.set_window_size(WIDTH, HEIGHT + self.chrome_height).await.unwrap();
        }
        let path = screenshot_dir().join(format!("{}-{:02}-{step}.png", self.test, self.step));
        std::fs::write(&path, png).unwrap();
    }

    /// Signs in through the form; returns with the user's first page loaded.
    async fn sign_in(&mut self, username: &str, password: &str) {
        self.goto("/sign-in").await;
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.click_and_wait("form[action='/sign-in'] button[type=submit]").await;
    }

    async fn sign_out(&self) {
        self.click_and_wait("form[action='/sign-out'] button[type=submit]").await;
    }

    async fn heading(&self) -> String {
        self.text("main h1").await
    }

    async fn nav_items(&self) -> Vec<String> {
        self.texts(".sidenav a").await
    }

    async fn lang(&self) -> String {
        self.find("html").await.attr("lang").await.unwrap().unwrap_or_default()
    }

    /// Fails when the page shows Chinese text other than `data` (names, titles… typed by
    /// people): an English page must have every label translated.
    async fn assert_translated(&self, data: &[&str]) {
        let mut text = self.body_text().await;
        let mut data: Vec<&str> = data.iter().copied().chain(["中文"]).collect();
        data.sort_by_key(|d| std::cmp::Reverse(d.len()));
        for d in data {
            text = text.replace(d, "");
        }
        let left: Vec<&str> =
            text.lines().map(str::trim).filter(|l| l.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))).collect();
        assert!(
            left.is_empty(),
            "untranslated text on the English page {}:\n  {}",
            self.path().await,
            left.join("\n  ")
        );
    }
}

fn contains_all(haystack: &[String], needles: &[&str]) -> Result<(), String> {
    let missing: Vec<&&str> = needles.iter().filter(|n| !haystack.iter().any(|h| h == **n)).collect();
    if missing.is_empty() { Ok(()) } else { Err(format!("missing {missing:?} in {haystack:?}")) }
}

// ---------------------------------------------------------------------------------------
// Seed data through the use cases.
// ---------------------------------------------------------------------------------------

fn draft(title: &str, summary: &str, keywords: &[&str], trl: u8, confidentiality: &str) -> AchievementDraft {
    AchievementDraft {
        title: title.to_string(),
        summary: summary.to_string(),
        detail: Some("工艺参数与实验数据：仅对本单位可见。".to_string()),
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
        discipline: "材料科学与工程".to_string(),
        chains: vec!["new_materials".to_string()],
        kind: "invention_patent".to_string(),
        trl: trl.to_string(),
        funding_source: "fiscal".to_string(),
        funding_refs: vec!["NSFC-52000001".to_string()],
        completion_date: Some("2025-06-30".to_string()),
        confidentiality: confidentiality.to_string(),
        contributors: vec![
            ContributorDraft { person_id: None, name: "张伟".into(), share: "60".into(), main: true },
            ContributorDraft { person_id: None, name: "李娜".into(), share: "40".into(), main: false },
        ],
        job_related: true,
        major: false,
    }
}

/// Creates an achievement of an institution and moves it through `actions`; returns its id.
async fn seed_achievement(
    t: &common::TestApp,
    short: &str,
    draft: &AchievementDraft,
    actions: &[AchievementAction],
) -> i64 {
    let system = Actor::system("test");
    let institution = t.institution(short).await;
    let a = t.app.create_achievement(&system, Some(institution), draft, None, None).await.unwrap();
    for action in actions {
        t.app.transition_achievement(&system, a.id, None, *action).await.unwrap();
    }
    a.id.0
}

// ---------------------------------------------------------------------------------------
// Journeys
// ---------------------------------------------------------------------------------------

/// (user, institution shown in the top bar, nav items expected, nav items not expected)
const ROLES: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "staff.a",
        "甲大学",
        &["成果台账", "登记成果", "访问令牌", "修改密码", "成果披露", "知识产权", "重大成果监测"],
        &["审计日志", "用户管理"],
    ),
    ("admin.a", "甲大学", &["成果台账", "登记成果", "用户管理", "审计日志"], &[]),
    (
        "inventor.a",
        "甲大学",
        &["成果台账", "访问令牌", "成果披露"],
        &["登记成果", "用户管理", "审计日志", "重大成果监测"],
    ),
    ("enterprise", "丙企业", &["成果目录", "访问令牌"], &["登记成果", "用户管理", "审计日志", "成果披露", "知识产权"]),
    (
        "regulator",
        "主管部门",
        &["成果台账", "审计日志", "知识产权", "重大成果监测"],
        &["登记成果", "用户管理", "成果披露"],
    ),
    ("platform", "主管部门", &["成果台账", "用户管理", "审计日志"], &["登记成果"]),
    ("manager", "丁事务所", &["成果台账", "访问令牌"], &["登记成果", "用户管理", "审计日志"]),
    ("investor", "己投资", &["成果目录", "访问令牌"], &["登记成果", "用户管理", "审计日志"]),
    ("poc", "己投资", &["成果目录", "访问令牌"], &["登记成果", "用户管理", "审计日志"]),
    ("exchange", "戊交易所", &["成果台账", "访问令牌"], &["登记成果", "用户管理", "审计日志"]),
];

#[tokio::test]
async fn sign_in_shows_each_role_its_name_institution_and_navigation() {
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    let mut web = Web::start("sign_in", t.router.clone()).await;

    // Anonymous portal first.
    web.goto("/").await;
    assert!(web.exists(".topbar-public").await, "the anonymous portal shows the public top bar");
    assert_eq!(web.heading().await, "高校科技成果转化服务平台");
    web.shot("portal").await;

    // A wrong password keeps the visitor on the form with a message and the typed name.
    web.goto("/sign-in").await;
    assert_eq!(web.heading().await, "登录");
    web.shot("form").await;
    web.sign_in("staff.a", "not-the-password").await;
    assert!(web.text(".error-summary").await.contains("用户名或密码错误"), "wrong password message");
    assert_eq!(web.value("#username").await, "staff.a");
    assert!(!web.exists(".topbar-user").await, "not signed in after a wrong password");
    web.shot("wrong-password").await;

    for (user, institution, visible, hidden) in ROLES {
        web.sign_in(user, common::PASSWORD).await;
        assert_eq!(web.path().await, "/", "{user} lands on the dashboard");
        assert_eq!(web.text(".topbar-user .who").await, format!("{user} 用户"), "display name of {user}");
        let place = web.text(".topbar-user .where").await;
        assert!(place.starts_with(institution), "{user}: top bar shows `{place}`, expected institution {institution}");
        assert_eq!(web.heading().await, "工作台", "{user} sees the dashboard");
        let nav = web.nav_items().await;
        if let Err(e) = contains_all(&nav, visible) {
            panic!("{user}: navigation {e}");
        }
        for item in *hidden {
            assert!(!nav.iter().any(|n| n == item), "{user} must not see {item} in {nav:?}");
        }
        assert_eq!(
            web.exists("main a[href='/achievements/new']").await,
            visible.contains(&"登记成果"),
            "{user}: 登记成果 button on the dashboard"
        );
        web.shot(&format!("home-{user}")).await;

        web.sign_out().await;
        assert_eq!(web.path().await, "/");
        assert!(web.exists(".topbar-public").await, "{user} signed out: public top bar again");
        assert!(!web.exists(".topbar-user").await, "{user} signed out: no user in the top bar");
        assert_eq!(web.text(".topbar-actions a[href='/sign-in']").await, "登录");
        assert_eq!(web.heading().await, "高校科技成果转化服务平台");
    }
    web.shot("signed-out").await;
    web.close().await;
    t.cleanup().await;
}

#[tokio::test]
async fn staff_registers_edits_and_publishes_an_achievement() {
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    let mut web = Web::start("ledger", t.router.clone()).await;
    web.sign_in("staff.a", common::PASSWORD).await;

    // Open the form from the navigation.
    web.click_and_wait(".sidenav a[href='/achievements/new']").await;
    assert_eq!(web.path().await, "/achievements/new");
    assert_eq!(web.heading().await, "登记成果");
    assert_eq!(web.value("#cn0").await, "staff.a 用户", "the signed-in user is the first contributor");
    web.shot("new-form").await;

    let title = "一种耐高温固态电解质膜";
    web.fill("#title", title).await;
    web.fill("#summary", "用于动力电池的固态电解质膜，耐受 200 °C，室温离子电导率 1.2 mS/cm。").await;
    web.fill("#detail", "烧结工艺参数：保密。").await;
    web.fill("#keywords", "固态电池，电解质").await;
    web.fill("#discipline", "材料科学与工程").await;
    web.select("#trl", "4").await;
    web.find("input[name=chains][value=new_energy]").await.click().await.unwrap();
    web.fill("#cs0", "50").await;
    web.fill("#cn1", "李娜").await;
    web.fill("#cs1", "40").await;
    web.click_and_wait("form.form button.primary[type=submit]").await;

    // Shares total 90: summary on top, message by the contributors, input kept.
    let summary = web.text("#error-summary").await;
    assert!(summary.contains("请修改以下问题后再提交"), "error summary heading: {summary}");
    assert!(summary.contains("份额合计须恰好为 100%"), "summary names the share problem: {summary}");
    let by_contributors = web.text("#contributors-error").await;
    assert!(by_contributors.contains("份额合计须恰好为 100%"), "message by the contributors: {by_contributors}");
    assert!(by_contributors.contains("90"), "message gives the current total: {by_contributors}");
    assert_eq!(web.value("#title").await, title, "the typed title is kept");
    assert_eq!(web.value("#cn1").await, "李娜");
    assert_eq!(web.value("#cs1").await, "40");
    assert_eq!(web.value("#trl").await, "4");
    web.shot("shares-90").await;

    // Fix the shares: registered as a draft.
    web.fill("#cs1", "50").await;
    web.click_and_wait("form.form button.primary[type=submit]").await;
    let detail_path = web.path().await;
    let id: i64 = detail_path
        .strip_prefix("/achievements/")
        .and_then(|rest| rest.split('?').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("expected the detail page, got {detail_path}"));
    assert_eq!(web.text(".notice.success").await, "成果已登记为草稿。");
    assert_eq!(web.heading().await, title);
    assert_eq!(web.text(".summary-card .badge").await, "草稿");
    assert_eq!(web.text(".summary-card dd.num").await, "4 / 9");
    let contributors = web.texts("table.table tbody tr td:first-child").await;
    assert!(
        contributors.contains(&"staff.a 用户".to_string()) && contributors.contains(&"李娜".to_string()),
        "contributors: {contributors:?}"
    );
    web.shot("created").await;

    // Edit: raise the TRL.
    web.click_and_wait(&format!("a.button[href='/achievements/{id}/edit']")).await;
    assert_eq!(web.heading().await, "编辑成果");
    assert_eq!(web.value("#title").await, title);
    assert_eq!(web.value("#trl").await, "4");
    web.shot("edit-form").await;
    web.select("#trl", "6").await;
    web.click_and_wait("form.form button.primary[type=submit]").await;
    assert_eq!(web.path().await, format!("/achievements/{id}?done=saved"));
    assert_eq!(web.text(".notice.success").await, "修改已保存。");
    assert_eq!(web.text(".summary-card dd.num").await, "6 / 9");
    web.shot("saved").await;

    // Lifecycle: register, then publish.
    web.click_and_wait("button[data-action=register]").await;
    assert_eq!(web.text(".notice.success").await, "成果已登记入库。");
    assert_eq!(web.text(".summary-card .badge").await, "已登记");
    web.shot("registered").await;
    web.click_and_wait("button[data-action=publish]").await;
    assert_eq!(web.text(".notice.success").await, "成果已发布推介。");
    assert_eq!(web.text(".summary-card .badge").await, "推介中");
    assert!(!web.exists("button[data-action=publish]").await, "publish is no longer offered");

    // The timeline lists every step, newest first.
    let timeline: Vec<String> = web.texts(".timeline li strong").await;
    assert_eq!(timeline, ["发布推介", "登记入库", "修改成果", "登记成果"], "timeline");
    let actors = web.texts(".timeline li .muted").await;
    assert!(actors.iter().all(|a| a == "staff.a"), "timeline actors: {actors:?}");
    web.shot("published").await;

    // The ledger lists it as promoting.
    web.click_and_wait(".sidenav a[href='/achievements']").await;
    let rows = web.texts("#achievement-table tbody tr").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains(title) && rows[0].contains("推介中"), "ledger row: {}", rows[0]);
    web.shot("ledger").await;

    web.close().await;
    t.cleanup().await;
}

#[tokio::test]
async fn visitor_browses_and_filters_the_public_catalogue() {
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    use AchievementAction::{Publish, Register};
    let graphene = seed_achievement(
        &t,
        "UNA",
        &draft(
            "高导热石墨烯复合材料",
            "一种高导热石墨烯复合材料的制备方法，导热系数提高 40%。",
            &["石墨烯", "导热"],
            4,
            "summary_only",
        ),
        &[Register, Publish],
    )
    .await;
    seed_achievement(
        &t,
        "UNB",
        &draft("钠离子电池正极材料", "低成本层状氧化物正极，循环 3000 次容量保持 90%。", &["钠离子电池"], 7, "public"),
        &[Register, Publish],
    )
    .await;
    seed_achievement(&t, "UNA", &draft("未发布的草稿成果", "仍在整理中的成果。", &["草稿"], 8, "public"), &[]).await;
    seed_achievement(
        &t,
        "UNA",
        &draft("仅登记未推介的成果", "已登记但尚未推介。", &["登记"], 9, "public"),
        &[Register],
    )
    .await;

    let mut web = Web::start("catalogue", t.router.clone()).await;
    web.goto("/").await;
    web.click_and_wait(".topbar-public a[href='/achievements']").await;
    assert_eq!(web.heading().await, "成果目录");
    let rows = web.texts("#achievement-table tbody tr").await;
    assert_eq!(rows.len(), 2, "only published achievements are public: {rows:?}");
    assert!(rows.iter().any(|r| r.contains("高导热石墨烯复合材料") && r.contains("推介中")), "{rows:?}");
    assert!(rows.iter().any(|r| r.contains("钠离子电池正极材料")), "{rows:?}");
    assert!(!rows.iter().any(|r| r.contains("草稿") || r.contains("仅登记")), "drafts stay private: {rows:?}");
    assert!(web.text(".list-meta").await.contains('2'), "the count is shown");
    web.shot("all").await;

    // Text filter.
    web.fill("#f-q", "石墨烯").await;
    web.click_and_wait("form.filters button[type=submit]").await;
    assert!(web.path().await.contains("q="), "the filter is in the address");
    let rows = web.texts("#achievement-table tbody tr").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("高导热石墨烯复合材料"));
    assert_eq!(web.value("#f-q").await, "石墨烯", "the filter keeps the text");
    web.shot("text-filter").await;

    // A text that matches nothing shows the empty state.
    web.fill("#f-q", "量子计算").await;
    web.click_and_wait("form.filters button[type=submit]").await;
    assert!(!web.exists("#achievement-table").await);
    assert!(web.text(".empty").await.contains("没有符合条件的成果"));
    web.shot("no-match").await;

    // Reset, then filter by TRL.
    web.click_and_wait("form.filters a.button[href='/achievements']").await;
    assert_eq!(web.value("#f-q").await, "");
    assert_eq!(web.find_all("#achievement-table tbody tr").await.len(), 2);
    web.select("#f-trl-min", "5").await;
    web.click_and_wait("form.filters button[type=submit]").await;
    let rows = web.texts("#achievement-table tbody tr").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("钠离子电池正极材料"), "{rows:?}");
    let trls = web.texts("#achievement-table tbody td.num").await;
    assert_eq!(trls, ["7"]);
    assert_eq!(web.value("#f-trl-min").await, "5");
    web.shot("trl-filter").await;

    // Open a row: the public detail.
    web.select("#f-trl-min", "").await;
    web.fill("#f-q", "石墨烯").await;
    web.click_and_wait("form.filters button[type=submit]").await;
    web.click_and_wait("#achievement-table tbody tr a").await;
    assert_eq!(web.path().await, format!("/achievements/{graphene}"));
    assert_eq!(web.heading().await, "高导热石墨烯复合材料");
    assert_eq!(web.text(".summary-card .badge").await, "推介中");
    assert!(web.text(".notice.info").await.contains("您看到的是公开信息"), "redaction notice");
    let sections = web.texts("section.card h2").await;
    assert!(!sections.iter().any(|s| s == "成果完成人"), "no contributors section for visitors: {sections:?}");
    assert!(
        !sections.iter().any(|s| s == "操作记录" || s.starts_with("权属")),
        "no timeline or ownership: {sections:?}"
    );
    let body = web.body_text().await;
    assert!(
        !body.contains("张伟") && !body.contains("NSFC-52000001") && !body.contains("工艺参数"),
        "confidential fields leaked"
    );
    assert!(
        !web.exists("button[data-action]").await && !web.exists("a[href$='/edit']").await,
        "no actions for visitors"
    );
    web.shot("public-detail").await;

    web.close().await;
    t.cleanup().await;
}

#[tokio::test]
async fn language_switch_turns_the_pages_english_and_persists() {
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    seed_achievement(
        &t,
        "UNA",
        &draft(
            "高导热石墨烯复合材料",
            "一种高导热石墨烯复合材料的制备方法，导热系数提高 40%。",
            &["石墨烯"],
            4,
            "public",
        ),
        &[AchievementAction::Register, AchievementAction::Publish],
    )
    .await;
    let mut web = Web::start("language", t.router.clone()).await;
    // What people typed (and the seeded names) may stay Chinese on English pages; labels may not.
    let data = [
        "高导热石墨烯复合材料",
        "一种高导热石墨烯复合材料的制备方法，导热系数提高 40%。",
        "工艺参数与实验数据：仅对本单位可见。",
        "石墨烯",
        "材料科学与工程",
        "张伟",
        "李娜",
        "staff.a 用户",
        "甲大学",
        "乙大学",
        "丙企业",
        "主管部门",
        "天津市",
        "丁事务所",
        "己投资",
        "戊交易所",
    ];

    web.goto("/achievements").await;
    assert_eq!(web.lang().await, "zh-CN");
    assert_eq!(web.heading().await, "成果目录");
    assert_eq!(web.text("a.lang").await, "English");
    web.click_and_wait("a.lang").await;
    assert_eq!(web.lang().await, "en");
    assert_eq!(web.heading().await, "Achievement catalogue");
    assert_eq!(web.text("a.lang").await, "中文");
    assert_eq!(web.text(".topbar-public a[href='/achievements']").await, "Catalogue");
    let rows = web.texts("#achievement-table tbody tr").await;
    assert!(rows.len() == 1 && rows[0].contains("Promoting"), "status in English: {rows:?}");
    web.assert_translated(&data).await;
    web.shot("ledger-en").await;

    // The choice is kept on the next pages (a cookie, no `lang=` in the links).
    web.click_and_wait(".topbar-public a[href='/institutions']").await;
    assert_eq!(web.path().await, "/institutions");
    assert_eq!(web.lang().await, "en");
    assert_eq!(web.heading().await, "Institutions");
    web.assert_translated(&data).await;
    web.shot("institutions-en").await;

    web.click_and_wait(".topbar-actions a[href='/sign-in']").await;
    assert_eq!(web.lang().await, "en");
    assert_eq!(web.heading().await, "Sign in");
    web.assert_translated(&data).await;
    web.shot("sign-in-en").await;

    // Still English after signing in, on the dashboard and the form.
    web.sign_in("staff.a", common::PASSWORD).await;
    assert_eq!(web.lang().await, "en");
    assert_eq!(web.heading().await, "Dashboard");
    assert!(web.nav_items().await.contains(&"Register achievement".to_string()));
    web.assert_translated(&data).await;
    web.shot("home-en").await;
    web.click_and_wait(".sidenav a[href='/achievements/new']").await;
    assert_eq!(web.lang().await, "en");
    assert_eq!(web.heading().await, "Register achievement");
    web.assert_translated(&data).await;
    web.shot("new-form-en").await;
    web.click_and_wait(".sidenav a[href='/policy']").await;
    assert_eq!(web.lang().await, "en");
    assert_eq!(web.heading().await, "Policy profile");
    // Its sources cite Chinese statutes by their Chinese titles: no translation check here.
    web.shot("policy-en").await;
    web.click_and_wait(".sidenav a[href='/achievements']").await;
    web.click_and_wait("#achievement-table tbody tr a").await;
    assert_eq!(web.lang().await, "en");
    assert_eq!(web.text(".summary-card .badge").await, "Promoting");
    web.assert_translated(&data).await;
    web.shot("detail-en").await;

    // Back to Chinese, which is kept too.
    web.click_and_wait("a.lang").await;
    assert_eq!(web.lang().await, "zh-CN");
    assert_eq!(web.text("a.lang").await, "English");
    web.click_and_wait(".sidenav a[href='/achievements']").await;
    assert_eq!(web.lang().await, "zh-CN");
    assert_eq!(web.heading().await, "成果台账");
    web.shot("ledger-zh").await;

    web.close().await;
    t.cleanup().await;
}

#[tokio::test]
async fn admin_invites_a_colleague_reads_the_audit_trail_and_manages_tokens() {
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    let mut web = Web::start("admin", t.router.clone()).await;

    // The TTO administrator invites a colleague.
    web.sign_in("admin.a", common::PASSWORD).await;
    web.click_and_wait(".sidenav a[href='/admin/users']").await;
    assert_eq!(web.heading().await, "用户管理");
    let users = web.texts("table tbody tr").await;
    assert!(users.iter().any(|u| u.contains("staff.a")), "own institution's users are listed: {users:?}");
    assert!(!users.iter().any(|u| u.contains("staff.b")), "other institutions' users are not: {users:?}");
    web.fill("#username", "colleague").await;
    web.fill("#display_name", "新同事").await;
    web.find("input[name=roles][value=tto_staff]").await.click().await.unwrap();
    web.click_and_wait("form[action='/admin/users'] button[type=submit]").await;
    let link = web.text("#invitation-link").await;
    assert!(link.starts_with("https://tto.test/invite/"), "the one-time link is shown: {link}");
    web.shot("invited").await;
    web.sign_out().await;

    // The colleague opens the link, sets a password and signs in.
    let path = link.trim_start_matches("https://tto.test");
    web.goto(path).await;
    assert_eq!(web.heading().await, "设置密码");
    assert!(web.body_text().await.contains("新同事"));
    web.fill("#password", "short").await;
    web.fill("#password_again", "short").await;
    web.click_and_wait("form.form button[type=submit]").await;
    assert!(web.text(".error-summary").await.contains("须在 10 到 128 之间"), "the rule is explained");
    web.shot("invitation-too-short").await;
    web.fill("#password", "Kx9-lantern-river").await;
    web.fill("#password_again", "Kx9-lantern-river").await;
    web.click_and_wait("form.form button[type=submit]").await;
    assert!(web.path().await.starts_with("/sign-in"), "after setting the password comes the sign-in");
    web.sign_in("colleague", "Kx9-lantern-river").await;
    assert_eq!(web.text(".topbar-user .who").await, "新同事");
    assert!(web.nav_items().await.iter().any(|n| n == "登记成果"), "a TTO staff member may register achievements");
    web.shot("colleague-home").await;

    // Tokens: create one (shown once), then revoke it.
    web.click_and_wait(".sidenav a[href='/account/tokens']").await;
    assert_eq!(web.heading().await, "个人访问令牌");
    assert!(web.text(".empty").await.contains("还没有令牌"));
    web.fill("#name", "数据同步脚本").await;
    web.fill("#valid_days", "90").await;
    web.click_and_wait("form[action='/account/tokens'] button[type=submit]").await;
    let secret = web.text("#new-token").await;
    assert!(secret.starts_with("tto_") && secret.len() == 68, "{secret}");
    web.shot("token-created").await;
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("form[action$='/revoke'] button[type=submit]").await;
    assert!(web.text("table tbody tr").await.contains("已撤销"));
    web.shot("token-revoked").await;
    web.sign_out().await;

    // The administrator reads the audit trail: every step above is on record.
    web.sign_in("admin.a", common::PASSWORD).await;
    web.click_and_wait(".sidenav a[href='/audit']").await;
    assert_eq!(web.heading().await, "审计日志");
    let rows = web.texts("table tbody tr").await;
    for action in ["发送邀请", "接受邀请", "创建用户", "生成令牌", "撤销令牌", "登录"] {
        assert!(rows.iter().any(|r| r.contains(action)), "{action} is on record: {rows:?}");
    }
    web.shot("audit").await;
    web.fill("#actor", "colleague").await;
    web.click_and_wait("form[action='/audit'] button[type=submit]").await;
    let filtered = web.texts("table tbody tr").await;
    assert!(!filtered.is_empty() && filtered.iter().all(|r| r.contains("colleague")), "{filtered:?}");
    web.shot("audit-filtered").await;
    web.close().await;
}

#[tokio::test]
async fn empowerment_changes_ownership_and_the_ledger_books_the_conversion() {
    use tto_domain::AchievementAction::Register;
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    let id = seed_achievement(
        &t,
        "UNA",
        &draft("可赋权的储能材料", "用于储能电池的复合正极材料。", &["储能"], 5, "summary_only"),
        &[Register],
    )
    .await;
    let mut web = Web::start("empowerment", t.router.clone()).await;

    // TTO staff drafts part ownership from the achievement page.
    web.sign_in("staff.a", common::PASSWORD).await;
    web.goto(&format!("/achievements/{id}")).await;
    web.click_and_wait("#rights a[href^='/empowerment/new']").await;
    assert_eq!(web.heading().await, "新建赋权协议");
    web.find("input[name=kind][value=part_ownership]").await.click().await.unwrap();
    web.fill("#ps0", "45").await;
    web.fill("#ps1", "30").await;
    web.fill("#income_share", "70").await;
    web.fill("#cost_share", "20").await;
    web.fill("#maintenance_share", "50").await;
    web.fill("#decision_rules", "后续转让须经学校与完成人协商一致。").await;
    web.shot("form").await;
    web.click_and_wait("form[action='/empowerment'] button[type=submit]").await;
    assert!(web.text(".notice").await.contains("赋权协议已保存为草稿"));
    let agreement_path = web.path().await;
    web.sign_out().await;

    // The TTO administrator records the coordination group's approval.
    web.sign_in("admin.a", common::PASSWORD).await;
    web.goto(&agreement_path).await;
    web.set_date("#approved_on", "2026-11-01").await;
    web.fill("#approval_ref", "科技成果转化工作协调小组 2026 年第 6 次会议纪要").await;
    web.click_and_wait("button[data-action=approve]").await;
    assert_eq!(web.text("#agreement-status").await, "已审批");
    // The on-campus notice: too short first, then the profile's 15 days.
    web.set_date("#notice_starts_on", "2026-11-02").await;
    web.set_date("#notice_ends_on", "2026-11-09").await;
    web.click_and_wait("button[data-action=start_notice]").await;
    assert!(web.text(".error-summary").await.contains("不得少于 15 天"), "the minimum and its source are explained");
    web.shot("notice-too-short").await;
    web.set_date("#notice_starts_on", "2026-11-02").await;
    web.set_date("#notice_ends_on", "2026-11-20").await;
    web.click_and_wait("button[data-action=start_notice]").await;
    assert_eq!(web.text("#agreement-status").await, "公示中");
    web.set_date("#effective_from", "2026-11-21").await;
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("button[data-action=take_effect]").await;
    assert_eq!(web.text("#agreement-status").await, "已生效");
    web.shot("effective").await;

    // The achievement's ownership history: the old slice closed, the new one open.
    web.goto(&format!("/achievements/{id}")).await;
    let body = web.body_text().await;
    assert!(body.contains("赋权协议 #") && body.contains("2026-11-21"), "the new period names its agreement");
    assert!(body.contains("张伟") && body.contains("45 %") && body.contains("25 %"), "university keeps 25 %");
    web.shot("ownership-history").await;

    // The separate ledger: record the licence and book it at the deal's value.
    web.click_and_wait("#rights a[href^='/ledger/']").await;
    assert_eq!(web.text("#recognition").await, "未确认无形资产");
    web.select("#mode", "licence").await;
    web.fill("#value", "1,200,000.00").await;
    web.set_date("#occurred_on", "2026-11-25").await;
    web.fill("#counterparty", "丙企业").await;
    web.fill("#reference", "技术许可合同 UNA-2026-L-009").await;
    web.click_and_wait("form[action$='/conversions'] button[type=submit]").await;
    assert!(web.text(".notice").await.contains("转化事项已记录"));
    web.click_and_wait("button[data-action=book]").await;
    assert_eq!(web.text("#recognition").await, "已转化入账");
    assert!(web.text("#book-value").await.contains("1,200,000.00 元"));
    web.shot("booked").await;
    web.click_and_wait(".sidenav a[href='/ledger']").await;
    assert!(web.text("#ledger").await.contains("可赋权的储能材料"));
    web.shot("ledger").await;
    web.close().await;
}

// ---------------------------------------------------------------------------------------
// Deals: the three pricing routes
// ---------------------------------------------------------------------------------------

/// A published achievement of UNA for a deal; returns its id.
async fn deal_achievement(t: &common::TestApp, title: &str) -> i64 {
    use tto_domain::AchievementAction::{Publish, Register};
    seed_achievement(
        t,
        "UNA",
        &draft(title, "可直接产业化的新材料制备工艺。", &["新材料"], 6, "public"),
        &[Register, Publish],
    )
    .await
}

/// Runs the scheduled tasks after moving the clock (what `tto serve` does every minute).
async fn later(t: &common::TestApp, by: time::Duration) {
    t.clock.advance(by);
    t.app.run_due_tasks().await.unwrap();
}

/// Fetches `path` from the page (same cookies) and returns "status content-type".
async fn fetch_head(web: &Web, path: &str) -> String {
    let script = format!(
        "const done = arguments[0]; fetch({path:?}).then(r => done(r.status + ' ' + r.headers.get('content-type'))).catch(e => done('error ' + e));"
    );
    web.client.execute_async(&script, vec![]).await.unwrap().as_str().unwrap_or_default().to_string()
}

/// Drafts a deal through the form; returns the deal page's path.
async fn draft_deal(
    web: &mut Web,
    achievement: i64,
    title: &str,
    route: &str,
    price: &str,
    counterparty: Option<i64>,
) -> String {
    web.goto(&format!("/deals/new?achievement={achievement}")).await;
    assert_eq!(web.heading().await, "新建交易");
    web.fill("#title", title).await;
    web.select("#mode", "transfer").await;
    web.select("#route", route).await;
    web.fill("#price", price).await;
    if let Some(c) = counterparty {
        web.select("#counterparty", &c.to_string()).await;
    }
    web.shot(&format!("new-{route}")).await;
    web.click_and_wait("#save-deal").await;
    assert!(web.text(".notice").await.contains("交易已创建"), "{}", web.body_text().await);
    assert_eq!(web.text("#deal-status").await, "草稿");
    web.path().await.split('?').next().unwrap().to_string()
}

#[tokio::test]
async fn agreement_pricing_runs_its_public_notice_and_handles_an_objection() {
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    let achievement = deal_achievement(&t, "石墨烯导热膜制备工艺").await;
    let buyer = t.institution("ENT").await.0;
    let mut web = Web::start("deal-agreement", t.router.clone()).await;

    web.sign_in("staff.a", common::PASSWORD).await;
    // A draft with the buyer named; related-party without a note is refused inline.
    web.goto(&format!("/deals/new?achievement={achievement}")).await;
    web.fill("#title", "石墨烯导热膜专利转让").await;
    web.fill("#price", "1,200,000").await;
    web.select("#counterparty", &buyer.to_string()).await;
    web.find("input[name=related_party]").await.click().await.unwrap();
    web.click_and_wait("#save-deal").await;
    assert!(web.text(".error-summary").await.contains("关联关系说明"), "{}", web.body_text().await);
    web.shot("related-party-needs-a-note").await;
    web.find("input[name=related_party]").await.click().await.unwrap();
    web.click_and_wait("#save-deal").await;
    assert_eq!(web.text("#deal-status").await, "草稿");
    let deal = web.path().await.split('?').next().unwrap().to_string();

    // The notice: shorter than the profile's 15 days is refused with its source.
    web.set_date("#starts_on", "2026-11-29").await;
    web.set_date("#ends_on", "2026-12-05").await;
    web.click_and_wait("button[data-action=start_notice]").await;
    assert!(web.text(".error-summary").await.contains("不得少于 15"), "{}", web.body_text().await);
    web.shot("notice-too-short").await;
    web.set_date("#starts_on", "2026-11-29").await;
    web.set_date("#ends_on", "2026-12-13").await;
    web.click_and_wait("button[data-action=start_notice]").await;
    assert_eq!(web.text("#deal-status").await, "公示中");
    assert!(!web.exists("button[data-action=complete]").await, "a deal under notice cannot be completed");
    web.shot("noticing").await;
    web.sign_out().await;

    // The public reads the notice without signing in and objects.
    web.goto("/notices").await;
    assert!(web.body_text().await.contains("石墨烯导热膜专利转让"));
    web.shot("public-notices").await;
    web.click_and_wait(".public-notice a.button").await;
    let notice = web.body_text().await;
    assert!(
        notice.contains("1,200,000.00 元") && notice.contains("丙企业") && notice.contains("2026-12-13"),
        "{notice}"
    );
    web.click_and_wait("#submit-objection").await;
    assert!(web.exists(".error-summary").await, "an empty objection is refused");
    web.fill("#name", "王某").await;
    web.fill("#contact", "wang@example.com").await;
    web.fill("#content", "本人参与了该成果的中试，完成人名单遗漏，请核实。").await;
    web.shot("objection-form").await;
    web.click_and_wait("#submit-objection").await;
    assert!(web.text(".notice").await.contains("异议已提交"));

    // The TTO sees the objection with the contact details and rejects it with reasons.
    web.sign_in("staff.a", common::PASSWORD).await;
    web.goto(&deal).await;
    assert!(web.text("#notices").await.contains("wang@example.com"));
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("button[data-action=reject]").await;
    assert!(web.exists(".error-summary").await, "rejecting needs the reasons");
    web.fill("input[id^=response_]", "经核实，中试由合作企业完成，完成人名单无误。").await;
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("button[data-action=reject]").await;
    assert!(web.text(".notice").await.contains("异议已驳回"));
    web.shot("objection-rejected").await;

    // After the last day the scheduled task closes the notice and fixes the price (two weeks
    // on, the session has expired: sign in again).
    later(&t, time::Duration::days(15)).await;
    web.sign_in("staff.a", common::PASSWORD).await;
    web.goto(&deal).await;
    assert_eq!(web.text("#deal-status").await, "已定价");
    assert_eq!(web.text("#final-price").await, "1,200,000.00 元");
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("button[data-action=complete]").await;
    assert_eq!(web.text("#deal-status").await, "已完成");
    assert!(web.text("#verdict").await.contains("符合尽职免责条件"), "{}", web.text("#exemption").await);
    assert!(web.text("#exemption").await.contains("公示 15 天，不少于 15 天"));
    web.shot("completed").await;
    assert_eq!(fetch_head(&web, &format!("{deal}/evidence-pack.zip")).await, "200 application/zip");
    // The achievement is converted and its conversion booked.
    web.goto(&format!("/achievements/{achievement}")).await;
    assert!(web.body_text().await.contains("已转化"));
    web.close().await;
}

#[tokio::test]
async fn a_listing_with_two_interested_parties_becomes_an_auction_won_by_the_highest_bid() {
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    let achievement = deal_achievement(&t, "高强度铝合金焊接技术").await;
    let mut web = Web::start("deal-listing", t.router.clone()).await;

    web.sign_in("staff.a", common::PASSWORD).await;
    let deal = draft_deal(&mut web, achievement, "铝合金焊接专利挂牌转让", "listing", "300000", None).await;
    // A listing shorter than the profile's 10 days is refused.
    web.set_date("#l-ends_at", "2026-12-01T10:00").await;
    web.fill("#l-increment", "10000").await;
    web.click_and_wait("button[data-action=list]").await;
    assert!(web.text(".error-summary").await.contains("不得少于 10"), "{}", web.body_text().await);
    assert_eq!(web.value("#l-increment").await, "10000", "what was typed is kept");
    web.set_date("#l-ends_at", "2026-12-09T11:00").await;
    web.click_and_wait("button[data-action=list]").await;
    assert_eq!(web.text("#deal-status").await, "挂牌中", "{}", web.body_text().await);
    web.shot("listed").await;
    web.sign_out().await;

    for buyer in ["enterprise", "investor"] {
        web.sign_in(buyer, common::PASSWORD).await;
        web.goto("/market").await;
        web.fill("input[name=note]", "有意受让").await;
        web.click_and_wait("button[data-action=interest]").await;
        assert!(web.text(".notice").await.contains("受让意向已登记"));
        web.shot(&format!("interest-{buyer}")).await;
        web.sign_out().await;
    }

    // Two parties: at the end of the listing it turns into an auction among them.
    later(&t, time::Duration::days(10) + time::Duration::hours(2)).await;
    web.sign_in("enterprise", common::PASSWORD).await;
    web.goto("/market").await;
    assert_eq!(web.text("[data-registration]").await, "已批准", "interested parties bid without registering again");
    web.fill("input[name=amount]", "299999").await;
    web.click_and_wait("button[data-action=bid]").await;
    assert!(web.text(".market-card .error-summary").await.contains("不得低于起拍价"), "{}", web.body_text().await);
    web.shot("bid-below-reserve").await;
    web.fill("input[name=amount]", "300000").await;
    web.click_and_wait("button[data-action=bid]").await;
    assert!(web.text(".notice").await.contains("出价成功"));
    web.sign_out().await;
    web.sign_in("investor", common::PASSWORD).await;
    web.goto("/market").await;
    assert_eq!(web.value("input[name=amount]").await, "310000.00", "the form offers the minimum next bid");
    web.fill("input[name=amount]", "350000").await;
    web.click_and_wait("button[data-action=bid]").await;
    assert!(web.text("[data-highest]").await.contains("350,000.00"));
    web.shot("bids").await;
    web.sign_out().await;

    // The scheduled close fixes the winner; the TTO completes the deal.
    later(&t, time::Duration::minutes(61)).await;
    web.sign_in("staff.a", common::PASSWORD).await;
    web.goto(&deal).await;
    assert_eq!(web.text("#deal-status").await, "已定价");
    assert_eq!(web.text("#auction-winner").await, "己投资");
    assert_eq!(web.text("#final-price").await, "350,000.00 元");
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("button[data-action=complete]").await;
    assert!(web.text("#verdict").await.contains("符合尽职免责条件"));
    web.shot("completed").await;
    web.close().await;
}

#[tokio::test]
async fn an_auction_admits_approved_bidders_and_a_late_bid_extends_it() {
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    let achievement = deal_achievement(&t, "海水淡化膜组件").await;
    let mut web = Web::start("deal-auction", t.router.clone()).await;

    web.sign_in("staff.a", common::PASSWORD).await;
    let deal = draft_deal(&mut web, achievement, "海水淡化膜专利拍卖", "auction", "500000", None).await;
    web.set_date("#a-ends_at", "2026-11-30T10:00").await;
    web.fill("#a-increment", "20000").await;
    web.click_and_wait("button[data-action=start_auction]").await;
    assert_eq!(web.text("#deal-status").await, "拍卖中", "{}", web.body_text().await);
    web.shot("auction-started").await;
    web.sign_out().await;

    // Registering is not enough to bid: the exchange approves first.
    for buyer in ["enterprise", "investor"] {
        web.sign_in(buyer, common::PASSWORD).await;
        web.goto("/market").await;
        web.click_and_wait("button[data-action=register]").await;
        assert_eq!(web.text("[data-registration]").await, "待审核");
        assert!(!web.exists("button[data-action=bid]").await, "no bid form before approval");
        web.sign_out().await;
    }
    web.sign_in("exchange", common::PASSWORD).await;
    web.goto("/market").await;
    web.shot("exchange-approves").await;
    web.click_and_wait("button[data-action=approve-bidder]").await;
    web.click_and_wait("button[data-action=approve-bidder]").await;
    assert!(!web.exists("button[data-action=approve-bidder]").await);
    web.sign_out().await;

    web.sign_in("enterprise", common::PASSWORD).await;
    web.goto("/market").await;
    web.fill("input[name=amount]", "500000").await;
    web.click_and_wait("button[data-action=bid]").await;
    assert!(web.text(".notice").await.contains("出价成功"));
    web.sign_out().await;

    // Two minutes before the end the investor bids: the end moves five minutes past the bid.
    t.clock.advance(time::Duration::hours(23) + time::Duration::minutes(58));
    web.sign_in("investor", common::PASSWORD).await;
    web.goto("/market").await;
    web.fill("input[name=amount]", "510000").await;
    web.click_and_wait("button[data-action=bid]").await;
    assert!(web.text(".market-card .error-summary").await.contains("加价幅度"), "below the increment");
    web.fill("input[name=amount]", "520000").await;
    web.click_and_wait("button[data-action=bid]").await;
    assert!(web.text(".market-card").await.contains("2026-11-30 10:03"), "{}", web.text(".market-card").await);
    web.shot("extended").await;
    web.sign_out().await;

    // The original end passes: still open. After the extension: the investor wins.
    later(&t, time::Duration::minutes(3)).await;
    web.sign_in("staff.a", common::PASSWORD).await;
    web.goto(&deal).await;
    assert_eq!(web.text("#deal-status").await, "拍卖中");
    assert!(web.text("#auctions").await.contains("已延时"));
    later(&t, time::Duration::minutes(5)).await;
    web.goto(&deal).await;
    assert_eq!(web.text("#deal-status").await, "已定价");
    assert_eq!(web.text("#auction-winner").await, "己投资");
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("button[data-action=complete]").await;
    assert_eq!(web.text("#deal-status").await, "已完成");
    assert!(web.text("#verdict").await.contains("符合尽职免责条件"));
    web.shot("completed").await;
    assert_eq!(fetch_head(&web, &format!("{deal}/evidence-pack.zip")).await, "200 application/zip");
    web.close().await;
}

#[tokio::test]
async fn a_contract_is_registered_and_paid_and_unconverted_achievements_are_released() {
    use tto_domain::AchievementAction::Register;
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    let buyer = t.institution("ENT").await.0;
    let mut old = draft("旧课题形成的传感器标定方法", "财政资金支持完成，尚未转化。", &["传感器"], 4, "public");
    old.completion_date = Some("2022-05-01".into());
    let released = seed_achievement(&t, "UNA", &old, &[Register]).await;
    let mut web = Web::start("contract-release", t.router.clone()).await;

    // A technical contract whose schedule must add up to the amount.
    web.sign_in("staff.a", common::PASSWORD).await;
    web.goto("/contracts/new").await;
    web.select("#category", "transfer").await;
    web.fill("#title", "专利权转让合同").await;
    web.select("#buyer", &buyer.to_string()).await;
    web.fill("#amount", "1,000,000").await;
    web.set_date("#signed_on", "2026-11-20").await;
    web.set_date("#due0", "2026-12-01").await;
    web.fill("#inst0", "300000").await;
    web.set_date("#due1", "2027-06-01").await;
    web.fill("#inst1", "600000").await;
    web.click_and_wait("#save-contract").await;
    assert!(web.text(".error-summary").await.contains("合计须等于合同金额"), "{}", web.body_text().await);
    web.shot("schedule-does-not-add-up").await;
    web.fill("#inst1", "700000").await;
    web.click_and_wait("#save-contract").await;
    assert!(web.text(".notice").await.contains("技术合同已登记"), "{}", web.body_text().await);

    // Registration (认定登记) and a payment; more than the amount is refused.
    web.fill("#registration_number", "2026120100123").await;
    web.set_date("#registered_on", "2026-11-25").await;
    web.fill("#certified_amount", "1000000").await;
    web.fill("#authority", "天津市技术市场管理办公室").await;
    web.click_and_wait("button[data-action=register]").await;
    assert!(web.text("#registration").await.contains("2026120100123"));
    web.fill("#payment_amount", "1000000.01").await;
    web.set_date("#received_on", "2026-11-28").await;
    web.click_and_wait("button[data-action=payment]").await;
    assert!(web.text(".error-summary").await.contains("不能超过合同金额"), "{}", web.body_text().await);
    web.fill("#payment_amount", "300000").await;
    web.set_date("#received_on", "2026-11-28").await;
    web.click_and_wait("button[data-action=payment]").await;
    assert!(web.text("#received").await.contains("300,000.00"));
    assert!(web.text("#outstanding").await.contains("700,000.00"));
    web.shot("registered-and-paid").await;
    web.sign_out().await;

    // The regulator releases the unconverted fiscally funded achievement.
    web.sign_in("regulator", common::PASSWORD).await;
    web.goto("/releases/candidates").await;
    assert!(web.text("#rule").await.contains("2023-11-29"), "three years before today: {}", web.text("#rule").await);
    web.find(&format!("#a{released}")).await.click().await.unwrap();
    web.fill("#title", "2026 年第四季度财政资金成果集中发布").await;
    web.shot("candidates").await;
    web.click_and_wait("#create-campaign").await;
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("button[data-action=publish]").await;
    assert!(web.text(".notice").await.contains("已发布"));
    let campaign = web.path().await.split('?').next().unwrap().to_string();
    web.sign_out().await;

    // Everyone reads it, and the exchange takes the export.
    web.goto("/releases").await;
    assert!(web.text("#campaigns").await.contains("2026 年第四季度财政资金成果集中发布"));
    web.goto(&campaign).await;
    assert!(web.text("#items").await.contains("旧课题形成的传感器标定方法"));
    web.shot("published").await;
    assert_eq!(
        fetch_head(&web, &format!("{campaign}/export.xlsx")).await,
        "200 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    web.close().await;
}

// ---------------------------------------------------------------------------------------
// Income distribution
// ---------------------------------------------------------------------------------------

/// A registered technical contract of UNA, paid in full, for a deal converting a published
/// achievement (contributors 张伟 60 % main, 李娜 40 %); returns the contract's id.
async fn paid_contract(t: &common::TestApp, title: &str) -> i64 {
    let system = Actor::system("test");
    let achievement = deal_achievement(t, title).await;
    let buyer = t.institution("ENT").await.0;
    let deal = t
        .app
        .create_deal(
            &system,
            &tto_domain::deal::DealDraft {
                title: format!("{title}专利转让"),
                mode: "transfer".into(),
                route: "agreement".into(),
                price: "1000000".into(),
                counterparty: Some(buyer),
                achievements: vec![achievement],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let contract = t
        .app
        .create_contract(
            &system,
            Some(deal.id),
            &tto_domain::contract::ContractDraft {
                category: "transfer".into(),
                title: format!("{title}专利权转让合同"),
                buyer: Some(buyer),
                amount: "1000000".into(),
                signed_on: "2026-11-20".into(),
                schedule: vec![("2026-11-28".into(), "1000000".into())],
            },
        )
        .await
        .unwrap();
    let contract = t
        .app
        .register_contract(
            &system,
            contract.id,
            contract.version,
            "2026112500088",
            "2026-11-25",
            "1000000",
            "天津市技术市场管理办公室",
        )
        .await
        .unwrap();
    t.app
        .record_payment(&system, contract.id, contract.version, "1000000", "2026-11-28", "银行回单 0088")
        .await
        .unwrap();
    contract.id
}

#[tokio::test]
async fn finance_staff_compute_approve_notice_and_pay_a_distribution() {
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    let contract = paid_contract(&t, "高导热石墨烯复合膜").await;
    let mut web = Web::start("distribution", t.router.clone()).await;

    // A deductible cost of the contract, recorded as income and expenses.
    web.sign_in("staff.a", common::PASSWORD).await;
    assert!(web.nav_items().await.iter().any(|i| i == "收支记录"), "{:?}", web.nav_items().await);
    web.goto(&format!("/finance?contract_id={contract}")).await;
    web.select("#kind", "cost").await;
    web.select("#category", "transaction_taxes").await;
    web.fill("#amount", "20,000").await;
    web.set_date("#occurred_on", "2026-11-28").await;
    web.click_and_wait("#record-entry").await;
    assert!(web.text(".notice").await.contains("已登记"), "{}", web.body_text().await);
    assert!(web.text("#entries").await.contains("20,000.00 元"), "{}", web.text("#entries").await);
    web.shot("finance").await;

    // The form, prefilled from the contract: income, the cost, the contributors.
    web.goto(&format!("/distributions/new?contract={contract}")).await;
    assert_eq!(web.heading().await, "新建收益分配");
    assert_eq!(web.value("#title").await, "高导热石墨烯复合膜专利权转让合同");
    assert_eq!(web.value("#gross").await, "1000000.00");
    assert_eq!(web.value("#dc0").await, "transaction_taxes");
    assert_eq!(web.value("#rn0").await, "张伟");
    assert_eq!(web.value("#rn1").await, "李娜");
    web.find("#tto-rate").await.click().await.unwrap();
    web.fill("#tto_rate_value", "10").await;

    // Shares that do not add up are refused inline, keeping what was typed.
    web.fill("#rs1", "30").await;
    web.click_and_wait("#preview-distribution").await;
    assert!(
        web.text(".error-summary").await.contains("份额合计须恰好为 100%，当前为 90%"),
        "{}",
        web.body_text().await
    );
    assert!(web.text("#recipients-error").await.contains("100%"));
    assert_eq!(web.value("#tto_rate_value").await, "10");
    web.shot("shares-not-100").await;

    // The preview: net 980,000, half to the team (statute), 10 % of the contract to the TTO.
    web.fill("#rs1", "40").await;
    web.click_and_wait("#preview-distribution").await;
    let lines = web.text("#lines").await;
    assert!(lines.contains("张伟") && lines.contains("294,000.00 元"), "{lines}");
    assert!(lines.contains("李娜") && lines.contains("196,000.00 元"), "{lines}");
    assert!(lines.contains("100,000.00 元") && lines.contains("390,000.00 元"), "{lines}");
    assert_eq!(web.text("#lines-total").await, "1,000,000.00 元");
    assert_eq!(web.text("#result-gross").await, web.text("#lines-total").await, "the lines add up to the income");
    let trail = web.text("#trail").await;
    assert!(trail.contains("净收入 = 收入 1,000,000.00 元 − 可扣除费用 20,000.00 元 = 980,000.00 元"), "{trail}");
    assert!(trail.contains("按法定标准"), "{trail}");
    web.shot("form-and-preview").await;
    web.click_and_wait("#save-distribution").await;
    assert!(web.text(".notice").await.contains("已计算并保存为草稿"), "{}", web.body_text().await);
    assert_eq!(web.text("#distribution-status").await, "草稿");
    let page = web.path().await.split('?').next().unwrap().to_string();
    web.sign_out().await;

    // The TTO administrator approves it; a rule below the statutory floor is refused with its source.
    web.sign_in("admin.a", common::PASSWORD).await;
    web.goto(&page).await;
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("button[data-action=approve]").await;
    assert_eq!(web.text("#distribution-status").await, "已审批");
    web.goto("/distribution-rules").await;
    web.fill("#document", "甲大学科技成果转化收益分配办法（校发〔2026〕12号）").await;
    web.fill("#share_transfer", "40").await;
    web.fill("#tto_rate", "10").await;
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("#publish-rule").await;
    let summary = web.text(".error-summary").await;
    assert!(summary.contains("转让/许可比例") && summary.contains("促进科技成果转化法"), "{summary}");
    assert_eq!(web.value("#document").await, "甲大学科技成果转化收益分配办法（校发〔2026〕12号）");
    web.fill("#share_transfer", "70").await;
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("#publish-rule").await;
    assert!(web.text(".notice").await.contains("已发布"), "{}", web.body_text().await);
    assert!(web.text("#rules").await.contains("70 %"), "{}", web.text("#rules").await);
    web.shot("rules").await;
    web.sign_out().await;

    // The staff notices the rewards for 15 days (today … today + 14, the defaults).
    web.sign_in("staff.a", common::PASSWORD).await;
    web.goto(&page).await;
    assert_eq!(web.value("#starts_on").await, "2026-11-29");
    assert_eq!(web.value("#ends_on").await, "2026-12-13");
    web.click_and_wait("button[data-action=start_notice]").await;
    assert_eq!(web.text("#distribution-status").await, "公示中");
    assert!(!web.exists("button[data-action=pay]").await, "no payment before the notice ends");
    // The public reads who gets how much.
    web.goto("/notices").await;
    web.click_and_wait(".public-notice a.button").await;
    let notice = web.text("#notice-rewards").await;
    assert!(notice.contains("张伟") && notice.contains("294,000.00 元"), "{notice}");
    web.shot("reward-notice").await;

    // Fifteen days on (the session expired meanwhile) the staff closes the notice and pays.
    t.clock.advance(time::Duration::days(15));
    web.sign_in("staff.a", common::PASSWORD).await;
    web.goto(&page).await;
    web.click_and_wait("button[data-action=close_notice]").await;
    assert_eq!(web.text("#distribution-status").await, "公示完成", "{}", web.body_text().await);
    t.app.run_due_tasks().await.unwrap();
    web.goto(&page).await;
    assert_eq!(web.value("#paid_on").await, "2026-12-14");
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("button[data-action=pay]").await;
    assert_eq!(web.text("#distribution-status").await, "已发放");
    assert_eq!(web.text("#paid-on").await, "2026-12-14");

    // The tax view: every condition of the 50 % treatment is met.
    let tax = web.text("#tax").await;
    for condition in [
        "发放单位为非营利性科研机构或高校",
        "以转让或许可方式转化",
        "技术合同已认定登记",
        "奖励名单已公示",
        "36 个月内发放",
    ] {
        assert!(tax.contains(condition), "{condition}: {tax}");
    }
    assert!(tax.contains("147,000.00 元") && tax.contains("享受优惠"), "{tax}");
    assert!(!web.exists("#tax li.unmet").await, "no condition unmet: {tax}");
    assert!(web.text("#timeline").await.contains("奖励发放"));
    web.shot("paid").await;
    assert_eq!(
        fetch_head(&web, &format!("{page}/export.xlsx")).await,
        "200 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );

    // The contributor's statement lists the reward.
    web.click_and_wait("#lines td.recipient a").await;
    assert_eq!(web.heading().await, "个人奖励明细 · 张伟");
    let statement = web.text("#statement").await;
    assert!(
        statement.contains("高导热石墨烯复合膜专利权转让合同") && statement.contains("294,000.00 元"),
        "{statement}"
    );
    assert!(statement.contains("已发放"), "{statement}");
    web.shot("statement").await;

    // The register, in English.
    web.goto("/distributions?lang=en").await;
    assert_eq!(web.heading().await, "Income distribution");
    assert!(web.text("#distributions").await.contains("Paid"));
    web.shot("register-en").await;
    web.goto(&format!("{page}?lang=en")).await;
    web.shot("paid-en").await;
    web.goto("/distributions?lang=zh").await;
    web.sign_out().await;

    // Anyone estimates the enterprise income tax on a technology transfer.
    web.goto("/tax/enterprise").await;
    web.fill("#income", "8,000,000").await;
    web.click_and_wait("#calculate").await;
    assert_eq!(web.text("#tax-exempt").await, "5,000,000.00 元");
    assert_eq!(web.text("#tax-amount").await, "375,000.00 元");
    web.shot("enterprise-tax").await;
    web.fill("#licence_years", "3").await;
    web.click_and_wait("#calculate").await;
    assert!(web.text("#tax-result").await.contains("不符合减免条件"));
    assert_eq!(web.text("#tax-amount").await, "2,000,000.00 元");
    web.close().await;
}

// ---------------------------------------------------------------------------------------
// Intake: disclosure and pre-filing evaluation
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn an_inventor_discloses_and_the_tto_evaluates_before_filing() {
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    let mut web = Web::start("intake", t.router.clone()).await;

    // The inventor drafts and submits a disclosure.
    web.sign_in("inventor.a", common::PASSWORD).await;
    web.goto("/disclosures").await;
    web.shot("empty-list").await;
    web.click_and_wait("#new-disclosure").await;
    web.fill("#title", "一种低温烧结纳米银焊膏").await;
    web.fill("#summary", "可在 200 ℃ 以下烧结的纳米银焊膏，用于功率器件封装。").await;
    web.fill("#problem", "功率模块高温焊接导致的热应力与失效。").await;
    web.fill("#prior_art", "现有焊膏烧结温度高于 250 ℃。").await;
    web.fill("#funding_refs", "NSFC-52071234").await;
    web.fill("#cs0", "60").await;
    web.fill("#cn1", "刘博士").await;
    web.fill("#cs1", "30").await;
    web.click_and_wait("form[action='/disclosures'] button[type=submit]").await;
    assert!(web.text(".error-summary").await.contains("100%"), "shares must total 100 %");
    web.shot("form-errors").await;
    web.fill("#cs1", "40").await;
    web.click_and_wait("form[action='/disclosures'] button[type=submit]").await;
    assert_eq!(web.text("#disclosure-status").await, "草稿");
    web.shot("draft").await;
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("button[data-action=submit]").await;
    assert_eq!(web.text("#disclosure-status").await, "待审核");
    let disclosure = web.path().await.split('?').next().unwrap().to_string();
    web.goto(&format!("{disclosure}?lang=en")).await;
    web.shot("submitted-en").await;
    web.goto(&format!("{disclosure}?lang=zh-CN")).await;
    web.sign_out().await;

    // TTO staff accepts it into the ledger and starts an evaluation with two reviewers.
    web.sign_in("staff.a", common::PASSWORD).await;
    web.goto(&disclosure).await;
    web.fill("#discipline", "材料科学与工程").await;
    web.select("#trl", "4").await;
    web.find("input[name=chains][value=new_materials]").await.click().await.unwrap();
    web.shot("review").await;
    web.click_and_wait("button[data-action=accept]").await;
    assert_eq!(web.text("#disclosure-status").await, "已受理");
    web.click_and_wait("#start-evaluation").await;
    for name in ["staff.a 用户", "manager 用户"] {
        let boxes = web.find_all("#reviewer-candidates label").await;
        for b in boxes {
            if b.text().await.unwrap().contains(name) {
                b.find(Locator::Css("input")).await.unwrap().click().await.unwrap();
            }
        }
    }
    web.shot("evaluation-form").await;
    web.click_and_wait("form[action='/evaluations'] button[type=submit]").await;
    assert_eq!(web.text("#evaluation-status").await, "评审中");
    let evaluation = web.path().await.split('?').next().unwrap().to_string();
    // Staff scores as a reviewer.
    for (c, s) in [("novelty", 4), ("patentability", 4), ("industrialisation", 5), ("maturity", 3), ("team", 4)] {
        web.find(&format!("input[name=score_{c}][value='{s}']")).await.click().await.unwrap();
    }
    web.click_and_wait("button[data-action=score]").await;
    web.sign_out().await;

    // The technology manager sees it waiting for them and scores.
    web.sign_in("manager", common::PASSWORD).await;
    web.goto("/evaluations").await;
    assert!(web.exists(".to-score-marker").await);
    web.shot("reviewer-list").await;
    web.goto(&evaluation).await;
    web.shot("scoring-form").await;
    for (c, s) in [("novelty", 2), ("patentability", 3), ("industrialisation", 2), ("maturity", 3), ("team", 2)] {
        web.find(&format!("input[name=score_{c}][value='{s}']")).await.click().await.unwrap();
    }
    web.fill("#comment", "产业化前景尚需验证。").await;
    web.click_and_wait("button[data-action=score]").await;
    web.sign_out().await;

    // The TTO records the recommendation; the report opens.
    web.sign_in("staff.a", common::PASSWORD).await;
    web.goto(&evaluation).await;
    assert!(web.exists("#spread .badge").await, "the disagreement is highlighted");
    web.find("input[name=recommendation][value=file_patent]").await.click().await.unwrap();
    web.fill("#reasons", "新颖性与产业化前景评分较高，建议申请发明专利。").await;
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("button[data-action=decide]").await;
    assert_eq!(web.text("#recommendation").await, "申请专利");
    assert!(web.exists("#record-filing").await);
    web.shot("decided").await;
    web.goto(&format!("{evaluation}?lang=en")).await;
    web.shot("decided-en").await;
    web.goto(&format!("{evaluation}?lang=zh-CN")).await;
    web.click_and_wait("#report-link").await;
    assert!(web.text("main h1").await.contains("专利申请前评估报告"));
    web.shot("report").await;

    // The patent is filed (a priority application of 2024, granted this autumn) from the
    // evaluation's link; its next annuity falls due within the reminder window.
    web.goto(&evaluation).await;
    web.click_and_wait("#record-filing").await;
    assert_eq!(web.heading().await, "登记知识产权");
    let digits: [u8; 12] = *b"202410111222";
    let number = format!("202410111222.{}", tto_domain::ip::check_character(&digits));
    web.fill("#application_number", &number).await;
    web.set_date("#filing_date", "2024-01-10").await;
    web.set_date("#grant_date", "2026-10-01").await;
    web.click_and_wait("#save-ip").await;
    assert!(web.text(".notice").await.contains("知识产权已登记"), "{}", web.body_text().await);
    assert!(web.text("#annuity-4").await.contains("2027-01-10"), "{}", web.text("#annuity-4").await);
    web.shot("patent-filed").await;
    // The scheduled task raises the reminder; the due list shows it.
    assert_eq!(t.app.run_due_tasks().await.unwrap().reminders_raised, 1);
    web.goto("/ip/due").await;
    assert!(web.text("#due-annuities").await.contains(&number), "{}", web.text("#due-annuities").await);
    assert!(web.text("#reminder-list").await.contains("2027-01-10"), "{}", web.text("#reminder-list").await);
    web.shot("annuity-reminder").await;
    // The achievement's page links its evaluation and its patent.
    let disclosures = t.app.disclosures(&Actor::system("t"), None).await.unwrap();
    let achievement = disclosures[0].achievement_id.expect("accepted into the ledger").0;
    web.goto(&format!("/achievements/{achievement}")).await;
    let card = web.text("#evaluations-and-ip").await;
    assert!(card.contains(&number) && card.contains("申请专利"), "{card}");
    web.shot("achievement-links").await;
    web.close().await;
}

#[tokio::test]
async fn the_tto_runs_a_screening_round_and_watches_major_achievements() {
    use tto_domain::AchievementAction::Register;
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    let mut major_draft =
        draft("固态锂电池电解质", "高离子电导率的硫化物固态电解质。", &["固态电池"], 5, "summary_only");
    major_draft.major = true;
    let major = seed_achievement(&t, "UNA", &major_draft, &[Register]).await;
    let other = seed_achievement(
        &t,
        "UNA",
        &draft("柔性压力传感器", "可穿戴设备用柔性压力传感器。", &["传感器"], 4, "public"),
        &[Register],
    )
    .await;
    let mut web = Web::start("screening", t.router.clone()).await;

    // TTO staff creates a round with the default criteria (30/30/20/20) and a shortlist of one.
    web.sign_in("staff.a", common::PASSWORD).await;
    web.goto("/screening").await;
    web.click_and_wait("#new-round").await;
    assert_eq!(web.heading().await, "新建遴选");
    web.fill("#title", "2026 年度重点推介成果遴选").await;
    web.fill("#description", "从已登记成果中遴选重点推介项目。").await;
    web.fill("#shortlist_size", "1").await;
    web.shot("new-round").await;
    web.click_and_wait("#create-round").await;
    assert!(web.text(".notice").await.contains("遴选已创建"), "{}", web.body_text().await);
    let round = web.path().await.split('?').next().unwrap().to_string();

    // Candidates: two achievements of the university; reviewers: a colleague and an outside expert.
    web.select("#candidate_achievement", &major.to_string()).await;
    web.click_and_wait("#add-candidate-button").await;
    web.select("#candidate_achievement", &other.to_string()).await;
    web.click_and_wait("#add-candidate-button").await;
    assert!(web.text("#candidate-list").await.contains("柔性压力传感器"));
    web.js(
        "document.querySelectorAll('#assign-reviewers label').forEach(function (l) { \
         if (l.textContent.indexOf('inventor.a') >= 0 || l.textContent.indexOf('manager') >= 0) { l.querySelector('input').checked = true; } });",
    )
    .await;
    web.click_and_wait("#assign-button").await;
    let reviewers = web.text("#reviewer-list").await;
    assert!(reviewers.contains("inventor.a 用户") && reviewers.contains("manager 用户"), "{reviewers}");
    web.shot("draft-round").await;
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("button[data-action=open]").await;
    assert_eq!(web.text("#round-status").await, "评分中");
    web.sign_out().await;

    // The reviewers score both candidates.
    for (reviewer, sheets) in [("inventor.a", [[5, 4, 4, 4], [3, 3, 3, 3]]), ("manager", [[4, 4, 5, 4], [3, 2, 3, 3]])]
    {
        web.sign_in(reviewer, common::PASSWORD).await;
        web.goto(&round).await;
        for (i, sheet) in sheets.iter().enumerate() {
            if i == 0 && reviewer == "inventor.a" {
                web.shot("reviewer-form").await;
            }
            web.js(&format!(
                "var f = document.querySelector('form.score-form'); var v = {sheet:?}; \
                 f.querySelectorAll('input[name=score]').forEach(function (x, k) {{ x.value = v[k]; }});"
            ))
            .await;
            web.click_and_wait("form.score-form button[type=submit]").await;
            assert!(web.text(".notice").await.contains("评分已提交"), "{}", web.body_text().await);
        }
        assert!(web.exists("#all-scored").await);
        web.sign_out().await;
    }

    // Staff closes scoring (ranks, spread, shortlist) and publishes.
    web.sign_in("staff.a", common::PASSWORD).await;
    web.goto(&round).await;
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("button[data-action=close]").await;
    assert_eq!(web.text("#round-status").await, "已结束评分");
    let first = web.text(&format!("#candidate-{}", "list tbody tr:first-child")).await;
    assert!(first.contains("固态锂电池电解质") && first.contains("入围"), "{first}");
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("button[data-action=publish]").await;
    assert_eq!(web.text("#round-status").await, "已公布");
    web.shot("published").await;
    web.goto(&format!("{round}?lang=en")).await;
    web.assert_translated(&[
        "2026 年度重点推介成果遴选",
        "从已登记成果中遴选重点推介项目。",
        "固态锂电池电解质",
        "柔性压力传感器",
        "甲大学",
        "staff.a 用户",
        "inventor.a 用户",
        "manager 用户",
        "创新性",
        "市场前景",
        "技术成熟度",
        "团队能力",
    ])
    .await;
    web.shot("published-en").await;
    web.goto("/screening?lang=zh").await;

    // A patent for the major achievement, then an annuity payment.
    web.goto("/ip").await;
    web.shot("ip-empty").await;
    web.goto(&format!("/ip/new?achievement_id={major}")).await;
    assert_eq!(web.heading().await, "登记知识产权");
    assert_eq!(web.value("#achievement_id").await, major.to_string());
    assert_eq!(web.value("#title").await, "固态锂电池电解质");
    let digits: [u8; 12] = *b"202010123456";
    let number = format!("202010123456.{}", tto_domain::ip::check_character(&digits));
    web.fill("#application_number", "202010123456.Z").await;
    web.set_date("#filing_date", "2020-03-15").await;
    web.set_date("#grant_date", "2023-06-01").await;
    web.click_and_wait("#save-ip").await;
    assert!(web.text(".error-summary").await.contains("申请号"), "{}", web.body_text().await);
    web.shot("ip-bad-number").await;
    web.fill("#application_number", &number).await;
    web.click_and_wait("#save-ip").await;
    assert!(web.text(".notice").await.contains("知识产权已登记"), "{}", web.body_text().await);
    assert_eq!(web.text("#expires-on").await, "2040-03-15");
    assert!(web.text("#annuity-5").await.contains("逾期"));
    web.fill("#amount", "900").await;
    web.click_and_wait("#pay-annuity").await;
    assert!(web.text(".notice").await.contains("年费缴纳已登记"));
    assert!(web.text("#annuity-5").await.contains("900.00 元"), "{}", web.text("#annuity-5").await);
    web.select("#programme_status", "promoting").await;
    web.click_and_wait("#set-programme").await;
    assert_eq!(web.text("#programme-status").await, "推广中");
    web.shot("ip-detail").await;
    let ip_page = web.path().await.split(['?', '#']).next().unwrap().to_string();
    web.goto(&format!("{ip_page}?lang=en")).await;
    web.shot("ip-detail-en").await;
    web.goto("/ip?lang=zh").await;
    web.shot("ip-register").await;
    web.goto("/ip/due").await;
    web.shot("ip-due").await;
    web.goto("/ip/programme").await;
    web.shot("ip-programme").await;

    // Monitoring: the major achievement's overdue annuities and missing evaluation are flagged.
    web.goto("/monitoring").await;
    let row = web.text(&format!("#watched-{major}")).await;
    assert!(row.contains("年费逾期") && row.contains("未做评估"), "{row}");
    web.shot("monitoring").await;
    web.goto("/monitoring?lang=en").await;
    assert!(web.text(&format!("#watched-{major}")).await.contains("annuities overdue"));
    web.shot("monitoring-en").await;
    web.goto("/monitoring?lang=zh").await;
    web.close().await;
}

#[tokio::test]
async fn an_enterprise_posts_a_need_and_visitors_see_it_without_the_contact() {
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    let mut web = Web::start("needs", t.router.clone()).await;
    web.sign_in("enterprise", common::PASSWORD).await;
    web.goto("/needs").await;
    web.shot("empty").await;
    web.goto("/needs/new").await;
    let active: Vec<String> = web.texts(".sidenav a.active").await;
    assert_eq!(active.len(), 1, "one navigation item is active: {active:?}");
    web.fill("#title", "焊缝缺陷在线视觉检测").await;
    web.fill(
        "#description",
        "汽车零部件焊装线需要在线检测气孔、咬边等焊缝缺陷，节拍 30 秒/件，寻求机器视觉检测方案及样机。",
    )
    .await;
    web.fill("#budget_min", "800000").await;
    web.fill("#budget_max", "300000").await;
    web.set_date("#deadline", "2027-03-01").await;
    web.fill("#contact_name", "王经理").await;
    web.fill("#contact_email", "rd@example.com").await;
    web.find("input[name=contact_policy][value=via_platform]").await.click().await.unwrap();
    web.click_and_wait("form.form button[type=submit]").await;
    assert!(web.exists("#budget_max-error").await || web.text(".error-summary").await.contains("预算"));
    web.shot("form-errors").await;
    web.fill("#budget_min", "300000").await;
    web.fill("#budget_max", "800000").await;
    web.click_and_wait("form.form button[type=submit]").await;
    assert_eq!(web.text("#need-status").await, "草稿", "{}", web.body_text().await);
    // The chain suggested from the text is confirmed, then the need is published.
    if web.exists("#chain-suggestion").await {
        web.click_and_wait("button[data-action=confirm_chain]").await;
    }
    web.js("window.confirm = function () { return true; }").await;
    web.click_and_wait("button[data-action=publish]").await;
    assert_eq!(web.text("#need-status").await, "已发布");
    web.shot("published").await;
    let page = web.path().await.split('?').next().unwrap().to_string();
    assert!(web.text("#contact").await.contains("王经理"), "the owner sees the contact");
    web.sign_out().await;
    // A visitor finds it on the public list; the contact goes through the platform.
    web.goto("/needs").await;
    assert!(web.body_text().await.contains("焊缝缺陷在线视觉检测"));
    web.shot("public-list").await;
    web.goto(&page).await;
    assert!(!web.text("#contact").await.contains("王经理"), "{}", web.text("#contact").await);
    web.shot("public-detail").await;
    web.goto(&format!("{page}?lang=en")).await;
    web.shot("public-detail-en").await;
    web.close().await;
}

#[tokio::test]
async fn visitor_searches_in_chinese_and_english_and_narrows_by_facet() {
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    use AchievementAction::{Publish, Register};
    let graphene = seed_achievement(
        &t,
        "UNA",
        &draft(
            "高导热石墨烯复合材料",
            "一种高导热石墨烯复合材料的制备方法，导热系数提高 40%。",
            &["石墨烯", "导热"],
            4,
            "summary_only",
        ),
        &[Register, Publish],
    )
    .await;
    seed_achievement(&t, "UNA", &draft("石墨烯草稿成果", "仍在整理中的石墨烯成果。", &["石墨烯"], 5, "public"), &[])
        .await;
    let mut web = Web::start("search", t.router.clone()).await;
    web.goto("/").await;
    web.click_and_wait(".sidenav a[href='/search']").await;
    assert_eq!(web.heading().await, "搜索");
    web.fill("#f-q", "石墨烯").await;
    web.click_and_wait("form.filters button[type=submit]").await;
    let hits = web.texts("#search-hits li").await;
    assert_eq!(hits.len(), 1, "only the published one: {hits:?}");
    assert!(hits[0].contains("高导热石墨烯复合材料") && hits[0].contains("甲大学"), "{hits:?}");
    assert!(web.exists("#search-hits .snippet b").await, "the matched words are highlighted");
    assert!(web.text("#search-facets").await.contains("科技成果 1"));
    web.shot("results").await;
    web.click_and_wait("#search-facets a[href*='kind=achievement']").await;
    assert!(web.path().await.contains("kind=achievement"));
    assert_eq!(web.texts("#search-hits li").await.len(), 1);
    web.click_and_wait(&format!("#search-hits a[href='/achievements/{graphene}']")).await;
    assert_eq!(web.heading().await, "高导热石墨烯复合材料");
    web.goto("/search?lang=en&q=thermal+conductivity").await;
    assert_eq!(web.heading().await, "Search");
    // The top bar's box searches from any page.
    web.goto("/achievements").await;
    web.fill(".topbar-search input", "石墨烯").await;
    web.js("document.querySelector('.topbar-search').submit()").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(web.path().await.starts_with("/search?q="), "{}", web.path().await);
    assert_eq!(web.texts("#search-hits li").await.len(), 1);
    web.shot("english").await;
    web.close().await;
    t.cleanup().await;
}

#[tokio::test]
async fn an_enterprise_sees_explained_matches_and_the_tto_works_the_pipeline() {
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    use AchievementAction::{Publish, Register};
    let graphene = seed_achievement(
        &t,
        "UNA",
        &draft(
            "高导热石墨烯复合材料",
            "一种高导热石墨烯复合材料的制备方法，导热系数提高 40%。",
            &["石墨烯", "导热"],
            4,
            "summary_only",
        ),
        &[Register, Publish],
    )
    .await;
    seed_achievement(
        &t,
        "UNA",
        &draft("石墨烯改性防腐涂层", "石墨烯改性环氧防腐涂层，耐盐雾 3000 小时。", &["石墨烯", "涂层"], 6, "public"),
        &[Register, Publish],
    )
    .await;
    let enterprise = Actor::User(t.app.sign_in("enterprise", common::PASSWORD, "test").await.unwrap().user);
    let need = t
        .app
        .create_need(
            &enterprise,
            None,
            &tto_domain::tech_need::NeedDraft {
                title: "电子设备高导热石墨烯散热材料".into(),
                description: "5G 基站功放散热需要高导热石墨烯复合材料，导热系数提高三成以上，可批量制备。".into(),
                chains: vec!["new_materials".into()],
                discipline: Some("材料科学与工程".into()),
                deadline: Some("2027-06-30".into()),
                contact_policy: "public".into(),
                contact_name: "王工".into(),
                contact_phone: Some("13800001111".into()),
                trl_min: Some("3".into()),
                trl_max: Some("6".into()),
                keywords: vec!["石墨烯".into(), "导热".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    t.app
        .transition_need(&enterprise, need.id, need.version, tto_domain::tech_need::NeedAction::Publish)
        .await
        .unwrap();

    let mut web = Web::start("matching", t.router.clone()).await;
    web.sign_in("enterprise", common::PASSWORD).await;
    web.goto(&format!("/needs/{}", need.id)).await;
    web.click_and_wait("#see-matches").await;
    assert_eq!(web.heading().await, "匹配成果");
    let candidates = web.texts("#match-candidates > li").await;
    assert_eq!(candidates.len(), 2, "{candidates:?}");
    assert!(candidates[0].contains("高导热石墨烯复合材料"), "the best first: {candidates:?}");
    assert!(candidates[0].contains("共同关键词：石墨烯、导热") && candidates[0].contains("同属产业链：新材料"));
    web.shot("need-matches").await;
    web.click_and_wait("#match-candidates > li:first-child button[data-action=accept]").await;
    assert!(web.body_text().await.contains("已接受推荐"), "{}", web.body_text().await);
    assert!(web.text("#match-candidates > li:first-child").await.contains("已接受"));
    web.shot("accepted").await;
    web.sign_out().await;

    // The university's TTO sees the need for its achievement and works the pair.
    web.sign_in("staff.a", common::PASSWORD).await;
    web.goto(&format!("/achievements/{graphene}")).await;
    web.click_and_wait("#see-matches").await;
    assert!(web.text("#match-candidates").await.contains("电子设备高导热石墨烯散热材料"));
    assert!(web.text("#match-enterprises").await.contains("丙企业"));
    web.shot("achievement-matches").await;
    web.click_and_wait(".sidenav a[href='/matches']").await;
    let rows = web.texts("#matches tbody tr").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    web.click_and_wait("#matches tbody tr:first-child td:nth-child(2) a").await;
    assert_eq!(web.text("#match-status").await, "推荐");
    assert!(web.text("#match-why").await.contains("共同关键词"));
    web.find("#match-managers input[type=radio]").await.click().await.unwrap();
    web.click_and_wait("button[data-action=assign_manager]").await;
    assert_eq!(web.text("#match-manager").await, "manager 用户");
    web.fill("#note-contact", "已电话联系双方").await;
    web.click_and_wait("button[data-action=contact]").await;
    assert_eq!(web.text("#match-status").await, "已联系");
    web.shot("pipeline-detail").await;
    let page = web.path().await.split('?').next().unwrap().to_string();
    web.goto(&format!("{page}?lang=en")).await;
    assert_eq!(web.text("#match-status").await, "Contacted");
    web.shot("pipeline-detail-en").await;
    web.close().await;
    t.cleanup().await;
}

#[tokio::test]
async fn an_organiser_runs_a_handshake_event_from_invitations_to_outcomes() {
    let t = common::TestApp::on(tto_store::testing::TestDb::sqlite().await).await;
    use AchievementAction::{Publish, Register};
    let system = Actor::system("test");
    let heat = ["石墨烯", "导热"];
    seed_achievement(
        &t,
        "UNA",
        &draft("高导热石墨烯复合膜", "石墨烯导热膜的制备方法，导热系数提高 40%。", &heat, 5, "public"),
        &[Register, Publish],
    )
    .await;
    seed_achievement(
        &t,
        "UNA",
        &draft("石墨烯导热界面材料", "低热阻石墨烯导热界面材料。", &heat, 4, "public"),
        &[Register, Publish],
    )
    .await;
    seed_achievement(
        &t,
        "UNB",
        &draft("导热石墨烯泡沫", "三维石墨烯泡沫导热骨架。", &heat, 4, "public"),
        &[Register, Publish],
    )
    .await;
    let ent = t.institution("ENT").await;
    for title in ["功率器件石墨烯散热材料", "电池包导热石墨烯垫片"] {
        let need = tto_domain::tech_need::NeedDraft {
            title: title.into(),
            description: "寻求高导热石墨烯复合材料，导热系数提高 30% 以上。".into(),
            chains: vec!["new_materials".into()],
            contact_policy: "via_platform".into(),
            contact_name: "王工".into(),
            contact_phone: Some("13800001111".into()),
            keywords: vec!["石墨烯".into(), "导热".into()],
            ..Default::default()
        };
        let n = t.app.create_need(&system, Some(ent), &need).await.unwrap();
        t.app.transition_need(&system, n.id, n.version, tto_domain::tech_need::NeedAction::Publish).await.unwrap();
    }
    // The exchange collected a need for an enterprise it names: a second delegation.
    let exchange = t.institution("EXC").await;
    let collected = tto_domain::tech_need::NeedDraft {
        title: "基站芯片石墨烯导热膜".into(),
        description: "基站功放芯片散热，寻求石墨烯导热膜，导热系数 1500 W/mK 以上。".into(),
        chains: vec!["new_materials".into()],
        contact_policy: "via_platform".into(),
        contact_name: "交易所专员".into(),
        contact_phone: Some("13800002222".into()),
        keywords: vec!["石墨烯".into(), "导热膜".into()],
        enterprise_name: Some("天津某某通信设备有限公司".into()),
        ..Default::default()
    };
    let n = t.app.create_need(&system, Some(exchange), &collected).await.unwrap();
    t.app.transition_need(&system, n.id, n.version, tto_domain::tech_need::NeedAction::Publish).await.unwrap();
    let mut web = Web::start("events", t.router.clone()).await;
    web.sign_in("staff.a", common::PASSWORD).await;
    web.goto("/events").await;
    web.shot("empty").await;
    web.click_and_wait(".sidenav a[href='/events/new']").await;
    web.fill("#title", "新材料产业链校企对接会").await;
    web.fill("#venue", "天津市科技大厦 3 楼").await;
    web.set_date("#date", "2026-11-29").await;
    web.fill("#slot_count", "3").await;
    web.fill("#tables", "2").await;
    // A handshake event needs its chain.
    web.click_and_wait("form.form button[type=submit]").await;
    assert!(web.text(".error-summary").await.contains("产业链"), "{}", web.body_text().await);
    web.shot("form-errors").await;
    web.select("#chain", "new_materials").await;
    web.click_and_wait("form.form button[type=submit]").await;
    assert_eq!(web.text("#event-status").await, "草稿", "{}", web.body_text().await);
    let page = web.path().await.split('?').next().unwrap().to_string();
    let id: i64 = page.trim_start_matches("/events/").parse().unwrap();
    // Invitations: the enterprise and both universities.
    for short in ["ENT", "EXC", "UNA", "UNB"] {
        let institution = t.institution(short).await;
        web.select("#invite-institution", &institution.0.to_string()).await;
        web.click_and_wait("button[data-action=invite]").await;
    }
    assert_eq!(web.texts("#participants tbody tr").await.len(), 4);
    web.click_and_wait("button[data-action=open_registration]").await;
    assert_eq!(web.text("#event-status").await, "报名中");
    // The organiser records the registrations it took by phone.
    let view = t.app.event(&system, id).await.unwrap();
    for (p, who) in view.participants.iter().zip(["周总", "钱专员", "刘主任", "赵主任"]) {
        web.fill(&format!("#attendee-{}", p.id), who).await;
        web.click_and_wait(&format!("button[data-action='register-{}']", p.id)).await;
    }
    assert!(web.text("#participants").await.contains("赵主任"));
    web.shot("registered").await;
    // The platform proposes the agenda.
    web.click_and_wait("button[data-action=propose]").await;
    assert!(web.exists("#agenda-proposed").await, "{}", web.body_text().await);
    let grid = web.text("#agenda-grid").await;
    assert!(grid.contains("09:30–09:50") && grid.contains("功率器件石墨烯散热材料"), "{grid}");
    assert!(grid.contains("天津某某通信设备有限公司"), "the collected need has its meetings: {grid}");
    web.shot("agenda-proposed").await;
    web.click_and_wait("button[data-action=publish_agenda]").await;
    assert_eq!(web.text("#event-status").await, "日程已发布");
    // An outcome: held, with a deal.
    let meeting = t.app.event(&system, id).await.unwrap().meetings[0].id;
    web.select(&format!("#outcome-{meeting}"), "held").await;
    web.find(&format!("#meeting-{meeting} input[name=deal]")).await.click().await.unwrap();
    web.fill(&format!("#notes-{meeting}"), "签订合作意向书").await;
    web.click_and_wait(&format!("button[data-action='record-{meeting}']")).await;
    let summary = web.text("#outcome-summary").await;
    assert!(summary.contains("达成签约"), "{summary}");
    assert_eq!(t.app.event_outcomes(&system, id).await.unwrap().deals, 1);
    web.shot("outcomes").await;
    web.goto(&format!("{page}?lang=en")).await;
    web.shot("outcomes-en").await;
    web.goto(&format!("{page}?lang=zh")).await;
    web.sign_out().await;
    // Visitors see the published agenda, not the outcomes or the attendees.
    web.goto(&page).await;
    assert!(web.exists("#agenda-grid").await);
    let body = web.body_text().await;
    assert!(!body.contains("签订合作意向书") && !body.contains("周总"), "{body}");
    web.shot("public").await;
    web.goto("/events").await;
    web.shot("list").await;
    web.close().await;
    t.cleanup().await;
}
