//! Learners' SSH public keys: which keys an account may link, how a linked key is written
//! down (its canonical line and fingerprint) and what it is named. The rules need no
//! database; `routes/ssh_keys.rs` checks a key here before the store links it, and the SSH
//! server finds the account of a presented key by its [`fingerprint`].

use cloudmaster_core::api::{MAX_PUBLIC_KEY_BYTES, MAX_SSH_KEY_NAME_CHARS};
use russh::keys::ssh_key::public::KeyData;
use russh::keys::ssh_key::{Algorithm, HashAlg, PublicKey};

use crate::error::ApiError;

/// The smallest RSA modulus accepted, in bits: smaller ones can be factored with a budget
/// within reach, and NIST stopped allowing them in 2013.
pub const MIN_RSA_BITS: usize = 2048;

/// What to do instead of adding a key that is refused.
const MAKE_A_KEY: &str = "make an Ed25519 key with `ssh-keygen -t ed25519` and add its .pub file";

/// A public key fit to link to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedKey {
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256` (`384`, `521`) or `ssh-rsa`.
    pub algorithm: String,
    /// See [`fingerprint`].
    pub fingerprint: String,
    /// The key as one OpenSSH line without its comment: `ssh-ed25519 AAAA...`.
    pub public_key: String,
    /// The comment of the line given, without control characters; may be empty.
    pub comment: String,
}

/// The key's SHA-256 fingerprint as OpenSSH prints it (`ssh-keygen -lf`, the server's log
/// at sign-in): `SHA256:` and the unpadded base64 of the digest. Linked keys are stored and
/// looked up by it.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Checks `input`, the contents of a `.pub` file, and returns the key it holds: one line in
/// OpenSSH's public key format of an accepted kind. Refused (422, saying what to add
/// instead): empty or over-long input, several lines, private keys, certificates, RFC 4716
/// public keys, DSA and security-key keys, RSA keys under [`MIN_RSA_BITS`], and anything
/// that is not a public key.
pub fn check_public_key(input: &str) -> Result<CheckedKey, ApiError> {
    let refuse = |message: String| Err(ApiError::Validation(message));
    if input.len() > MAX_PUBLIC_KEY_BYTES {
        return refuse(format!(
            "the public key is {} bytes; at most {MAX_PUBLIC_KEY_BYTES} are accepted: add the \
             one line of a .pub file, such as ~/.ssh/id_ed25519.pub",
            input.len()
        ));
    }
    let line = input.trim();
    if line.is_empty() {
        return refuse(
            "the public key is empty: add the contents of a .pub file, such as \
             ~/.ssh/id_ed25519.pub"
                .to_owned(),
        );
    }
    // Before the count of lines: a private key has many, and what to do is different.
    if line.contains("PRIVATE KEY") || line.starts_with("PuTTY-User-Key-File") {
        return refuse("that is a private key; add the .pub file".to_owned());
    }
    if line.starts_with("---- BEGIN SSH2 PUBLIC KEY ----") {
        return refuse(
            "that is a public key in the RFC 4716 (SSH2) format; convert it with \
             `ssh-keygen -i -f FILE` and add the line that prints"
                .to_owned(),
        );
    }
    let lines = line.lines().filter(|l| !l.trim().is_empty()).count();
    if lines > 1 {
        return refuse(format!(
            "the public key must be one line, not {lines}: add one key at a time, the line of \
             its .pub file"
        ));
    }
    let kind = line.split_whitespace().next().unwrap_or_default();
    // Named before parsing, so the message says what the key is rather than that it did not
    // parse.
    if kind.ends_with("-cert-v01@openssh.com") {
        return refuse(certificate(kind));
    }
    if kind == "ssh-dss" {
        return refuse(dsa());
    }
    let key = PublicKey::from_openssh(line).map_err(|e| {
        ApiError::Validation(format!(
            "that is not an OpenSSH public key (reading it failed: {e}): add one line such as \
             `ssh-ed25519 AAAA... you@host`, the contents of a .pub file"
        ))
    })?;
    match key.key_data() {
        KeyData::Ed25519(_) | KeyData::Ecdsa(_) => {}
        KeyData::Rsa(rsa) => {
            let bits = bits(rsa.n().as_positive_bytes().unwrap_or_default());
            if bits < MIN_RSA_BITS {
                return refuse(format!(
                    "this RSA key has {bits} bits; at least {MIN_RSA_BITS} are accepted: \
                     {MAKE_A_KEY} (or an RSA key with `ssh-keygen -t rsa -b 4096`)"
                ));
            }
        }
        KeyData::Dsa(_) => return refuse(dsa()),
        KeyData::Certificate(_) => return refuse(certificate(kind)),
        KeyData::SkEcdsaSha2NistP256(_) | KeyData::SkEd25519(_) => {
            return refuse(format!(
                "security-key (FIDO) keys such as {kind} are not accepted: {MAKE_A_KEY}"
            ));
        }
        _ => {
            return refuse(format!(
                "{} keys are not accepted; Ed25519, ECDSA and RSA (of at least {MIN_RSA_BITS} \
                 bits) are: {MAKE_A_KEY}",
                key.algorithm()
            ));
        }
    }
    let algorithm = match key.algorithm() {
        // The RSA key type is `ssh-rsa` whatever hash its signatures use.
        Algorithm::Rsa { .. } => Algorithm::Rsa { hash: None },
        other => other,
    };
    let public_key = PublicKey::new(key.key_data().clone(), "")
        .to_openssh()
        .map_err(|e| ApiError::internal("encoding a checked public key", e))?;
    Ok(CheckedKey {
        algorithm: algorithm.as_str().to_owned(),
        fingerprint: fingerprint(&key),
        public_key,
        comment: key
            .comment()
            .as_str_lossy()
            .chars()
            .filter(|c| !c.is_control())
            .collect::<String>()
            .trim()
            .to_owned(),
    })
}

/// The name a linked key goes by: `given` (trimmed; 1 to 100 characters, 422 otherwise),
/// else the key's comment (cut to 100 characters: the learner did not choose it), else its
/// fingerprint.
pub fn key_name(given: Option<&str>, key: &CheckedKey) -> Result<String, ApiError> {
    if let Some(given) = given {
        let name = given.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_SSH_KEY_NAME_CHARS {
            return Err(ApiError::Validation(format!(
                "the key name must be 1 to {MAX_SSH_KEY_NAME_CHARS} characters, not only \
                 spaces (got {chars}); or leave it out to name the key by its comment"
            )));
        }
        if name.chars().any(char::is_control) {
            return Err(ApiError::Validation(
                "the key name must not contain control characters (such as tabs or line \
                 breaks)"
                    .to_owned(),
            ));
        }
        return Ok(name.to_owned());
    }
    let comment: String = key.comment.chars().take(MAX_SSH_KEY_NAME_CHARS).collect();
    let comment = comment.trim();
    Ok(if comment.is_empty() {
        key.fingerprint.clone()
    } else {
        comment.to_owned()
    })
}

fn certificate(kind: &str) -> String {
    format!(
        "that is an SSH certificate ({kind}), not a public key: add the key it certifies, the \
         .pub file without `-cert` in its name"
    )
}

fn dsa() -> String {
    format!(
        "DSA keys (ssh-dss) are not accepted: they are weak, and OpenSSH dropped them; {MAKE_A_KEY}"
    )
}

/// The size in bits of the unsigned big-endian integer `bytes` (no leading zero byte).
fn bits(bytes: &[u8]) -> usize {
    match bytes.first() {
        Some(first) => bytes.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use russh::keys::ssh_key::public::{Ed25519PublicKey, SkEd25519};

    use super::*;

    /// Made with `ssh-keygen -t ed25519 -C ada@laptop`; the fingerprint is what
    /// `ssh-keygen -lf` printed for it.
    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIA0VWGjYRebWf8ClnHdIcSzktpwyHcim6gjiDnjW62j ada@laptop";
    const ED25519_FINGERPRINT: &str = "SHA256:YS1EdAVdgzcgVobs4S3kUwDd5gExUhBWnYbfG0QcIH8";
    const ECDSA_384_NO_COMMENT: &str = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBK3t9909+DN5KGbyu5zi4GMEyoN18s/OHFsA1GovnqDvurbiPW2SHiFlXmsd+3uPouAdcvw7bVnaMQKbOqCDH1dXZUgKcaDaOiDP+ziXlv8a60cQkjoiYa3H7k7fTch4GQ== ";
    const RSA_2048: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCVDrJuuGRm9jrmjJkMmp4K456zir+1w0ESa6FYne/rG/1XcJPLQjEZbO8mCVELU6WcfKVSDCEDRNefMkyyLzgrQCRcTgHxy4v8CbuNTT9JiudyVXtfuD0tGnf8bvCxk77paMNAv+LXPx3p3WdlIN3MxfxU6wckX5VYK4UA/fVcyBDZbZLhI8HVF13d2X3NkrxhE1vJpcA1cNA1utPKgLMZJGTBHBgeOkE5XTIolcbdYhyhWyH2x22vOtTfKlSbSVotyIr3Qa8YaIltH1oMPO/vXAt0TQUQESShzMQTtth6DbfT1NHQbe3d39OFvBtf7pJ7RRCTq/7PKj+Iyhjn5wL9 rsa@host";
    const RSA_1024: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCzJ9X+V7B+ngdCzDak1RNG2XTwUX8yz00XShRjwyYNoETd5HXMi8dHVN+Uo0vujbg7tL685rfWqvQynO4Vj0QVuaLwJ8LjtwZ/sZ8IeZJOn8e0ancHdcDR+sgV/aQLeJ+lzL4a06v98eBgY5zRhfMXF3j4L5uahAS889UmGr0xXQ== small";
    const DSA: &str = "ssh-dss AAAAB3NzaC1kc3MAAACBALLamIzcpXxlehH1R1oCMzUDYHDKquPYpVk2GfgWzpZr87EGZS1lgS1OlHaMd/k8M9IVfbhSjAkd1g9Jq57PDvaITyk/nmipcwawn5y+GfqR/HseoDYSuxFBOVlRiGmm1PiYVM29B17uf1QYUxoWBDYeCK5LZmqQOsOAoz7AAevTAAAAFQCcgg5bfani+jtaca2TgDF4XFtnzQAAAIApiaE7Ys/n5Eza6O2IJSnGbIzw+GesfXn813WXa4uugSKZTCNqG5G8hMwHeTjCpWiFYb/Pvdy2douZ4cRISBdjR58gKWDhgF+O00lialp7nsxZzznq4lYCzDFe6b+nRevPIN74M+W2lrNFmsN9HHu5bv4qPJxhMDC5pOUlGC3dYwAAAH8TtmTjjkzS0ZYzuwacrUKepJV+EsdgvziBUqNQbSL6LeywC4QlsH02gmaStfMiDdGRLA2duahbzsm42DA7bMJ5+wxubM+TbmLWwQPCmXAAtj+WXtP6+L7qKUMjKdNYsGAes+m+8jxOtiiZAbJJSJKXDkG2h+wKU1AlSPS1gt9v root@vm";
    /// [`ED25519`] certified by another key with `ssh-keygen -s`.
    const CERTIFICATE: &str = "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIE38ieferw8Xx21LNuA0cwhcGkJeOTNzX1Z3v36YJzO8AAAAIIA0VWGjYRebWf8ClnHdIcSzktpwyHcim6gjiDnjW62jAAAAAAAAAAAAAAABAAAAAmlkAAAABwAAAANhZGEAAAAAAAAAAP//////////AAAAAAAAAIIAAAAVcGVybWl0LVgxMS1mb3J3YXJkaW5nAAAAAAAAABdwZXJtaXQtYWdlbnQtZm9yd2FyZGluZwAAAAAAAAAWcGVybWl0LXBvcnQtZm9yd2FyZGluZwAAAAAAAAAKcGVybWl0LXB0eQAAAAAAAAAOcGVybWl0LXVzZXItcmMAAAAAAAAAAAAAADMAAAALc3NoLWVkMjU1MTkAAAAgu2Rr57sEA1vmIRL0d2adBRvPSGLsTd2HZKbpb/L0HSAAAABTAAAAC3NzaC1lZDI1NTE5AAAAQMC1gR6NFUKls+mVPbeJ/lr6vM0kZd2yMZh9CDuPIxYNngUNJ4Y6gLSHZIXy1cwpyfxO4Ky+VxKz76ephD7V4Ao= ada@laptop";

    #[track_caller]
    fn refused(input: &str) -> String {
        match check_public_key(input) {
            Err(ApiError::Validation(message)) => message,
            other => panic!("not refused with 422: {other:?}"),
        }
    }

    #[test]
    fn an_ed25519_key_is_written_down_as_openssh_does() {
        let key = check_public_key(&format!("\n  {ED25519}\r\n")).unwrap();
        assert_eq!(key.algorithm, "ssh-ed25519");
        assert_eq!(key.fingerprint, ED25519_FINGERPRINT);
        assert_eq!(key.comment, "ada@laptop");
        assert_eq!(
            key.public_key,
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIA0VWGjYRebWf8ClnHdIcSzktpwyHcim6gjiDnjW62j"
        );
        // The canonical line is a key of its own with the same fingerprint.
        assert_eq!(
            check_public_key(&key.public_key).unwrap().fingerprint,
            ED25519_FINGERPRINT
        );
    }

    #[test]
    fn ecdsa_and_rsa_of_2048_bits_are_accepted() {
        let ecdsa = check_public_key(ECDSA_384_NO_COMMENT).unwrap();
        assert_eq!(ecdsa.algorithm, "ecdsa-sha2-nistp384");
        assert_eq!(
            ecdsa.fingerprint,
            "SHA256:pgjtW7AlVT+cNcoWWSfAivsBXr2AKr2ZbECPdSRGvnU"
        );
        assert_eq!(ecdsa.comment, "");
        let rsa = check_public_key(RSA_2048).unwrap();
        assert_eq!(rsa.algorithm, "ssh-rsa");
        assert_eq!(
            rsa.fingerprint,
            "SHA256:E8rrSe5w+dNIgKKGp46X9a7Ky9hCzkCcKyNVIC9oAvM"
        );
    }

    #[test]
    fn weak_and_foreign_keys_are_refused_saying_what_to_add() {
        let small = refused(RSA_1024);
        assert!(small.contains("1024 bits; at least 2048"), "{small}");
        assert!(refused(DSA).starts_with("DSA keys (ssh-dss) are not accepted"));
        let cert = refused(CERTIFICATE);
        assert!(
            cert.contains("SSH certificate (ssh-ed25519-cert-v01@openssh.com)"),
            "{cert}"
        );
        let sk = PublicKey::new(
            KeyData::SkEd25519(SkEd25519::new(Ed25519PublicKey([7; 32]), "ssh:")),
            "yubikey",
        )
        .to_openssh()
        .unwrap();
        let sk = refused(&sk);
        assert!(sk.starts_with("security-key (FIDO) keys"), "{sk}");
        assert!(sk.contains("ssh-keygen -t ed25519"), "{sk}");
    }

    #[test]
    fn what_is_not_one_public_key_line_is_refused() {
        assert!(refused("  \n ").starts_with("the public key is empty"));
        let private = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n\
                       -----END OPENSSH PRIVATE KEY-----\n";
        assert_eq!(refused(private), "that is a private key; add the .pub file");
        let two = refused(&format!("{ED25519}\n{RSA_2048}\n"));
        assert!(
            two.starts_with("the public key must be one line, not 2"),
            "{two}"
        );
        let long = refused(&format!("{ED25519} {}", "x".repeat(MAX_PUBLIC_KEY_BYTES)));
        assert!(long.contains("at most 16384 are accepted"), "{long}");
        let garbage = refused("ssh-ed25519 not-base64!");
        assert!(
            garbage.starts_with("that is not an OpenSSH public key"),
            "{garbage}"
        );
        let rfc4716 =
            refused("---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----");
        assert!(rfc4716.contains("ssh-keygen -i -f FILE"), "{rfc4716}");
    }

    #[test]
    fn a_key_is_named_by_the_name_given_else_its_comment_else_its_fingerprint() {
        let key = check_public_key(ED25519).unwrap();
        assert_eq!(
            key_name(Some("  work laptop "), &key).unwrap(),
            "work laptop"
        );
        assert_eq!(key_name(None, &key).unwrap(), "ada@laptop");
        let anonymous = check_public_key(ECDSA_384_NO_COMMENT).unwrap();
        assert_eq!(key_name(None, &anonymous).unwrap(), anonymous.fingerprint);
        let long_comment = check_public_key(&format!("{ED25519}{}", "y".repeat(200))).unwrap();
        assert_eq!(key_name(None, &long_comment).unwrap().chars().count(), 100);
        for bad in ["", "   ", &"n".repeat(101), "tab\there"] {
            assert!(
                matches!(key_name(Some(bad), &key), Err(ApiError::Validation(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn bits_count_from_the_highest_set_bit() {
        assert_eq!(bits(&[]), 0);
        assert_eq!(bits(&[1]), 1);
        assert_eq!(bits(&[0x80, 0]), 16);
        assert_eq!(bits(&[0x7f; 256]), 2047);
    }
}
