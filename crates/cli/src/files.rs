//! Every file the CLI reads or writes goes through here, so the rules hold everywhere:
//! a read is bounded (a stated limit, checked before the bytes are read), and a write
//! replaces only what it should, atomically, keeping what the user set on the file.
//! The rules are written down in `docs/reliability.md`.

use std::fs::{File, Metadata};
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// A sweep spec, batch file, bundle or profiles file: text a person writes.
pub(crate) const SPEC_LIMIT: u64 = 64 << 20;
/// A candle file: ten years of one-minute Binance klines are about 700 MB.
pub(crate) const CANDLE_LIMIT: u64 = 1 << 30;

fn limit_text(bytes: u64) -> String {
    match bytes {
        b if b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b => format!("{b} bytes"),
    }
}

/// Opens `path` for reading, refusing at once a file over `limit` bytes. A pipe
/// (`<(...)`, `/dev/stdin`) is read too, up to the same limit.
pub(crate) fn open_bounded(path: &Path, limit: u64) -> Result<impl Read> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.is_dir() {
        bail!("{} is a directory, not a file", path.display());
    }
    let file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let len = meta.len();
    if len > limit {
        bail!(
            "{} is {len} bytes, over the limit of {} for this kind of file",
            path.display(),
            limit_text(limit)
        );
    }
    // The file may grow while it is read: the limit still holds.
    Ok(LimitedRead {
        inner: file,
        limit,
        left: limit,
        path: path.to_path_buf(),
    })
}

/// A reader that fails, naming the file and the limit, past `left` bytes.
struct LimitedRead<R> {
    inner: R,
    limit: u64,
    left: u64,
    path: PathBuf,
}

impl<R: Read> Read for LimitedRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // Is there more? One byte says.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? > 0 {
                return Err(std::io::Error::other(format!(
                    "{} is longer than the limit of {} for this kind of file",
                    self.path.display(),
                    limit_text(self.limit)
                )));
            }
            return Ok(0);
        }
        let cap = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..cap])?;
        self.left -= n as u64;
        Ok(n)
    }
}

pub(crate) fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_bounded(path, limit)?
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(bytes)
}

