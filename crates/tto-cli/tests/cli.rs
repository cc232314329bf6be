//! The `tto` binary as an operator uses it, on SQLite and (when `TTO_TEST_POSTGRES_URL`
//! is set) PostgreSQL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sqlx::{AnyConnection, Connection, Executor};
use tto_store::testing::TestDb;

fn tto(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tto"))
        .args(args)
        .current_dir(dir)
        .env_remove("TTO_DATABASE_URL")
        .env("TTO_LOG", "warn")
        .output()
        .expect("run tto")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tto-cli-{name}-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() % 1_000_000_007
}

/// Institutions and two valid rows, as JSON Lines (one with its ownership history).
const GOOD: &str = r#"{"institution":"JMU","code":"JMU-2024-000007","title":"一种耐高温陶瓷涂层","summary":"涂层在 1200 ℃ 下保持稳定。","keywords":["陶瓷","涂层"],"discipline":"材料科学与工程","chains":["new_materials"],"kind":"invention_patent","trl":5,"funding_source":"fiscal","funding_refs":["NSFC-1"],"completion_date":"2024-05-01","confidentiality":"public","status":"promoting","external_ref":"ext-1","contributors":[{"name":"张伟","share":"50","main":true},{"name":"李娜","share":"50"}],"ownership":[{"starts_on":"2024-05-01","ends_on":"2025-05-01","basis":"original","holders":[{"kind":"institution","institution":"JMU","name":"津门大学（示例）","share":"100"}]},{"starts_on":"2025-05-01","basis":"empowerment","holders":[{"kind":"institution","institution":"JMU","name":"津门大学（示例）","share":"30"},{"kind":"person","name":"张伟","share":"70"}]}]}
{"institution":"HHU","title":"智能巡检机器人","summary":"变电站巡检。","discipline":"机械工程","kind":"software_copyright","trl":"6","funding_source":"non_fiscal","confidentiality":"summary_only","contributors":[{"name":"王芳","share":100,"main":true}]}
"#;

struct Case {
    url: String,
    dir: PathBuf,
    db: Option<TestDb>,
}

async fn cases(name: &str) -> Vec<Case> {
    let mut out = Vec::new();
    let dir = temp_dir(name);
    out.push(Case { url: format!("sqlite://{}", dir.join("tto.db").display()), dir, db: None });
    if let Ok(base) = std::env::var(tto_store::testing::POSTGRES_ENV)
        && !base.trim().is_empty()
    {
        let db = TestDb::postgres(base.trim()).await;
        out.push(Case { url: db.url.clone(), dir: temp_dir(name), db: Some(db) });
    }
    out
}

/// Writes a `tto.toml` pointing at the case's database and loads the demo institutions.
async fn prepare(case: &Case) {
    std::fs::write(case.dir.join("tto.toml"), format!("database_url = {:?}\nlog = \"warn\"\n", case.url)).unwrap();
    let out = tto(&["migrate"], &case.dir);
    assert!(out.status.success(), "{}", text(&out));
    seed_institutions(&case.url).await;
}

async fn seed_institutions(url: &str) {
    // The demo institutions, through the application (audited like every change).
    let store = tto_store::Store::connect(url, &Default::default()).await.unwrap();
    let app = tto_app::App::new(
        store,
        tto_app::policy_files::embedded_policy().unwrap(),
        tto_app::policy_files::embedded_chains().unwrap(),
        std::sync::Arc::new(tto_app::SystemClock),
        tto_app::Settings::default(),
    );
    for (short, name, body) in
        [("JMU", "津门大学（示例）", "12120104MB0000101"), ("HHU", "海河科技大学（示例）", "12120111MB0000102")]
    {
        app.create_institution(
            &tto_app::Actor::system("test"),
            &tto_domain::institution::InstitutionDraft {
                short_code: short.into(),
                name: name.into(),
                name_en: None,
                kind: "university".into(),
                credit_code: tto_domain::CreditCode::from_body(body).unwrap().to_string(),
                region: "天津市".into(),
                state_run: true,
            },
        )
        .await
        .unwrap();
    }
    app.store().close().await;
}

