//! The output directory as file descriptors. Every name meshgen creates, reads, replaces or
//! deletes is reached from the directory's own descriptor one component at a time, never
//! following a symbolic link (`openat` with `O_NOFOLLOW`, `statat` without following), so no
//! link inside the directory, and no path in a tampered lock or journal, can lead a write or a
//! delete outside it, and nothing can swap a directory for a link half-way through a render.
//!
//! Every operation that changes the file system is a numbered *step* ([`step`]), which makes
//! the writer's crash points observable to the crash test: with `MESHGEN_TEST_PAUSE_AT=N` in
//! the environment, meshgen stops before step N, says so on stderr
//! (`meshgen-test: paused before step N (WHAT)`) and sleeps until it is killed; any value also
//! prints `meshgen-test: N steps` when a write ends, splits every file write in two steps so a
//! torn write is a crash point too, and makes the flushes (`fsync`) crash points without
//! making them: a killed process loses nothing the page cache holds, and flushes are for power
//! cuts, which a test cannot cut. The variable changes where meshgen stops and how long it
//! takes, never what it writes; without it a step costs one relaxed atomic increment.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

/// What a name in a directory is, without following a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Missing,
    File {
        len: u64,
    },
    Dir,
    Symlink,
    /// A FIFO, socket or device.
    Other,
}

impl Entry {
    /// How a message names what is there.
    pub fn describe(self) -> &'static str {
        match self {
            Entry::Missing => "missing",
            Entry::File { .. } => "a file",
            Entry::Dir => "a directory",
            Entry::Symlink => "a symbolic link",
            Entry::Other => "a FIFO, socket or device",
        }
    }
}

/// A directory opened without following a symbolic link.
#[derive(Debug)]
pub struct Dir {
    file: File,
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

impl Dir {
    /// Opens `path`, whose last component must be a directory, not a link to one.
    pub fn open(path: &Path) -> io::Result<Dir> {
        let fd = rustix::fs::open(path, DIR_FLAGS, Mode::empty())?;
        Ok(Dir {
            file: File::from(fd),
        })
    }

    /// Takes an exclusive (`flock`) lock on the directory, waiting for other renders. On a file
    /// system without locks (some network file systems) renders go ahead unserialised.
    pub fn lock_exclusive(&self) -> io::Result<()> {
        without_locks_ok(self.file.lock())
    }

    /// Takes a shared lock: `check` waits for a render in progress, never sees half of it.
    pub fn lock_shared(&self) -> io::Result<()> {
        without_locks_ok(self.file.lock_shared())
    }

    /// What `name` is.
    pub fn entry(&self, name: &str) -> io::Result<Entry> {
        match rustix::fs::statat(&self.file, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => Ok(match FileType::from_raw_mode(stat.st_mode) {
                FileType::RegularFile => Entry::File {
                    len: u64::try_from(stat.st_size).unwrap_or(0),
                },
                FileType::Directory => Entry::Dir,
                FileType::Symlink => Entry::Symlink,
                _ => Entry::Other,
            }),
            Err(Errno::NOENT) => Ok(Entry::Missing),
            Err(error) => Err(error.into()),
        }
    }

    /// The subdirectory `name` (`ELOOP`/`ENOTDIR` when it is a link or not a directory).
    pub fn subdir(&self, name: &str) -> io::Result<Dir> {
        let fd = rustix::fs::openat(&self.file, name, DIR_FLAGS, Mode::empty())?;
        Ok(Dir {
            file: File::from(fd),
        })
    }

    /// The bytes of the regular file `name`, at most `limit` of them (`None` when it holds
    /// more, or is not a regular file any more: opening neither follows a link nor blocks on a
    /// FIFO).
    pub fn read(&self, name: &str, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let fd = rustix::fs::openat(
            &self.file,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let file = File::from(fd);
        if !file.metadata()?.is_file() {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        file.take(limit + 1).read_to_end(&mut bytes)?;
        Ok((bytes.len() as u64 <= limit).then_some(bytes))
    }

    /// Creates the regular file `name`, which must not exist, and writes `contents`; the caller
    /// flushes it ([`sync_all`]).
    pub fn write_new(&self, name: &str, contents: &[u8]) -> io::Result<File> {
        step("create", name);
        let fd = rustix::fs::openat(
            &self.file,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o666),
        )?;
        let mut file = File::from(fd);
        if hooks().is_some() {
            // A torn write is a crash point of its own for the crash test.
            let (first, rest) = contents.split_at(contents.len() / 2);
            file.write_all(first)?;
            step("write the second half of", name);
            file.write_all(rest)?;
        } else {
            file.write_all(contents)?;
        }
        Ok(file)
    }

    pub fn create_dir(&self, name: &str) -> io::Result<()> {
        step("mkdir", name);
        rustix::fs::mkdirat(&self.file, name, Mode::from_raw_mode(0o777))?;
        Ok(())
    }

    /// Renames `from` to `to`, both in this directory, replacing `to` atomically.
    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        step("rename", to);
        rustix::fs::renameat(&self.file, from, &self.file, to)?;
        Ok(())
    }

