use std::path::Path;

use super::*;
use crate::course::{Check, FileContent};
use crate::lab::testutil::{condition, file, lab, step};

fn exec(path: &str, text: &str) -> LabFile {
    LabFile {
        executable: true,
        ..file(path, text)
    }
}

fn three_step_lab() -> Lab {
    let c = |id: &str| vec![condition(id, Check::FileExists { path: "x".into() })];
    lab(
        vec![
            file("starter/config.yaml", "v: 0\n"),
            exec("starter/bin/run.sh", "#!/bin/sh\n"),
            file("README.md", "not a starter file"),
        ],
        vec![
            step(
                "one",
                c("a"),
                vec![file("solution/one/config.yaml", "v: 1\n")],
            ),
            step(
                "two",
                c("b"),
                vec![
                    file("solution/two/config.yaml", "v: 2\n"),
                    file("solution/two/extra/new.txt", "new"),
                ],
            ),
            step(
                "three",
                c("c"),
                vec![file("solution/three/later.txt", "later")],
            ),
        ],
    )
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap()
}

#[test]
fn starter_files_are_written_with_their_modes() {
    let lab = three_step_lab();
    let ws = tempfile::tempdir().unwrap();
    let dir = ws.path().join("new-folder");
    let written = materialize_starter(&lab, &dir, IfNotEmpty::Refuse).unwrap();
    assert_eq!(written, ["bin/run.sh", "config.yaml"]);
    assert_eq!(read(&dir, "config.yaml"), "v: 0\n");
    assert!(!dir.join("README.md").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &str| std::fs::metadata(dir.join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("bin/run.sh"), 0o755);
        assert_eq!(mode("config.yaml"), 0o644);
    }
    let err = materialize_starter(&lab, &dir, IfNotEmpty::Refuse).unwrap_err();
    assert!(matches!(err, WorkspaceError::NotEmpty { .. }), "{err}");
    std::fs::write(dir.join("config.yaml"), "mine").unwrap();
    materialize_starter(&lab, &dir, IfNotEmpty::Overwrite).unwrap();
    assert_eq!(read(&dir, "config.yaml"), "v: 0\n");
}

#[test]
fn solutions_and_resets() {
    let lab = three_step_lab();
    let ws = tempfile::tempdir().unwrap();
    let dir = ws.path();
    materialize_starter(&lab, dir, IfNotEmpty::Refuse).unwrap();
    for id in ["one", "two", "three"] {
        apply_solution(&lab, id, dir).unwrap();
    }
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    assert_eq!(read(dir, "config.yaml"), "v: 2\n");

    let summary = reset_step(&lab, "two", dir).unwrap();
    assert_eq!(summary.removed, ["extra/new.txt", "later.txt"]);
    assert_eq!(read(dir, "config.yaml"), "v: 1\n");
    assert!(!dir.join("later.txt").exists());
    assert_eq!(
        read(dir, "notes.txt"),
        "mine",
        "files the lab does not know stay"
    );

    apply_solution(&lab, "two", dir).unwrap();
    let summary = reset_all(&lab, dir).unwrap();
    assert_eq!(summary.removed, ["extra/new.txt"]);
    assert_eq!(read(dir, "config.yaml"), "v: 0\n");

    let err = apply_solution(&lab, "nope", dir).unwrap_err();
    assert_eq!(err.to_string(), "lab `test-lab` has no step `nope`");
}

#[cfg(unix)]
#[test]
fn writes_never_go_through_symlinks() {
    use std::os::unix::fs::symlink;
    let lab = three_step_lab();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let ws = tempfile::tempdir().unwrap();
    let dir = ws.path();

    // A symlinked file is replaced, not written through.
    symlink(&victim, dir.join("config.yaml")).unwrap();
    materialize_starter(&lab, dir, IfNotEmpty::Overwrite).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(
        !std::fs::symlink_metadata(dir.join("config.yaml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // A symlinked folder on the way is refused.
    symlink(outside.path(), dir.join("extra")).unwrap();
    let err = apply_solution(&lab, "two", dir).unwrap_err();
    assert!(
        matches!(err, WorkspaceError::InTheWay { ref path, .. } if path == "extra"),
        "{err}"
    );
    assert!(!outside.path().join("new.txt").exists());
    // ...and removal does not follow it either.
    std::fs::write(outside.path().join("new.txt"), "outside").unwrap();
    let err = reset_all(&lab, dir).unwrap_err();
    assert!(matches!(err, WorkspaceError::InTheWay { .. }), "{err}");
    assert!(outside.path().join("new.txt").exists());
}

#[test]
fn unsafe_lab_paths_are_refused() {
    let mut lab = three_step_lab();
    lab.files.push(LabFile {
        path: "starter/../../evil".into(),
        content: FileContent::Text("x".into()),
        executable: false,
    });
    let ws = tempfile::tempdir().unwrap();
    let dir = ws.path().join("w");
    let err = materialize_starter(&lab, &dir, IfNotEmpty::Refuse).unwrap_err();
    assert!(matches!(err, WorkspaceError::Path(_)), "{err}");
    assert!(!ws.path().join("evil").exists());
}
