//! `cloudmaster doctor`: checks what a working set-up needs and says what is wrong — config
//! paths, server reachability and version, the credential store and credential (masked),
//! and the lab tools found on PATH. Exits 1 when a check fails (missing lab tools are
//! reported, not failures: only some labs need them).

use std::path::{Path, PathBuf};

use cloudmaster_core::credentials::mask;
use serde::Serialize;

use crate::context::Context;
use crate::exit::{Exit, fail};

/// Programs labs commonly need.
const LAB_TOOLS: [&str; 5] = ["git", "docker", "kubectl", "terraform", "aws"];

#[derive(clap::Args)]
pub struct Args {}

#[derive(Serialize)]
struct Report {
    version: &'static str,
    config_file: PathBuf,
    config_file_exists: bool,
    config_dir: PathBuf,
    data_dir: PathBuf,
    state_dir: PathBuf,
    profile: String,
    server: Server,
    credentials: Credentials,
    tools: Vec<Tool>,
    ok: bool,
}

#[derive(Serialize)]
struct Server {
    url: String,
    reachable: bool,
    version: Option<String>,
    error: Option<String>,
}

#[derive(Serialize)]
struct Credentials {
    store: String,
    /// `CLOUDMASTER_TOKEN`, `store` or `none`.
    source: &'static str,
    /// Masked: `cm_pat_abcd…`.
    token: Option<String>,
    user: Option<String>,
    error: Option<String>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    path: Option<PathBuf>,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let paths = &ctx.config.paths;
        let client = ctx.client()?;
        let mut server = Server {
            url: client.base_url().to_string(),
            reachable: false,
            version: None,
            error: None,
        };
        match client.health().await {
            Ok(()) => {
                server.reachable = true;
                server.version = client.server_version().await.ok();
            }
            Err(cloudmaster_core::Error::Network { what, source, .. }) => {
                server.error = Some(format!("{what}: {}", error_chain(&*source)));
            }
            Err(e) => server.error = Some(error_chain(&e)),
        }
        let credential = client.credential();
        let mut credentials = Credentials {
            store: ctx.store().describe(),
            source: match (&credential, ctx.token_from_env()) {
                (_, true) => "CLOUDMASTER_TOKEN",
                (Some(_), false) => "store",
                (None, false) => "none",
            },
            token: credential.as_ref().map(|c| mask(c.access_token())),
            user: None,
            error: None,
        };
        if server.reachable && credential.is_some() {
            match client.whoami().await {
                Ok(me) => {
                    credentials.user = Some(format!(
                        "{} <{}> ({})",
                        me.user.name,
                        me.user.email,
                        me.user.role.as_str()
                    ));
                    // A refresh during whoami stored a new pair; show that one.
                    credentials.token = client.credential().map(|c| mask(c.access_token()));
                }
                Err(e) => credentials.error = Some(e.to_string()),
            }
        }
        let search_path = std::env::var_os("PATH").unwrap_or_default();
        let tools = LAB_TOOLS
            .iter()
            .map(|name| Tool {
                name,
                path: find_program(name, &search_path),
            })
            .collect();
        let ok = server.reachable && credentials.error.is_none();
        let report = Report {
            version: env!("CARGO_PKG_VERSION"),
            config_file: paths.config_file(),
            config_file_exists: paths.config_file().is_file(),
            config_dir: paths.config_dir.clone(),
            data_dir: paths.data_dir.clone(),
            state_dir: paths.state_dir.clone(),
            profile: ctx.config.profile.value.clone(),
            server,
            credentials,
            tools,
            ok,
        };
        ctx.print(&report, |out| write_report(ctx, out, &report))?;
        if ok {
            Ok(())
        } else {
            Err(fail(Exit::Failure, "some checks failed"))
        }
    }
}

fn write_report(ctx: &Context, out: &mut dyn std::io::Write, r: &Report) -> std::io::Result<()> {
    let good = |text: &str| format!("{} {text}", ctx.green("✓"));
    let bad = |text: &str| format!("{} {text}", ctx.red("✗"));
    let config_state = if r.config_file_exists {
        ""
    } else {
        " (not created yet)"
    };
    writeln!(out, "cloudmaster {}", r.version)?;
    writeln!(out, "\n{}", ctx.bold("Configuration"))?;
    writeln!(
        out,
        "  config file   {}{config_state}",
        r.config_file.display()
    )?;
    writeln!(out, "  data dir      {}", r.data_dir.display())?;
    writeln!(out, "  state dir     {}", r.state_dir.display())?;
    writeln!(out, "  profile       {}", r.profile)?;
    writeln!(out, "\n{}", ctx.bold("Server"))?;
    writeln!(out, "  url           {}", r.server.url)?;
    match (&r.server.error, &r.server.version) {
        (Some(e), _) => writeln!(out, "  {}", bad(&format!("unreachable: {e}")))?,
        (None, Some(v)) => writeln!(out, "  {}", good(&format!("reachable, version {v}")))?,
        (None, None) => writeln!(out, "  {}", good("reachable"))?,
    }
    writeln!(out, "\n{}", ctx.bold("Credentials"))?;
    writeln!(out, "  store         {}", r.credentials.store)?;
    let token = r.credentials.token.as_deref().unwrap_or("-");
    writeln!(out, "  credential    {} ({token})", r.credentials.source)?;
    match (&r.credentials.user, &r.credentials.error) {
        (Some(user), _) => writeln!(out, "  {}", good(&format!("logged in as {user}")))?,
        (None, Some(e)) => writeln!(out, "  {}", bad(&format!("credential rejected: {e}")))?,
        (None, None) if r.credentials.source == "none" => {
            writeln!(out, "  not logged in: `cloudmaster login --email EMAIL`")?;
        }
        (None, None) => writeln!(out, "  not checked: the server is unreachable")?,
    }
    writeln!(out, "\n{}", ctx.bold("Lab tools"))?;
    for tool in &r.tools {
        match &tool.path {
            Some(path) => writeln!(
                out,
                "  {}",
                good(&format!("{:<10} {}", tool.name, path.display()))
            )?,
            None => writeln!(
                out,
                "  {}",
                bad(&format!("{:<10} not found on PATH", tool.name))
            )?,
        }
    }
    Ok(())
}

/// The error and its causes on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The first executable `name` in `search_path`.
pub fn find_program(name: &str, search_path: &std::ffi::OsStr) -> Option<PathBuf> {
    std::env::split_paths(search_path)
        .flat_map(|dir| {
            let plain = dir.join(name);
            let exe = dir.join(format!("{name}.exe"));
            [plain, exe]
        })
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    path.is_file()
}
