//! `samanvaya-server`: the block or district server.

use anyhow::{Context, Result};
use clap::{Parser, ValueEnum};
use samanvaya_server::{ServerConfig, router};
use samanvaya_sync_protocol::Role;

#[derive(Parser)]
#[command(name = "samanvaya-server", version, about = "Samanvaya's block and district server")]
struct Args {
    /// Which level this server serves.
    #[arg(long, value_enum)]
    role: RoleArg,
    /// Address to listen on; port 0 picks a free port, which is printed.
    #[arg(long, default_value = "127.0.0.1:8740")]
    listen: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Block,
    District,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let role = match args.role {
        RoleArg::Block => Role::Block,
        RoleArg::District => Role::District,
    };
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}; is another server using it?", args.listen))?;
    // Tests and operators read the chosen address from this line.
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, router(ServerConfig { role }))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
