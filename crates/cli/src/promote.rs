//! `btlab promote`: a stored experiment becomes a strategy profile once it passes every
//! check, written atomically into the profiles file and, with `--auto-commit`, committed
//! alone. A failed check, a refused commit or a bad file change nothing.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use btlab::overfit::{DeflatedSharpe, experiment_deflated_sharpe};
use btlab::profiles::{self, ProfileEntry};
use btlab::promotion::{self, Criterion, OutOfSample, Thresholds};
use btlab::store::Experiment;
use btlab::time::format_ms;
use btlab::{BacktestConfig, Detail, Market, Timestamp, ValidConfig};
use btlab_cli::runner::now_ms;
use btlab_cli::sqlite::open_read_only;
use clap::{Args, Subcommand};

use crate::git::{self, Tree};
use crate::{DataArgs, output};

const DEFAULT_PROFILES: &str = "config/strategy_profiles.yaml";

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct PromoteArgs {
    #[command(subcommand)]
    command: Option<PromoteCommand>,
    #[command(flatten)]
    promote: PromoteRun,
}

#[derive(Subcommand)]
enum PromoteCommand {
    /// Promote an experiment (the seed's `promote promote ID NAME`).
    Promote(Box<PromoteRun>),
    /// The profiles, with their current versions.
    List {
        #[arg(long, default_value = DEFAULT_PROFILES)]
        profiles: PathBuf,
    },
    /// One profile in full, with its history.
    Show {
        name: String,
        #[arg(long, default_value = DEFAULT_PROFILES)]
        profiles: PathBuf,
    },
    /// Bring back a profile's previous version (the replaced one stays in its history).
    Rollback {
        name: String,
        #[arg(long, default_value = DEFAULT_PROFILES)]
        profiles: PathBuf,
        #[arg(long)]
        auto_commit: bool,
    },
}

#[derive(Args)]
struct PromoteRun {
    /// The experiment: `#ID` (its id in the database) or a prefix of its config_hash.
    experiment: Option<String>,
    /// The profile name it becomes (or replaces).
    profile: Option<String>,
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    min_sharpe: f64,
    #[arg(allow_negative_numbers = true, long, default_value_t = 0.10)]
    max_drawdown: f64,
    #[arg(allow_negative_numbers = true, long, default_value_t = 5)]
    min_trades: u32,
    /// The out-of-sample re-run must keep a Sharpe above this.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    min_oos_sharpe: f64,
    /// Start of the held-out range (default: the experiment's end).
    #[arg(long)]
    oos_start: Option<String>,
    /// End of the held-out range (default: as long after its start as the experiment's range).
    #[arg(long)]
    oos_end: Option<String>,
    /// Require this deflated-Sharpe probability (it is reported either way).
    #[arg(allow_negative_numbers = true, long)]
    min_dsr: Option<f64>,
    /// Commit the profiles file (alone) once written; refused on a dirty tree.
    #[arg(long)]
    auto_commit: bool,
    #[arg(long, default_value = "data/experiments.sqlite")]
    db: PathBuf,
    /// A promotion bundle exported by the page ("Promote…"): the experiment and its
    /// trials, instead of `--db`; then the one positional argument is the profile.
    #[arg(long)]
    bundle: Option<PathBuf>,
    #[arg(long, default_value = DEFAULT_PROFILES)]
    profiles: PathBuf,
    #[command(flatten)]
    data: DataArgs,
}

/// What the page's "Promote…" exports.
#[derive(serde::Deserialize)]
struct Bundle {
    format: String,
    version: u32,
    experiment: Experiment,
    /// The Sharpe ratios of every config the page stored for the experiment's group.
    trial_sharpes: Vec<f64>,
}

fn read_bundle(path: &Path) -> Result<Bundle> {
    let text = crate::files::read_text(path, crate::files::SPEC_LIMIT)?;
    let bundle: Bundle =
        serde_json::from_str(&text).with_context(|| format!("{} is not a btlab promotion bundle", path.display()))?;
    if bundle.format != "btlab-promotion-bundle" || bundle.version != 1 {
        bail!(
            "{}: format `{}` version {} (expected btlab-promotion-bundle version 1)",
            path.display(),
            bundle.format,
            bundle.version
        );
    }
    Ok(bundle)
}