async fn finish(cases: Vec<Case>) {
    for c in cases {
        let _ = std::fs::remove_dir_all(&c.dir);
        if let Some(db) = c.db {
            db.cleanup().await;
        }
    }
}

#[tokio::test]
async fn import_reports_every_bad_row_and_imports_nothing() {
    let cases = cases("bad-import").await;
    for case in &cases {
        prepare(case).await;
        let bad = format!(
            "{}{}\n{}\n{}\n",
            GOOD.lines().next().unwrap(),
            "",
            r#"{"institution":"JMU","title":"TRL 为零","summary":"s","discipline":"d","kind":"invention_patent","trl":0,"funding_source":"fiscal","confidentiality":"public","contributors":[{"name":"甲","share":"90","main":true}]}"#,
            r#"{"institution":"XXX","title":"坏的","summary":"#
        );
        std::fs::write(case.dir.join("bad.jsonl"), bad).unwrap();
        let out = tto(&["import", "achievements", "bad.jsonl"], &case.dir);
        let msg = text(&out);
        assert!(!out.status.success(), "{msg}");
        assert!(msg.contains("line 3: summary: EOF while parsing"), "unreadable JSON is reported with its line: {msg}");
        assert!(
            msg.contains("line 2: trl: must be between 1 and 9"),
            "rule problems are reported in the same run: {msg}"
        );
        assert!(msg.contains("nothing was imported"), "{msg}");
        // Lines that parse but break rules are reported with line and field too.
        let rules = format!(
            "{}\n{}\n",
            GOOD.lines().next().unwrap(),
            r#"{"institution":"XXX","title":"TRL 为零","summary":"s","discipline":"d","kind":"invention_patent","trl":0,"funding_source":"fiscal","confidentiality":"public","contributors":[{"name":"甲","share":"90","main":true}]}"#
        );
        std::fs::write(case.dir.join("rules.jsonl"), rules).unwrap();
        let out = tto(&["import", "achievements", "rules.jsonl"], &case.dir);
        let msg = text(&out);
        assert!(!out.status.success());
        assert!(msg.contains("line 2: institution"), "{msg}");
        assert!(msg.contains("line 2: trl: must be between 1 and 9"), "{msg}");
        assert!(msg.contains("line 2: contributors: shares must total exactly 100 % (now 90 %)"), "{msg}");
        let out = tto(&["export", "achievements"], &case.dir);
        assert!(out.status.success());
        assert!(out.stdout.is_empty(), "all or nothing: {}", String::from_utf8_lossy(&out.stdout));
        // CSV with a bad share and an unknown column.
        std::fs::write(
            case.dir.join("bad.csv"),
            "institution,title,summary,discipline,kind,trl,funding_source,confidentiality,contributors\nJMU,标题,摘要,学科,invention_patent,4,fiscal,public,甲:abc:main\n",
        )
        .unwrap();
        let out = tto(&["import", "achievements", "bad.csv"], &case.dir);
        assert!(!out.status.success());
        assert!(text(&out).contains("line 2: contributors[0].share"), "{}", text(&out));
        std::fs::write(case.dir.join("cols.csv"), "title,colour\nx,red\n").unwrap();
        let out = tto(&["import", "achievements", "cols.csv"], &case.dir);
        assert!(!out.status.success());
        assert!(text(&out).contains("unknown column"), "{}", text(&out));
        // Unknown format, missing file.
        assert!(!tto(&["import", "achievements", "x.txt"], &case.dir).status.success());
        let out = tto(&["import", "achievements", "missing.jsonl"], &case.dir);
        assert!(!out.status.success() && text(&out).contains("cannot read"));
    }
    finish(cases).await;
}

