//! A builder for running the real `meshgen` binary in tests: arguments, working directory and
//! environment in, exit code and output back (after just's `tests/test.rs`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub struct Meshgen {
    command: Command,
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Meshgen {
    pub fn new() -> Meshgen {
        let mut command = Command::new(env!("CARGO_BIN_EXE_meshgen"));
        command
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null());
        Meshgen { command }
    }

    pub fn args<I, S>(mut self, args: I) -> Meshgen
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Meshgen {
        self.command.current_dir(dir);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Meshgen {
        self.command.env(key, value);
        self
    }

    pub fn env_clear(mut self) -> Meshgen {
        self.command.env_clear();
        self
    }

    pub fn run(mut self) -> Output {
        let output = self.command.output().expect("meshgen runs");
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }
}

/// Every file under `dir` with its bytes, sorted by path, for "nothing changed" checks.
pub fn snapshot_dir(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|entry| entry.expect("walk"))
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            (
                entry.path().strip_prefix(dir).unwrap().to_path_buf(),
                std::fs::read(entry.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}
