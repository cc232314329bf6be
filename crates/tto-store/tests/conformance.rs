//! The store's conformance suite: every case runs on SQLite and, when
//! `TTO_TEST_POSTGRES_URL` is set, on PostgreSQL, with the same expectations.

use sqlx::{AnyConnection, Connection, Executor};
use time::OffsetDateTime;
use time::macros::{date, datetime};
use tto_domain::achievement::{ContributorDraft, original_ownership};
use tto_domain::institution::InstitutionDraft;
use tto_domain::{
    AchievementFields, AchievementStatus, AchievementType, ChainTaxonomy, InstitutionFields, InstitutionId,
};
use tto_store::achievements::{self, Filter, NewAchievement, Page, Sort};
use tto_store::audit::{self, Verdict};
use tto_store::testing::TestDb;
use tto_store::{Actor, Scope, Store, StoreError, feed, institutions};

const NOW: OffsetDateTime = datetime!(2026-11-29 10:00 UTC);

fn taxonomy() -> ChainTaxonomy {
    ChainTaxonomy::new(vec![tto_domain::chain::ChainDraft {
        code: "new_materials".into(),
        name_zh: "新材料".into(),
        name_en: "New materials".into(),
        keywords: vec![],
    }])
    .unwrap()
}

fn institution(short: &str, name: &str, body: &str) -> InstitutionFields {
    let code = tto_domain::CreditCode::from_body(body).unwrap();
    InstitutionFields::validate(&InstitutionDraft {
        short_code: short.into(),
        name: name.into(),
        name_en: None,
        kind: "university".into(),
        credit_code: code.to_string(),
        region: "天津市".into(),
        state_run: true,
    })
    .unwrap()
}

fn fields(title: &str, trl: &str) -> AchievementFields {
    AchievementFields::validate(
        &tto_domain::achievement::AchievementDraft {
            title: title.into(),
            summary: "摘要 100% match_me".into(),
            detail: Some("保密细节".into()),
            keywords: vec!["石墨烯".into()],
            discipline: "材料科学与工程".into(),
            chains: vec!["new_materials".into()],
            kind: "invention_patent".into(),
            trl: trl.into(),
            funding_source: "fiscal".into(),
            funding_refs: vec![],
            completion_date: Some("2024-06-30".into()),
            confidentiality: "summary_only".into(),
            contributors: vec![
                ContributorDraft { person_id: None, name: "张伟".into(), share: "66.6667".into(), main: true },
                ContributorDraft { person_id: None, name: "李娜".into(), share: "33.3333".into(), main: false },
            ],
            job_related: true,
            major: false,
        },
        &taxonomy(),
    )
    .unwrap()
}

fn actor() -> Actor {
    Actor::system("conformance")
}

async fn seed_institution(store: &Store, short: &str, body: &str) -> InstitutionId {
    let mut tx = store.write(actor(), NOW).await.unwrap();
    let i = institutions::insert(&mut tx, &institution(short, &format!("{short} 大学"), body)).await.unwrap();
    tx.commit().await.unwrap();
    i.id
}

