//! Scheduled tasks: closing notices, listings and auctions when they are due, and raising
//! reminders of patent annuities due soon.
//!
//! `tto serve` runs [`App::run_due_tasks`] every minute; `tto tasks run` runs it once (for
//! cron or by hand). Several nodes may run it at the same moment: each closing happens in its
//! own write transaction, which serialises writers and re-reads the record, so a record
//! closed by one node is skipped by the other (its status is no longer open).

use tto_domain::auction::MarketStatus;
use tto_domain::notice::NoticeStatus;
use tto_store::market;
use tto_store::notices;

use crate::authz::Actor;
use crate::{App, AppError, Result};

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskReport {
    pub notices_closed: usize,
    /// Notices past their end that cannot close yet (an objection is open).
    pub notices_waiting: usize,
    pub listings_closed: usize,
    pub auctions_closed: usize,
    /// Annuity reminders raised (patents whose annuity is due within the reminder days).
    pub reminders_raised: usize,
    /// Records that could not be closed because of a fault (logged; the run goes on, and the
    /// next run tries again).
    pub failed: usize,
}

impl App {
    pub async fn run_due_tasks(&self) -> Result<TaskReport> {
        let actor = Actor::system("scheduler");
        let mut report = TaskReport::default();
        let (due_notices, due_listings, due_auctions) = {
            let mut r = self.store().reader().await?;
            (
                notices::due(&mut r, self.today()).await?,
                market::due_listings(&mut r, self.now()).await?,
                market::due_auctions(&mut r, self.now()).await?,
            )
        };
        for n in due_notices {
            let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
            let fresh = notices::get(&mut tx, tto_store::Scope::All, n.id, self.today()).await?;
            if fresh.status != NoticeStatus::Open {
                tx.rollback().await?;
                continue;
            }
            match self.close_notice_in(&mut tx, &fresh).await {
                Ok(_) => {
                    tx.commit().await?;
                    report.notices_closed += 1;
                }
                Err(AppError::Conflict { .. }) => {
                    tx.rollback().await?;
                    report.notices_waiting += 1;
                }
                Err(e) => {
                    tx.rollback().await?;
                    tracing::error!(notice = n.id, error = %e, "closing a notice failed");
                    report.failed += 1;
                }
            }
        }
        for l in due_listings {
            let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
            let fresh = market::listing(&mut tx, l.id).await?;
            if fresh.status != MarketStatus::Open {
                tx.rollback().await?;
                continue;
            }
            match self.close_listing_in(&mut tx, &fresh).await {
                Ok(()) => {
                    tx.commit().await?;
                    report.listings_closed += 1;
                }
                Err(e) => {
                    tx.rollback().await?;
                    tracing::error!(listing = l.id, error = %e, "closing a listing failed");
                    report.failed += 1;
                }
            }
        }
        for a in due_auctions {
            let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
            let fresh = market::auction(&mut tx, a.id).await?;
            if fresh.status != MarketStatus::Open {
                tx.rollback().await?;
                continue;
            }
            match self.close_auction_in(&mut tx, &fresh).await {
                Ok(()) => {
                    tx.commit().await?;
                    report.auctions_closed += 1;
                }
                Err(e) => {
                    tx.rollback().await?;
                    tracing::error!(auction = a.id, error = %e, "closing an auction failed");
                    report.failed += 1;
                }
            }
        }
        match self.raise_annuity_reminders().await {
            Ok(n) => report.reminders_raised = n,
            Err(e) => {
                tracing::error!(error = %e, "raising annuity reminders failed");
                report.failed += 1;
            }
        }
        Ok(report)
    }
}
