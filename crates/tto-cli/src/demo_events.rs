//! A demo handshake event (校企对接会): the technology exchange organises a meeting day on
//! high-end equipment, invites the demo enterprise, itself (with the needs it collected for
//! enterprises) and the universities, registers them and lets the platform propose the
//! agenda — so `tto demo` shows an event with its meeting grid (sign in as `exchange`).

use anyhow::anyhow;
use tto_app::{Actor, App};
use tto_domain::event::{EventAction, EventDraft};

use crate::demo::DEMO_PASSWORD;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("{e}")
}

/// (short code, attendee)
const PARTICIPANTS: &[(&str, &str)] =
    &[("JZZ", "周总"), ("JTE", "钱专员"), ("JMU", "刘主任"), ("HHU", "赵主任"), ("BHT", "技术转移中心 李老师")];

pub async fn seed(app: &App) -> anyhow::Result<()> {
    let signed = app.sign_in("exchange", DEMO_PASSWORD, "demo").await.map_err(err)?;
    let exchange = Actor::User(signed.user);
    let today = app.today();
    let draft = EventDraft {
        title: "高端装备产业链校企对接会（示例）".into(),
        kind: "handshake".into(),
        chain: Some("high_end_equipment".into()),
        description: Some("围绕焊接检测、结构健康监测等装备制造企业的技术需求，邀请高校科研团队一对一洽谈。".into()),
        date: (today + time::Duration::days(10)).to_string(),
        venue: "津门技术交易所 2 楼路演厅".into(),
        first_slot_start: "09:30".into(),
        slot_minutes: "20".into(),
        slot_count: "6".into(),
        tables: "3".into(),
        meetings_per_item: "3".into(),
    };
    let event = app.create_event(&exchange, None, &draft).await.map_err(err)?;
    let institutions = app.institutions().await.map_err(err)?;
    for (code, _) in PARTICIPANTS {
        let Some(i) = institutions.iter().find(|i| i.fields.short_code == *code) else { continue };
        app.invite_to_event(&exchange, event.id, i.id, None).await.map_err(err)?;
    }
    let event =
        app.transition_event(&exchange, event.id, event.version, EventAction::OpenRegistration).await.map_err(err)?;
    let view = app.event(&exchange, event.id).await.map_err(err)?;
    for p in &view.participants {
        let code = institutions.iter().find(|i| i.id == p.institution_id).map(|i| i.fields.short_code.as_str());
        let attendee = PARTICIPANTS.iter().find(|(c, _)| Some(*c) == code).map(|(_, a)| *a).unwrap_or("参会代表");
        app.register_for_event(&exchange, event.id, p.id, Some(attendee), false).await.map_err(err)?;
    }
    let event = app.event(&exchange, event.id).await.map_err(err)?.event;
    app.propose_agenda(&exchange, event.id, event.version).await.map_err(err)?;
    Ok(())
}