pub(crate) fn run_promote(args: PromoteArgs) -> Result<()> {
    match args.command {
        Some(PromoteCommand::Promote(run)) => promote(*run),
        None => promote(args.promote),
        Some(PromoteCommand::List { profiles }) => list(&profiles),
        Some(PromoteCommand::Show { name, profiles }) => show(&name, &profiles),
        Some(PromoteCommand::Rollback {
            name,
            profiles,
            auto_commit,
        }) => rollback(&name, &profiles, auto_commit),
    }
}

/// The file's text, or "" when it does not exist yet.
fn read_profiles(path: &Path) -> Result<String> {
    crate::files::check_replaceable(path)?;
    if !path.exists() {
        return Ok(String::new());
    }
    crate::files::read_text(path, crate::files::SPEC_LIMIT)
}

/// Replaces the profiles file in one rename, through a symlink to its target, keeping its
/// mode and owner; anything but a regular file at the path is refused.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    crate::files::write_atomically(path, crate::files::Existing::Replace, |w| {
        Ok(w.write_all(text.as_bytes())?)
    })
}

/// What `--auto-commit` needs, checked before anything is written.
fn commit_target(path: &Path, auto_commit: bool) -> Result<(Tree, Option<PathBuf>)> {
    let tree = git::tree(path)?;
    if !auto_commit {
        return Ok((tree, None));
    }
    let root = match &tree {
        Tree::NotARepository => bail!(
            "--auto-commit: {} is not inside a git repository (run `git init`, or promote without --auto-commit)",
            path.display()
        ),
        Tree::DetachedHead => bail!("--auto-commit: HEAD is detached; check out a branch first"),
        Tree::Dirty(files) => bail!(
            "--auto-commit: the working tree has uncommitted changes ({}); commit or stash them first",
            files.join(", ")
        ),
        Tree::Clean { root, .. } => root.clone(),
    };
    Ok((tree, Some(root)))
}

/// Writes the new text and commits it; a failed commit puts the old file back.
fn write_and_commit(path: &Path, old: &str, new: &str, root: Option<&Path>, message: &str) -> Result<Option<String>> {
    let existed = path.exists();
    write_atomically(path, new)?;
    let Some(root) = root else { return Ok(None) };
    match git::commit_file(root, path, message) {
        Ok(sha) => Ok(Some(sha)),
        Err(e) => {
            if existed {
                write_atomically(path, old)?;
            } else {
                std::fs::remove_file(path)?;
            }
            Err(e.context(format!("{} left as it was", path.display())))
        }
    }
}

fn promote(args: PromoteRun) -> Result<()> {
    let profile_name = match (&args.bundle, args.experiment.as_deref(), args.profile.as_deref()) {
        (Some(_), Some(profile), None) | (_, Some(_), Some(profile)) => profile,
        (Some(_), ..) => bail!("usage: btlab promote --bundle FILE PROFILE"),
        _ => bail!(
            "usage: btlab promote EXPERIMENT PROFILE (an experiment as #ID or a config_hash prefix, and a profile name)"
        ),
    };
    profiles::check_name(profile_name)?;
    let old_text = read_profiles(&args.profiles)?;
    let mut existing = profiles::parse(&old_text).with_context(|| format!("in {}", args.profiles.display()))?;
    let (tree, commit_root) = commit_target(&args.profiles, args.auto_commit)?;

    let (experiment, trials) = match &args.bundle {
        Some(path) => {
            let bundle = read_bundle(path)?;
            (bundle.experiment, bundle.trial_sharpes)
        }
        None => {
            let mut store = open_read_only(&args.db)?;
            let experiment = store.get(args.experiment.as_deref().unwrap_or_default())?;
            let c = &experiment.config;
            let trials = store.trial_sharpes(&c.symbol, c.timeframe.as_str(), &c.strategy)?;
            (experiment, trials)
        }
    };
    let (market, valid) = experiment_market(&experiment, &args.data)?;
    let deflated = experiment_deflated_sharpe(&market, &valid, trials);
    let oos_metrics;
    let oos = match out_of_sample(&experiment, &args)? {
        Ok((metrics, range)) => {
            oos_metrics = metrics;
            OutOfSample::Ran {
                metrics: &oos_metrics,
                range,
            }
        }
        Err(why) => OutOfSample::Unavailable(why),
    };
    let thresholds = Thresholds {
        min_sharpe: args.min_sharpe,
        max_drawdown: args.max_drawdown,
        min_trades: args.min_trades,
        min_oos_sharpe: args.min_oos_sharpe,
        min_deflated_sharpe: args.min_dsr,
    };
    let mut criteria = promotion::criteria(&experiment.metrics, &oos, deflated.as_ref(), &thresholds);
    criteria.push(git_criterion(&tree));
    print_criteria(&experiment, &criteria)?;
    let failed: Vec<&str> = criteria
        .iter()
        .filter(|c| c.failed())
        .map(|c| c.name.as_str())
        .collect();
    if !failed.is_empty() {
        bail!(
            "validation failed ({}); {} left unchanged",
            failed.join(", "),
            args.profiles.display()
        );
    }

    let now = format_ms(now_ms() / 1000 * 1000);
    let profile = promotion::profile(&experiment, &now, &oos, deflated.as_ref(), &thresholds);
    let entry = ProfileEntry::promote(existing.remove(profile_name), profile);
    let new_text = profiles::upsert(&old_text, profile_name, &entry)?;
    let message = commit_message(profile_name, &experiment, deflated.as_ref());
    let sha = write_and_commit(&args.profiles, &old_text, &new_text, commit_root.as_deref(), &message)?;
    say!(
        "promoted experiment #{} ({}) to profile `{profile_name}` in {}{}{}",
        experiment.id,
        &experiment.config_hash[..12],
        args.profiles.display(),
        if entry.history.is_empty() {
            String::new()
        } else {
            format!(
                " (version {}, the previous one kept in its history)",
                entry.history.len() + 1
            )
        },
        sha.map(|s| format!("; committed {s}")).unwrap_or_default()
    );
    Ok(())
}