    pub fn remove_file(&self, name: &str) -> io::Result<()> {
        step("unlink", name);
        rustix::fs::unlinkat(&self.file, name, AtFlags::empty())?;
        Ok(())
    }

    /// Removes the directory `name` if it is empty; `Ok(false)` when it is not (or is gone).
    pub fn remove_empty_dir(&self, name: &str) -> io::Result<bool> {
        step("rmdir", name);
        match rustix::fs::unlinkat(&self.file, name, AtFlags::REMOVEDIR) {
            Ok(()) => Ok(true),
            Err(Errno::NOTEMPTY | Errno::EXIST | Errno::NOENT | Errno::NOTDIR) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Flushes the directory's entries (names created, renamed, removed) to disk.
    pub fn sync(&self) -> io::Result<()> {
        sync_all(&[(&self.file, Sync::All)])
    }

    pub fn as_file(&self) -> &File {
        &self.file
    }
}

/// What to flush of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    /// Its contents (`fdatasync`): a staged file.
    Data,
    /// Everything (`fsync`): a directory's entries.
    All,
}

/// Flushes `files` (each its contents, or everything), several at a time: concurrent flushes
/// share one journal commit on ext4 and XFS, which makes flushing a whole render cost about as
/// much as flushing one file (measured: 32 files one after the other 95–150 ms, concurrently
/// 7–20 ms). With the test hook on, each flush is a step of its own, in order, so every crash
/// point is reproducible.
pub fn sync_all(files: &[(&File, Sync)]) -> io::Result<()> {
    let flush = |(file, what): &(&File, Sync)| match what {
        Sync::Data => file.sync_data(),
        Sync::All => file.sync_all(),
    };
    if hooks().is_some() {
        // Each flush is a crash point, but it is not made: a killed process loses nothing the
        // page cache holds (flushes are for power cuts), and the crash test runs many writes.
        for (_, what) in files {
            step(
                if *what == Sync::Data {
                    "fdatasync"
                } else {
                    "fsync"
                },
                "",
            );
        }
        return Ok(());
    }
    if let [file] = files {
        STEPS.fetch_add(1, Ordering::Relaxed);
        return flush(file);
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..files.len().min(MAX_SYNC_THREADS))
            .map(|_| {
                scope.spawn(|| -> io::Result<()> {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(file) = files.get(index) else {
                            return Ok(());
                        };
                        STEPS.fetch_add(1, Ordering::Relaxed);
                        flush(file)?;
                    }
                })
            })
            .collect();
        workers.into_iter().try_for_each(|worker| {
            worker
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("a flushing thread failed")))
        })
    })
}

/// Flushes at most this many files at once.
const MAX_SYNC_THREADS: usize = 16;

/// How a relative directory path resolves beneath the output directory.
pub enum Lookup<'a> {
    Found(&'a Dir),
    /// `missing` (a prefix of the path) does not exist: neither does the rest.
    Missing {
        missing: String,
    },
    /// The component `at` is not a directory (a link, a file, ...).
    Blocked {
        at: String,
        entry: Entry,
    },
}

/// The output directory and every subdirectory opened so far, by relative path (`""` is the
/// directory itself); components are opened one at a time from their parent.
pub struct Tree {
    dirs: BTreeMap<String, Dir>,
}

impl Tree {
    pub fn new(root: Dir) -> Tree {
        Tree {
            dirs: BTreeMap::from([(String::new(), root)]),
        }
    }

    pub fn root(&self) -> &Dir {
        &self.dirs[""]
    }

