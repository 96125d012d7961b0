//! `cloudmaster quickstart`: a working platform in one command.
//!
//! Starts the embedded server on SQLite in the data folder, publishes the bundled catalog
//! (`./courses` when run from a checkout, else the copy built into this binary) as a local
//! instructor account, creates a demo learner once (its random password is saved in
//! `<data-dir>/demo-credentials`, mode 0600), logs the CLI in as that learner, and opens the
//! TUI. Running it again reuses everything: publishing unchanged courses is a no-op.
//!
//! While it serves, `<data-dir>/quickstart.json` says where (see [`running`]). Running
//! quickstart again on the same data folder meanwhile attaches to that server (logs in and
//! opens the TUI) instead of failing on the taken port or opening the database twice.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use cloudmaster_core::Client;
use cloudmaster_core::api::{Role, User};
use cloudmaster_core::config::Origin;
use cloudmaster_core::course::{self, Course};
use cloudmaster_core::credentials::{Credential, Key};
use cloudmaster_server::{AppState, ServerConfig};
use include_dir::{Dir, include_dir};
use rand::distr::{Alphanumeric, SampleString};
use tokio::net::TcpListener;

use crate::context::Context;
use crate::diagnostics;
use crate::exit::{Exit, fail, fail_with_hint};

mod running;

/// The bundled catalog, built into the binary so `quickstart` works from anywhere.
static BUNDLED_COURSES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../courses");

/// The local account that owns the bundled courses. Its password is random and never shown.
const PUBLISHER_EMAIL: &str = "publisher@cloudmaster.local";
/// The demo learner the CLI is logged in as.
const DEMO_EMAIL: &str = "demo@cloudmaster.local";
const DEMO_CREDENTIALS_FILE: &str = "demo-credentials";

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on (127.0.0.1:0 picks a free port)
    #[arg(
        long,
        env = "CLOUDMASTER_QUICKSTART_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    listen: SocketAddr,
    /// Folder for the database and catalog [default: $XDG_DATA_HOME/cloudmaster/quickstart]
    #[arg(long, env = "CLOUDMASTER_QUICKSTART_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Do not open the TUI; just serve until Ctrl-C
    #[arg(long, env = "CLOUDMASTER_QUICKSTART_NO_TUI")]
    no_tui: bool,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let tui = !self.no_tui && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
        if !tui {
            init_logging();
        }
        let data_dir = self
            .data_dir
            .unwrap_or_else(|| ctx.config.paths.quickstart_dir());
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("cannot create {}", data_dir.display()))?;
        if let Some(server) = running::find(&data_dir, ctx.config.timeout.value).await {
            return attach(ctx, &data_dir, server, tui).await;
        }
        let listener = bind(self.listen).await?;
        let addr = listener.local_addr()?;
        let config = ServerConfig {
            listen: addr,
            data_dir: data_dir.clone(),
            database_url: None,
            ..ServerConfig::default()
        };
        let state = AppState::open(&config).await?;

        let catalog = catalog_dir(&data_dir)?;
        publish_catalog(ctx, &state, &catalog).await?;
        let demo_password = demo_learner(ctx, &state, &data_dir).await?;

        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(cloudmaster_server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        let url = server_url(addr);
        let marker = running::Marker::write(&data_dir, &url)?;
        let client = Client::with_timeout(url.clone(), None, ctx.config.timeout.value)?;
        if let Some(password) = &demo_password {
            log_in(ctx, &client, password).await?;
        }
        print_welcome(ctx, &url, &data_dir, demo_password.as_deref(), None);

        if tui {
            let result = cloudmaster_tui::run(client).await;
            ctx.notice(&format!(
                "TUI closed; still serving at {url}. Open it again with `{}` (in another \
                 terminal too); press Ctrl-C to stop.",
                command_line(ctx, &url, "tui")
            ));
            if let Err(err) = result {
                ctx.warn(&format!("the TUI failed: {err:#}"));
            }
        }
        stop_signal().await;
        ctx.notice("stopping…");
        let _ = stop.send(());
        server.await??;
        drop(marker);
        Ok(())
    }
}