#[tokio::test]
async fn export_and_import_round_trip_exactly() {
    let cases = cases("round-trip").await;
    for case in &cases {
        prepare(case).await;
        std::fs::write(case.dir.join("good.jsonl"), GOOD).unwrap();
        let out = tto(&["import", "achievements", "good.jsonl"], &case.dir);
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("imported 2 achievements"));
        // Importing the same file again is refused as duplicates.
        let again = tto(&["import", "achievements", "good.jsonl"], &case.dir);
        assert!(!again.status.success() && text(&again).contains("already exists"), "{}", text(&again));
        let first = tto(&["export", "achievements", "--output", "first.jsonl"], &case.dir);
        assert!(first.status.success(), "{}", text(&first));
        let exported = std::fs::read_to_string(case.dir.join("first.jsonl")).unwrap();
        assert!(exported.contains("JMU-2024-000007") && exported.contains("\"basis\":\"empowerment\""), "{exported}");
        let csv = tto(&["export", "achievements", "--format", "csv", "--output", "first.csv"], &case.dir);
        assert!(csv.status.success());

        // Into a fresh database, then out again: the same bytes.
        let fresh = temp_dir("round-trip-2");
        let fresh_url = format!("sqlite://{}", fresh.join("tto.db").display());
        std::fs::write(fresh.join("tto.toml"), format!("database_url = {fresh_url:?}\nlog = \"warn\"\n")).unwrap();
        assert!(tto(&["migrate"], &fresh).status.success());
        seed_institutions(&fresh_url).await;
        std::fs::copy(case.dir.join("first.jsonl"), fresh.join("first.jsonl")).unwrap();
        let out = tto(&["import", "achievements", "first.jsonl"], &fresh);
        assert!(out.status.success(), "{}", text(&out));
        let second = tto(&["export", "achievements"], &fresh);
        assert_eq!(String::from_utf8_lossy(&second.stdout), exported);
        // CSV round trip of the flat fields.
        let fresh_csv = temp_dir("round-trip-3");
        let csv_url = format!("sqlite://{}", fresh_csv.join("tto.db").display());
        std::fs::write(fresh_csv.join("tto.toml"), format!("database_url = {csv_url:?}\nlog = \"warn\"\n")).unwrap();
        assert!(tto(&["migrate"], &fresh_csv).status.success());
        seed_institutions(&csv_url).await;
        std::fs::copy(case.dir.join("first.csv"), fresh_csv.join("first.csv")).unwrap();
        let out = tto(&["import", "achievements", "first.csv"], &fresh_csv);
        assert!(out.status.success(), "{}", text(&out));
        let csv_again = tto(&["export", "achievements", "--format", "csv"], &fresh_csv);
        assert_eq!(
            String::from_utf8_lossy(&csv_again.stdout),
            std::fs::read_to_string(case.dir.join("first.csv")).unwrap()
        );
        let _ = std::fs::remove_dir_all(fresh);
        let _ = std::fs::remove_dir_all(fresh_csv);
    }
    finish(cases).await;
}