    /// Opens the directory `relative` (`a/b`), never following a link.
    pub fn lookup(&mut self, relative: &str) -> io::Result<Lookup<'_>> {
        if !self.dirs.contains_key(relative) {
            let mut path = String::new();
            for part in relative.split('/') {
                let parent = path.clone();
                if !path.is_empty() {
                    path.push('/');
                }
                path.push_str(part);
                if self.dirs.contains_key(&path) {
                    continue;
                }
                let dir = &self.dirs[&parent];
                match dir.entry(part)? {
                    Entry::Dir => {}
                    Entry::Missing => return Ok(Lookup::Missing { missing: path }),
                    entry => return Ok(Lookup::Blocked { at: path, entry }),
                }
                match dir.subdir(part) {
                    Ok(sub) => {
                        self.dirs.insert(path.clone(), sub);
                    }
                    // Swapped for a link or a file since `entry` looked.
                    Err(error) if error.raw_os_error().is_some_and(is_not_a_dir) => {
                        return Ok(Lookup::Blocked {
                            at: path,
                            entry: Entry::Symlink,
                        });
                    }
                    Err(error) => return Err(error),
                }
            }
        }
        Ok(Lookup::Found(&self.dirs[relative]))
    }

    /// The directory `relative`, which must have been looked up or created.
    pub fn get(&self, relative: &str) -> &Dir {
        &self.dirs[relative]
    }

    /// Creates the directory `relative`, whose parent exists, and opens it.
    pub fn create(&mut self, relative: &str) -> io::Result<()> {
        let (parent, name) = split(relative);
        let parent_dir = &self.dirs[parent];
        parent_dir.create_dir(name)?;
        let dir = parent_dir.subdir(name)?;
        self.dirs.insert(relative.to_owned(), dir);
        Ok(())
    }

    /// Removes the directory `relative` if it is empty (and forgets it).
    pub fn remove_if_empty(&mut self, relative: &str) -> io::Result<bool> {
        let (parent, name) = split(relative);
        let Some(parent_dir) = self.dirs.get(parent) else {
            return Ok(false);
        };
        let removed = parent_dir.remove_empty_dir(name)?;
        if removed {
            self.dirs
                .retain(|path, _| path != relative && !path.starts_with(&format!("{relative}/")));
        }
        Ok(removed)
    }

    /// Flushes the open directories among `relative` (concurrently, see [`sync_all`]).
    pub fn sync_dirs<'a>(&self, relative: impl IntoIterator<Item = &'a String>) -> io::Result<()> {
        let files: Vec<(&File, Sync)> = relative
            .into_iter()
            .filter_map(|path| self.dirs.get(path))
            .map(|dir| (dir.as_file(), Sync::All))
            .collect();
        sync_all(&files)
    }

    /// Is `relative` an open directory?
    pub fn is_open(&self, relative: &str) -> bool {
        self.dirs.contains_key(relative)
    }
}

fn without_locks_ok(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(error)
            if error.kind() == io::ErrorKind::Unsupported
                || error.raw_os_error() == Some(Errno::NOLCK.raw_os_error()) =>
        {
            Ok(())
        }
        other => other,
    }
}

fn is_not_a_dir(code: i32) -> bool {
    code == Errno::LOOP.raw_os_error() || code == Errno::NOTDIR.raw_os_error()
}

/// `a/b/c.yaml` → (`a/b`, `c.yaml`); `c.yaml` → (``, `c.yaml`).
pub fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

/// The steps taken so far, and where to pause (from `MESHGEN_TEST_PAUSE_AT`).
static STEPS: AtomicU64 = AtomicU64::new(0);

fn hooks() -> Option<u64> {
    static PAUSE_AT: OnceLock<Option<u64>> = OnceLock::new();
    *PAUSE_AT.get_or_init(|| {
        std::env::var_os("MESHGEN_TEST_PAUSE_AT")
            .map(|value| value.to_str().and_then(|v| v.parse().ok()).unwrap_or(0))
    })
}

/// One change to the file system is about to happen (see the module documentation).
fn step(what: &str, name: &str) {
    let number = STEPS.fetch_add(1, Ordering::Relaxed) + 1;
    if hooks() == Some(number) {
        let _ = writeln!(
            io::stderr(),
            "meshgen-test: paused before step {number} ({what} {name})"
        );
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

/// With the test hook on, says how many steps this process took.
pub fn report_steps() {
    if hooks().is_some() {
        let _ = writeln!(
            io::stderr(),
            "meshgen-test: {} steps",
            STEPS.load(Ordering::Relaxed)
        );
    }
}
