//! Read-only access to a sled database, which sled itself does not offer: opening a database
//! always writes to it (recovery truncates a torn log tail, a new snapshot file appears). The
//! readers therefore copy `db/` into a private temporary directory and open the copy.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A private copy of an archive's `db/` directory, deleted when dropped.
#[derive(Debug)]
pub struct Snapshot {
    path: PathBuf,
}

/// Why a snapshot could not be taken.
#[derive(Debug)]
pub enum SnapshotError {
    /// A running campaign holds the database's exclusive lock.
    Locked,
    /// The database file `db/db` does not exist.
    NoLog(PathBuf),
    /// Reading the archive or writing the copy failed (the path says which).
    Io(PathBuf, std::io::Error),
}

/// How long a reader waits for a just-closed database to release its lock.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(1);

impl Snapshot {
    /// Copies `db` (an archive's sled directory) into a new directory under the system's
    /// temporary directory (`TMPDIR`), holding a shared lock on `db/db` while copying so that a
    /// campaign cannot start writing halfway through. Nothing under `db` is written.
    ///
    /// # Errors
    /// [`SnapshotError::Locked`] while a campaign holds the database; I/O errors naming the path.
    pub fn take(db: &Path) -> Result<Snapshot, SnapshotError> {
        let log = db.join("db");
        let file = std::fs::File::open(&log).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SnapshotError::NoLog(log.clone()),
            _ => SnapshotError::Io(log.clone(), e),
        })?;
        // sled takes an exclusive flock on `db/db`; a shared one fails exactly while it is held.
        // A handle that was just closed releases it from a background thread a moment later, so
        // only a lock held for longer than `LOCK_PATIENCE` means a running campaign.
        let since = std::time::Instant::now();
        loop {
            match file.try_lock_shared() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if since.elapsed() < LOCK_PATIENCE => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(std::fs::TryLockError::WouldBlock) => return Err(SnapshotError::Locked),
                Err(std::fs::TryLockError::Error(e)) => return Err(SnapshotError::Io(log, e)),
            }
        }
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "gevo-read-{}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let snapshot = Snapshot { path };
        copy_dir(db, &snapshot.path)?;
        drop(file);
        Ok(snapshot)
    }

    /// Where the copy lives.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), SnapshotError> {
    std::fs::create_dir_all(to).map_err(|e| SnapshotError::Io(to.to_path_buf(), e))?;
    let entries = std::fs::read_dir(from).map_err(|e| SnapshotError::Io(from.to_path_buf(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| SnapshotError::Io(from.to_path_buf(), e))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let kind = entry
            .file_type()
            .map_err(|e| SnapshotError::Io(src.clone(), e))?;
        if kind.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| SnapshotError::Io(src.clone(), e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_without_touching_the_source_and_cleans_up() {
        let src = std::env::temp_dir().join(format!("gevo-snapshot-test-{}", std::process::id()));
        std::fs::create_dir_all(src.join("blobs")).unwrap();
        std::fs::write(src.join("db"), b"log").unwrap();
        std::fs::write(src.join("blobs").join("1"), b"blob").unwrap();
        let s = Snapshot::take(&src).unwrap();
        assert_eq!(std::fs::read(s.path().join("db")).unwrap(), b"log");
        assert_eq!(std::fs::read(s.path().join("blobs/1")).unwrap(), b"blob");
        let copy = s.path().to_path_buf();
        drop(s);
        assert!(!copy.exists());
        assert_eq!(std::fs::read(src.join("db")).unwrap(), b"log");
        std::fs::remove_dir_all(&src).unwrap();
    }

    #[test]
    fn a_held_database_is_reported_locked() {
        let src = std::env::temp_dir().join(format!("gevo-snapshot-lock-{}", std::process::id()));
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("db"), b"log").unwrap();
        let holder = std::fs::File::open(src.join("db")).unwrap();
        holder.lock().unwrap();
        assert!(matches!(Snapshot::take(&src), Err(SnapshotError::Locked)));
        holder.unlock().unwrap();
        assert!(Snapshot::take(&src).is_ok());
        std::fs::remove_dir_all(&src).unwrap();
    }

    #[test]
    fn a_missing_log_is_named() {
        let src = std::env::temp_dir().join(format!("gevo-snapshot-nolog-{}", std::process::id()));
        std::fs::create_dir_all(&src).unwrap();
        match Snapshot::take(&src) {
            Err(SnapshotError::NoLog(p)) => assert_eq!(p, src.join("db")),
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(&src).unwrap();
    }
}
