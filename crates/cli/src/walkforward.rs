//! `btlab walkforward SPEC`: walk-forward optimization of a sweep spec, its windows run on
//! all cores, the test windows stitched into one out-of-sample result.

use std::path::PathBuf;

use anyhow::{Context, Result};
use btlab::metrics::Metric;
use btlab::overfit::walk_forward::{WalkForwardReport, WalkForwardSpec, run_window, stitch};
use btlab::time::format_ms;
use btlab::{Market, Metrics};
use clap::Args;
use rayon::prelude::*;

use crate::{DataArgs, output};

#[derive(Args)]
pub(crate) struct WalkForwardArgs {
    /// A sweep spec (YAML) with a `walk_forward:` block: train_days, test_days, and
    /// optionally step_days, anchored, target, method (sweep | tpe), evaluations.
    spec: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run_walk_forward(args: WalkForwardArgs) -> Result<()> {
    let text = crate::files::read_text(&args.spec, crate::files::SPEC_LIMIT)?;
    let mut spec = WalkForwardSpec::from_yaml(&text).with_context(|| format!("in {}", args.spec.display()))?;
    let spec_dir = args.spec.parent().unwrap_or(std::path::Path::new("."));
    crate::definitions::read_spec_files(&mut spec.sweep, spec_dir)?;
    let windows = spec.windows()?;
    let s = &spec.sweep;
    let series = args.data.source().load(&s.symbol, s.timeframe, s.start.0, s.end.0)?;
    // Fail early on a range without candles rather than in every window.
    Market::for_range(&series, s.timeframe, s.start.0, s.end.0)?;
    note!(
        "{} windows of {} train / {} test days over {} .. {}",
        windows.len(),
        spec.walk_forward.train_days,
        spec.walk_forward.test_days,
        s.start,
        s.end
    );
    let results = windows
        .par_iter()
        .map(|w| run_window(&spec, &series, w).with_context(|| format!("window {}", w.index)))
        .collect::<Result<Vec<_>>>()?;
    let report = stitch(&spec, &results);
    if args.json {
        say!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    print_report(&report, spec.walk_forward.target, s.initial_capital)?;
    Ok(())
}

fn day(ms: i64) -> String {
    format_ms(ms).chars().take(10).collect()
}

fn print_report(report: &WalkForwardReport, target: Metric, capital: f64) -> Result<()> {
    let mut table = output::table();
    table.set_header([
        "#",
        "train",
        "test",
        "chosen",
        "evaluated",
        "IS sharpe",
        "IS return",
        "OOS sharpe",
        "OOS return",
    ]);
    let oos = |m: &Option<Metrics>, f: fn(&Metrics) -> String| m.as_ref().map_or("-".into(), f);
    for w in &report.windows {
        table.add_row([
            w.window.index.to_string(),
            format!("{} .. {}", day(w.window.train_start), day(w.window.train_end)),
            format!("{} .. {}", day(w.window.test_start), day(w.window.test_end)),
            format!("{} {}", w.strategy, serde_json::Value::Object(w.params.clone())),
            w.evaluated.to_string(),
            output::num(w.in_sample.sharpe_ratio),
            output::pct(w.in_sample.total_return),
            oos(&w.out_of_sample, |m| output::num(m.sharpe_ratio)),
            oos(&w.out_of_sample, |m| output::pct(m.total_return)),
        ]);
    }
    say!("{table}");
    say!("each window's config chosen by {target} on its train candles only");
    match &report.out_of_sample {
        Some(m) => {
            say!("stitched out-of-sample result:");
            say!("{}", output::metrics_table(m, capital));
            say!(
                "walk-forward efficiency (OOS annualized return / mean in-sample): {}",
                report
                    .efficiency
                    .map_or("n/a (in-sample mean is 0)".into(), output::num)
            );
        }
        None => say!("in sample only (test_days: 0)"),
    }
    Ok(())
}
