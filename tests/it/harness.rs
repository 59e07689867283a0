//! What every suite shares: [`Test`], a builder that runs the real `meshgen` binary in a
//! temporary directory of its own (after just's `tests/test.rs`), and the one naming rule for
//! fixtures and snapshots ([`assert_golden`]).
//!
//! # The naming rule
//!
//! Case `CASE` of suite `SUITE` is snapshotted as `golden/SUITE/CASE.snap`. When the case comes
//! from a fixture file, that file is `tests/fixtures/SUITE/CASE.yaml` — except for the built-in
//! profiles, suite `builtin`, whose fixture is the profile itself, `profiles/CASE.yaml`. A case
//! without a fixture file (a CLI run that needs none, a layout built in a temporary directory)
//! is listed in [`CASES_WITHOUT_FIXTURE`]. A case checked in a second view adds the view's
//! name: `golden/SUITE/CASE.VIEW.snap` (only `diff`, the overlay examples' changes).
//! `golden::every_snapshot_belongs_to_a_case` holds the rule: no snapshot without its case.
//!
//! After an intended change: `cargo insta test --review` (or `cargo test`, then
//! `cargo insta review`).

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

/// The package directory (the repository).
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures`.
pub fn fixtures() -> PathBuf {
    repo().join("tests/fixtures")
}

/// `golden`.
pub fn golden() -> PathBuf {
    repo().join("golden")
}

/// Cases that have a snapshot but no fixture file, as `SUITE/CASE`.
pub const CASES_WITHOUT_FIXTURE: &[&str] = &[
    "cli/missing-profile",
    "cli/no-profile",
    "cli/overlay-typo",
    "cli/overlay-typo-virtualservice",
    "cli/profile-is-directory",
    "cli/profile-list",
    "cli/profile-show-ambient",
    "lint/report-json",
    "lint/report-text",
    "overlays/errors/missing-overlay",
    "overlays/errors/profile-overlay-outside-root",
    "overlays/errors/symlink-outside-root",
];

/// Second views of a case (`CASE.VIEW.snap`).
pub const VIEWS: &[&str] = &["diff"];

/// The fixture file of a case, if it has one (see the naming rule).
pub fn fixture_of(suite: &str, case: &str) -> Option<PathBuf> {
    let path = if suite == "builtin" {
        repo().join("profiles").join(format!("{case}.yaml"))
    } else {
        fixtures().join(suite).join(format!("{case}.yaml"))
    };
    if path.is_file() {
        return Some(path);
    }
    let (base, view) = case.rsplit_once('.')?;
    if VIEWS.contains(&view) {
        fixture_of(suite, base)
    } else {
        None
    }
}

/// The fixture cases of a suite: every `tests/fixtures/SUITE/*.yaml` as (case, path relative to
/// the repository), sorted by name.
pub fn fixture_cases(suite: &str) -> Vec<(String, PathBuf)> {
    let dir = fixtures().join(suite);
    let mut cases: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == "yaml"))
        .map(|path| {
            let case = path.file_stem().unwrap().to_string_lossy().into_owned();
            let relative = path.strip_prefix(repo()).unwrap().to_path_buf();
            (case, relative)
        })
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no fixtures in {}", dir.display());
    cases
}

/// Compares `text` with `golden/SUITE/CASE.snap` (insta: a mismatch fails, and
/// `cargo insta review` shows it). The case must have a fixture or be in
/// [`CASES_WITHOUT_FIXTURE`]; the snapshot header names the fixture.
pub fn assert_golden(suite: &str, case: &str, text: &str) {
    let fixture = fixture_of(suite, case);
    assert!(
        fixture.is_some() || CASES_WITHOUT_FIXTURE.contains(&format!("{suite}/{case}").as_str()),
        "{suite}/{case}: no fixture tests/fixtures/{suite}/{case}.yaml and not in CASES_WITHOUT_FIXTURE"
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(golden().join(suite));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    if let Some(fixture) = fixture {
        settings.set_input_file(fixture);
    }
    settings.bind(|| insta::assert_snapshot!(case, text));
}

/// The body of an insta snapshot file (after its `---`-delimited header).
pub fn snapshot_body(path: &Path) -> String {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let rest = text
        .strip_prefix("---\n")
        .unwrap_or_else(|| panic!("{}: not an insta snapshot", path.display()));
    let body = rest
        .split_once("\n---\n")
        .unwrap_or_else(|| panic!("{}: no snapshot header", path.display()))
        .1;
    body.to_owned()
}

/// The committed golden renders, as (snapshot path, render): built-ins, fixture profiles and
/// the overlay examples (not their `diff` views).
pub fn golden_renders() -> Vec<(PathBuf, String)> {
    let mut renders = Vec::new();
    for suite in ["builtin", "profiles", "overlays/examples"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(golden().join(suite))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                let name = path.file_name().unwrap().to_string_lossy();
                name.ends_with(".snap") && !name.ends_with(".diff.snap")
            })
            .collect();
        paths.sort();
        renders.extend(paths.into_iter().map(|path| {
            let body = snapshot_body(&path);
            (path, body)
        }));
    }
    renders
}

/// Every file under `dir` with its bytes, sorted by path (empty when `dir` does not exist),
/// for "nothing changed" checks.
pub fn snapshot_dir(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    if !dir.exists() {
        return Vec::new();
    }
    let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|entry| entry.expect("walk"))
        .filter(|entry| !entry.file_type().is_dir())
        .map(|entry| {
            let bytes = if entry.file_type().is_file() {
                std::fs::read(entry.path()).unwrap()
            } else {
                Vec::new()
            };
            (entry.path().strip_prefix(dir).unwrap().to_path_buf(), bytes)
        })
        .collect();
    files.sort();
    files
}

/// Copies a file or directory tree.
fn copy_tree(from: &Path, to: &Path) {
    if from.is_file() {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap_or_else(|error| panic!("{}: {error}", from.display()));
        return;
    }
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// One run of the `meshgen` binary: a temporary directory with the files the case needs,
/// the command line and environment, and what must come out. [`Test::run`] checks every
/// expectation and returns the [`Output`] for further checks; its temporary directory can be
/// handed to the next step with [`Test::with_tempdir`].
///
/// Unless told otherwise a run must exit 0; a run that exits 2 (bad input, usage, I/O) must
/// print nothing on stdout. Output that no expectation names is not checked.
#[must_use]
pub struct Test {
    tempdir: TempDir,
    current_dir: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    env_clear: bool,
    stdin: Option<Vec<u8>>,
    stdout_limit: Option<usize>,
    status: i32,
    stdout: Option<String>,
    stderr: Option<String>,
    stdout_contains: Vec<String>,
    stderr_contains: Vec<String>,
    files: Vec<(PathBuf, Vec<u8>)>,
    unchanged: Vec<PathBuf>,
    absent: Vec<PathBuf>,
}

/// What a run printed, and its directory.
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub tempdir: TempDir,
}

impl Output {
    /// The run's temporary directory.
    pub fn path(&self) -> &Path {
        self.tempdir.path()
    }
}

impl Test {
    pub fn new() -> Test {
        Test::with_tempdir(tempfile::tempdir().expect("temporary directory"))
    }

    /// A run in an existing directory (the one an earlier [`Output`] holds).
    pub fn with_tempdir(tempdir: TempDir) -> Test {
        Test {
            tempdir,
            current_dir: PathBuf::new(),
            args: Vec::new(),
            env: Vec::new(),
            env_clear: false,
            stdin: None,
            stdout_limit: None,
            status: 0,
            stdout: None,
            stderr: None,
            stdout_contains: Vec::new(),
            stderr_contains: Vec::new(),
            files: Vec::new(),
            unchanged: Vec::new(),
            absent: Vec::new(),
        }
    }

    /// The temporary directory.
    pub fn path(&self) -> &Path {
        self.tempdir.path()
    }

    /// Writes a file (and its parent directories) into the temporary directory.
    pub fn write(self, path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> Test {
        let path = self.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        self
    }

    /// Copies `tests/fixtures/FROM` (a file or a directory) to `TO` in the temporary directory.
    pub fn copy_fixture(self, from: &str, to: impl AsRef<Path>) -> Test {
        copy_tree(&fixtures().join(from), &self.path().join(to));
        self
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Test {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Test
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Runs in this directory, relative to the temporary directory (created if missing).
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Test {
        self.current_dir = dir.as_ref().to_path_buf();
        self
    }

    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Test {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Starts from an empty environment (variables set with [`Test::env`] still apply).
    pub fn env_clear(mut self) -> Test {
        self.env_clear = true;
        self
    }

    /// Standard input (otherwise it is empty).
    pub fn stdin(mut self, input: impl AsRef<[u8]>) -> Test {
        self.stdin = Some(input.as_ref().to_vec());
        self
    }

    /// Reads `bytes` of stdout, then closes the pipe while meshgen may still be writing.
    pub fn close_stdout_after(mut self, bytes: usize) -> Test {
        self.stdout_limit = Some(bytes);
        self
    }

    /// The exit code the run must end with (default 0).
    pub fn status(mut self, code: i32) -> Test {
        self.status = code;
        self
    }

    /// Exactly this on stdout.
    pub fn stdout(mut self, text: impl Into<String>) -> Test {
        self.stdout = Some(text.into());
        self
    }

    /// Exactly this on stderr.
    pub fn stderr(mut self, text: impl Into<String>) -> Test {
        self.stderr = Some(text.into());
        self
    }

    /// This somewhere on stdout (repeatable).
    pub fn stdout_contains(mut self, text: impl Into<String>) -> Test {
        self.stdout_contains.push(text.into());
        self
    }

    /// This somewhere on stderr (repeatable).
    pub fn stderr_contains(mut self, text: impl Into<String>) -> Test {
        self.stderr_contains.push(text.into());
        self
    }

    /// After the run the file holds exactly these bytes.
    pub fn expect_file(mut self, path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> Test {
        self.files
            .push((path.as_ref().to_path_buf(), contents.as_ref().to_vec()));
        self
    }

    /// The run must not change anything under this path (nor create it).
    pub fn expect_unchanged(mut self, path: impl AsRef<Path>) -> Test {
        self.unchanged.push(path.as_ref().to_path_buf());
        self
    }

    /// After the run nothing exists at this path.
    pub fn expect_absent(mut self, path: impl AsRef<Path>) -> Test {
        self.absent.push(path.as_ref().to_path_buf());
        self
    }

    /// Runs meshgen and checks every expectation; panics with the whole output when one fails.
    pub fn run(self) -> Output {
        let root = self.tempdir.path().to_path_buf();
        let before: Vec<_> = self
            .unchanged
            .iter()
            .map(|path| {
                (
                    path,
                    root.join(path).exists(),
                    snapshot_dir(&root.join(path)),
                )
            })
            .collect();
        let cwd = root.join(&self.current_dir);
        std::fs::create_dir_all(&cwd).unwrap();

        let mut command = Command::new(env!("CARGO_BIN_EXE_meshgen"));
        command.current_dir(&cwd).args(&self.args);
        if self.env_clear {
            command.env_clear();
        }
        command
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("meshgen starts");
        let stdin = child.stdin.take().map(|mut pipe| {
            let input = self.stdin.clone().unwrap_or_default();
            std::thread::spawn(move || {
                // meshgen may stop reading early (bad input): a closed pipe is fine.
                let _ = pipe.write_all(&input);
            })
        });
        let mut stderr_pipe = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            stderr_pipe.read_to_end(&mut bytes).unwrap();
            bytes
        });
        let mut stdout_pipe = child.stdout.take().unwrap();
        let mut stdout = Vec::new();
        match self.stdout_limit {
            Some(limit) => {
                stdout.resize(limit, 0);
                stdout_pipe.read_exact(&mut stdout).expect("enough output");
                drop(stdout_pipe);
            }
            None => {
                stdout_pipe.read_to_end(&mut stdout).unwrap();
            }
        }
        let status = child.wait().expect("meshgen ends");
        if let Some(stdin) = stdin {
            stdin.join().unwrap();
        }
        let stderr = String::from_utf8(stderr.join().unwrap()).expect("stderr is UTF-8");
        let stdout = String::from_utf8(stdout).expect("stdout is UTF-8");
        let status = status.code().unwrap_or(-1);

        let command_line = self
            .args
            .iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ");
        let context = format!(
            "meshgen {command_line} (in {})\n--- exit code: {status}\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}",
            cwd.display()
        );
        assert_eq!(status, self.status, "wrong exit code: {context}");
        if status == 2 && self.stdout.is_none() {
            assert!(
                stdout.is_empty(),
                "bad input must print nothing on stdout: {context}"
            );
        }
        if let Some(expected) = &self.stdout {
            assert_eq!(&stdout, expected, "stdout differs: {context}");
        }
        if let Some(expected) = &self.stderr {
            assert_eq!(&stderr, expected, "stderr differs: {context}");
        }
        for expected in &self.stdout_contains {
            assert!(
                stdout.contains(expected),
                "stdout lacks {expected:?}: {context}"
            );
        }
        for expected in &self.stderr_contains {
            assert!(
                stderr.contains(expected),
                "stderr lacks {expected:?}: {context}"
            );
        }
        for (path, contents) in &self.files {
            let actual = std::fs::read(root.join(path))
                .unwrap_or_else(|error| panic!("{}: {error}: {context}", path.display()));
            assert!(
                actual == *contents,
                "{} differs:\n{}\n--- expected:\n{}\n{context}",
                path.display(),
                String::from_utf8_lossy(&actual),
                String::from_utf8_lossy(contents)
            );
        }
        for (path, existed, files) in before {
            assert_eq!(
                root.join(path).exists(),
                existed,
                "{} appeared or vanished: {context}",
                path.display()
            );
            assert!(
                snapshot_dir(&root.join(path)) == files,
                "{} changed: {context}",
                path.display()
            );
        }
        for path in &self.absent {
            assert!(
                !root.join(path).exists(),
                "{} exists: {context}",
                path.display()
            );
        }
        Output {
            stdout,
            stderr,
            tempdir: self.tempdir,
        }
    }
}
