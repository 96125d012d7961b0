//! Which of the programs a lab declares (`tools:`) are missing, found the way a shell finds
//! them: an executable file in a folder of `PATH`.

use std::ffi::OsStr;
use std::path::Path;

use crate::course::Lab;

/// The lab's tools that are not on this process's `PATH`, in the lab's order.
pub fn missing_tools(lab: &Lab) -> Vec<String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    missing_tools_in(lab, &path)
}

/// [`missing_tools`] against a given `PATH` value.
pub fn missing_tools_in(lab: &Lab, path_var: &OsStr) -> Vec<String> {
    let dirs: Vec<_> = std::env::split_paths(path_var).collect();
    lab.tools
        .iter()
        .filter(|tool| !dirs.iter().any(|dir| found_in(dir, tool)))
        .cloned()
        .collect()
}

fn found_in(dir: &Path, tool: &str) -> bool {
    // A tool is a program name; anything path-like is never "found" on PATH.
    if tool.is_empty() || tool.contains(['/', '\\']) || dir.as_os_str().is_empty() {
        return false;
    }
    candidates(tool)
        .iter()
        .any(|name| is_executable(&dir.join(name)))
}

#[cfg(unix)]
fn candidates(tool: &str) -> Vec<String> {
    vec![tool.to_owned()]
}

#[cfg(not(unix))]
fn candidates(tool: &str) -> Vec<String> {
    let mut names = vec![tool.to_owned()];
    names.extend([".exe", ".cmd", ".bat", ".com"].map(|ext| format!("{tool}{ext}")));
    names
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn finds_executables_on_the_given_path() {
        let bin = tempfile::tempdir().unwrap();
        let write = |name: &str, mode: u32| {
            let p = bin.path().join(name);
            std::fs::write(&p, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        write("terraform", 0o755);
        write("not-executable", 0o644);
        std::fs::create_dir(bin.path().join("a-folder")).unwrap();
        let lab = Lab {
            tools: [
                "terraform",
                "cloudmaster-no-such-tool",
                "not-executable",
                "a-folder",
                "sh",
                "../sh",
            ]
            .map(String::from)
            .to_vec(),
            ..Lab::default()
        };
        let path = std::env::join_paths([Path::new("/nonexistent"), bin.path(), Path::new("/bin")])
            .unwrap();
        assert_eq!(
            missing_tools_in(&lab, &path),
            [
                "cloudmaster-no-such-tool",
                "not-executable",
                "a-folder",
                "../sh"
            ]
        );
        assert_eq!(missing_tools_in(&lab, OsStr::new("")).len(), 6);
    }
}
