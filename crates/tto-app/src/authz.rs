//! Who may do what: roles, the permission matrix, and the scope of reads.
//!
//! Every use case asks [`Actor::require`] for its permission and reads through
//! [`Actor::catalogue_scope`]; no handler decides access on its own. The matrix below is the one
//! source of truth; `docs/permissions.md` is generated from it and a test keeps them equal.

use std::fmt;

use tto_domain::{InstitutionId, InstitutionKind};
use tto_store::Scope;

use crate::error::{AppError, Result};

tto_domain::code_enum! {
    /// The roles of DESIGN.md §1. A user holds roles within one institution.
    Role {
        PlatformAdmin => "platform_admin",
        Regulator => "regulator",
        TtoAdmin => "tto_admin",
        TtoStaff => "tto_staff",
        Inventor => "inventor",
        TechManager => "tech_manager",
        Enterprise => "enterprise",
        Investor => "investor",
        PocMember => "poc_member",
        ExchangeOperator => "exchange_operator",
    }
}

tto_domain::code_enum! {
    /// Things a use case may need to be allowed.
    Permission {
        AchievementRead => "achievement.read",
        AchievementCreate => "achievement.create",
        AchievementEdit => "achievement.edit",
        AchievementTransition => "achievement.transition",
        AchievementExport => "achievement.export",
        AchievementImport => "achievement.import",
        InstitutionManage => "institution.manage",
        UserManage => "user.manage",
        AuditRead => "audit.read",
        TokenManage => "token.manage",
        EmpowermentRead => "empowerment.read",
        EmpowermentManage => "empowerment.manage",
        EmpowermentApprove => "empowerment.approve",
        LedgerRead => "ledger.read",
        LedgerManage => "ledger.manage",
        DealRead => "deal.read",
        DealManage => "deal.manage",
        NoticeManage => "notice.manage",
        MarketOperate => "market.operate",
        MarketParticipate => "market.participate",
        ContractRead => "contract.read",
        ContractManage => "contract.manage",
        ReleaseManage => "release.manage",
        DistributionRead => "distribution.read",
        DistributionManage => "distribution.manage",
        DistributionApprove => "distribution.approve",
        DisclosureSubmit => "disclosure.submit",
        DisclosureReview => "disclosure.review",
        EvaluationRead => "evaluation.read",
        EvaluationManage => "evaluation.manage",
        ReviewScore => "review.score",
        IpRead => "ip.read",
        IpManage => "ip.manage",
        ScreeningManage => "screening.manage",
        MonitoringRead => "monitoring.read",
        NeedRead => "need.read",
        NeedManage => "need.manage",
        NeedImport => "need.import",
        NeedContact => "need.contact",
        MatchRead => "match.read",
        MatchManage => "match.manage",
        EventRead => "event.read",
        EventManage => "event.manage",
        EventRegister => "event.register",
    }
}

/// How far a permission reaches for a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every institution.
    All,
    /// The user's own institution.
    Own,
}

use Permission as P;
use Reach::{All, Own};
use Role as R;