#[tokio::test]
async fn audit_verify_catches_an_edited_deleted_or_reordered_row() {
    let cases = cases("audit").await;
    for case in &cases {
        prepare(case).await;
        std::fs::write(case.dir.join("good.jsonl"), GOOD).unwrap();
        assert!(tto(&["import", "achievements", "good.jsonl"], &case.dir).status.success());
        let ok = tto(&["audit", "verify"], &case.dir);
        assert!(ok.status.success(), "{}", text(&ok));
        assert!(text(&ok).contains("audit chain intact: 6 events"), "{}", text(&ok));

        let mut conn = AnyConnection::connect(&case.url).await.unwrap();
        // Edited.
        conn.execute("UPDATE audit_event SET after_json = replace(after_json, '张伟', '李四') WHERE seq = 3")
            .await
            .unwrap();
        let out = tto(&["audit", "verify"], &case.dir);
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out).contains("BROKEN at event 3"), "{}", text(&out));
        conn.execute("UPDATE audit_event SET after_json = replace(after_json, '李四', '张伟') WHERE seq = 3")
            .await
            .unwrap();
        assert!(tto(&["audit", "verify"], &case.dir).status.success(), "restored");
        // Reordered: swap the contents of two events.
        conn.execute("UPDATE audit_event SET seq = 100 WHERE seq = 3").await.unwrap();
        conn.execute("UPDATE audit_event SET seq = 3 WHERE seq = 4").await.unwrap();
        conn.execute("UPDATE audit_event SET seq = 4 WHERE seq = 100").await.unwrap();
        let out = tto(&["audit", "verify"], &case.dir);
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out).contains("BROKEN at event 3"), "{}", text(&out));
        conn.execute("UPDATE audit_event SET seq = 100 WHERE seq = 4").await.unwrap();
        conn.execute("UPDATE audit_event SET seq = 4 WHERE seq = 3").await.unwrap();
        conn.execute("UPDATE audit_event SET seq = 3 WHERE seq = 100").await.unwrap();
        assert!(tto(&["audit", "verify"], &case.dir).status.success(), "restored");
        // Inserted at the end (a forged event).
        conn.execute(
            "INSERT INTO audit_event (seq, occurred_at, actor_kind, actor_label, action, entity_type, entity_id, prev_hash, hash) \
             SELECT 7, occurred_at, 'user', 'mallory', 'achievement.update', 'achievement', '1', hash, hash FROM audit_event WHERE seq = 6",
        )
        .await
        .unwrap();
        let out = tto(&["audit", "verify"], &case.dir);
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out).contains("BROKEN at event 7"), "{}", text(&out));
        conn.execute("DELETE FROM audit_event WHERE seq = 7").await.unwrap();
        // Deleted.
        conn.execute("DELETE FROM audit_event WHERE seq = 2").await.unwrap();
        let out = tto(&["audit", "verify"], &case.dir);
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out).contains("BROKEN at event 2"), "{}", text(&out));
        conn.close().await.unwrap();
    }
    finish(cases).await;
}

