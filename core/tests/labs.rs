//! The lab runner end to end: every bundled lab passes `lab test`, and submitted archives
//! that try to escape, link, or explode are refused without writing anything outside their
//! folder.

use std::io::Write as _;
use std::path::Path;

use cloudmaster_core::course::{self, Severity};
use cloudmaster_core::lab::{ArchiveError, ArchiveLimits, test_lab, unpack_into};
use flate2::Compression;
use flate2::write::GzEncoder;
use tar::{EntryType, Header};

#[test]
fn every_bundled_lab_passes_lab_test() {
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("../courses");
    let (courses, diagnostics) = course::load_catalog(&catalog).unwrap();
    let load_errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    assert!(load_errors.is_empty(), "{}", load_errors.join("\n"));

    let mut tested = 0;
    let mut failures = Vec::new();
    for course in &courses {
        for lab in &course.labs {
            tested += 1;
            let report = test_lab(lab);
            for warning in report.warnings() {
                eprintln!("warning: {}/{}: {}", course.id, lab.id, warning.message);
            }
            if !report.passed {
                let errors: Vec<String> = report.errors().map(|p| p.message.clone()).collect();
                failures.push(format!(
                    "{}/{}:\n  {}",
                    course.id,
                    lab.id,
                    errors.join("\n  ")
                ));
            }
        }
    }
    assert!(
        tested >= 6,
        "only {tested} labs found in {}",
        catalog.display()
    );
    assert!(
        failures.is_empty(),
        "labs failing `lab test`:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_scaffolded_lab_passes_lab_test() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my-course");
    course::scaffold_course(&dir, "my-course").unwrap();
    let (course, _) = course::load_course(&dir).unwrap();
    assert!(!course.labs.is_empty());
    for lab in &course.labs {
        let report = test_lab(lab);
        assert!(
            report.passed,
            "{}",
            serde_json::to_string_pretty(&report).unwrap()
        );
    }
}

// ---- Malicious archives, built header by header so nothing sanitizes them. ----

/// A header with the raw `name` (no validation) and, for links, the raw `link` target.
fn header(name: &[u8], kind: EntryType, size: u64, link: &[u8]) -> Header {
    let mut h = Header::new_gnu();
    {
        let bytes = h.as_mut_bytes();
        bytes[..name.len()].copy_from_slice(name);
        bytes[157..157 + link.len()].copy_from_slice(link);
    }
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_cksum();
    h
}

fn file(name: &str, data: &[u8]) -> (Header, Vec<u8>) {
    (
        header(name.as_bytes(), EntryType::Regular, data.len() as u64, b""),
        data.to_vec(),
    )
}

fn special(name: &str, kind: EntryType, link: &str) -> (Header, Vec<u8>) {
    (
        header(name.as_bytes(), kind, 0, link.as_bytes()),
        Vec::new(),
    )
}

