//! `tenantry db url`: the embedded cluster's superuser URL.

use anyhow::bail;

use crate::config::DbArgs;
use crate::pg::embedded;

pub fn url(args: &DbArgs) -> anyhow::Result<()> {
    if let Some(url) = &args.database_url {
        println!("{}", url.expose());
        return Ok(());
    }
    if !args.data_dir.join("pg").exists() {
        bail!(
            "no embedded cluster in {} yet: run `tenantry serve` (or any command that opens the database) first",
            args.data_dir.display()
        );
    }
    let (url, running) = embedded::saved_url(&args.data_dir, "postgres")?;
    println!("{url}");
    if !running {
        eprintln!("note: the embedded cluster is not running now; `tenantry serve` starts it");
    }
    Ok(())
}
