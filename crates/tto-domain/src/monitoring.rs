//! Dynamic monitoring of major achievements (重大科技成果动态监测, measure 六): indicators per
//! achievement and the alerts they raise.

use rust_decimal::Decimal;
use time::Date;

use crate::achievement::AchievementStatus;
use crate::money::Money;

/// What the platform knows of a watched achievement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicators {
    pub status: AchievementStatus,
    /// When the achievement entered its current status.
    pub status_since: Date,
    pub deals: usize,
    pub completed_deals: usize,
    pub income: Money,
    /// The latest pre-filing evaluation score (0–100).
    pub evaluation_score: Option<Decimal>,
    pub next_annuity: Option<Date>,
    pub overdue_annuities: usize,
}

code_enum! {
    AlertKind {
        /// No status change for the profile's months while not yet converted.
        Stalled => "stalled",
        AnnuityOverdue => "annuity_overdue",
        AnnuityDue => "annuity_due",
        NotEvaluated => "not_evaluated",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub kind: AlertKind,
    pub args: Vec<(&'static str, String)>,
}

/// Whole months from `from` to `to` (a month counts once its day is reached).
pub fn months_between(from: Date, to: Date) -> i64 {
    let months = i64::from(to.year() - from.year()) * 12 + i64::from(to.month() as u8) - i64::from(from.month() as u8);
    if to.day() < from.day() { months - 1 } else { months }
}

/// Alerts of one achievement on `today`: stalled after `stall_months`, annuities overdue, an
/// annuity due within `reminder_days`, no evaluation.
pub fn alerts(i: &Indicators, today: Date, stall_months: u32, reminder_days: u32) -> Vec<Alert> {
    let mut out = Vec::new();
    let months = months_between(i.status_since, today);
    let open = !matches!(i.status, AchievementStatus::Converted | AchievementStatus::Withdrawn);
    if open && months >= i64::from(stall_months) {
        out.push(Alert {
            kind: AlertKind::Stalled,
            args: vec![("months", months.to_string()), ("limit", stall_months.to_string())],
        });
    }
    if i.overdue_annuities > 0 {
        out.push(Alert { kind: AlertKind::AnnuityOverdue, args: vec![("count", i.overdue_annuities.to_string())] });
    }
    if let Some(due) = i.next_annuity
        && due >= today
        && (due - today).whole_days() <= i64::from(reminder_days)
    {
        out.push(Alert { kind: AlertKind::AnnuityDue, args: vec![("date", due.to_string())] });
    }
    if i.evaluation_score.is_none() && open {
        out.push(Alert { kind: AlertKind::NotEvaluated, args: vec![] });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn alerts_for_stalled_and_due() {
        let i = Indicators {
            status: AchievementStatus::Promoting,
            status_since: date!(2026 - 01 - 15),
            deals: 0,
            completed_deals: 0,
            income: Money::ZERO,
            evaluation_score: Some(Decimal::new(700, 1)),
            next_annuity: Some(date!(2026 - 12 - 20)),
            overdue_annuities: 1,
        };
        let a = alerts(&i, date!(2026 - 11 - 29), 6, 60);
        let kinds: Vec<AlertKind> = a.iter().map(|a| a.kind).collect();
        assert_eq!(kinds, [AlertKind::Stalled, AlertKind::AnnuityOverdue, AlertKind::AnnuityDue]);
        assert_eq!(months_between(date!(2026 - 01 - 15), date!(2026 - 11 - 14)), 9);
        assert_eq!(months_between(date!(2026 - 01 - 15), date!(2026 - 11 - 15)), 10);
        let converted =
            Indicators { status: AchievementStatus::Converted, overdue_annuities: 0, next_annuity: None, ..i };
        assert!(alerts(&converted, date!(2026 - 11 - 29), 6, 60).is_empty());
    }
}
