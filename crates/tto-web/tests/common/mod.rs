//! The test harness: the real router over a fresh database, on SQLite and (when
//! `TTO_TEST_POSTGRES_URL` is set) PostgreSQL, with demo-like tenants and users.

#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use time::macros::datetime;
use tower::ServiceExt;
use tto_app::accounts::UserDraft;
use tto_app::{Actor, App, FixedClock, Settings};
use tto_domain::institution::InstitutionDraft;
use tto_domain::{CreditCode, InstitutionId};
use tto_store::testing::TestDb;

pub const PASSWORD: &str = "correct-horse-42";

/// (short code, name, kind, credit-code body)
pub const INSTITUTIONS: &[(&str, &str, &str, &str)] = &[
    ("UNA", "甲大学", "university", "12120104MB0000101"),
    ("UNB", "乙大学", "university", "12120111MB0000102"),
    ("ENT", "丙企业", "enterprise", "91120116MA0000201"),
    ("REG", "主管部门", "regulator", "11120000MB0000401"),
    ("SVC", "丁事务所", "service_organisation", "91120102MA0000601"),
    ("INV", "己投资", "investor", "91120105MA0000501"),
    ("EXC", "戊交易所", "exchange", "91120101MA0000301"),
];

/// (user name, institution, roles)
pub const USERS: &[(&str, &str, &[&str])] = &[
    ("staff.a", "UNA", &["tto_staff"]),
    ("admin.a", "UNA", &["tto_admin"]),
    ("inventor.a", "UNA", &["inventor"]),
    ("staff.b", "UNB", &["tto_staff"]),
    ("admin.b", "UNB", &["tto_admin"]),
    ("enterprise", "ENT", &["enterprise"]),
    ("regulator", "REG", &["regulator"]),
    ("platform", "REG", &["platform_admin"]),
    ("manager", "SVC", &["tech_manager"]),
    ("investor", "INV", &["investor"]),
    ("poc", "INV", &["poc_member"]),
    ("exchange", "EXC", &["exchange_operator"]),
];

pub struct TestApp {
    pub router: Router,
    pub app: App,
    pub clock: Arc<FixedClock>,
    pub db: TestDb,
}

/// A signed-in browser: session cookie and CSRF token.
#[derive(Clone, Debug)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

#[derive(Clone, Debug)]
pub enum Auth {
    None,
    Token(String),
    Session(Browser),
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn error_code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap_or_default().to_string()
    }

    pub fn error_field(&self) -> String {
        self.json()["error"]["field"].as_str().unwrap_or_default().to_string()
    }

    pub fn location(&self) -> String {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    }
}

pub fn test_settings() -> Settings {
    Settings { argon2_memory_kib: 1024, argon2_iterations: 1, ..Settings::default() }
}

impl TestApp {
    pub async fn on(db: TestDb) -> TestApp {
        let clock = Arc::new(FixedClock::new(datetime!(2026-11-29 02:00 UTC)));
        let app = App::new(
            db.store.clone(),
            tto_app::policy_files::embedded_policy().unwrap(),
            tto_app::policy_files::embedded_chains().unwrap(),
            clock.clone(),
            test_settings(),
        );
        let router = tto_web::router(
            app.clone(),
            tto_web::WebConfig { secure_cookies: true, public_url: "https://tto.test".into() },
        );
        let t = TestApp { router, app, clock, db };
        t.seed().await;
        t
    }

    /// One seeded app per backend.
    pub async fn all() -> Vec<TestApp> {
        let mut apps = Vec::new();
        for db in TestDb::all().await {
            apps.push(TestApp::on(db).await);
        }
        apps
    }

    async fn seed(&self) {
        let system = Actor::system("test");
        for (short, name, kind, body) in INSTITUTIONS {
            self.app
                .create_institution(
                    &system,
                    &InstitutionDraft {
                        short_code: short.to_string(),
                        name: name.to_string(),
                        name_en: None,
                        kind: kind.to_string(),
                        credit_code: CreditCode::from_body(body).unwrap().to_string(),
                        region: "天津市".into(),
                        state_run: *kind == "university",
                    },
                )
                .await
                .unwrap();
        }
        for (username, short, roles) in USERS {
            let draft = UserDraft {
                institution_id: Some(self.institution(short).await.0),
                username: username.to_string(),
                display_name: format!("{username} 用户"),
                email: None,
                roles: roles.iter().map(|r| r.to_string()).collect(),
            };
            self.app.create_user_with_password(&system, &draft, PASSWORD).await.unwrap();
        }
    }

    pub async fn institution(&self, short: &str) -> InstitutionId {
        self.app.institutions().await.unwrap().into_iter().find(|i| i.fields.short_code == short).unwrap().id
    }

    pub fn backend(&self) -> tto_store::Backend {
        self.db.backend()
    }

