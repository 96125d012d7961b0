//! Running a check's program: in the workspace, with a clean environment and a timeout.
//!
//! The program runs in its own process group so that on timeout the whole group (a script
//! and the `sleep` it started) is killed at once, and whatever the program left running in
//! the background is killed when it exits. Output is read by two threads, capped so a noisy
//! program cannot exhaust memory. This is synchronous on purpose: the module builds without
//! tokio (the server uses it too, from a blocking task).

use std::ffi::OsString;
use std::io::{self, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Output kept per stream; the rest is read and dropped.
const MAX_OUTPUT_BYTES: usize = 1024 * 1024;

/// How long to wait for output pipes to close after the process is gone.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// `PATH` for the child when the parent has none.
const FALLBACK_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// How a run ended.
#[derive(Debug)]
pub(crate) struct Finished {
    /// `None` when the timeout killed it.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `program args...` in `workspace` and waits at most `timeout`.
///
/// The environment holds only `PATH` (the parent's, so learners' tools are found),
/// `HOME` (the workspace, so tools do not read or write the learner's dotfiles),
/// `LANG=C.UTF-8` and `TERM=dumb`. Standard input is empty.
pub(crate) fn run(
    program: &OsString,
    args: &[OsString],
    workspace: &Path,
    timeout: Duration,
) -> io::Result<Finished> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| FALLBACK_PATH.into());
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(workspace)
        .env_clear()
        .env("PATH", path)
        .env("HOME", workspace)
        .env("LANG", "C.UTF-8")
        .env("TERM", "dumb")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
    }
    let mut child = command.spawn()?;
    let stdout = capture(child.stdout.take());
    let stderr = capture(child.stderr.take());

    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        let now = Instant::now();
        if now >= deadline {
            kill_group(&mut child);
            // Reap it; the kill cannot be ignored, so this returns at once.
            let _ = child.wait();
            break None;
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    // Background processes it left behind would hold the pipes open (and outlive the check).
    kill_group(&mut child);

    Ok(Finished {
        status,
        stdout: stdout.collect(),
        stderr: stderr.collect(),
    })
}

/// Kills the child's whole process group.
///
/// Through rustix's safe wrapper of `kill(-pgid, SIGKILL)`: the workspace forbids
/// `unsafe_code` (so not libc), and spawning `kill` would depend on `PATH` and cost a
/// process per timeout. The child is its group's leader (`process_group(0)`), and its pid
/// stays reserved while it is unreaped or any group member lives, so this never signals an
/// unrelated group.
#[cfg(unix)]
fn kill_group(child: &mut Child) {
    use rustix::process::{Pid, Signal, kill_process_group};
    // ESRCH (the group is already gone) is the common, harmless case.
    let _ = kill_process_group(Pid::from_child(child), Signal::KILL);
}

#[cfg(not(unix))]
fn kill_group(child: &mut Child) {
    let _ = child.kill();
}

/// A stream being read by a thread.
struct Capture(Option<mpsc::Receiver<Vec<u8>>>);

fn capture<R: Read + Send + 'static>(stream: Option<R>) -> Capture {
    let Some(mut stream) = stream else {
        return Capture(None);
    };
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let room = MAX_OUTPUT_BYTES.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = tx.send(kept);
    });
    Capture(Some(rx))
}

impl Capture {
    /// The output, once the pipe closes. A process that escaped the group (`setsid`) may
    /// keep it open: then the output so far is lost rather than the check hanging.
    fn collect(self) -> String {
        let bytes = self
            .0
            .and_then(|rx| rx.recv_timeout(DRAIN_GRACE).ok())
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str, dir: &Path, timeout: Duration) -> Finished {
        let args = ["-c".into(), script.into()];
        run(&"sh".into(), &args, dir, timeout).unwrap()
    }