pub(crate) fn read_text(path: &Path, limit: u64) -> Result<String> {
    String::from_utf8(read_bytes(path, limit)?).map_err(|e| {
        anyhow::anyhow!(
            "{} is not UTF-8 text (byte {} is not)",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

fn kind_of(meta: &Metadata) -> &'static str {
    if meta.is_dir() {
        "a directory"
    } else {
        "a device, FIFO or socket"
    }
}

/// What a write may replace.
#[derive(Clone, Copy)]
pub(crate) enum Existing<'a> {
    /// A file the command owns (the profiles file): replaced, keeping its mode and owner;
    /// its folder is made if missing.
    Replace,
    /// An output the user names (an export): an existing file only with `force`, and never
    /// `protected` (the database being read), whatever its name; in a folder that exists.
    RefuseUnless { force: bool, protected: &'a Path },
}

/// Refuses a path [`write_atomically`] would refuse to replace, before it is read: a
/// FIFO without a writer would block the read for ever.
pub(crate) fn check_replaceable(path: &Path) -> Result<()> {
    replaceable_target(path).map(drop)
}

/// Where a write to `path` lands (see [`target_of`]), refusing anything there but a
/// regular file.
fn replaceable_target(path: &Path) -> Result<(PathBuf, Option<Metadata>)> {
    let (target, meta) = target_of(path)?;
    if let Some(meta) = &meta
        && !meta.is_file()
    {
        bail!(
            "{} is not a regular file ({}); refusing to replace it",
            path.display(),
            kind_of(meta)
        );
    }
    Ok((target, meta))
}

/// Where a write really lands: through any symlinks, to their target.
fn target_of(path: &Path) -> Result<(PathBuf, Option<Metadata>)> {
    match std::fs::metadata(path) {
        Ok(meta) => {
            let real = std::fs::canonicalize(path).with_context(|| format!("resolving {}", path.display()))?;
            Ok((real, Some(meta)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A dangling symlink names a file to create at its target.
            match std::fs::read_link(path) {
                Ok(link) => {
                    let target = path.parent().unwrap_or(Path::new(".")).join(link);
                    target_of(&target)
                }
                Err(_) => Ok((path.to_path_buf(), None)),
            }
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn same_file(a: &Metadata, b: &Path) -> bool {
    std::fs::metadata(b).is_ok_and(|b| a.dev() == b.dev() && a.ino() == b.ino())
}

/// Writes `path` in one rename (a reader sees the old file or the new, never half), with
/// `write` filling the new contents. Symlinks are written through to their target; a
/// directory, device or FIFO at the path is refused, not replaced.
pub(crate) fn write_atomically(
    path: &Path,
    existing: Existing<'_>,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let (target, meta) = replaceable_target(path)?;
    if let Some(meta) = &meta {
        if let Existing::RefuseUnless { force, protected } = existing {
            if same_file(meta, protected) {
                bail!(
                    "{} is the database being read ({}); choose another output file",
                    path.display(),
                    protected.display()
                );
            }
            if !force {
                bail!("{} exists; pass --force to replace it", path.display());
            }
        }
    }
    let dir = match target.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir.to_path_buf(),
        None => PathBuf::from("."),
    };
    if matches!(existing, Existing::Replace) {
        // The profiles file's folder (`config/`) is the command's own to make.
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut temp = tempfile::NamedTempFile::new_in(&dir).with_context(|| format!("writing in {}", dir.display()))?;
    {
        let mut w = BufWriter::new(temp.as_file_mut());
        write(&mut w).with_context(|| format!("writing {}", path.display()))?;
        w.flush().with_context(|| format!("writing {}", path.display()))?;
    }
    let file = temp.as_file();
    match &meta {
        Some(meta) => {
            file.set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o7777))
                .with_context(|| format!("keeping the mode of {}", path.display()))?;
            let own = file.metadata()?;
            if meta.uid() != own.uid() || meta.gid() != own.gid() {
                std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())).with_context(|| {
                    format!(
                        "{} belongs to uid {} gid {}, which this user cannot give a new file; left as it was",
                        path.display(),
                        meta.uid(),
                        meta.gid()
                    )
                })?;
            }
        }
        // A new file is readable as any file the user creates (tempfile makes 0600).
        None => file
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("writing {}", path.display()))?,
    }
    file.sync_all().with_context(|| format!("writing {}", path.display()))?;
    temp.persist(&target)
        .with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, existing: Existing<'_>, text: &str) -> Result<()> {
        write_atomically(path, existing, |w| Ok(w.write_all(text.as_bytes())?))
    }

    #[test]
    fn a_write_goes_through_a_symlink_to_its_target_and_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.yaml");
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write(&link, Existing::Replace, "new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(std::fs::metadata(&real).unwrap().mode() & 0o777, 0o640);
    }

    #[test]
    fn a_write_refuses_what_is_not_a_regular_file() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let err = write(dir.path(), Existing::Replace, "x").unwrap_err().to_string();
        assert!(err.contains("is not a regular file (a directory)"), "{err}");
        let err = write(Path::new("/dev/null"), Existing::Replace, "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/dev/null is not a regular file (a device"), "{err}");
        assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    }

    #[test]
    fn an_output_never_replaces_the_input_or_an_existing_file_unasked() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db.sqlite");
        std::fs::write(&db, "database").unwrap();
        let other_name = dir.path().join("alias.sqlite");
        std::fs::hard_link(&db, &other_name).unwrap();
        for force in [false, true] {
            let err = write(&other_name, Existing::RefuseUnless { force, protected: &db }, "json")
                .unwrap_err()
                .to_string();
            assert!(err.contains("is the database being read"), "{err}");
        }
        let out = dir.path().join("out.json");
        std::fs::write(&out, "mine").unwrap();
        let err = write(
            &out,
            Existing::RefuseUnless {
                force: false,
                protected: &db,
            },
            "json",
        )
        .unwrap_err()
        .to_string();
        assert!(err.ends_with("out.json exists; pass --force to replace it"), "{err}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine");
        write(
            &out,
            Existing::RefuseUnless {
                force: true,
                protected: &db,
            },
            "json",
        )
        .unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "json");
        assert_eq!(std::fs::read_to_string(&db).unwrap(), "database");
    }

    #[test]
    fn a_read_over_its_limit_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let sparse = dir.path().join("sparse.csv");
        File::create(&sparse).unwrap().set_len(1 << 30 | 1).unwrap();
        let err = read_bytes(&sparse, CANDLE_LIMIT).unwrap_err().to_string();
        assert!(
            err.ends_with("sparse.csv is 1073741825 bytes, over the limit of 1 GiB for this kind of file"),
            "{err}"
        );
    }
}
