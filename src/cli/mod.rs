//! The command line: one file per subcommand family. Errors end with one clear line on
//! stderr and a non-zero exit.

mod admin;
mod api_tokens;
mod backups;
mod db;
mod moves;
mod plans;
mod remote;
mod serve;
mod tenants;

use std::process::ExitCode;

use crate::config::{AdminCommand, Cli, Command, DbCommand};

pub fn run(cli: Cli) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(config) => serve::run(*config).await,
            Command::Admin {
                command: AdminCommand::Create { email, name, db },
            } => admin::create(&email, &name, &db).await,
            Command::Db {
                command: DbCommand::Url { db },
            } => db::url(&db),
            Command::Tenants {
                api_url: Some(url),
                command,
            } => remote::tenants(&url, command).await,
            Command::Tenants {
                api_url: None,
                command,
            } => tenants::run(command).await,
            Command::Plans { command } => plans::run(command).await,
            Command::ApiTokens { command } => api_tokens::run(command).await,
            Command::Servers { command } => moves::servers(command).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
