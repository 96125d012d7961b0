//! `cloudmaster config path|show|set`: where the configuration lives, what is in force and
//! where each value came from, and changing `config.toml` (comments and layout are kept).

use clap::Subcommand;
use cloudmaster_core::config::{ConfigKey, set_value};
use serde_json::json;

use crate::context::Context;
use crate::output::write_table;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the path of config.toml (-o json: every path)
    Path,
    /// Show the settings in force and where each comes from
    Show,
    /// Set a key in config.toml: server, output, timeout_seconds, credentials (for the current
    /// profile), profiles.NAME.KEY, or default_profile
    Set(Set),
}

#[derive(clap::Args)]
struct Set {
    key: String,
    value: String,
}

impl Args {
    pub fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let config = &ctx.config;
        let paths = &config.paths;
        match self.command {
            ConfigCommand::Path => {
                let value = json!({
                    "config_file": paths.config_file(),
                    "credentials_file": paths.credentials_file(),
                    "config_dir": paths.config_dir,
                    "data_dir": paths.data_dir,
                    "state_dir": paths.state_dir,
                });
                ctx.print(&value, |out| {
                    writeln!(out, "{}", paths.config_file().display())
                })
            }
            ConfigCommand::Show => {
                let rows = [
                    (
                        "profile",
                        config.profile.value.clone(),
                        config.profile.origin,
                    ),
                    (
                        "server",
                        config.server.value.to_string(),
                        config.server.origin,
                    ),
                    (
                        "output",
                        config.output.value.as_str().to_owned(),
                        config.output.origin,
                    ),
                    (
                        "timeout_seconds",
                        config.timeout.value.as_secs().to_string(),
                        config.timeout.origin,
                    ),
                    (
                        "credentials",
                        config.credentials.value.as_str().to_owned(),
                        config.credentials.origin,
                    ),
                ];
                let settings: serde_json::Map<String, serde_json::Value> = rows
                    .iter()
                    .map(|(k, v, o)| ((*k).to_owned(), json!({ "value": v, "origin": o })))
                    .collect();
                let value = json!({
                    "config_file": paths.config_file(),
                    "settings": settings,
                    "file": config.file,
                });
                ctx.print(&value, |out| {
                    let mut table = ctx.table(&["KEY", "VALUE", "FROM"]);
                    for (key, value, origin) in &rows {
                        table.add_row(vec![
                            (*key).to_owned(),
                            value.clone(),
                            origin.as_str().to_owned(),
                        ]);
                    }
                    write_table(out, &table)?;
                    writeln!(out, "\nconfig file: {}", paths.config_file().display())
                })
            }
            ConfigCommand::Set(set) => {
                let key = ConfigKey::parse(&set.key, &config.profile.value)?;
                let path = paths.config_file();
                let written = set_value(&path, &key, &set.value)?;
                let value = json!({ "key": key.to_string(), "value": written, "file": path });
                ctx.print(&value, |out| {
                    writeln!(out, "Set {key} = {written} in {}.", path.display())
                })
            }
        }
    }
}