async fn seed_achievement(
    store: &Store,
    inst: InstitutionId,
    title: &str,
    status: AchievementStatus,
) -> achievements::Row {
    let mut tx = store.write(actor(), NOW).await.unwrap();
    let code = achievements::next_code(&mut tx, inst, "T", 2026).await.unwrap();
    let f = fields(title, "5");
    let ownership = [original_ownership(inst, "大学", date!(2024 - 06 - 30))];
    let a = achievements::insert(
        &mut tx,
        NewAchievement { institution_id: inst, code, fields: &f, ownership: &ownership, status, external_ref: None },
        "achievement.create",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut r = store.reader().await.unwrap();
    achievements::list(&mut r, Scope::All, &Filter::default(), Sort::IdDesc, Page::Before { id: None, limit: 100 })
        .await
        .unwrap()
        .into_iter()
        .find(|row| row.id == a.id)
        .unwrap()
}

macro_rules! on_every_backend {
    ($name:ident, |$db:ident| $body:block) => {
        #[tokio::test]
        async fn $name() {
            for $db in TestDb::all().await {
                let backend = $db.backend();
                let run = async { $body };
                run.await;
                eprintln!("{} passed on {:?}", stringify!($name), backend);
                $db.cleanup().await;
            }
        }
    };
}

on_every_backend!(institutions_round_trip_with_versions_and_duplicates, |db| {
    let store = &db.store;
    let id = seed_institution(store, "JMU", "12120000MB0000001").await;
    let mut r = store.reader().await.unwrap();
    let got = institutions::get(&mut r, id).await.unwrap();
    assert_eq!(got.fields.short_code, "JMU");
    assert!(got.fields.state_run);
    drop(r);

    let mut changed = got.fields.clone();
    changed.name = "津门大学".into();
    let mut tx = store.write(actor(), NOW).await.unwrap();
    let updated = institutions::update(&mut tx, id, 1, &changed).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(updated.version, 2);

    let mut tx = store.write(actor(), NOW).await.unwrap();
    assert!(matches!(institutions::update(&mut tx, id, 1, &changed).await, Err(StoreError::StaleVersion)));
    tx.rollback().await.unwrap();

    let mut tx = store.write(actor(), NOW).await.unwrap();
    let dup = institution("JMU2", "重复", "12120000MB0000001");
    assert!(matches!(institutions::insert(&mut tx, &dup).await, Err(StoreError::Duplicate(_))));
    drop(tx);

    let mut r = store.reader().await.unwrap();
    assert!(matches!(institutions::get(&mut r, InstitutionId(9999)).await, Err(StoreError::NotFound)));
});

on_every_backend!(achievements_round_trip_and_scope, |db| {
    let store = &db.store;
    let a = seed_institution(store, "AAA", "12120000MB0000001").await;
    let b = seed_institution(store, "BBB", "12120000MB0000002").await;
    let mine = seed_achievement(store, a, "甲的成果", AchievementStatus::Draft).await;
    let public = seed_achievement(store, b, "乙的公开成果", AchievementStatus::Promoting).await;
    assert_eq!(mine.code, "T-2026-000001");
    assert_eq!(public.code, "T-2026-000001", "ledger numbers count per institution");

    let mut r = store.reader().await.unwrap();
    let full = achievements::get(&mut r, Scope::Institution(a), mine.id).await.unwrap();
    assert_eq!(full.fields, fields("甲的成果", "5"));
    assert_eq!(full.ownership.len(), 1);
    assert_eq!(full.ownership[0].holders[0].institution_id, Some(a));
    assert_eq!(full.fields.contributors[0].share.ppm(), 666_667);

    // Another institution and the public cannot see a draft.
    assert!(matches!(achievements::get(&mut r, Scope::Institution(b), mine.id).await, Err(StoreError::NotFound)));
    assert!(matches!(achievements::get(&mut r, Scope::Public, mine.id).await, Err(StoreError::NotFound)));
    assert!(achievements::get(&mut r, Scope::Public, public.id).await.is_ok());

    let all = Filter::default();
    assert_eq!(achievements::count(&mut r, Scope::All, &all).await.unwrap(), 2);
    assert_eq!(achievements::count(&mut r, Scope::Institution(a), &all).await.unwrap(), 1);
    assert_eq!(achievements::count(&mut r, Scope::Public, &all).await.unwrap(), 1);

    let f = Filter { chain: Some("new_materials".into()), trl_min: Some(5), trl_max: Some(5), ..Default::default() };
    assert_eq!(achievements::count(&mut r, Scope::All, &f).await.unwrap(), 2);
    let f = Filter { trl_min: Some(6), ..Default::default() };
    assert_eq!(achievements::count(&mut r, Scope::All, &f).await.unwrap(), 0);
    let f = Filter { text: Some("MATCH_ME".into()), ..Default::default() };
    assert_eq!(achievements::count(&mut r, Scope::All, &f).await.unwrap(), 2, "case-insensitive text filter");
    let f = Filter { text: Some("100%".into()), ..Default::default() };
    assert_eq!(achievements::count(&mut r, Scope::All, &f).await.unwrap(), 2);
    let f = Filter { text: Some("1_0".into()), ..Default::default() };
    assert_eq!(achievements::count(&mut r, Scope::All, &f).await.unwrap(), 0, "LIKE wildcards match literally");
    let f = Filter { kind: Some(AchievementType::Design), ..Default::default() };
    assert_eq!(achievements::count(&mut r, Scope::All, &f).await.unwrap(), 0);
    let f = Filter { status: Some(AchievementStatus::Promoting), ..Default::default() };
    let rows = achievements::list(&mut r, Scope::All, &f, Sort::TitleAsc, Page::Offset { offset: 0, limit: 10 })
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].institution_name, "BBB 大学");

    // Keyset pages walk the list without overlap.
    let page1 =
        achievements::list(&mut r, Scope::All, &all, Sort::IdDesc, Page::Before { id: None, limit: 1 }).await.unwrap();
    let page2 =
        achievements::list(&mut r, Scope::All, &all, Sort::IdDesc, Page::Before { id: Some(page1[0].id), limit: 1 })
            .await
            .unwrap();
    assert_eq!((page1[0].id, page2[0].id), (public.id, mine.id));
    drop(r);

    // Update: fields, status, ownership, optimistic version.
    let mut tx = store.write(actor(), NOW).await.unwrap();
    let before = achievements::get(&mut tx, Scope::Institution(a), mine.id).await.unwrap();
    let mut after = before.clone();
    after.fields = fields("甲的成果（修订）", "7");
    after.status = AchievementStatus::Registered;
    let saved = achievements::update(&mut tx, &before, 1, after, "achievement.update").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(saved.version, 2);
    let mut r = store.reader().await.unwrap();
    let reread = achievements::get(&mut r, Scope::All, mine.id).await.unwrap();
    assert_eq!(reread.fields.trl.level(), 7);
    assert_eq!(reread.status, AchievementStatus::Registered);
    assert_eq!(reread.version, 2);
    drop(r);

    let mut tx = store.write(actor(), NOW).await.unwrap();
    let stale = reread.clone();
    assert!(matches!(
        achievements::update(&mut tx, &stale, 1, stale.clone(), "x").await,
        Err(StoreError::StaleVersion)
    ));
});

