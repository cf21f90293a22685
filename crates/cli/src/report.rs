//! `btlab report`: one experiment as one self-contained HTML file (the core renders it;
//! the page's "Download report" writes the same bytes).

use std::path::PathBuf;

use anyhow::Result;
use btlab::report::experiment_report;
use btlab_cli::sqlite::open_read_only;
use clap::Args;

use crate::{DataArgs, files};

#[derive(Args)]
pub(crate) struct ReportArgs {
    /// The experiment, by `#ID` or by a config_hash prefix.
    experiment: String,
    /// The HTML file written; an existing one only with --force.
    #[arg(short, long)]
    output: PathBuf,
    #[arg(long)]
    force: bool,
    /// The experiment database (a sweep's, or the browser's exported .sqlite file).
    #[arg(long, default_value = "data/experiments.sqlite")]
    db: PathBuf,
    #[command(flatten)]
    data: DataArgs,
}

pub(crate) fn run_report(args: ReportArgs) -> Result<()> {
    let mut store = open_read_only(&args.db)?;
    let e = store.get(&args.experiment)?;
    // the candles first: without them there is no trade list to report
    let (market, valid) = crate::promote::experiment_market(&e, &args.data)?;
    let html = experiment_report(&market, &valid, &store.evidence(&e)?);
    let existing = files::Existing::RefuseUnless {
        force: args.force,
        protected: &args.db,
    };
    files::write_atomically(&args.output, existing, |out| Ok(out.write_all(html.as_bytes())?))?;
    say!(
        "wrote the report of experiment #{} to {} ({} KB)",
        e.id,
        args.output.display(),
        html.len().div_ceil(1024)
    );
    Ok(())
}