#[tokio::test]
async fn demo_loads_and_bad_settings_fail_clearly() {
    let dir = temp_dir("demo");
    let out = tto(&["demo", "--data-dir", "data", "--achievements", "40", "--no-serve"], &dir);
    assert!(out.status.success(), "{}", text(&out));
    let banner = text(&out);
    assert!(banner.contains("tto.admin") && banner.contains(tto_cli_password()), "{banner}");
    let url = format!("sqlite://{}", dir.join("data/tto.db").display());
    let verify = tto(&["audit", "verify", "--database-url", &url], &dir);
    assert!(verify.status.success(), "{}", text(&verify));
    let export = tto(&["export", "achievements", "--database-url", &url], &dir);
    // The 40 imported records and the achievement created by accepting a demo disclosure.
    assert_eq!(String::from_utf8_lossy(&export.stdout).lines().count(), 41);
    // Rebuilding with another size needs --fresh.
    let out = tto(&["demo", "--data-dir", "data", "--achievements", "10", "--no-serve"], &dir);
    assert!(!out.status.success() && text(&out).contains("--fresh"));
    // Bad URLs and configuration.
    let out = tto(&["migrate", "--database-url", "mysql://localhost/x"], &dir);
    assert!(!out.status.success() && text(&out).contains("unsupported database URL"), "{}", text(&out));
    let out = tto(&["--config", "missing.toml", "migrate"], &dir);
    assert!(!out.status.success() && text(&out).contains("does not exist"));
    std::fs::write(dir.join("tto.toml"), "max_connections = \"many\"\n").unwrap();
    let out = tto(&["migrate"], &dir);
    assert!(!out.status.success() && text(&out).contains("configuration"), "{}", text(&out));
    std::fs::remove_file(dir.join("tto.toml")).unwrap();
    // A user with a bad password is refused with the field.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tto"))
        .args([
            "user",
            "create",
            "--username",
            "x.y",
            "--display-name",
            "某人",
            "--institution",
            "JMU",
            "--role",
            "tto_staff",
            "--database-url",
            &url,
        ])
        .current_dir(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("password"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(dir);
}

fn tto_cli_password() -> &'static str {
    "tto-demo-2026"
}

#[test]
fn help_is_everywhere() {
    let dir = std::env::temp_dir();
    for args in [
        &["--help"][..],
        &["import", "achievements", "--help"],
        &["reindex", "--help"],
        &["audit", "verify", "--help"],
        &["demo", "--help"],
    ] {
        let out = tto(args, &dir);
        assert!(out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage"));
    }
    let out = tto(&["no-such-command"], &dir);
    assert!(!out.status.success());
}

/// A deal under notice at JMU with HHU as buyer, made through the application; returns its
/// evidence pack.
async fn deal_pack(url: &str) -> Vec<u8> {
    let store = tto_store::Store::connect(url, &Default::default()).await.unwrap();
    let app = tto_app::App::new(
        store,
        tto_app::policy_files::embedded_policy().unwrap(),
        tto_app::policy_files::embedded_chains().unwrap(),
        std::sync::Arc::new(tto_app::SystemClock),
        tto_app::Settings::default(),
    );
    let system = tto_app::Actor::system("test");
    let institutions = app.institutions().await.unwrap();
    let id_of = |short: &str| institutions.iter().find(|i| i.fields.short_code == short).unwrap().id;
    let draft = tto_domain::achievement::AchievementDraft {
        title: "一种耐高温陶瓷涂层".into(),
        summary: "涂层在 1200 ℃ 下保持稳定。".into(),
        discipline: "材料科学与工程".into(),
        kind: "invention_patent".into(),
        trl: "5".into(),
        funding_source: "fiscal".into(),
        confidentiality: "public".into(),
        contributors: vec![tto_domain::achievement::ContributorDraft {
            person_id: None,
            name: "张伟".into(),
            share: "100".into(),
            main: true,
        }],
        job_related: true,
        ..Default::default()
    };
    let a = app.create_achievement(&system, Some(id_of("JMU")), &draft, None, None).await.unwrap();
    app.transition_achievement(&system, a.id, None, tto_domain::AchievementAction::Register).await.unwrap();
    let deal = app
        .create_deal(
            &system,
            &tto_domain::deal::DealDraft {
                title: "陶瓷涂层专利转让".into(),
                mode: "transfer".into(),
                route: "agreement".into(),
                price: "800000".into(),
                counterparty: Some(id_of("HHU").0),
                achievements: vec![a.id.0],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let today = app.today();
    let end = today + time::Duration::days(20);
    app.start_deal_notice(&system, deal.id, deal.version, &today.to_string(), &end.to_string()).await.unwrap();
    let (_, bytes) =
        app.evidence_pack(&system, deal.id, |_, _| "<!doctype html><title>summary</title>".into()).await.unwrap();
    app.store().close().await;
    bytes
}

#[tokio::test]
async fn evidence_packs_verify_against_the_audit_trail_and_tampering_is_named() {
    let cases = cases("evidence-pack").await;
    for case in &cases {
        prepare(case).await;
        let pack = case.dir.join("evidence.zip");
        std::fs::write(&pack, deal_pack(&case.url).await).unwrap();
        let out = tto(&["audit", "verify-pack", "evidence.zip"], &case.dir);
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("evidence pack of deal 1 verified"), "{}", text(&out));

        // The scheduled task has nothing due yet (the notice runs for 20 more days).
        let out = tto(&["tasks", "run"], &case.dir);
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("closed 0 notices"), "{}", text(&out));

        // Not a pack at all.
        std::fs::write(case.dir.join("junk.zip"), b"not a zip").unwrap();
        let out = tto(&["audit", "verify-pack", "junk.zip"], &case.dir);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains("not an evidence pack"), "{}", text(&out));
        // A missing file is a clear error, not a panic.
        let out = tto(&["audit", "verify-pack", "missing.zip"], &case.dir);
        assert!(!out.status.success());
        assert!(text(&out).contains("cannot read missing.zip"), "{}", text(&out));

        // The database's trail edited after the pack was made: the pack no longer matches it.
        let mut conn = AnyConnection::connect(&case.url).await.unwrap();
        conn.execute("UPDATE audit_event SET actor_label = 'mallory' WHERE entity_type = 'deal'").await.unwrap();
        let out = tto(&["audit", "verify-pack", "evidence.zip"], &case.dir);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains("differs from the database's audit chain"), "{}", text(&out));
        conn.close().await.unwrap();
    }
    finish(cases).await;
}

