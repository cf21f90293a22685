//! The git CLI, for promotions: where a file's repository stands, and a commit of that one
//! file. The git binary is what the user's own hooks and config already apply to.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The state of the repository holding a path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tree {
    NotARepository,
    DetachedHead,
    /// Tracked files with uncommitted changes (untracked files do not count).
    Dirty(Vec<String>),
    Clean {
        root: PathBuf,
        branch: String,
    },
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .context("running git (is it installed?)")
}

/// The nearest existing folder of `path` (a profiles file may not exist yet).
fn existing_dir(path: &Path) -> PathBuf {
    let mut dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.as_os_str().is_empty() {
        dir = PathBuf::from(".");
    }
    while !dir.is_dir() {
        match dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => dir = parent.to_path_buf(),
            _ => return PathBuf::from("."),
        }
    }
    dir
}

pub(crate) fn tree(path: &Path) -> Result<Tree> {
    let dir = existing_dir(path);
    let top = git(&dir, &["rev-parse", "--show-toplevel"])?;
    if !top.status.success() {
        return Ok(Tree::NotARepository);
    }
    let root = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let branch = git(&dir, &["symbolic-ref", "-q", "--short", "HEAD"])?;
    if !branch.status.success() {
        return Ok(Tree::DetachedHead);
    }
    let status = git(&dir, &["status", "--porcelain", "--untracked-files=no"])?;
    if !status.status.success() {
        bail!("git status failed: {}", String::from_utf8_lossy(&status.stderr).trim());
    }
    let changed: Vec<String> = String::from_utf8_lossy(&status.stdout)
        .lines()
        .map(|l| l.get(3..).unwrap_or(l).to_owned())
        .collect();
    if !changed.is_empty() {
        return Ok(Tree::Dirty(changed));
    }
    Ok(Tree::Clean {
        root,
        branch: String::from_utf8_lossy(&branch.stdout).trim().to_owned(),
    })
}

/// Commits `file` alone with `message`; returns the new commit's short hash. A failed
/// commit (a hook that refuses it) leaves the index as it was: nothing stays staged.
pub(crate) fn commit_file(root: &Path, file: &Path, message: &str) -> Result<String> {
    let file = std::path::absolute(file).context("resolving the profiles path")?;
    let file = file.to_string_lossy();
    let run = |args: &[&str]| -> Result<()> {
        let out = git(root, args)?;
        if !out.status.success() {
            bail!(
                "git {} failed: {}",
                args[0],
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    };
    run(&["add", "--", file.as_ref()])?;
    if let Err(e) = run(&["commit", "-q", "-m", message, "--", file.as_ref()]) {
        // The index entry goes back to HEAD's (or away, for a file HEAD lacks).
        let unstaged = match run(&["reset", "-q", "--", file.as_ref()]) {
            Ok(()) => Ok(()),
            Err(_) => run(&["rm", "-q", "--cached", "--", file.as_ref()]),
        };
        return Err(match unstaged {
            Ok(()) => e,
            Err(reset) => e.context(format!("and unstaging it failed too: {reset:#}")),
        });
    }
    let head = git(root, &["rev-parse", "--short", "HEAD"])?;
    Ok(String::from_utf8_lossy(&head.stdout).trim().to_owned())
}
