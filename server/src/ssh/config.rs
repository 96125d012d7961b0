//! The SSH server's flags (part of [`crate::ServerConfig`]).

use std::net::SocketAddr;
use std::time::Duration;

/// Serving the TUI over SSH: off unless `--ssh-listen` is given.
#[derive(Debug, Clone, clap::Args)]
pub struct SshConfig {
    /// Also serve the TUI over SSH on this address, such as 0.0.0.0:2222 [default: off]
    ///
    /// Learners connect with `ssh -p PORT HOST` and a public key they linked to their
    /// account (`cloudmaster keys add ~/.ssh/id_ed25519.pub`). The host key is made once and
    /// kept in the data directory (`ssh_host_ed25519_key`).
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_SSH_LISTEN",
        value_name = "ADDR"
    )]
    pub ssh_listen: Option<SocketAddr>,

    /// Minutes without a key press after which an SSH session says goodbye.
    #[arg(long, global = true, env = "CLOUDMASTER_SSH_IDLE_TIMEOUT_MINUTES", default_value_t = SshConfig::default().ssh_idle_timeout_minutes,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub ssh_idle_timeout_minutes: u32,

    /// SSH sessions one account may have open at once (on this server).
    #[arg(long, global = true, env = "CLOUDMASTER_SSH_SESSIONS_PER_ACCOUNT", default_value_t = SshConfig::default().ssh_sessions_per_account,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub ssh_sessions_per_account: u32,

    /// SSH sessions one key may have open at once (on this server).
    #[arg(long, global = true, env = "CLOUDMASTER_SSH_SESSIONS_PER_KEY", default_value_t = SshConfig::default().ssh_sessions_per_key,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub ssh_sessions_per_key: u32,

    /// SSH connections open at once, signed in or not; more are closed at once.
    #[arg(long, global = true, env = "CLOUDMASTER_SSH_MAX_CONNECTIONS", default_value_t = SshConfig::default().ssh_max_connections,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub ssh_max_connections: u32,
}

impl Default for SshConfig {
    fn default() -> Self {
        SshConfig {
            ssh_listen: None,
            ssh_idle_timeout_minutes: 30,
            ssh_sessions_per_account: 3,
            ssh_sessions_per_key: 2,
            ssh_max_connections: 256,
        }
    }
}

impl SshConfig {
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.ssh_idle_timeout_minutes) * 60)
    }
}
