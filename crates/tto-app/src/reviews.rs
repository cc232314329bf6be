//! Pre-filing evaluations (专利申请前评估, measure 六) and screening rounds (遴选).
//!
//! Both are scored by assigned reviewers against weighted criteria: an evaluation uses the
//! profile's template (`evaluation.prefiling.weights`, scale 1–`evaluation.scale_max`), a
//! round its own criteria (weights totalling 100 %). A reviewer declares a conflict of
//! interest (and then cannot score) or scores once. The TTO records the evaluation's
//! recommendation with reasons; a round is closed into a ranked shortlist and published.

use time::Date;
use tto_domain::evaluation::{Aggregate, Criterion, Recommendation, Sheet, Template, aggregate};
use tto_domain::policy::{ParamKey, ParamValue, Parameter};
use tto_domain::{AchievementId, ValidationErrors, Violation};
use tto_store::reviews::{self as repo, Evaluation, Reviewer, Round, RoundKind, RoundStatus, StoredSheet};
use tto_store::{Scope, StoreError, WriteTx, accounts, achievements};

use crate::authz::{Actor, Permission};
use crate::deals::rule;
use crate::empowerment::citation_of;
use crate::{App, AppError, Result};

pub const EVALUATION: &str = "evaluation";
pub const SCREENING: &str = "screening";

#[derive(Debug, Clone)]
pub struct EvaluationView {
    pub evaluation: Evaluation,
    pub reviewers: Vec<Reviewer>,
    pub sheets: Vec<StoredSheet>,
    pub aggregate: Option<Aggregate>,
    pub can_manage: bool,
    /// The actor is an assigned reviewer who has neither scored nor declared a conflict.
    pub may_score: bool,
    pub rules: Vec<Parameter>,
}

#[derive(Debug, Clone)]
pub struct CandidateResult {
    pub candidate: tto_store::reviews::Candidate,
    pub aggregate: Option<Aggregate>,
}

#[derive(Debug, Clone)]
pub struct RoundView {
    pub round: Round,
    pub reviewers: Vec<Reviewer>,
    pub results: Vec<CandidateResult>,
    pub can_manage: bool,
    /// Candidates the actor may still score.
    pub to_score: Vec<i64>,
}

fn evaluation_not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound { entity: "evaluation" },
        other => other.into(),
    }
}

fn round_not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound { entity: "screening round" },
        other => other.into(),
    }
}

impl App {
    /// The profile's pre-filing template for `day`, with its parameters.
    pub fn prefiling_template(&self, day: Date) -> Result<(Template, Vec<Parameter>)> {
        let profile = self.profile_id(day)?;
        let get = |key: ParamKey| {
            self.policy()
                .resolve(&profile, key, day)
                .map(|r| r.parameter.clone())
                .map_err(|e| AppError::Internal(e.to_string()))
        };
        let weights = get(ParamKey::EvaluationPrefilingWeights)?;
        let scale = get(ParamKey::EvaluationScaleMax)?;
        let ParamValue::Weights(ws) = &weights.value else { return Err(AppError::Internal("weights".into())) };
        let ParamValue::Count(max) = scale.value else { return Err(AppError::Internal("scale".into())) };
        let criteria = ws.iter().map(|w| Criterion { code: w.code.clone(), weight: w.share }).collect();
        Ok((Template { criteria, scale: (1, max) }, vec![weights, scale]))
    }

    /// Names of active users for assignment, checked to exist.
    async fn reviewer_names(&self, tx: &mut WriteTx, users: &[i64]) -> Result<Vec<(i64, String)>> {
        let mut errors = ValidationErrors::new();
        let mut out = Vec::new();
        if users.is_empty() {
            errors.add("reviewers", Violation::Required);
        }
        for u in users {
            if out.iter().any(|(id, _)| id == u) {
                errors.add("reviewers", Violation::Duplicate { value: u.to_string() });
                continue;
            }
            match accounts::get_user(tx, *u).await {
                Ok(user) if user.status == "active" => out.push((*u, user.display_name.clone())),
                _ => errors.add("reviewers", Violation::UnknownChoice { value: u.to_string() }),
            }
        }
        errors.finish(|| out).map_err(AppError::from)
    }