/// The market the experiment ran on, from the candles at hand: the re-run must reproduce
/// the stored fingerprint, or these are not the candles it ran on.
pub(crate) fn experiment_market(experiment: &Experiment, data: &DataArgs) -> Result<(Market, ValidConfig)> {
    let config = &experiment.config;
    let valid = config.validate()?;
    let series = data
        .source()
        .load(&config.symbol, config.timeframe, config.start.0, config.end.0)?;
    let market = Market::for_config(&series, &valid.config)?;
    if market.fingerprint() != experiment.data_fingerprint {
        bail!(
            "the candles here (fingerprint {}) are not those experiment #{} ran on ({}): pass --data with its file",
            market.fingerprint(),
            experiment.id,
            experiment.data_fingerprint
        );
    }
    Ok((market, valid))
}

/// The config re-run on the held-out range; `Err(why)` when there are no candles there
/// and no range was asked for (an asked-for range without candles is an error).
fn out_of_sample(
    experiment: &Experiment,
    args: &PromoteRun,
) -> Result<std::result::Result<(btlab::Metrics, String), String>> {
    let c = &experiment.config;
    let asked = args.oos_start.is_some() || args.oos_end.is_some();
    let start = match &args.oos_start {
        Some(s) => Timestamp::parse(s).context("--oos-start")?,
        None => c.end,
    };
    let end = match &args.oos_end {
        Some(s) => Timestamp::parse(s).context("--oos-end")?,
        None => Timestamp(start.0 + (c.end.0 - c.start.0)),
    };
    if start.0 < c.end.0 && end.0 > c.start.0 {
        bail!(
            "the out-of-sample range {} .. {} overlaps the experiment's {} .. {}",
            start,
            end,
            c.start,
            c.end
        );
    }
    let oos_config = BacktestConfig {
        start,
        end,
        ..c.clone()
    };
    let valid = oos_config.validate().context("out-of-sample range")?;
    let range = format!("{} .. {}", format_ms(start.0), format_ms(end.0));
    let market = args
        .data
        .source()
        .load(&c.symbol, c.timeframe, start.0, end.0)
        .and_then(|series| Ok(Market::for_config(&series, &valid.config)?));
    match market {
        Ok(market) => Ok(Ok((
            market.run(&valid, Detail::summary(2), &mut Vec::new()).metrics,
            range,
        ))),
        Err(e) if !asked => Ok(Err(format!("not checked: no candles after the experiment ({e:#})"))),
        Err(e) => Err(e.context(format!("out-of-sample range {range}"))),
    }
}

fn git_criterion(tree: &Tree) -> Criterion {
    let (figure, passed) = match tree {
        Tree::Clean { branch, .. } => (format!("clean (branch {branch})"), Some(true)),
        Tree::Dirty(files) => (format!("uncommitted changes: {}", files.join(", ")), Some(false)),
        Tree::NotARepository => ("not a git repository".to_owned(), None),
        Tree::DetachedHead => ("detached HEAD".to_owned(), None),
    };
    Criterion::new("git_clean", "no uncommitted changes".into(), figure, passed)
}