    pub async fn cleanup(self) {
        self.db.cleanup().await;
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>, auth: &Auth) -> Reply {
        let mut req = Request::builder().method(method.clone()).uri(path);
        match auth {
            Auth::None => {}
            Auth::Token(t) => req = req.header(header::AUTHORIZATION, format!("Bearer {t}")),
            Auth::Session(b) => {
                req = req.header(header::COOKIE, &b.cookie);
                if method != Method::GET {
                    req = req.header("x-csrf-token", &b.csrf);
                }
            }
        }
        let body = match body {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.call(req.body(body).unwrap()).await
    }

    pub async fn call(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Reply { status, headers, body }
    }

    pub async fn get(&self, path: &str, auth: &Auth) -> Reply {
        self.send(Method::GET, path, None, auth).await
    }

    pub async fn post(&self, path: &str, body: Value, auth: &Auth) -> Reply {
        self.send(Method::POST, path, Some(body), auth).await
    }

    pub async fn put(&self, path: &str, body: Value, auth: &Auth) -> Reply {
        self.send(Method::PUT, path, Some(body), auth).await
    }

    /// Uploads a file as `multipart/form-data` (field `file`), as a client or a browser would.
    pub async fn upload(&self, path: &str, file_name: &str, bytes: &[u8], auth: &Auth) -> Reply {
        const BOUNDARY: &str = "tto-test-boundary-7d1f";
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"));
        match auth {
            Auth::None => {}
            Auth::Token(t) => req = req.header(header::AUTHORIZATION, format!("Bearer {t}")),
            Auth::Session(b) => req = req.header(header::COOKIE, &b.cookie).header("x-csrf-token", &b.csrf),
        }
        self.call(req.body(Body::from(body)).unwrap()).await
    }

    /// Posts a form as a browser would (cookie + fields), `_csrf` included unless given.
    pub async fn form(&self, path: &str, fields: &[(&str, &str)], browser: Option<&Browser>) -> Reply {
        let mut pairs: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if let Some(b) = browser
            && !fields.iter().any(|(k, _)| *k == "_csrf")
        {
            pairs.push(("_csrf".into(), b.csrf.clone()));
        }
        let body = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(b) = browser {
            req = req.header(header::COOKIE, &b.cookie);
        }
        self.call(req.body(Body::from(body)).unwrap()).await
    }

    /// Signs in through the sign-in form, like a browser.
    pub async fn sign_in(&self, username: &str) -> Browser {
        // An anonymous visit gives the CSRF cookie the form needs.
        let page = self.get("/sign-in", &Auth::None).await;
        let csrf_cookie = cookie_value(&page.headers, tto_web::CSRF_COOKIE).expect("csrf cookie");
        let anon = Browser { cookie: format!("{}={csrf_cookie}", tto_web::CSRF_COOKIE), csrf: csrf_cookie.clone() };
        let reply =
            self.form("/sign-in", &[("username", username), ("password", PASSWORD), ("next", "/")], Some(&anon)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "sign-in of {username} failed: {}", reply.text());
        let session = cookie_value(&reply.headers, tto_web::SESSION_COOKIE).expect("session cookie");
        let cookie = format!("{}={session}", tto_web::SESSION_COOKIE);
        // The session's CSRF token is embedded in every page.
        let home = self.get("/", &Auth::Session(Browser { cookie: cookie.clone(), csrf: String::new() })).await;
        let csrf = hidden_csrf(&home.text()).expect("csrf field on the home page");
        Browser { cookie, csrf }
    }

    pub async fn session(&self, username: &str) -> Auth {
        Auth::Session(self.sign_in(username).await)
    }

    /// A personal access token of the user.
    pub async fn token(&self, username: &str) -> Auth {
        let browser = self.sign_in(username).await;
        let reply = self.post("/api/v1/tokens", serde_json::json!({ "name": "test" }), &Auth::Session(browser)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        Auth::Token(reply.json()["token"].as_str().unwrap().to_string())
    }
}

pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_string())
}

pub fn hidden_csrf(html: &str) -> Option<String> {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    Some(html[start..start + 64].to_string())
}

pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A valid achievement input for the API.
pub fn achievement_json(title: &str) -> Value {
    serde_json::json!({
        "title": title,
        "summary": "一种高导热石墨烯复合材料的制备方法，导热系数提高 40%。",
        "detail": "工艺参数：保密。",
        "keywords": ["石墨烯", "导热"],
        "discipline": "材料科学与工程",
        "chains": ["new_materials"],
        "kind": "invention_patent",
        "trl": 4,
        "funding_source": "fiscal",
        "funding_refs": ["NSFC-52000001"],
        "completion_date": "2024-06-30",
        "confidentiality": "summary_only",
        "contributors": [
            { "name": "张伟", "share": "66.6667", "main": true },
            { "name": "李娜", "share": 33.3333 }
        ]
    })
}

/// A valid invention disclosure for the API.
pub fn disclosure_json(title: &str) -> Value {
    serde_json::json!({
        "title": title,
        "summary": "一种低温烧结的高导热陶瓷基板及其制备方法。",
        "problem": "现有氮化铝基板烧结温度高、成本高。",
        "prior_art": "CN1000000A 公开了常规高温烧结工艺。",
        "planned_publications": "拟投稿《无机材料学报》",
        "first_publication_on": "2027-03-01",
        "funding_source": "fiscal",
        "funding_refs": ["NSFC-52000002"],
        "contributors": [
            { "name": "王芳", "share": "60", "main": true },
            { "name": "赵磊", "share": "40" }
        ]
    })
}

/// A Chinese patent application number `YYYYTNNNNNNN.C` with its check character.
pub fn cn_patent_number(year: i32, kind: u8, serial: u32) -> String {
    let body = format!("{year}{kind}{serial:07}");
    let digits: [u8; 12] = body.as_bytes().try_into().expect("twelve digits");
    format!("{body}.{}", tto_domain::ip::check_character(&digits))
}

/// Runs a test body on every backend, naming the backend when it fails.
#[macro_export]
macro_rules! on_every_backend {
    ($name:ident, |$t:ident| $body:block) => {
        #[tokio::test]
        async fn $name() {
            for $t in common::TestApp::all().await {
                let backend = $t.backend();
                {
                    let $t = &$t;
                    $body
                }
                eprintln!("{} passed on {:?}", stringify!($name), backend);
                $t.cleanup().await;
            }
        }
    };
}