    /// People who may be assigned as reviewers: the active users of the actor's institution
    /// and technology managers anywhere (outside experts).
    pub async fn reviewer_candidates(&self, actor: &Actor) -> Result<Vec<(i64, String, String)>> {
        let institution = actor.institution_id().ok_or(AppError::Forbidden)?;
        if actor.require(Permission::EvaluationManage).is_err() {
            actor.require(Permission::ScreeningManage)?;
        }
        let mut r = self.store().reader().await?;
        let users = accounts::list_users(&mut r, Scope::All).await?;
        let institutions = tto_store::institutions::list(&mut r).await?;
        let name_of = |id: tto_domain::InstitutionId| {
            institutions.iter().find(|i| i.id == id).map(|i| i.fields.name.clone()).unwrap_or_default()
        };
        Ok(users
            .into_iter()
            .filter(|u| u.status == "active")
            .filter(|u| u.institution_id == institution || u.roles.iter().any(|r| r == "tech_manager"))
            .map(|u| (u.id, u.display_name.clone(), name_of(u.institution_id)))
            .collect())
    }

    // -----------------------------------------------------------------------------------
    // Evaluations
    // -----------------------------------------------------------------------------------

    /// Evaluations of the actor's institution, or those the actor reviews.
    pub async fn evaluations(&self, actor: &Actor, achievement: Option<AchievementId>) -> Result<Vec<Evaluation>> {
        let mut r = self.store().reader().await?;
        match actor.internal_scope(Permission::EvaluationRead) {
            Ok(scope) => Ok(repo::evaluations(&mut r, scope, None, achievement, 500).await?),
            Err(_) => {
                actor.require(Permission::ReviewScore)?;
                let user = actor.user().ok_or(AppError::Forbidden)?;
                Ok(repo::evaluations(&mut r, Scope::All, Some(user.user_id.0), achievement, 500).await?)
            }
        }
    }

    pub async fn evaluation(&self, actor: &Actor, id: i64) -> Result<EvaluationView> {
        let mut r = self.store().reader().await?;
        let evaluation = repo::evaluation(&mut r, Scope::All, id).await.map_err(evaluation_not_found)?;
        let reviewers = repo::reviewers(&mut r, EVALUATION, id).await?;
        let me = actor.user().map(|u| u.user_id.0);
        let is_reviewer = me.is_some_and(|m| reviewers.iter().any(|rv| rv.user_id == m));
        let can_read = actor.require_for(Permission::EvaluationRead, evaluation.institution_id).is_ok();
        if !can_read && !is_reviewer {
            return Err(AppError::NotFound { entity: "evaluation" });
        }
        let sheets = repo::sheets(&mut r, EVALUATION, id).await?;
        let may_score = evaluation.status == repo::EvaluationStatus::Open
            && me.is_some_and(|m| {
                reviewers.iter().any(|rv| rv.user_id == m && !rv.conflict) && !sheets.iter().any(|s| s.user_id == m)
            });
        // Reviewers see the others' scores, and their aggregate, only once they have scored
        // (independence).
        let blind = !can_read && may_score;
        let sheets = if blind { Vec::new() } else { sheets };
        let plain: Vec<Sheet> = sheets.iter().map(|s| s.sheet.clone()).collect();
        let aggregate = aggregate(&evaluation.template, &plain);
        let can_manage = actor.require_for(Permission::EvaluationManage, evaluation.institution_id).is_ok();
        let rules = self.prefiling_template(evaluation.created_at.date()).map(|(_, p)| p).unwrap_or_default();
        Ok(EvaluationView { evaluation, reviewers, sheets, aggregate, can_manage, may_score, rules })
    }