fn print_criteria(experiment: &Experiment, criteria: &[Criterion]) -> Result<()> {
    say!(
        "experiment #{} ({}): {} {} {} {}",
        experiment.id,
        &experiment.config_hash[..12],
        experiment.config.symbol,
        experiment.config.timeframe,
        experiment.config.strategy,
        output::params(&experiment.config)
    );
    let mut table = output::table();
    table.set_header(["check", "required", "found", "result"]);
    for c in criteria {
        let verdict = match c.passed {
            Some(true) => "pass",
            Some(false) => "FAIL",
            None => "-",
        };
        table.add_row([c.name.as_str(), c.requirement.as_str(), c.figure.as_str(), verdict]);
    }
    say!("{table}");
    Ok(())
}

fn commit_message(profile: &str, e: &Experiment, deflated: Option<&DeflatedSharpe>) -> String {
    format!(
        "Promote experiment #{} to profile {profile}: {} {} {} {}\n\n\
         sharpe_ratio {:.3}, total_return {:.2}%, max_drawdown {:.2}%, {} trades{}\nconfig_hash {}",
        e.id,
        e.config.symbol,
        e.config.timeframe,
        e.config.strategy,
        output::params(&e.config),
        e.metrics.sharpe_ratio,
        e.metrics.total_return * 100.0,
        e.metrics.max_drawdown * 100.0,
        e.metrics.total_trades,
        deflated.map_or(String::new(), |d| format!(", deflated Sharpe {:.3}", d.probability)),
        e.config_hash
    )
}

fn list(path: &Path) -> Result<()> {
    let all = profiles::parse(&read_profiles(path)?).with_context(|| format!("in {}", path.display()))?;
    if all.is_empty() {
        say!("no profiles in {}", path.display());
        return Ok(());
    }
    let mut table = output::table();
    table.set_header([
        "profile",
        "strategy",
        "symbol",
        "tf",
        "params",
        "sharpe",
        "promoted_at",
        "versions",
    ]);
    for (name, entry) in &all {
        let p = &entry.current;
        table.add_row([
            name.clone(),
            p.strategy.clone(),
            p.symbol.clone(),
            p.timeframe.clone(),
            serde_json::Value::Object(p.params.clone()).to_string(),
            p.performance
                .get("sharpe_ratio")
                .and_then(serde_json::Value::as_f64)
                .map_or("-".into(), output::num),
            p.restored_at
                .as_ref()
                .map_or(p.promoted_at.clone(), |r| format!("{} (restored {r})", p.promoted_at)),
            (entry.history.len() + 1).to_string(),
        ]);
    }
    say!("{table}");
    Ok(())
}

fn show(name: &str, path: &Path) -> Result<()> {
    let mut all = profiles::parse(&read_profiles(path)?).with_context(|| format!("in {}", path.display()))?;
    let entry = all
        .remove(name)
        .with_context(|| format!("no profile `{name}` in {}", path.display()))?;
    let text = serde_yaml_ng::to_string(&std::collections::BTreeMap::from([(name, entry)]))?;
    say!("{}", text.trim_end());
    Ok(())
}

fn rollback(name: &str, path: &Path, auto_commit: bool) -> Result<()> {
    let old_text = read_profiles(path)?;
    let mut all = profiles::parse(&old_text).with_context(|| format!("in {}", path.display()))?;
    let entry = all
        .remove(name)
        .with_context(|| format!("no profile `{name}` in {}", path.display()))?;
    let (_, commit_root) = commit_target(path, auto_commit)?;
    let replaced = entry.current.config_hash.clone();
    let restored = entry
        .rollback(&format_ms(now_ms() / 1000 * 1000))
        .with_context(|| format!("profile `{name}`"))?;
    let new_text = profiles::upsert(&old_text, name, &restored)?;
    let message = format!(
        "Roll back profile {name} to experiment #{} (config_hash {}), replacing {replaced}",
        restored.current.experiment_id, restored.current.config_hash
    );
    let sha = write_and_commit(path, &old_text, &new_text, commit_root.as_deref(), &message)?;
    say!(
        "profile `{name}` rolled back to experiment #{} ({}), promoted {}{}",
        restored.current.experiment_id,
        &restored.current.config_hash[..restored.current.config_hash.len().min(12)],
        restored.current.promoted_at,
        sha.map(|s| format!("; committed {s}")).unwrap_or_default()
    );
    Ok(())
}
