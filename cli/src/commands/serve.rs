//! `cloudmaster serve`: the server, exactly as the `cloudmaster-server` binary runs it (the
//! same flags and `CLOUDMASTER_*` variables, flattened from its `ServerConfig`).

use cloudmaster_server::ServerConfig;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ServerConfig,
}

impl Args {
    pub async fn run(self) -> anyhow::Result<()> {
        cloudmaster_server::init_tracing(self.config.log_format);
        Ok(cloudmaster_server::run(self.config).await?)
    }
}