    /// Starts a pre-filing evaluation of an achievement with reviewers (user ids).
    pub async fn start_evaluation(&self, actor: &Actor, achievement: i64, reviewers: &[i64]) -> Result<Evaluation> {
        actor.require(Permission::EvaluationManage)?;
        let today = self.today();
        let (template, _) = self.prefiling_template(today)?;
        let profile = self.profile_id(today)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let a = achievements::get(&mut tx, Scope::All, AchievementId(achievement))
            .await
            .ok()
            .filter(|a| actor.require_for(Permission::EvaluationManage, a.institution_id).is_ok())
            .ok_or_else(|| {
                AppError::field("achievement_id", Violation::UnknownChoice { value: achievement.to_string() })
            })?;
        let names = self.reviewer_names(&mut tx, reviewers).await?;
        let saved = repo::insert_evaluation(&mut tx, a.institution_id, a.id, &template, &profile).await?;
        for (user, name) in names {
            repo::add_reviewer(&mut tx, a.institution_id, EVALUATION, saved.id, user, &name).await?;
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// The acting reviewer's own registration on a subject.
    async fn my_reviewer(&self, tx: &mut WriteTx, actor: &Actor, subject: &'static str, id: i64) -> Result<Reviewer> {
        actor.require(Permission::ReviewScore)?;
        let me = actor.user().ok_or(AppError::Forbidden)?.user_id.0;
        repo::reviewers(tx, subject, id)
            .await?
            .into_iter()
            .find(|r| r.user_id == me)
            .ok_or(AppError::conflict("reviewer", rule("not_a_reviewer", "you are not a reviewer of this")))
    }

    /// A reviewer declares a conflict of interest (and will not score).
    pub async fn declare_conflict(&self, actor: &Actor, subject: &'static str, id: i64, note: &str) -> Result<()> {
        let mut errors = ValidationErrors::new();
        let note = tto_domain::validation::required_text(&mut errors, "conflict_note", note, 1000);
        let Some(note) = note else { return Err(errors.into()) };
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let institution = match subject {
            EVALUATION => repo::evaluation(&mut tx, Scope::All, id).await.map_err(evaluation_not_found)?.institution_id,
            _ => repo::round(&mut tx, Scope::All, id).await.map_err(round_not_found)?.institution_id,
        };
        let me = self.my_reviewer(&mut tx, actor, subject, id).await?;
        if repo::sheets(&mut tx, subject, id).await?.iter().any(|s| s.user_id == me.user_id) {
            return Err(AppError::conflict("reviewer", rule("already_scored", "you have scored already")));
        }
        if me.conflict {
            return Err(AppError::conflict("reviewer", rule("conflict_declared", "a conflict was already declared")));
        }
        repo::declare_conflict(&mut tx, institution, subject, id, me.user_id, &note).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records one reviewer's scores of an evaluation (every criterion, once).
    pub async fn score_evaluation(
        &self,
        actor: &Actor,
        id: i64,
        scores: &[(String, String)],
        comment: &str,
    ) -> Result<()> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let e = repo::evaluation(&mut tx, Scope::All, id).await.map_err(evaluation_not_found)?;
        let me = self.my_reviewer(&mut tx, actor, EVALUATION, id).await?;
        check_may_score(&me, &repo::sheets(&mut tx, EVALUATION, id).await?, 0)?;
        if e.status != repo::EvaluationStatus::Open {
            return Err(AppError::conflict("status", rule("evaluation_decided", "the evaluation is decided")));
        }
        let scores = e.template.check_scores(scores)?;
        let comment = (!comment.trim().is_empty()).then(|| comment.trim().to_string());
        repo::insert_sheet(&mut tx, e.institution_id, EVALUATION, id, 0, me.user_id, &scores, comment.as_deref())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The TTO records the recommendation with its reasons.
    pub async fn decide_evaluation(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        recommendation: &str,
        reasons: &str,
    ) -> Result<Evaluation> {
        actor.require(Permission::EvaluationManage)?;
        let mut errors = ValidationErrors::new();
        let recommendation = errors.collect("recommendation", Recommendation::from_code(recommendation));
        let reasons = tto_domain::validation::required_text(&mut errors, "reasons", reasons, 5000);
        let (Some(recommendation), Some(reasons), true) = (recommendation, reasons, errors.is_empty()) else {
            return Err(errors.into());
        };
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = repo::evaluation(&mut tx, Scope::All, id).await.map_err(evaluation_not_found)?;
        actor
            .require_for(Permission::EvaluationManage, before.institution_id)
            .map_err(|_| AppError::NotFound { entity: "evaluation" })?;
        if before.version != version {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        if before.status != repo::EvaluationStatus::Open {
            return Err(AppError::conflict("status", rule("evaluation_decided", "the evaluation is decided")));
        }
        if repo::sheets(&mut tx, EVALUATION, id).await?.is_empty() {
            return Err(AppError::conflict("status", rule("no_scores", "no reviewer has scored yet")));
        }
        let saved = repo::decide_evaluation(&mut tx, &before, recommendation, &reasons, self.today()).await?;
        tx.commit().await?;
        Ok(saved)
    }

    // -----------------------------------------------------------------------------------
    // Screening rounds
    // -----------------------------------------------------------------------------------

    pub async fn rounds(&self, actor: &Actor) -> Result<Vec<Round>> {
        let mut r = self.store().reader().await?;
        let reviewer = actor.user().map(|u| u.user_id.0);
        Ok(repo::rounds(&mut r, actor.catalogue_scope(Permission::ScreeningManage), reviewer, 200).await?)
    }

    pub async fn round(&self, actor: &Actor, id: i64) -> Result<RoundView> {
        let mut r = self.store().reader().await?;
        let round = repo::round(&mut r, Scope::All, id).await.map_err(round_not_found)?;
        let reviewers = repo::reviewers(&mut r, SCREENING, id).await?;
        let me = actor.user().map(|u| u.user_id.0);
        let is_reviewer = me.is_some_and(|m| reviewers.iter().any(|rv| rv.user_id == m));
        let can_manage = actor.require_for(Permission::ScreeningManage, round.institution_id).is_ok();
        if !(can_manage || is_reviewer || round.status == RoundStatus::Published) {
            return Err(AppError::NotFound { entity: "screening round" });
        }
        let sheets = repo::sheets(&mut r, SCREENING, id).await?;
        let show_scores = can_manage || round.status == RoundStatus::Published;
        let results = round
            .candidates
            .iter()
            .map(|c| {
                let mine: Vec<Sheet> =
                    sheets.iter().filter(|s| s.candidate_id == c.id).map(|s| s.sheet.clone()).collect();
                CandidateResult {
                    candidate: c.clone(),
                    aggregate: if show_scores { aggregate(&round.template, &mine) } else { None },
                }
            })
            .collect();
        let to_score = match me {
            Some(m)
                if round.status == RoundStatus::Open && reviewers.iter().any(|rv| rv.user_id == m && !rv.conflict) =>
            {
                round
                    .candidates
                    .iter()
                    .filter(|c| !sheets.iter().any(|s| s.candidate_id == c.id && s.user_id == m))
                    .map(|c| c.id)
                    .collect()
            }
            _ => Vec::new(),
        };
        Ok(RoundView { round, reviewers, results, can_manage, to_score })
    }

    /// Creates a round with its criteria (weights totalling 100 %) and scoring deadline.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_round(
        &self,
        actor: &Actor,
        title: &str,
        kind: &str,
        description: &str,
        criteria: &[(String, String)],
        scores_due_on: &str,
        shortlist_size: &str,
    ) -> Result<Round> {
        actor.require(Permission::ScreeningManage)?;
        let institution = actor.institution_id().ok_or(AppError::Forbidden)?;
        let today = self.today();
        let (_, params) = self.prefiling_template(today)?;
        let max = match params.get(1).map(|p| &p.value) {
            Some(ParamValue::Count(n)) => *n,
            _ => 5,
        };
        let mut errors = ValidationErrors::new();
        let title = tto_domain::validation::required_text(&mut errors, "title", title, 200);
        let kind = errors.collect("kind", RoundKind::from_code(kind));
        let description = tto_domain::validation::optional_text(&mut errors, "description", Some(description), 5000)
            .unwrap_or_default();
        let template = match Template::validate(criteria, (1, max)) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.errors.extend(e.errors);
                None
            }
        };
        let due = errors.collect("scores_due_on", tto_domain::period::parse_date(scores_due_on));
        if due.is_some_and(|d| d < today) {
            errors.add("scores_due_on", rule("in_the_past", "the deadline is in the past"));
        }
        let size = match shortlist_size.trim().parse::<i64>() {
            Ok(n) if (1..=1000).contains(&n) => Some(n),
            _ => {
                errors.add("shortlist_size", Violation::OutOfRange { min: "1".into(), max: "1000".into() });
                None
            }
        };
        let (Some(title), Some(kind), Some(template), Some(due), Some(size), true) =
            (title, kind, template, due, size, errors.is_empty())
        else {
            return Err(errors.into());
        };
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let saved = repo::insert_round(&mut tx, institution, &title, kind, &description, &template, due, size).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn load_round(&self, tx: &mut WriteTx, actor: &Actor, id: i64, version: Option<i64>) -> Result<Round> {
        actor.require(Permission::ScreeningManage)?;
        let r = repo::round(tx, Scope::All, id).await.map_err(round_not_found)?;
        actor
            .require_for(Permission::ScreeningManage, r.institution_id)
            .map_err(|_| AppError::NotFound { entity: "screening round" })?;
        if version.is_some_and(|v| v != r.version) {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        Ok(r)
    }

    /// Adds a candidate: an achievement of the institution, or a start-up project by name.
    pub async fn add_candidate(
        &self,
        actor: &Actor,
        id: i64,
        achievement: Option<i64>,
        name: &str,
        description: &str,
    ) -> Result<()> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let round = self.load_round(&mut tx, actor, id, None).await?;
        if round.status != RoundStatus::Draft {
            return Err(AppError::conflict("status", rule("round_not_draft", round.status.code())));
        }
        let (achievement, name) = match achievement {
            Some(a) => {
                let a = achievements::get(&mut tx, Scope::Institution(round.institution_id), AchievementId(a))
                    .await
                    .map_err(|_| {
                        AppError::field("achievement_id", Violation::UnknownChoice { value: a.to_string() })
                    })?;
                if round.candidates.iter().any(|c| c.achievement_id == Some(a.id)) {
                    return Err(AppError::field("achievement_id", Violation::Duplicate { value: a.code.clone() }));
                }
                (Some(a.id), a.fields.title.clone())
            }
            None => {
                let mut errors = ValidationErrors::new();
                let n = tto_domain::validation::required_text(&mut errors, "name", name, 200);
                let Some(n) = n else { return Err(errors.into()) };
                (None, n)
            }
        };
        let mut errors = ValidationErrors::new();
        let description = tto_domain::validation::optional_text(&mut errors, "description", Some(description), 2000)
            .unwrap_or_default();
        errors.finish(|| ())?;
        repo::add_candidate(&mut tx, &round, achievement, &name, &description).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn assign_round_reviewers(&self, actor: &Actor, id: i64, reviewers: &[i64]) -> Result<()> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let round = self.load_round(&mut tx, actor, id, None).await?;
        if round.status != RoundStatus::Draft {
            return Err(AppError::conflict("status", rule("round_not_draft", round.status.code())));
        }
        let existing = repo::reviewers(&mut tx, SCREENING, id).await?;
        let names = self.reviewer_names(&mut tx, reviewers).await?;
        for (user, name) in names {
            if existing.iter().any(|r| r.user_id == user) {
                return Err(AppError::field("reviewers", Violation::Duplicate { value: name }));
            }
            repo::add_reviewer(&mut tx, round.institution_id, SCREENING, id, user, &name).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Opens a round for scoring (it needs candidates and reviewers).
    pub async fn open_round(&self, actor: &Actor, id: i64, version: i64) -> Result<Round> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_round(&mut tx, actor, id, Some(version)).await?;
        if before.status != RoundStatus::Draft {
            return Err(AppError::conflict("status", rule("round_not_draft", before.status.code())));
        }
        if before.candidates.is_empty() {
            return Err(AppError::conflict("candidates", Violation::Required));
        }
        if repo::reviewers(&mut tx, SCREENING, id).await?.is_empty() {
            return Err(AppError::conflict("reviewers", Violation::Required));
        }
        let saved = repo::save_round(&mut tx, &before, RoundStatus::Open, &[], None, "screening.open").await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn score_candidate(
        &self,
        actor: &Actor,
        id: i64,
        candidate: i64,
        scores: &[(String, String)],
        comment: &str,
    ) -> Result<()> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let round = repo::round(&mut tx, Scope::All, id).await.map_err(round_not_found)?;
        let me = self.my_reviewer(&mut tx, actor, SCREENING, id).await?;
        if round.status != RoundStatus::Open {
            return Err(AppError::conflict("status", rule("round_not_open", round.status.code())));
        }
        if !round.candidates.iter().any(|c| c.id == candidate) {
            return Err(AppError::NotFound { entity: "candidate" });
        }
        check_may_score(&me, &repo::sheets(&mut tx, SCREENING, id).await?, candidate)?;
        let scores = round.template.check_scores(scores)?;
        let comment = (!comment.trim().is_empty()).then(|| comment.trim().to_string());
        repo::insert_sheet(
            &mut tx,
            round.institution_id,
            SCREENING,
            id,
            candidate,
            me.user_id,
            &scores,
            comment.as_deref(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Closes scoring: candidates ranked by weighted score (unscored last), the top
    /// `shortlist_size` shortlisted.
    pub async fn close_round(&self, actor: &Actor, id: i64, version: i64) -> Result<Round> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_round(&mut tx, actor, id, Some(version)).await?;
        if before.status != RoundStatus::Open {
            return Err(AppError::conflict("status", rule("round_not_open", before.status.code())));
        }
        let sheets = repo::sheets(&mut tx, SCREENING, id).await?;
        let mut scored: Vec<(i64, Option<rust_decimal::Decimal>)> = before
            .candidates
            .iter()
            .map(|c| {
                let mine: Vec<Sheet> =
                    sheets.iter().filter(|s| s.candidate_id == c.id).map(|s| s.sheet.clone()).collect();
                (c.id, aggregate(&before.template, &mine).map(|a| a.total))
            })
            .collect();
        scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let ranks: Vec<(i64, i64, bool)> = scored
            .iter()
            .enumerate()
            .map(|(i, (c, total))| (*c, i as i64 + 1, total.is_some() && (i as i64) < before.shortlist_size))
            .collect();
        let saved = repo::save_round(&mut tx, &before, RoundStatus::Closed, &ranks, None, "screening.close").await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn publish_round(&self, actor: &Actor, id: i64, version: i64) -> Result<Round> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_round(&mut tx, actor, id, Some(version)).await?;
        if before.status != RoundStatus::Closed {
            return Err(AppError::conflict("status", rule("round_not_closed", before.status.code())));
        }
        let saved =
            repo::save_round(&mut tx, &before, RoundStatus::Published, &[], Some(self.today()), "screening.publish")
                .await?;
        tx.commit().await?;
        Ok(saved)
    }
}

/// A reviewer scores once and not after declaring a conflict.
fn check_may_score(me: &Reviewer, sheets: &[StoredSheet], candidate: i64) -> Result<()> {
    if me.conflict {
        return Err(AppError::conflict("reviewer", rule("conflict_declared", "you declared a conflict of interest")));
    }
    if sheets.iter().any(|s| s.user_id == me.user_id && s.candidate_id == candidate) {
        return Err(AppError::conflict("reviewer", rule("already_scored", "you have scored already")));
    }
    Ok(())
}

/// The rule text of a template's parameters (for reports).
pub fn template_basis(params: &[Parameter]) -> String {
    params.iter().map(citation_of).collect::<Vec<_>>().join("；")
}
