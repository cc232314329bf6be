//! `tto` — the one binary of the platform, and its composition root: the only place that
//! reads configuration, chooses the database backend and wires the application together.

mod bench;
mod config;
mod demo;
mod demo_deals;
mod demo_events;
mod demo_ip;
mod demo_needs;
mod transfer;

use std::io::{BufReader, IsTerminal};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use tto_app::import::ImportError;
use tto_app::{Actor, App, FixedClock, Settings, SystemClock};
use tto_store::{Store, StoreOptions};

use crate::config::Config;
use crate::transfer::{Format, Institutions, Record, Sink};

#[derive(Parser)]
#[command(name = "tto", version, about = "科技成果转化服务平台 — platform for university technology-transfer offices")]
struct Cli {
    /// Configuration file (default: tto.toml in the working directory, if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Database URL: sqlite://path/tto.db or postgres://user@host/db (overrides TTO_DATABASE_URL).
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on, e.g. 0.0.0.0:8080.
        #[arg(long)]
        bind: Option<String>,
        /// Seconds between runs of the scheduled tasks (closing notices, listings and
        /// auctions); 0 turns the scheduler off (run `tto tasks run` from cron instead).
        #[arg(long, default_value_t = 60)]
        task_interval: u64,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Run the product with demo data on an embedded SQLite database.
    Demo {
        /// Folder for the demo database.
        #[arg(long, default_value = "tto-data")]
        data_dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
        /// Number of achievements: the 2,089 real records, and generated ones beyond.
        #[arg(long)]
        achievements: Option<usize>,
        /// Delete the existing demo database first.
        #[arg(long)]
        fresh: bool,
        /// Load the data and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Import records (all or nothing).
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Export records.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// The tamper-evident audit trail.
    Audit {
        #[command(subcommand)]
        what: AuditWhat,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        what: UserWhat,
    },
    /// Rebuild the search index directory from the database (stop the node using it first;
    /// a running node rebuilds its index at start and then follows the change feed).
    Reindex {
        #[command(flatten)]
        db: DbArgs,
        /// The index directory (default: the configured `search_dir`, or `search/` beside a
        /// SQLite database).
        #[arg(long)]
        search_dir: Option<PathBuf>,
    },
    /// Scheduled tasks.
    Tasks {
        #[command(subcommand)]
        what: TasksWhat,
    },
    /// Benchmarks: matching quality and speed, synthetic corpora.
    Bench {
        #[command(subcommand)]
        what: bench::BenchWhat,
    },
    /// Print generated documentation.
    Docs {
        #[command(subcommand)]
        what: DocsWhat,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// Achievements from JSON Lines or CSV; every row is checked first, and a bad row
    /// stops the whole import with a report of every problem.
    Achievements {
        file: PathBuf,
        /// File format (default: from the extension).
        #[arg(long, value_enum)]
        format: Option<Format>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Enterprise technology needs from JSON Lines or CSV (columns: title, description,
    /// chains, budget_min, budget_max, deadline, contact_policy, contact_name, contact_phone,
    /// contact_email, keywords, enterprise_name, enterprise_credit_code, institution, status,
    /// external_ref …); all rows or none, every bad row reported with line and field.
    Needs {
        file: PathBuf,
        /// File format (default: from the extension, else from the content).
        #[arg(long, value_enum)]
        format: Option<Format>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum ExportWhat {
    /// Achievements as JSON Lines (complete) or CSV.
    Achievements {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: Format,
        /// Output file (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum AuditWhat {
    /// Recompute the hash chain; exit 0 when intact, 1 naming the first bad event.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Verify a deal's evidence pack (ZIP) against the audit trail: file hashes, event
    /// hashes, the events in the database's chain, and the chain itself. Exit 0 when it
    /// verifies, 1 naming the problem.
    VerifyPack {
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum TasksWhat {
    /// Close the notices, listings and auctions that are due, once.
    Run {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum UserWhat {
    /// Create an active user with a password read from standard input.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// Short code of the user's institution.
        #[arg(long)]
        institution: String,
        /// Role code (repeat for several): tto_admin, tto_staff, inventor, regulator …
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum DocsWhat {
    /// The permission matrix as a Markdown table.
    Permissions,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Benchmarks are CPU-bound, single-threaded and need neither configuration nor the runtime.
    if let Command::Bench { what } = cli.command {
        return match bench::run(what) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&config.log).unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn database_url(config: &Config, db: &DbArgs) -> String {
    db.database_url.clone().unwrap_or_else(|| config.database_url.clone())
}

/// Creates the folder of a SQLite database file if needed.
fn ensure_sqlite_dir(url: &str) -> anyhow::Result<()> {
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(dir) = Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
    }
    Ok(())
}

async fn open_app(config: &Config, url: &str) -> anyhow::Result<App> {
    open_app_with(config, url, None).await
}

/// The app with its search index in `search_dir` (in memory when `None`).
async fn open_app_with(config: &Config, url: &str, search_dir: Option<PathBuf>) -> anyhow::Result<App> {
    ensure_sqlite_dir(url)?;
    let store = Store::connect(url, &StoreOptions { max_connections: config.max_connections, ..Default::default() })
        .await
        .with_context(|| format!("cannot open the database {}", redact(url)))?;
    store.migrate().await.context("cannot apply migrations")?;
    let policy = match &config.policy_dir {
        Some(dir) => tto_app::policy_files::policy_from_dir(dir)?,
        None => tto_app::policy_files::embedded_policy()?,
    };
    let chains = tto_app::policy_files::embedded_chains()?;
    let settings = Settings { jurisdiction: config.jurisdiction.clone(), search_dir, ..Settings::default() };
    if policy.in_force(&settings.jurisdiction, time::OffsetDateTime::now_utc().date()).is_none() {
        bail!("no policy profile for jurisdiction {} is in force today", settings.jurisdiction);
    }
    Ok(App::new(store, policy, chains, Arc::new(SystemClock), settings))
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{}@{}", &url[..scheme + 3], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Runs the scheduled tasks every `interval` until the process ends. Several nodes may run
/// it: each closing re-checks the record under the write lock (see `tto_app::tasks`).
fn spawn_scheduler(app: App, interval: std::time::Duration) {
    if interval.is_zero() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match app.run_due_tasks().await {
                Ok(r) if r == tto_app::tasks::TaskReport::default() => {}
                Ok(r) => tracing::info!(?r, "scheduled tasks"),
                Err(e) => tracing::error!(error = %e, "scheduled tasks failed"),
            }
        }
    });
}

/// Builds the search index from the database, then follows the change feed every 250 ms so
/// a write through any node is searchable here within a second.
async fn start_search(app: &App) -> anyhow::Result<()> {
    let n = app.reindex_search(&|_, _| {}).await.map_err(|e| anyhow::anyhow!("search index: {e}"))?;
    tracing::info!(documents = n, "search index built");
    let app = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = app.follow_search_feed().await {
                tracing::error!(error = %e, "following the change feed failed");
            }
        }
    });
    Ok(())
}

async fn serve(app: App, config: &Config, bind: &str, secure_cookies: bool) -> anyhow::Result<()> {
    start_search(&app).await?;
    let web = tto_web::WebConfig { secure_cookies, public_url: config.public_url().trim_end_matches('/').to_string() };
    let router = tto_web::router(app, web);
    let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!(address = %bind, "serving");
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown())
        .await
        .context("server failed")?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

fn progress(len: u64, message: &'static str) -> ProgressBar {
    let bar = if std::io::stderr().is_terminal() { ProgressBar::new(len) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

async fn institutions_index(app: &App) -> anyhow::Result<Institutions> {
    let all = app.institutions().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Institutions {
        by_code: all.iter().map(|i| (i.fields.short_code.clone(), i.id.0)).collect(),
        by_id: all.iter().map(|i| (i.id.0, i.fields.short_code.clone())).collect(),
    })
}

/// Runs an import, printing every bad row; `Ok(false)` when rows were bad.
async fn import_rows(app: &App, rows: Vec<tto_app::import::ImportRow>, label: &'static str) -> anyhow::Result<bool> {
    let bar = Arc::new(progress(rows.len() as u64, label));
    let tick = bar.clone();
    let result = app.import_achievements(&Actor::system("cli"), rows, &move |n| tick.set_position(n as u64)).await;
    bar.finish_and_clear();
    match result {
        Ok(n) => {
            eprintln!("imported {n} achievements");
            Ok(true)
        }
        Err(ImportError::Rows(problems)) => {
            for p in &problems {
                eprintln!("line {}: {}: {}", p.line, p.field, p.violation);
            }
            eprintln!("{} problems; nothing was imported", problems.len());
            Ok(false)
        }
        Err(ImportError::App(e)) => Err(anyhow::anyhow!("{e}")),
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { db, bind, task_interval } => {
            let url = database_url(&config, &db);
            let app = open_app_with(&config, &url, Some(config.search_dir_for(&url))).await?;
            let bind = bind.unwrap_or_else(|| config.bind.clone());
            spawn_scheduler(app.clone(), std::time::Duration::from_secs(task_interval));
            serve(app, &config, &bind, config.secure_cookies).await?;
        }
        Command::Migrate { db } => {
            open_app(&config, &database_url(&config, &db)).await?;
            eprintln!("migrations applied");
        }
        Command::Demo { data_dir, bind, achievements, fresh, no_serve } => {
            let db_path = data_dir.join("tto.db");
            if fresh {
                for suffix in ["", "-wal", "-shm"] {
                    let p = PathBuf::from(format!("{}{suffix}", db_path.display()));
                    if p.exists() {
                        std::fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
                    }
                }
            }
            let url = format!("sqlite://{}", db_path.display());
            let config = Config { bind: bind.clone(), public_url: Some(format!("http://{bind}")), ..config };
            let search_dir = config.search_dir.clone().unwrap_or_else(|| data_dir.join("search"));
            let app = open_app_with(&config, &url, Some(search_dir)).await?;
            let existing = app.institutions().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            if existing.is_empty() {
                eprintln!("loading demo data into {} …", db_path.display());
                // The demo's history starts eight months ago, on a clock the seeding moves
                // forward, so the audit trail stays in time order (and major achievements have
                // had time to stall, for the monitoring dashboard).
                let now = time::OffsetDateTime::now_utc();
                let clock = Arc::new(FixedClock::new(now - time::Duration::days(240)));
                let seeding = App::new(
                    app.store().clone(),
                    app.policy().clone(),
                    app.chains().clone(),
                    clock.clone(),
                    app.settings().clone(),
                );
                demo::seed_accounts(&seeding).await?;
                let count = achievements.unwrap_or_else(demo::record_count);
                let rows = demo::rows(count, seeding.chains())?;
                if !import_rows(&seeding, rows, "achievements").await? {
                    bail!("the demo data did not load");
                }
                if !demo_deals::seed(&seeding, &clock, now).await.context("demo deals")? {
                    eprintln!("too few achievements for the demo deals; skipped them");
                    let elapsed = now - tto_app::Clock::now(clock.as_ref());
                    clock.advance(elapsed);
                }
                demo_ip::seed(&seeding).await.context("demo disclosures, evaluations and IP")?;
                demo_needs::seed(&seeding).await.context("demo technology needs")?;
                demo_events::seed(&seeding).await.context("demo handshake event")?;
            } else if achievements.is_some() {
                bail!("{} already holds data; add --fresh to rebuild it with a different size", db_path.display());
            } else {
                eprintln!("using the existing demo database {} (add --fresh to rebuild)", db_path.display());
            }
            print_demo_banner(&bind);
            if !no_serve {
                spawn_scheduler(app.clone(), std::time::Duration::from_secs(60));
                serve(app, &config, &bind, false).await?;
            }
        }
        Command::Import { what: ImportWhat::Achievements { file, format, db } } => {
            let format = match format.or_else(|| Format::from_path(&file)) {
                Some(f) => f,
                None => bail!("cannot tell the format of {}; pass --format jsonl or --format csv", file.display()),
            };
            let app = open_app(&config, &database_url(&config, &db)).await?;
            let input = std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let index = institutions_index(&app).await?;
            let (rows, mut problems) = transfer::read(format, BufReader::new(input), &index);
            if !problems.is_empty() {
                // Report the rule problems of the readable rows too, so one run shows everything.
                match app.validate_import(&Actor::system("cli"), &rows).await {
                    Ok(()) => {}
                    Err(ImportError::Rows(more)) => problems.extend(more),
                    Err(ImportError::App(e)) => bail!("{e}"),
                }
                problems.sort_by_key(|p| p.line);
                for p in &problems {
                    eprintln!("line {}: {}: {}", p.line, p.field, p.violation);
                }
                eprintln!("{} problems; nothing was imported", problems.len());
                return Ok(ExitCode::FAILURE);
            }
            if rows.is_empty() {
                bail!("{} holds no records", file.display());
            }
            if !import_rows(&app, rows, "importing").await? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Import { what: ImportWhat::Needs { file, format, db } } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let format = match format.or_else(|| Format::from_path(&file)) {
                Some(Format::Csv) => tto_web::need_import::NeedFormat::Csv,
                Some(Format::Jsonl) => tto_web::need_import::NeedFormat::Jsonl,
                None => tto_web::need_import::NeedFormat::sniff(&text),
            };
            let app = open_app(&config, &database_url(&config, &db)).await?;
            let actor = Actor::system("cli");
            let (rows, mut problems) = tto_web::need_import::parse(format, &text);
            let result = if problems.is_empty() {
                if rows.is_empty() {
                    bail!("{} holds no records", file.display());
                }
                app.import_needs(&actor, rows).await
            } else {
                // Report the rule problems of the readable rows too, so one run shows everything.
                app.validate_need_import(&actor, &rows).await.map(|()| 0)
            };
            match result {
                Ok(n) if problems.is_empty() => eprintln!("imported {n} needs"),
                Ok(_) => {}
                Err(ImportError::Rows(more)) => problems.extend(more),
                Err(ImportError::App(e)) => bail!("{e}"),
            }
            if !problems.is_empty() {
                problems.sort_by_key(|p| p.line);
                for p in &problems {
                    eprintln!("line {}: {}: {}", p.line, p.field, p.violation);
                }
                eprintln!("{} problems; nothing was imported", problems.len());
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Export { what: ExportWhat::Achievements { format, output, db } } => {
            let app = open_app(&config, &database_url(&config, &db)).await?;
            let index = institutions_index(&app).await?;
            let out: Box<dyn std::io::Write> = match &output {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            let mut sink = Sink::new(format, out)?;
            let actor = Actor::system("cli");
            let mut after = 0;
            let mut count = 0;
            loop {
                let batch = app.export_batch(&actor, after, 500).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                let Some(last) = batch.last() else { break };
                after = last.id.0;
                for a in &batch {
                    sink.write(&Record::from_achievement(a, &index))?;
                    count += 1;
                }
            }
            sink.finish()?;
            eprintln!("exported {count} achievements");
        }
        Command::Audit { what: AuditWhat::Verify { db } } => {
            let app = open_app(&config, &database_url(&config, &db)).await?;
            match app.verify_audit_chain().await.map_err(|e| anyhow::anyhow!("{e}"))? {
                tto_app::audit_log::Verdict::Intact { events, head_hash } => {
                    println!("audit chain intact: {events} events, head {head_hash}");
                }
                tto_app::audit_log::Verdict::Broken { seq, reason } => {
                    println!("audit chain BROKEN at event {seq}: {reason}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Audit { what: AuditWhat::VerifyPack { file, db } } => {
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let app = open_app(&config, &database_url(&config, &db)).await?;
            match app.verify_evidence_pack(&bytes).await.map_err(|e| anyhow::anyhow!("{e}"))? {
                Ok(r) => println!(
                    "evidence pack of deal {} verified: {} files, {} audit events, all in the intact audit chain of {} events",
                    r.deal_id, r.files, r.events, r.chain_events
                ),
                Err(problem) => {
                    println!("evidence pack does NOT verify: {problem}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Reindex { db, search_dir } => {
            let url = database_url(&config, &db);
            let dir = search_dir.unwrap_or_else(|| config.search_dir_for(&url));
            let app = open_app_with(&config, &url, Some(dir.clone())).await?;
            let bar = Arc::new(progress(0, "indexing"));
            let tick = bar.clone();
            let n = app
                .reindex_search(&move |done, total| {
                    tick.set_length(total);
                    tick.set_position(done);
                })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            bar.finish_and_clear();
            eprintln!("indexed {n} records into {}", dir.display());
        }
        Command::Tasks { what: TasksWhat::Run { db } } => {
            let app = open_app(&config, &database_url(&config, &db)).await?;
            let r = app.run_due_tasks().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "closed {} notices ({} waiting on objections), {} listings, {} auctions; raised {} annuity reminders",
                r.notices_closed, r.notices_waiting, r.listings_closed, r.auctions_closed, r.reminders_raised
            );
            if r.failed > 0 {
                println!("{} could not be closed (see the log); the next run tries again", r.failed);
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::User { what: UserWhat::Create { username, display_name, institution, roles, db } } => {
            let app = open_app(&config, &database_url(&config, &db)).await?;
            let index = institutions_index(&app).await?;
            let Some(id) = index.by_code.get(&institution.to_ascii_uppercase()) else {
                bail!("no institution with short code {institution}");
            };
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).context("cannot read the password from standard input")?;
            let draft =
                tto_app::accounts::UserDraft { institution_id: Some(*id), username, display_name, email: None, roles };
            match app
                .create_user_with_password(&Actor::system("cli"), &draft, password.trim_end_matches(['\n', '\r']))
                .await
            {
                Ok(user) => eprintln!("created user {} (id {})", user.username, user.id),
                Err(tto_app::AppError::Validation(errors)) => {
                    for e in errors.errors {
                        eprintln!("{}: {}", e.field, e.violation);
                    }
                    return Ok(ExitCode::FAILURE);
                }
                Err(e) => bail!("{e}"),
            }
        }
        Command::Docs { what: DocsWhat::Permissions } => {
            print!("{}", tto_app::authz::matrix_markdown());
        }
        Command::Bench { what } => bench::run(what)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print_demo_banner(bind: &str) {
    println!();
    println!("  tto demo — 科技成果转化服务平台");
    println!("  open   http://{bind}/");
    println!("  password of every demo login: {}", demo::DEMO_PASSWORD);
    println!();
    println!("  {:<12} {:<22} institution", "login", "role");
    for (username, _, institution, roles) in demo::USERS {
        println!("  {:<12} {:<22} {}", username, roles.join(","), institution);
    }
    println!();
}