/// Uses the quickstart server that already serves `data_dir`: logs the CLI in as the demo
/// learner there, prints where it is, and opens the TUI when there is a terminal. The other
/// quickstart keeps serving; this one ends with the TUI (or at once without one).
async fn attach(
    ctx: &Context,
    data_dir: &Path,
    server: running::Running,
    tui: bool,
) -> anyhow::Result<()> {
    let url = server.url;
    let client = Client::with_timeout(url.clone(), None, ctx.config.timeout.value)?;
    let password = saved_demo_password(data_dir);
    if let Some(password) = &password {
        log_in(ctx, &client, password).await?;
    }
    print_welcome(ctx, &url, data_dir, password.as_deref(), Some(server.pid));
    if tui {
        cloudmaster_tui::run(client).await?;
        ctx.notice(&format!(
            "TUI closed; the quickstart of process {} still serves at {url}. Open the TUI \
             again with `{}`.",
            server.pid,
            command_line(ctx, &url, "tui")
        ));
    }
    Ok(())
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Log lines of the embedded server, at warnings unless `RUST_LOG` says otherwise. (With
/// the TUI, the TUI logs to a file instead.)
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    match TcpListener::bind(addr).await {
        Ok(listener) => Ok(listener),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Err(fail_with_hint(
            Exit::Failure,
            format!(
                "cannot listen on {addr}: the port is taken (is a quickstart or server already running?)"
            ),
            "use another port, or `cloudmaster quickstart --listen 127.0.0.1:0` for any free one",
        )),
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot listen on {addr}"))),
    }
}

/// The URL clients use: a wildcard listen address is reached through the loopback.
fn server_url(addr: SocketAddr) -> url::Url {
    let host = match addr {
        SocketAddr::V4(a) if a.ip().is_unspecified() => "127.0.0.1".to_owned(),
        SocketAddr::V6(a) if a.ip().is_unspecified() => "[::1]".to_owned(),
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    };
    url::Url::parse(&format!("http://{host}:{}/", addr.port())).expect("a valid URL")
}

/// `./courses` in a checkout; otherwise the built-in copy, extracted fresh into the data
/// folder (so a newer binary brings its newer courses).
fn catalog_dir(data_dir: &Path) -> anyhow::Result<PathBuf> {
    let local = PathBuf::from("courses");
    if local.is_dir() && course::load_catalog(&local).is_ok() {
        return Ok(local);
    }
    let dir = data_dir.join("catalog");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    BUNDLED_COURSES
        .extract(&dir)
        .with_context(|| format!("cannot extract the bundled courses into {}", dir.display()))?;
    Ok(dir)
}

async fn publish_catalog(ctx: &Context, state: &AppState, dir: &Path) -> anyhow::Result<()> {
    let (courses, found) = course::load_catalog(dir)?;
    if course::has_errors(&found) {
        let mut err = std::io::stderr().lock();
        let mut shown = found.clone();
        for d in &mut shown {
            d.rebase(&dir.display().to_string());
        }
        diagnostics::render(&mut err, &shown, Path::new(""), ".", ctx.stderr_color)?;
        return Err(fail(
            Exit::Failure,
            format!(
                "the catalog in {} has problems: {}",
                dir.display(),
                course::summary(&found)
            ),
        ));
    }
    let publisher = ensure_user(
        state,
        PUBLISHER_EMAIL,
        "cloudmaster publisher",
        Role::Instructor,
        None,
    )
    .await?
    .0;
    let mut lines = Vec::new();
    for course in super::publish::publish_order(courses) {
        let id = course.id.clone();
        let outcome = publish(state, &publisher, course)
            .await
            .with_context(|| format!("cannot publish course `{id}`"))?;
        lines.push(if outcome.applied {
            format!("{id} v{} (published)", outcome.version)
        } else {
            format!("{id} v{}", outcome.version)
        });
    }
    ctx.notice(&format!(
        "Catalog from {}: {}",
        dir.display(),
        lines.join(", ")
    ));
    Ok(())
}

async fn publish(
    state: &AppState,
    publisher: &User,
    course: Course,
) -> anyhow::Result<cloudmaster_core::api::PublishOutcome> {
    Ok(state.publish(publisher, course, false).await?)
}

/// The user with `email`, created with `password` (random when `None`) if missing. Returns
/// whether it was created.
async fn ensure_user(
    state: &AppState,
    email: &str,
    name: &str,
    role: Role,
    password: Option<&str>,
) -> anyhow::Result<(User, bool)> {
    if let Some(user) = state.user_by_email(email).await? {
        return Ok((user, false));
    }
    let random = random_password();
    let user = state
        .create_user(email, name, password.unwrap_or(&random), role)
        .await
        .with_context(|| format!("cannot create the account {email}"))?;
    Ok((user, true))
}

fn random_password() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 24)
}

