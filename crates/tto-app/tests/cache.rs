//! Cached lists and aggregates never show stale data to the node that wrote, and show
//! other nodes' writes within the store's version freshness.

use std::sync::Arc;
use std::time::Duration;

use time::macros::datetime;
use tto_app::achievements::{AchievementFilter, AchievementPage, AchievementSort};
use tto_app::{Actor, App, FixedClock, Settings};
use tto_domain::achievement::{AchievementDraft, ContributorDraft};
use tto_domain::institution::InstitutionDraft;
use tto_store::testing::TestDb;
use tto_store::{Store, StoreOptions};

fn app_on(store: Store) -> App {
    App::new(
        store,
        tto_app::policy_files::embedded_policy().unwrap(),
        tto_app::policy_files::embedded_chains().unwrap(),
        Arc::new(FixedClock::new(datetime!(2026-11-29 02:00 UTC))),
        Settings { argon2_memory_kib: 1024, argon2_iterations: 1, ..Settings::default() },
    )
}

fn draft(title: &str) -> AchievementDraft {
    AchievementDraft {
        title: title.into(),
        summary: "摘要".into(),
        discipline: "材料科学与工程".into(),
        kind: "invention_patent".into(),
        trl: "4".into(),
        funding_source: "fiscal".into(),
        confidentiality: "public".into(),
        contributors: vec![ContributorDraft { person_id: None, name: "甲".into(), share: "100".into(), main: true }],
        job_related: true,
        ..Default::default()
    }
}

async fn total(app: &App) -> i64 {
    app.list_achievements(
        &Actor::system("t"),
        &AchievementFilter::default(),
        AchievementSort::default(),
        AchievementPage::Offset { offset: 0, limit: 50 },
    )
    .await
    .unwrap()
    .total
    .unwrap()
}

#[tokio::test]
async fn own_writes_show_at_once_and_other_nodes_within_the_freshness() {
    for db in TestDb::all().await {
        let node_a = app_on(db.store.clone());
        // A second node: its own pool and caches on the same database.
        let other = Store::connect(
            &db.url,
            &StoreOptions { version_freshness: Duration::from_millis(150), ..Default::default() },
        )
        .await
        .unwrap();
        let node_b = app_on(other);
        let system = Actor::system("t");
        let institution = node_a
            .create_institution(
                &system,
                &InstitutionDraft {
                    short_code: "UNA".into(),
                    name: "甲大学".into(),
                    name_en: None,
                    kind: "university".into(),
                    credit_code: tto_domain::CreditCode::from_body("12120104MB0000101").unwrap().to_string(),
                    region: "天津市".into(),
                    state_run: true,
                },
            )
            .await
            .unwrap();
        assert_eq!(total(&node_a).await, 0);
        assert_eq!(total(&node_b).await, 0);
        node_a.create_achievement(&system, Some(institution.id), &draft("一"), None, None).await.unwrap();
        assert_eq!(total(&node_a).await, 1, "the writing node sees its write at once");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(total(&node_b).await, 1, "another node sees it within the freshness window");
        node_b.create_achievement(&system, Some(institution.id), &draft("二"), None, None).await.unwrap();
        assert_eq!(total(&node_b).await, 2);
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(total(&node_a).await, 2);
        let overview = node_a.overview(&system).await.unwrap();
        assert_eq!(overview.total, 2);
        node_b.store().close().await;
        db.cleanup().await;
    }
}