on_every_backend!(every_write_is_audited_in_one_hash_chain, |db| {
    let store = &db.store;
    let a = seed_institution(store, "AAA", "12120000MB0000001").await;
    let row = seed_achievement(store, a, "成果", AchievementStatus::Draft).await;

    let mut r = store.reader().await.unwrap();
    let events = audit::for_entity(&mut r, "achievement", &row.id.to_string()).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "achievement.create");
    assert_eq!(events[0].actor_label, "conformance");
    assert!(matches!(audit::verify(&mut r).await.unwrap(), Verdict::Intact { events: 2, .. }));
    assert_eq!(feed::head(&mut r).await.unwrap(), 2);
    let changes = feed::since(&mut r, 0, 10).await.unwrap();
    assert_eq!(changes.iter().map(|c| c.entity_type.as_str()).collect::<Vec<_>>(), ["institution", "achievement"]);
    drop(r);

    // A transaction that changes nothing auditable cannot commit.
    let tx = store.write(actor(), NOW).await.unwrap();
    assert!(matches!(tx.commit().await, Err(StoreError::Unaudited)));

    // Tampering is found: an edited row…
    let mut conn = AnyConnection::connect(&db.url).await.unwrap();
    conn.execute("UPDATE audit_event SET actor_label = 'someone else' WHERE seq = 1").await.unwrap();
    let mut r = store.reader().await.unwrap();
    assert_eq!(
        audit::verify(&mut r).await.unwrap(),
        Verdict::Broken { seq: 1, reason: "content does not match its hash".into() }
    );
    drop(r);
    conn.execute("UPDATE audit_event SET actor_label = 'conformance' WHERE seq = 1").await.unwrap();
    // …a deleted row…
    conn.execute("DELETE FROM audit_event WHERE seq = 2").await.unwrap();
    let mut r = store.reader().await.unwrap();
    assert!(matches!(audit::verify(&mut r).await.unwrap(), Verdict::Broken { seq: 2, .. }));
    conn.close().await.unwrap();
});

on_every_backend!(concurrent_writers_keep_the_chain_linear, |db| {
    let store = db.store.clone();
    let a = seed_institution(&store, "AAA", "12120000MB0000001").await;
    let mut handles = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            seed_achievement(&store, a, &format!("并发成果 {i}"), AchievementStatus::Draft).await;
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let mut r = store.reader().await.unwrap();
    assert!(matches!(audit::verify(&mut r).await.unwrap(), Verdict::Intact { events: 9, .. }));
    let rows =
        achievements::list(&mut r, Scope::All, &Filter::default(), Sort::IdAsc, Page::Offset { offset: 0, limit: 20 })
            .await
            .unwrap();
    let mut codes: Vec<String> = rows.into_iter().map(|r| r.code).collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 8, "ledger numbers are unique under concurrency");
});