#[tokio::test]
async fn import_needs_is_all_or_nothing() {
    let cases = cases("needs-import").await;
    let header = "institution,title,description,chains,budget_min,budget_max,deadline,contact_policy,contact_name,contact_phone,contact_email,enterprise_name";
    let good = "JMU,精密减速器寿命提升,寻求长寿命谐波减速器技术,high_end_equipment,100000,300000,2099-12-31,via_platform,李经理,022-23456789,,天津某机器人有限公司";
    for case in &cases {
        prepare(case).await;
        let bad = format!(
            "{header}\n{good}\nJMU,工业软件,需求,,500000,100000,2099-12-31,public,赵,,zhao@example.cn,\nJMU,材料,需求,,,,2099-12-31,hidden,钱,,qian@,\n"
        );
        std::fs::write(case.dir.join("bad.csv"), bad).unwrap();
        let out = tto(&["import", "needs", "bad.csv"], &case.dir);
        let msg = text(&out);
        assert!(!out.status.success(), "{msg}");
        assert!(msg.contains("line 3: budget_max:"), "{msg}");
        assert!(msg.contains("line 4: contact_email:"), "{msg}");
        assert!(msg.contains("nothing was imported"), "{msg}");
        // JSON Lines with an unreadable line: its number is reported with the rule problems.
        let jsonl = "{\"institution\":\"JMU\",\"title\":\"t\",\"description\":\"d\",\"contact_policy\":\"public\",\"contact_name\":\"王\",\"contact_email\":\"a@\"}\n{\"title\":\n";
        std::fs::write(case.dir.join("bad.jsonl"), jsonl).unwrap();
        let msg = text(&tto(&["import", "needs", "bad.jsonl"], &case.dir));
        assert!(msg.contains("line 1: contact_email:") && msg.contains("line 2:"), "{msg}");
        std::fs::write(case.dir.join("good.csv"), format!("{header}\n{good}\n")).unwrap();
        let out = tto(&["import", "needs", "good.csv"], &case.dir);
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("imported 1 needs"), "{}", text(&out));
        // Importing it again is refused as a duplicate.
        let out = tto(&["import", "needs", "good.csv"], &case.dir);
        assert!(!out.status.success() && text(&out).contains("line 2: title:"), "{}", text(&out));
    }
    finish(cases).await;
}

#[tokio::test]
async fn reindex_rebuilds_the_search_directory() {
    let cases = cases("reindex").await;
    for case in &cases {
        prepare(case).await;
        std::fs::write(case.dir.join("good.jsonl"), GOOD).unwrap();
        let out = tto(&["import", "achievements", "good.jsonl"], &case.dir);
        assert!(out.status.success(), "{}", text(&out));
        let out = tto(&["reindex", "--search-dir", "idx"], &case.dir);
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("indexed 2 records"), "{}", text(&out));
        assert!(case.dir.join("idx").join("meta.json").exists());
        // Again over the existing index (and over a corrupt one): the same, from the database.
        std::fs::write(case.dir.join("idx").join("meta.json"), "not json").unwrap();
        let out = tto(&["reindex", "--search-dir", "idx", "--database-url", &case.url], &case.dir);
        assert!(out.status.success() && text(&out).contains("indexed 2 records"), "{}", text(&out));
        // The index answers: a node opening it finds the records.
        let store = tto_store::Store::connect(&case.url, &Default::default()).await.unwrap();
        let app = tto_app::App::new(
            store,
            tto_app::policy_files::embedded_policy().unwrap(),
            tto_app::policy_files::embedded_chains().unwrap(),
            std::sync::Arc::new(tto_app::SystemClock),
            tto_app::Settings { search_dir: Some(case.dir.join("idx")), ..tto_app::Settings::default() },
        );
        let query = tto_app::search::SearchQuery { text: "陶瓷涂层".into(), limit: 10, ..Default::default() };
        let found = app.search(&tto_app::Actor::Anonymous, &query).await.unwrap();
        assert_eq!(found.total, 1, "{found:?}");
        app.store().close().await;
    }
    finish(cases).await;
}
