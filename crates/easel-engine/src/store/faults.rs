//! Simulated storage faults, so the full-disk and read-only paths can be tested without
//! filling a disk: while a fault is set for a data folder, every write of its library (rows and
//! image files) fails with it. `EASEL_SIMULATE_STORAGE_FAULT=full` (or `read_only`) sets one for
//! the data folder a process opens: for the command-line tests. Nothing sets a fault otherwise.

use super::StoreError;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The environment variable that simulates a fault in the data folder a process opens.
pub const FAULT_ENV: &str = "EASEL_SIMULATE_STORAGE_FAULT";

/// Folders with a simulated fault.
static FAULTS: Mutex<Vec<(PathBuf, ErrorKind)>> = Mutex::new(Vec::new());

/// Make every write in `dir` fail with `fault` (`ErrorKind::StorageFull`,
/// `ErrorKind::ReadOnlyFilesystem`…), or (`None`) work again.
pub fn simulate(dir: &Path, fault: Option<ErrorKind>) {
    let Ok(mut faults) = FAULTS.lock() else { return };
    faults.retain(|(d, _)| d != dir);
    if let Some(kind) = fault {
        faults.push((dir.to_path_buf(), kind));
    }
}

/// The fault `EASEL_SIMULATE_STORAGE_FAULT` names, for the folder being opened.
pub(super) fn from_environment(dir: &Path) {
    match std::env::var(FAULT_ENV).as_deref() {
        Ok("full") => simulate(dir, Some(ErrorKind::StorageFull)),
        Ok("read_only") => simulate(dir, Some(ErrorKind::ReadOnlyFilesystem)),
        _ => {}
    }
}

/// The simulated fault for `dir`, as the error a real one would be.
pub(super) fn check(dir: &Path) -> Result<(), StoreError> {
    let fault = FAULTS.lock().ok().and_then(|f| f.iter().find(|(d, _)| d == dir).map(|(_, kind)| *kind));
    match fault {
        Some(kind) => Err(StoreError::Io { path: dir.to_path_buf(), source: std::io::Error::from(kind) }),
        None => Ok(()),
    }
}
