use std::path::Path;

use super::*;

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        let mut children: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        children.sort_by_key(std::fs::DirEntry::file_name);
        for c in children {
            let rel = format!("{prefix}{}", c.file_name().to_string_lossy());
            if c.file_type().unwrap().is_dir() {
                out.push(format!("{rel}/"));
                walk(&c.path(), &format!("{rel}/"), out);
            } else {
                out.push(rel);
            }
        }
    }
    walk(dir, "", &mut out);
    out
}

#[test]
fn round_trip_keeps_files_folders_and_exec_bits() {
    let src = tempfile::tempdir().unwrap();
    write(src.path(), "policy.json", "{}");
    write(src.path(), "k8s/deploy.yaml", "kind: Deployment\n");
    let long = format!("{}/{}.txt", "d".repeat(120), "n".repeat(120));
    write(src.path(), &long, "long name");
    write(src.path(), ".git/config", "[core]");
    std::fs::create_dir(src.path().join("empty")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        write(src.path(), "run.sh", "#!/bin/sh\n");
        let p = src.path().join("run.sh");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", src.path().join("link")).unwrap();
    }

    let mut seen = Vec::new();
    let packed = pack_workspace(src.path(), &ArchiveLimits::default(), |n| seen.push(n)).unwrap();
    assert!(seen.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(seen.last().copied(), Some(packed.uncompressed_bytes));
    #[cfg(unix)]
    assert_eq!(packed.skipped, ["link"]);

    let dst = tempfile::tempdir().unwrap();
    let summary = unpack_into(&packed.bytes, dst.path(), &ArchiveLimits::default()).unwrap();
    assert_eq!(summary.bytes, packed.uncompressed_bytes);
    assert_eq!(summary.files + summary.dirs, packed.entries);
    let mut expected = listing(src.path());
    expected.retain(|p| !p.starts_with(".git") && p != "link");
    assert_eq!(listing(dst.path()), expected);
    assert_eq!(
        std::fs::read_to_string(dst.path().join(&long)).unwrap(),
        "long name"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &str| {
            std::fs::metadata(dst.path().join(p))
                .unwrap()
                .permissions()
                .mode()
        };
        assert_ne!(mode("run.sh") & 0o111, 0);
        assert_eq!(mode("policy.json") & 0o111, 0);
    }

    // Packing is deterministic.
    let again = pack_workspace(src.path(), &ArchiveLimits::default(), |_| {}).unwrap();
    assert_eq!(again.bytes, packed.bytes);
}

#[test]
fn packing_enforces_the_limits() {
    let src = tempfile::tempdir().unwrap();
    for i in 0..5 {
        write(src.path(), &format!("f{i}.txt"), &"x".repeat(100));
    }
    let limits = |files, bytes, compressed| ArchiveLimits {
        max_files: files,
        max_bytes: bytes,
        max_compressed_bytes: compressed,
    };
    let err = pack_workspace(src.path(), &limits(3, 1 << 20, 1 << 20), |_| {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the archive has more than 3 entries (refused at `f3.txt`)"
    );
    let err = pack_workspace(src.path(), &limits(10, 250, 1 << 20), |_| {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the archive holds more than 250 bytes uncompressed (refused at `f2.txt`)"
    );
    let err = pack_workspace(src.path(), &limits(10, 1 << 20, 20), |_| {}).unwrap_err();
    assert!(
        matches!(err, ArchiveError::CompressedTooLarge { limit: 20, .. }),
        "{err}"
    );
}

#[test]
fn unpack_needs_a_fresh_folder_and_a_real_archive() {
    let dst = tempfile::tempdir().unwrap();
    write(dst.path(), "already.txt", "x");
    let packed = pack_workspace(dst.path(), &ArchiveLimits::default(), |_| {}).unwrap();
    let err = unpack_into(&packed.bytes, dst.path(), &ArchiveLimits::default()).unwrap_err();
    assert!(matches!(err, ArchiveError::NotFresh { .. }), "{err}");
    let err = unpack_into(
        &packed.bytes,
        &dst.path().join("missing"),
        &ArchiveLimits::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ArchiveError::NotFresh { .. }), "{err}");

    let fresh = tempfile::tempdir().unwrap();
    let err = unpack_into(b"not gzip at all", fresh.path(), &ArchiveLimits::default()).unwrap_err();
    assert!(matches!(err, ArchiveError::Corrupt { .. }), "{err}");
    let truncated = &packed.bytes[..packed.bytes.len() / 2];
    let err = unpack_into(truncated, fresh.path(), &ArchiveLimits::default()).unwrap_err();
    assert!(matches!(err, ArchiveError::Corrupt { .. }), "{err}");
    assert!(listing(fresh.path()).is_empty());
}

/// A `.tar.gz` of one file entry named `name` (long names in GNU long-name records).
fn one_file_archive(name: &str) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), Compression::default());
    let mut builder = tar::Builder::new(gz);
    let mut header = tar::Header::new_gnu();
    header.set_mode(0o644);
    header.set_size(2);
    builder.append_data(&mut header, name, &b"hi"[..]).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

#[test]
fn unpack_refuses_names_and_paths_file_systems_refuse() {
    let long_name = format!("{}.txt", "n".repeat(296));
    let fresh = tempfile::tempdir().unwrap();
    let err = unpack_into(
        &one_file_archive(&long_name),
        fresh.path(),
        &ArchiveLimits::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ArchiveError::NameTooLong {
                length: 300,
                limit: 255,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("shorten it"), "{err}");

    let deep = format!("{}f.txt", "d/".repeat(2_000));
    let err = unpack_into(
        &one_file_archive(&deep),
        fresh.path(),
        &ArchiveLimits::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, ArchiveError::PathTooLong { limit: 1024, .. }),
        "{err}"
    );
    // The message names the entry without repeating all of its 4,005 bytes.
    assert!(err.to_string().len() < 300, "{err}");
    assert!(err.to_string().starts_with("entry `d/d/d/"), "{err}");
    assert!(listing(fresh.path()).is_empty());

    // Just within both limits unpacks.
    let at_limit = format!("{}/{}", "d".repeat(255), "e/".repeat(383) + "ff");
    assert_eq!(at_limit.len(), 1024);
    unpack_into(
        &one_file_archive(&at_limit),
        fresh.path(),
        &ArchiveLimits::default(),
    )
    .unwrap();
}