/// The permission matrix: for each permission, the roles that hold it and how far.
/// Anonymous visitors hold none of these; they read the public catalogue only.
pub const MATRIX: &[(Permission, &[(Role, Reach)])] = &[
    (
        P::AchievementRead,
        &[
            (R::PlatformAdmin, All),
            (R::Regulator, All),
            (R::TtoAdmin, Own),
            (R::TtoStaff, Own),
            (R::Inventor, Own),
            (R::TechManager, Own),
            (R::ExchangeOperator, Own),
        ],
    ),
    (P::AchievementCreate, &[(R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::AchievementEdit, &[(R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::AchievementTransition, &[(R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::AchievementExport, &[(R::PlatformAdmin, All), (R::Regulator, All), (R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::AchievementImport, &[(R::PlatformAdmin, All), (R::TtoAdmin, Own)]),
    (P::InstitutionManage, &[(R::PlatformAdmin, All)]),
    (P::UserManage, &[(R::PlatformAdmin, All), (R::TtoAdmin, Own)]),
    (P::AuditRead, &[(R::PlatformAdmin, All), (R::Regulator, All), (R::TtoAdmin, Own)]),
    (
        P::EmpowermentRead,
        &[(R::PlatformAdmin, All), (R::Regulator, All), (R::TtoAdmin, Own), (R::TtoStaff, Own), (R::Inventor, Own)],
    ),
    (P::EmpowermentManage, &[(R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::EmpowermentApprove, &[(R::TtoAdmin, Own)]),
    (P::LedgerRead, &[(R::PlatformAdmin, All), (R::Regulator, All), (R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::LedgerManage, &[(R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::DealRead, &[(R::PlatformAdmin, All), (R::Regulator, All), (R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::DealManage, &[(R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::NoticeManage, &[(R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    // The technology exchange runs listings and auctions of every university.
    (P::MarketOperate, &[(R::TtoAdmin, Own), (R::TtoStaff, Own), (R::ExchangeOperator, All)]),
    // Buyers express interest, register for auctions and bid for their own institution.
    (P::MarketParticipate, &[(R::Enterprise, Own), (R::Investor, Own)]),
    (P::ContractRead, &[(R::PlatformAdmin, All), (R::Regulator, All), (R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::ContractManage, &[(R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::ReleaseManage, &[(R::Regulator, All), (R::TtoAdmin, Own)]),
    (P::DistributionRead, &[(R::PlatformAdmin, All), (R::Regulator, All), (R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::DistributionManage, &[(R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::DistributionApprove, &[(R::TtoAdmin, Own)]),
    // Inventors disclose their results; the TTO may enter a disclosure for them.
    (P::DisclosureSubmit, &[(R::Inventor, Own), (R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::DisclosureReview, &[(R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::EvaluationRead, &[(R::PlatformAdmin, All), (R::Regulator, All), (R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::EvaluationManage, &[(R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    // Reviewers score what they are assigned to (checked per evaluation or round), wherever
    // they work: experts may come from other institutions.
    (
        P::ReviewScore,
        &[
            (R::TtoAdmin, Own),
            (R::TtoStaff, Own),
            (R::Inventor, Own),
            (R::TechManager, Own),
            (R::Investor, Own),
            (R::PocMember, Own),
            (R::Enterprise, Own),
        ],
    ),
    (
        P::IpRead,
        &[(R::PlatformAdmin, All), (R::Regulator, All), (R::TtoAdmin, Own), (R::TtoStaff, Own), (R::Inventor, Own)],
    ),
    (P::IpManage, &[(R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::ScreeningManage, &[(R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    (P::MonitoringRead, &[(R::PlatformAdmin, All), (R::Regulator, All), (R::TtoAdmin, Own), (R::TtoStaff, Own)]),
    // Technology needs (measure 十五). Published needs are public (anyone reads them without
    // this permission); it widens reading to the institution's own drafts, or to everything.
    (P::NeedRead, &[(R::PlatformAdmin, All), (R::Regulator, All), (R::Enterprise, Own), (R::ExchangeOperator, Own)]),
    // Enterprises post their own needs; the exchange collects needs for enterprises as its own
    // records (naming the enterprise); the platform admin may correct any.
    (P::NeedManage, &[(R::PlatformAdmin, All), (R::Enterprise, Own), (R::ExchangeOperator, Own)]),
    (P::NeedImport, &[(R::PlatformAdmin, All), (R::Enterprise, Own), (R::ExchangeOperator, Own)]),
    // "Via the platform" contacts: technology managers and the platform make contact.
    (P::NeedContact, &[(R::PlatformAdmin, All), (R::TechManager, All), (R::ExchangeOperator, All)]),
    // The brokering pipeline of need × achievement pairs. "Own" reaches the pairs whose need
    // or achievement is the institution's, and those the user is the assigned manager of.
    (
        P::MatchRead,
        &[
            (R::PlatformAdmin, All),
            (R::Regulator, All),
            (R::ExchangeOperator, All),
            (R::TtoAdmin, Own),
            (R::TtoStaff, Own),
            (R::TechManager, Own),
            (R::Enterprise, Own),
        ],
    ),
    (
        P::MatchManage,
        &[
            (R::PlatformAdmin, All),
            (R::ExchangeOperator, All),
            (R::TtoAdmin, Own),
            (R::TtoStaff, Own),
            (R::TechManager, Own),
        ],
    ),
    // Handshake events (measures 六, 十五). Events are public once registration opens (anyone
    // reads them without this permission); it widens reading to the organiser's drafts, the
    // proposed agenda and the outcomes, or to every event.
    (
        P::EventRead,
        &[
            (R::PlatformAdmin, All),
            (R::Regulator, All),
            (R::TtoAdmin, Own),
            (R::TtoStaff, Own),
            (R::ExchangeOperator, Own),
        ],
    ),
    // Organisers: a university's TTO, the technology exchange, the platform (any event).
    (P::EventManage, &[(R::PlatformAdmin, All), (R::TtoAdmin, Own), (R::TtoStaff, Own), (R::ExchangeOperator, Own)]),
    // Invited institutions register (or decline) for themselves.
    (P::EventRegister, &[(R::TtoAdmin, Own), (R::TtoStaff, Own), (R::Enterprise, Own), (R::ExchangeOperator, Own)]),
    (
        P::TokenManage,
        &[
            (R::PlatformAdmin, Own),
            (R::Regulator, Own),
            (R::TtoAdmin, Own),
            (R::TtoStaff, Own),
            (R::Inventor, Own),
            (R::TechManager, Own),
            (R::Enterprise, Own),
            (R::Investor, Own),
            (R::PocMember, Own),
            (R::ExchangeOperator, Own),
        ],
    ),
];

/// The widest reach any of `roles` has for `permission`.
pub fn reach(roles: &[Role], permission: Permission) -> Option<Reach> {
    let grants = MATRIX.iter().find(|(p, _)| *p == permission).map(|(_, g)| *g).unwrap_or(&[]);
    let mut best = None;
    for (role, reach) in grants {
        if roles.contains(role) {
            match reach {
                All => return Some(All),
                Own => best = Some(Own),
            }
        }
    }
    best
}

/// Roles a user of this kind of institution may be given.
pub fn roles_for_kind(kind: InstitutionKind) -> &'static [Role] {
    match kind {
        InstitutionKind::University => &[R::TtoAdmin, R::TtoStaff, R::Inventor, R::TechManager, R::PocMember],
        InstitutionKind::Enterprise => &[R::Enterprise, R::TechManager],
        InstitutionKind::Exchange => &[R::ExchangeOperator, R::TechManager],
        InstitutionKind::Regulator => &[R::Regulator, R::PlatformAdmin],
        InstitutionKind::Investor => &[R::Investor, R::PocMember],
        InstitutionKind::ServiceOrganisation => &[R::TechManager, R::PocMember],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A signed-in user, as a use case sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserContext {
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub institution_kind: InstitutionKind,
    pub roles: Vec<Role>,
}

/// On whose behalf a use case runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    /// The platform itself: the CLI, the demo loader, scheduled tasks. Allowed everything.
    System {
        label: String,
    },
    User(UserContext),
}

impl Actor {
    pub fn system(label: &str) -> Actor {
        Actor::System { label: label.to_string() }
    }

    pub fn user(&self) -> Option<&UserContext> {
        match self {
            Actor::User(u) => Some(u),
            _ => None,
        }
    }

    pub fn institution_id(&self) -> Option<InstitutionId> {
        self.user().map(|u| u.institution_id)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.user().is_some_and(|u| u.roles.contains(&role))
    }

    /// How far this actor may exercise `permission`, or why not at all.
    pub fn require(&self, permission: Permission) -> Result<Reach> {
        match self {
            Actor::System { .. } => Ok(All),
            Actor::Anonymous => Err(AppError::Unauthenticated),
            Actor::User(u) => reach(&u.roles, permission).ok_or(AppError::Forbidden),
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.require(permission).is_ok()
    }

    /// Checks `permission` for rows of `institution`.
    pub fn require_for(&self, permission: Permission, institution: InstitutionId) -> Result<()> {
        match self.require(permission)? {
            All => Ok(()),
            Own if self.institution_id() == Some(institution) => Ok(()),
            // Someone else's record: behave as if it did not exist.
            Own => Err(AppError::NotFound { entity: "record" }),
        }
    }

    /// The rows of a catalogue read: everything, own institution's rows plus public rows of
    /// others, or public rows only.
    pub fn catalogue_scope(&self, permission: Permission) -> Scope {
        match self {
            Actor::System { .. } => Scope::All,
            Actor::Anonymous => Scope::Public,
            Actor::User(u) => match reach(&u.roles, permission) {
                Some(All) => Scope::All,
                Some(Own) => Scope::OwnOrPublic(u.institution_id),
                None => Scope::Public,
            },
        }
    }

    /// The rows of an internal read (audit trail, exports): everything or own institution.
    pub fn internal_scope(&self, permission: Permission) -> Result<Scope> {
        match self.require(permission)? {
            All => Ok(Scope::All),
            Own => self.institution_id().map(Scope::Institution).ok_or(AppError::Forbidden),
        }
    }

    /// The actor as recorded in the audit trail.
    pub fn audit_actor(&self) -> tto_store::Actor {
        match self {
            Actor::Anonymous => tto_store::Actor { kind: "anonymous", id: None, label: "anonymous".into() },
            Actor::System { label } => tto_store::Actor::system(label),
            Actor::User(u) => tto_store::Actor { kind: "user", id: Some(u.user_id.0), label: u.username.clone() },
        }
    }
}

/// The matrix as a Markdown table (for `docs/permissions.md`).
pub fn matrix_markdown() -> String {
    let mut out = String::from("| permission |");
    for role in Role::ALL {
        out.push_str(&format!(" {} |", role.code()));
    }
    out.push_str("\n|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    for permission in Permission::ALL {
        out.push_str(&format!("| `{}` |", permission.code()));
        for role in Role::ALL {
            let cell = match reach(&[*role], *permission) {
                Some(All) => "all",
                Some(Own) => "own",
                None => "",
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(roles: &[Role]) -> Actor {
        Actor::User(UserContext {
            user_id: UserId(1),
            username: "u".into(),
            display_name: "U".into(),
            institution_id: InstitutionId(7),
            institution_name: "大学".into(),
            institution_kind: InstitutionKind::University,
            roles: roles.to_vec(),
        })
    }

    #[test]
    fn staff_reach_their_own_institution_only() {
        let staff = user(&[Role::TtoStaff]);
        assert!(staff.require_for(Permission::AchievementEdit, InstitutionId(7)).is_ok());
        assert!(matches!(
            staff.require_for(Permission::AchievementEdit, InstitutionId(8)),
            Err(AppError::NotFound { .. })
        ));
        assert_eq!(staff.catalogue_scope(Permission::AchievementRead), Scope::OwnOrPublic(InstitutionId(7)));
    }

    #[test]
    fn regulators_read_everywhere_but_edit_nothing() {
        let regulator = user(&[Role::Regulator]);
        assert_eq!(regulator.catalogue_scope(Permission::AchievementRead), Scope::All);
        assert!(matches!(regulator.require(Permission::AchievementEdit), Err(AppError::Forbidden)));
    }

    #[test]
    fn anonymous_reads_public_only_and_changes_nothing() {
        assert_eq!(Actor::Anonymous.catalogue_scope(Permission::AchievementRead), Scope::Public);
        for p in Permission::ALL {
            assert!(matches!(Actor::Anonymous.require(*p), Err(AppError::Unauthenticated)));
        }
    }

    #[test]
    fn enterprises_see_the_public_catalogue() {
        let enterprise = user(&[Role::Enterprise]);
        assert_eq!(enterprise.catalogue_scope(Permission::AchievementRead), Scope::Public);
    }

    #[test]
    fn permission_docs_are_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/permissions.md");
        let doc = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            doc.contains(&matrix_markdown()),
            "docs/permissions.md is out of date; regenerate the table with `tto docs permissions`:\n{}",
            matrix_markdown()
        );
    }
}
