//! Strategy definitions (the language's YAML files) as the CLI finds them: `--strategy-file
//! FILE`, the `strategies/` folder of the working directory (`--strategy NAME`), and a sweep
//! spec's `strategy_files`. The core reads no file; this module hands it the text.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use btlab::lang::{self, Defined, MAX_FILE_BYTES};
use btlab::strategy::{self, Strategy};

/// The folder of the working directory searched for definitions by name.
pub(crate) const FOLDER: &str = "strategies";

/// Reads and compiles one definition file; an error names the file, line and column
/// (`strategies/x.yaml:3:14: unknown name ...`), every one the compiler found.
pub(crate) fn define_file(path: &Path) -> Result<&'static Defined> {
    // One byte past the limit, so the compiler reports the size itself.
    let text = crate::files::read_text(path, MAX_FILE_BYTES as u64 + 1)?;
    lang::define(&text).map_err(|e| match e {
        btlab::Error::Definition { diagnostics, .. } => anyhow!(
            "{}",
            diagnostics
                .iter()
                .map(|d| format!("{}:{}:{}: {}", path.display(), d.line, d.column, d.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        other => anyhow!("{}: {other}", path.display()),
    })
}

/// The definition files of `strategies/` (`.yaml` and `.yml`), sorted.
fn folder_files() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(FOLDER) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    files
}

/// Every definition of `strategies/`: those that compile, and the errors of those that do not.
pub(crate) fn folder() -> (Vec<(PathBuf, &'static Defined)>, Vec<anyhow::Error>) {
    let (mut defined, mut broken) = (Vec::new(), Vec::new());
    for path in folder_files() {
        match define_file(&path) {
            Ok(d) => defined.push((path, d)),
            Err(e) => broken.push(e),
        }
    }
    (defined, broken)
}

/// The strategy of `--strategy NAME` / `--strategy-file FILE`: the file's definition, a
/// built-in, or the definition of that name in `strategies/`.
pub(crate) fn resolve(name: Option<&str>, file: Option<&Path>) -> Result<&'static dyn Strategy> {
    if let Some(path) = file {
        let defined = define_file(path)?;
        if let Some(name) = name
            && name != defined.name()
        {
            bail!(
                "--strategy {name} does not match {}, which defines `{}`",
                path.display(),
                defined.name()
            );
        }
        return Ok(defined);
    }
    let name = name.unwrap_or("sma");
    if let Ok(builtin) = strategy::builtin(name) {
        return Ok(builtin);
    }
    let (defined, broken) = folder();
    if let Some((_, d)) = defined.into_iter().find(|(_, d)| d.name() == name) {
        return Ok(d);
    }
    let mut message = strategy::builtin(name).err().map(|e| e.to_string()).unwrap_or_default();
    message.push_str(&format!(
        "; no definition named `{name}` in {FOLDER}/ either (or give --strategy-file FILE)"
    ));
    for e in broken {
        message.push_str(&format!("\n{e}"));
    }
    bail!(message)
}

/// A sweep spec's `strategy_files`, read relative to the spec's folder into its
/// `definitions`.
pub(crate) fn read_spec_files(spec: &mut btlab::search::SweepSpec, spec_dir: &Path) -> Result<()> {
    for file in std::mem::take(&mut spec.strategy_files) {
        let path = spec_dir.join(&file);
        let text = crate::files::read_text(&path, MAX_FILE_BYTES as u64 + 1)?;
        define_file(&path)?;
        spec.definitions.push(text);
    }
    Ok(())
}