    #[test]
    fn environment_is_clean() {
        let ws = tempfile::tempdir().unwrap();
        let out = sh("env", ws.path(), Duration::from_secs(10));
        assert!(out.status.unwrap().success());
        let mut names: Vec<&str> = out
            .stdout
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k))
            .collect();
        names.sort_unstable();
        // `sh` itself may add PWD, SHLVL and `_`; nothing else of the parent gets through.
        names.retain(|n| !["PWD", "SHLVL", "_", "OLDPWD"].contains(n));
        assert_eq!(names, ["HOME", "LANG", "PATH", "TERM"], "{}", out.stdout);
        let home = format!("HOME={}", ws.path().display());
        assert!(out.stdout.lines().any(|l| l == home));
        assert!(out.stdout.lines().any(|l| l == "LANG=C.UTF-8"));
        assert!(out.stdout.lines().any(|l| l == "TERM=dumb"));
    }

    #[test]
    fn runs_in_the_workspace() {
        let ws = tempfile::tempdir().unwrap();
        let out = sh("pwd -P", ws.path(), Duration::from_secs(10));
        let real = ws.path().canonicalize().unwrap();
        assert_eq!(out.stdout.trim(), real.to_str().unwrap());
    }

    /// Whether process `pid` is gone: it no longer exists, or only as a zombie waiting for
    /// its new parent to reap it (which, in a container, may never happen). Waits for a
    /// generous while, returning as soon as it is gone: `SIGKILL` takes effect
    /// asynchronously. Linux only (it reads `/proc`), like the tests that use it.
    #[cfg(target_os = "linux")]
    fn ends(pid: u32) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let gone = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
                // The state follows the parenthesised command name.
                Ok(stat) => stat
                    .rsplit_once(") ")
                    .is_some_and(|(_, rest)| rest.starts_with('Z')),
                Err(_) => true,
            };
            if gone || Instant::now() > deadline {
                return gone;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn timeout_kills_the_whole_group() {
        let ws = tempfile::tempdir().unwrap();
        // The script waits for its child `sleep`, which also holds stdout open: unless the
        // whole group is killed, the sleep outlives the call. The timeout is retried longer
        // until the script got to write the pid down on a slow machine.
        let script = "sleep 600 & echo $! > sleep.pid; wait; echo done";
        let written_pid = || {
            let text = std::fs::read_to_string(ws.path().join("sleep.pid")).ok()?;
            text.trim().parse::<u32>().ok()
        };
        for timeout in [1, 5, 30] {
            let out = sh(script, ws.path(), Duration::from_secs(timeout));
            assert!(out.status.is_none(), "it should have timed out");
            assert!(!out.stdout.contains("done"), "{}", out.stdout);
            if written_pid().is_some() {
                break;
            }
        }
        let pid = written_pid().expect("the script wrote the pid");
        assert!(ends(pid), "the group's `sleep` {pid} still runs");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn background_leftovers_do_not_hold_the_check() {
        let ws = tempfile::tempdir().unwrap();
        // The background `sleep` holds stdout open: unless it is killed when the script
        // exits, the output is never complete and is lost (after a grace period).
        let out = sh(
            "sleep 600 & echo started $!",
            ws.path(),
            Duration::from_secs(60),
        );
        assert!(out.status.unwrap().success());
        let pid: u32 = out
            .stdout
            .trim()
            .strip_prefix("started ")
            .and_then(|pid| pid.parse().ok())
            .unwrap_or_else(|| panic!("{:?}", out.stdout));
        assert!(ends(pid), "the leftover `sleep` {pid} still runs");
    }

    #[test]
    fn output_is_capped() {
        let ws = tempfile::tempdir().unwrap();
        let out = sh(
            "head -c 3000000 /dev/zero | tr '\\0' x",
            ws.path(),
            Duration::from_secs(20),
        );
        assert!(out.status.unwrap().success());
        assert_eq!(out.stdout.len(), MAX_OUTPUT_BYTES);
    }
}