/// Creates the demo learner once and returns its password, from `demo-credentials`.
async fn demo_learner(
    ctx: &Context,
    state: &AppState,
    data_dir: &Path,
) -> anyhow::Result<Option<String>> {
    let file = data_dir.join(DEMO_CREDENTIALS_FILE);
    if let Some(password) = saved_demo_password(data_dir) {
        ensure_user(
            state,
            DEMO_EMAIL,
            "Demo Learner",
            Role::Learner,
            Some(&password),
        )
        .await?;
        return Ok(Some(password));
    }
    if state.user_by_email(DEMO_EMAIL).await?.is_some() {
        ctx.warn(&format!(
            "{} is missing, so the demo learner's password is unknown; log in with your own account (`cloudmaster register`)",
            file.display()
        ));
        return Ok(None);
    }
    let password = random_password();
    ensure_user(
        state,
        DEMO_EMAIL,
        "Demo Learner",
        Role::Learner,
        Some(&password),
    )
    .await?;
    write_private(
        &file,
        &format!(
            "# cloudmaster quickstart demo learner\nemail = {DEMO_EMAIL}\npassword = {password}\n"
        ),
    )?;
    Ok(Some(password))
}

/// The demo learner's password saved in `<data-dir>/demo-credentials`, if any.
fn saved_demo_password(data_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(data_dir.join(DEMO_CREDENTIALS_FILE)).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("password = ").map(str::to_owned))
}

/// Writes a new file readable only by the user (0600 from the moment it exists).
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

async fn log_in(ctx: &Context, client: &Client, password: &str) -> anyhow::Result<()> {
    let pair = client.login(DEMO_EMAIL, password).await?;
    let key = Key::new(ctx.config.profile.value.clone(), client.base_url());
    ctx.store()
        .save(&key, &Credential::from_pair(&pair))
        .context("cannot store the demo learner's session")?;
    Ok(())
}

/// How to run `cloudmaster ARGS` against `url` from a new shell: the binary's full path
/// when `cloudmaster` on `PATH` is not this binary, and `--server`/`--profile` when they
/// came from this process's flags or environment (a new shell has neither).
fn command_line(ctx: &Context, url: &url::Url, args: &str) -> String {
    let mut line = program();
    let server_known = *url == ctx.config.server.value
        && matches!(ctx.config.server.origin, Origin::File | Origin::Default);
    if !server_known {
        line.push_str(&format!(" --server {url}"));
    }
    if matches!(ctx.config.profile.origin, Origin::Env | Origin::Flag) {
        line.push_str(&format!(" --profile {}", ctx.config.profile.value));
    }
    line.push(' ');
    line.push_str(args);
    line
}

/// `cloudmaster` when that name on `PATH` runs this very binary, else this binary's path.
fn program() -> String {
    let Ok(me) = std::env::current_exe().and_then(std::fs::canonicalize) else {
        return "cloudmaster".to_owned();
    };
    let on_path = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(format!("cloudmaster{}", std::env::consts::EXE_SUFFIX)))
            .find(|candidate| candidate.is_file())
            .and_then(|found| std::fs::canonicalize(found).ok())
            .is_some_and(|found| found == me)
    });
    if on_path {
        return "cloudmaster".to_owned();
    }
    let shown = me.display().to_string();
    if shown
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c))
    {
        shown
    } else {
        format!("'{}'", shown.replace('\'', r"'\''"))
    }
}

fn print_welcome(
    ctx: &Context,
    url: &url::Url,
    data_dir: &Path,
    password: Option<&str>,
    attached_to: Option<u32>,
) {
    let mut text = match attached_to {
        Some(pid) => format!(
            "cloudmaster is already running at {url} (data in {}, served by the quickstart \
             of process {pid}); using it\n",
            data_dir.display()
        ),
        None => format!(
            "cloudmaster is running at {url} (data in {})\n",
            data_dir.display()
        ),
    };
    if let Some(password) = password {
        text.push_str(&format!(
            "Demo learner: {DEMO_EMAIL} / {password} (saved in {}); the CLI is logged in as it.\n",
            data_dir.join(DEMO_CREDENTIALS_FILE).display()
        ));
    }
    text.push_str("\nTry, in another terminal:\n");
    for command in [
        "courses list",
        "courses show cloud-foundations",
        "enroll cloud-foundations",
        "learn cloud-foundations",
        "progress",
        "tui",
    ] {
        text.push_str(&format!("  {}\n", command_line(ctx, url, command)));
    }
    if attached_to.is_none() {
        text.push_str("\nPress Ctrl-C to stop.");
    }
    // This is what quickstart is for, so it prints even with --quiet... except the password.
    if ctx.quiet {
        eprintln!("cloudmaster is running at {url}");
    } else {
        eprintln!("{text}");
    }
}