fn tar_gz(entries: &[(Header, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    for (h, data) in entries {
        builder.append(h, data.as_slice()).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// One header claiming `size` bytes, followed by `size` zero bytes, gzipped: about a
/// thousandth of `size` on the wire.
fn bomb(name: &str, kind: EntryType, size: u64) -> Vec<u8> {
    gzipped_entry(name, kind, size, size / (1 << 20))
}

/// One header claiming `size` bytes with none of them behind it, gzipped.
fn claim(name: &str, kind: EntryType, size: u64) -> Vec<u8> {
    gzipped_entry(name, kind, size, 0)
}

/// A header claiming `size` bytes, `mib` MiB of zeros and the end-of-archive zeros, gzipped.
fn gzipped_entry(name: &str, kind: EntryType, size: u64, mib: u64) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(header(name.as_bytes(), kind, size, b"").as_bytes())
        .unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..mib {
        gz.write_all(&zeros).unwrap();
    }
    gz.write_all(&[0u8; 1024]).unwrap();
    gz.finish().unwrap()
}

/// Everything under `dir`, relative, sorted.
fn listing(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let rel = format!("{prefix}{}", entry.file_name().to_string_lossy());
            out.push(rel.clone());
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &format!("{rel}/"), out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}

/// Unpacks `archive` into `<tmp>/fresh` and returns the error, after checking that nothing
/// was written beside `fresh` (in `<tmp>`, where `..` would land) and that `fresh` was left
/// empty.
fn refused(archive: &[u8], limits: &ArchiveLimits) -> ArchiveError {
    let tmp = tempfile::tempdir().unwrap();
    let fresh = tmp.path().join("fresh");
    std::fs::create_dir(&fresh).unwrap();
    std::fs::write(tmp.path().join("bystander.txt"), "untouched").unwrap();
    let before = listing(tmp.path());

    let err = unpack_into(archive, &fresh, limits).expect_err("the archive must be refused");

    assert_eq!(
        listing(tmp.path()),
        before,
        "something was written outside `fresh`"
    );
    assert_eq!(
        listing(&fresh),
        Vec::<String>::new(),
        "`fresh` was not emptied"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("bystander.txt")).unwrap(),
        "untouched"
    );
    err
}

fn defaults() -> ArchiveLimits {
    ArchiveLimits::default()
}

#[test]
fn parent_dir_entries_are_refused() {
    for name in [
        "../escaped.txt",
        "ok/../../escaped.txt",
        "./a/../../../escaped.txt",
    ] {
        let archive = tar_gz(&[file("fine.txt", b"ok"), file(name, b"pwned")]);
        match refused(&archive, &defaults()) {
            ArchiveError::ParentDir { entry } => assert_eq!(entry, name),
            other => panic!("{name}: {other}"),
        }
    }
}

#[test]
fn absolute_entries_are_refused() {
    let target = std::env::temp_dir().join(format!("cloudmaster-abs-{}.txt", std::process::id()));
    let name = target.to_str().unwrap().to_owned();
    let archive = tar_gz(&[file(&name, b"pwned")]);
    let err = refused(&archive, &defaults());
    assert!(
        matches!(&err, ArchiveError::AbsolutePath { entry } if *entry == name),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!("entry `{name}` has an absolute path")
    );
    assert!(!target.exists());
}

#[test]
fn symlink_entries_are_refused() {
    // The classic: a link to the parent folder, then a file written through it.
    let archive = tar_gz(&[
        special("up", EntryType::Symlink, ".."),
        file("up/pwned.txt", b"pwned"),
    ]);
    let err = refused(&archive, &defaults());
    assert!(
        matches!(&err, ArchiveError::Symlink { entry, target } if entry == "up" && target == ".."),
        "{err}"
    );
    let archive = tar_gz(&[special("passwd", EntryType::Symlink, "/etc/passwd")]);
    assert_eq!(
        refused(&archive, &defaults()).to_string(),
        "entry `passwd` is a symlink (to `/etc/passwd`); only files and folders are allowed"
    );
}

#[test]
fn hard_link_entries_are_refused() {
    let archive = tar_gz(&[
        file("a.txt", b"a"),
        special("shadow", EntryType::Link, "/etc/shadow"),
    ]);
    let err = refused(&archive, &defaults());
    assert!(
        matches!(&err, ArchiveError::HardLink { entry, target } if entry == "shadow" && target == "/etc/shadow"),
        "{err}"
    );
}

#[test]
fn device_and_fifo_entries_are_refused() {
    for (name, kind, what) in [
        ("tty", EntryType::Char, "character device"),
        ("sda", EntryType::Block, "block device"),
        ("pipe", EntryType::Fifo, "FIFO (named pipe)"),
    ] {
        let archive = tar_gz(&[special(name, kind, "")]);
        match refused(&archive, &defaults()) {
            ArchiveError::SpecialEntry { entry, kind } => {
                assert_eq!((entry.as_str(), kind.as_str()), (name, what));
            }
            other => panic!("{name}: {other}"),
        }
    }
}

#[test]
fn too_many_entries_are_refused() {
    let limits = defaults();
    let entries: Vec<_> = (0..=limits.max_files)
        .map(|i| file(&format!("f{i:04}.txt"), b"x"))
        .collect();
    let err = refused(&tar_gz(&entries), &limits);
    assert!(
        matches!(&err, ArchiveError::TooManyFiles { limit: 2000, entry } if entry == "f2000.txt"),
        "{err}"
    );
}

#[test]
fn too_many_bytes_are_refused() {
    // Three honest 8 MiB files: each is fine, together they pass the 20 MiB limit.
    let eight = vec![0u8; 8 << 20];
    let archive = tar_gz(&[
        file("a.bin", &eight),
        file("b.bin", &eight),
        file("c.bin", &eight),
    ]);
    assert!(archive.len() < 1 << 20);
    let err = refused(&archive, &defaults());
    assert!(
        matches!(&err, ArchiveError::TooLarge { limit, entry: Some(e) } if *limit == 20 << 20 && e == "c.bin"),
        "{err}"
    );
}

#[test]
fn compressed_input_over_the_limit_is_refused_before_reading() {
    let limits = ArchiveLimits {
        max_compressed_bytes: 100,
        ..defaults()
    };
    // Incompressible bytes (a simple LCG), so the archive really is bigger than 100 bytes.
    let mut x = 12345u32;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 24) as u8
        })
        .collect();
    let archive = tar_gz(&[file("a.txt", &noise)]);
    assert!(archive.len() > 100);
    let err = refused(&archive, &limits);
    assert!(
        matches!(
            err,
            ArchiveError::CompressedTooLarge {
                limit: 100,
                size: Some(_)
            }
        ),
        "{err}"
    );
}

#[test]
fn gzip_bombs_are_stopped_at_the_limit() {
    const GIB: u64 = 1 << 30;
    // A file entry that admits to 1 GiB: refused before its data is decompressed.
    let archive = bomb("zeros.bin", EntryType::Regular, GIB);
    assert!(
        (archive.len() as u64) < defaults().max_compressed_bytes,
        "{}",
        archive.len()
    );
    let err = refused(&archive, &defaults());
    assert!(
        matches!(&err, ArchiveError::TooLarge { entry: Some(e), .. } if e == "zeros.bin"),
        "{err}"
    );
    // The header alone decides: with no data behind the same header, reading the data
    // would fail as a truncated archive, yet the answer is the same.
    let err = refused(&claim("zeros.bin", EntryType::Regular, GIB), &defaults());
    assert!(
        matches!(&err, ArchiveError::TooLarge { entry: Some(e), .. } if e == "zeros.bin"),
        "{err}"
    );

    // A 1 GiB PAX extension header: the tar reader would buffer it whole, so only counting
    // the decompressed stream itself stops it. It must stop after tens of MiB, not 1 GiB:
    // `TooLarge` without an entry is that count running out (the reader gets no further
    // than the limit), where reading the whole header would end otherwise.
    let archive = bomb("PaxHeaders/zeros", EntryType::XHeader, GIB);
    let err = refused(&archive, &defaults());
    assert!(
        matches!(err, ArchiveError::TooLarge { entry: None, .. }),
        "{err}"
    );
}
