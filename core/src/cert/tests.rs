//! Signing and verification of certificate files and Open Badges credentials.

use serde_json::Value;
use time::macros::datetime;
use uuid::Uuid;

use super::ob3::{self, BadgeText, ProofError};
use super::*;

fn signer(seed: u8) -> CertificateSigner {
    CertificateSigner::from_secret(&[seed; 32]).unwrap()
}

fn claims() -> CertificateClaims {
    CertificateClaims {
        id: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
        course_id: "aws-saa".to_owned(),
        course_title: "AWS Solutions Architect — \"Associate\"".to_owned(),
        course_version: 3,
        learner_id: Uuid::from_u128(42),
        learner_name: "Zoë Ng".to_owned(),
        issued_at: datetime!(2025-03-04 05:06:07.123456 UTC),
        issuer: "cloudmaster".to_owned(),
        key_id: String::new(),
        labs: Vec::new(),
    }
}

#[test]
fn certificates_without_labs_keep_their_format_and_those_with_labs_verify() {
    let signer = signer(9);
    let without = signer.sign(claims()).unwrap();
    assert!(!without.contains("labs"), "{without}");
    verify(without.as_bytes(), &signer.public_key()).unwrap();

    let with = CertificateClaims {
        labs: vec![
            CertifiedLab {
                id: "bucket-policy".to_owned(),
                title: "Lock down a bucket".to_owned(),
                self_reported: true,
            },
            CertifiedLab {
                id: "vpc".to_owned(),
                title: "Plan a VPC".to_owned(),
                self_reported: false,
            },
        ],
        ..claims()
    };
    let file = signer.sign(with).unwrap();
    assert!(file.contains(r#""self_reported":true"#), "{file}");
    let verified = verify(file.as_bytes(), &signer.public_key()).unwrap();
    assert!(verified.labs[0].self_reported && !verified.labs[1].self_reported);
    // Claiming a lab was verified by the server breaks the signature.
    let forged = file.replacen(r#""self_reported":true"#, r#""self_reported":false"#, 1);
    assert_eq!(
        verify(forged.as_bytes(), &signer.public_key()),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn a_signed_file_is_canonical_json_with_one_newline_and_verifies() {
    let signer = signer(7);
    let file = signer.sign(claims()).unwrap();
    assert!(file.ends_with("}\n") && !file.ends_with("\n\n"));
    assert!(!file.contains(": ") && !file.contains(", "));
    let verified = verify(file.as_bytes(), &signer.public_key()).unwrap();
    assert_eq!(verified.key_id, signer.key_id());
    assert_eq!(
        verified,
        CertificateClaims {
            key_id: signer.key_id(),
            ..claims()
        }
    );
    // Signing is deterministic: the same claims give the same file.
    assert_eq!(signer.sign(claims()).unwrap(), file);
}

#[test]
fn key_ids_are_16_hex_digits_of_the_public_key_hash() {
    let key = signer(1).public_key();
    let id = key.key_id();
    assert_eq!(id.len(), 16);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_ne!(id, signer(2).key_id());
    let round_trip = PublicKey::from_base64url(&key.to_base64url()).unwrap();
    assert_eq!(round_trip, key);
    assert!(PublicKey::from_bytes(&[1; 31]).is_err());
    assert!(CertificateSigner::from_secret(&[1; 64]).is_err());
}

#[test]
fn changing_any_single_byte_of_the_file_fails_verification() {
    let signer = signer(9);
    let key = signer.public_key();
    let file = signer.sign(claims()).unwrap().into_bytes();
    // Three different changes at every position: the lowest bit (stays within most
    // alphabets, so it tests the signature and key checks), the ASCII case bit, and a
    // replacement by a space (tests the canonical-form check).
    for position in 0..file.len() {
        for change in [0x01u8, 0x20] {
            let mut altered = file.clone();
            altered[position] ^= change;
            assert!(
                verify(&altered, &key).is_err(),
                "xor {change:#x} at byte {position} ({:?}) still verifies",
                file[position] as char
            );
        }
        let mut altered = file.clone();
        if altered[position] != b' ' {
            altered[position] = b' ';
            assert!(
                verify(&altered, &key).is_err(),
                "space at byte {position} still verifies"
            );
        }
    }
    // Adding or removing bytes fails too.
    let mut longer = file.clone();
    longer.push(b'\n');
    assert_eq!(verify(&longer, &key), Err(VerifyError::NotCanonical));
    assert_eq!(
        verify(&file[..file.len() - 1], &key),
        Err(VerifyError::NotCanonical)
    );
}

#[test]
fn a_reformatted_file_is_reported_as_altered() {
    let signer = signer(3);
    let file = signer.sign(claims()).unwrap();
    let value: Value = serde_json::from_str(&file).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap() + "\n";
    let err = verify(pretty.as_bytes(), &signer.public_key()).unwrap_err();
    assert_eq!(err, VerifyError::NotCanonical);
    assert_eq!(
        err.to_string(),
        "the file was altered: it is not in the canonical form the issuer wrote"
    );
}

#[test]
fn the_wrong_key_is_refused_before_the_signature_is_checked() {
    let file = signer(4).sign(claims()).unwrap();
    let other = signer(5).public_key();
    match verify(file.as_bytes(), &other) {
        Err(VerifyError::UnknownKey { found, expected }) => {
            assert_eq!(found, signer(4).key_id());
            assert_eq!(expected, other.key_id());
        }
        other => panic!("expected UnknownKey, got {other:?}"),
    }
    // Among several published keys, the one the file names is used.
    let keys = [other, signer(4).public_key()];
    assert!(verify_with_keys(file.as_bytes(), &keys).is_ok());
}

#[test]
fn a_file_re_signed_with_another_key_under_the_right_key_id_fails() {
    let real = signer(6);
    let forger = signer(8);
    let mut forged: SignedCertificate =
        serde_json::from_str(&real.sign(claims()).unwrap()).unwrap();
    forged.certificate.learner_name = "Mallory".to_owned();
    let message = jcs::to_canonical(&forged.certificate).unwrap();
    forged.signature.value = URL_SAFE_NO_PAD.encode(forger.sign_bytes(message.as_bytes()));
    let file = jcs::to_canonical(&forged).unwrap() + "\n";
    assert_eq!(
        verify(file.as_bytes(), &real.public_key()),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn unknown_fields_and_other_algorithms_are_refused() {
    let signer = signer(2);
    let file = signer.sign(claims()).unwrap();
    let mut value: Value = serde_json::from_str(&file).unwrap();
    value["certificate"]["grade"] = "A".into();
    let extra = jcs::canonicalize(&value).unwrap() + "\n";
    assert!(matches!(
        verify(extra.as_bytes(), &signer.public_key()),
        Err(VerifyError::Malformed(_))
    ));

    let mut value: Value = serde_json::from_str(&file).unwrap();
    value["signature"]["algorithm"] = "RS256".into();
    let other = jcs::canonicalize(&value).unwrap() + "\n";
    assert_eq!(
        verify(other.as_bytes(), &signer.public_key()),
        Err(VerifyError::UnsupportedAlgorithm("RS256".to_owned()))
    );
    assert!(matches!(
        verify(b"not json\n", &signer.public_key()),
        Err(VerifyError::Malformed(_))
    ));
}

fn badge(signer: &CertificateSigner) -> Value {
    let claims = CertificateClaims {
        key_id: signer.key_id(),
        ..claims()
    };
    let text = BadgeText {
        issuer_name: "cloudmaster",
        description: "Design resilient architectures on AWS.",
        criteria: "Completed every lesson of the course.",
    };
    ob3::credential(&claims, text, signer).unwrap()
}

#[test]
fn open_badge_has_the_ob3_shape_and_its_proof_verifies() {
    let signer = signer(11);
    let credential = badge(&signer);
    assert_eq!(
        credential["@context"][0],
        "https://www.w3.org/ns/credentials/v2"
    );
    assert_eq!(
        credential["@context"][1],
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    );
    assert_eq!(credential["type"][1], "OpenBadgeCredential");
    let did = ob3::did_key(&signer.public_key());
    // Ed25519 did:keys always start with z6Mk (the multicodec prefix in base58btc).
    assert!(did.starts_with("did:key:z6Mk"), "{did}");
    assert_eq!(credential["issuer"]["id"], did.as_str());
    assert_eq!(credential["issuer"]["type"][0], "Profile");
    assert_eq!(credential["validFrom"], "2025-03-04T05:06:07.123456Z");
    let subject = &credential["credentialSubject"];
    assert_eq!(subject["type"][0], "AchievementSubject");
    assert_eq!(subject["achievement"]["type"][0], "Achievement");
    assert_eq!(
        subject["achievement"]["name"],
        claims().course_title.as_str()
    );
    assert!(subject["achievement"]["criteria"]["narrative"].is_string());
    let proof = &credential["proof"];
    assert_eq!(proof["type"], "DataIntegrityProof");
    assert_eq!(proof["cryptosuite"], "eddsa-jcs-2022");
    assert!(proof["proofValue"].as_str().unwrap().starts_with('z'));

    assert_eq!(ob3::verify_proof(&credential).unwrap(), signer.public_key());
    assert_eq!(ob3::public_key_of_did(&did).unwrap(), signer.public_key());
    // Deterministic: the same certificate exports to the same credential.
    assert_eq!(badge(&signer), credential);
}

#[test]
fn the_open_badge_proof_breaks_on_any_change() {
    let signer = signer(12);
    let credential = badge(&signer);
    let changes: [(&str, Value); 5] = [
        (
            "/credentialSubject/achievement/name",
            "Something else".into(),
        ),
        (
            "/credentialSubject/identifier/0/identityHash",
            "Mallory".into(),
        ),
        ("/validFrom", "2020-01-01T00:00:00Z".into()),
        ("/proof/created", "2020-01-01T00:00:00Z".into()),
        ("/issuer/name", "Someone".into()),
    ];
    for (pointer, new) in changes {
        let mut altered = credential.clone();
        *altered.pointer_mut(pointer).unwrap() = new;
        assert_eq!(
            ob3::verify_proof(&altered),
            Err(ProofError::BadSignature),
            "{pointer}"
        );
    }
    // A proof made by another key under the issuer's id is refused as not the issuer's.
    let mut other = badge(&self::signer(13));
    other["issuer"]["id"] = credential["issuer"]["id"].clone();
    assert_eq!(ob3::verify_proof(&other), Err(ProofError::NotTheIssuer));
    let mut no_proof = credential.clone();
    no_proof.as_object_mut().unwrap().remove("proof");
    assert_eq!(ob3::verify_proof(&no_proof), Err(ProofError::NoProof));
}

/// The `eddsa-jcs-2022` test vector of the W3C "Data Integrity EdDSA Cryptosuites v1.0"
/// specification (its key pair, credential and proof options give exactly its proofValue),
/// so the proofs interoperate with other implementations.
#[test]
fn open_badge_proofs_match_the_w3c_eddsa_jcs_2022_test_vector() {
    // `z` + base58btc of the multicodec ed25519-priv prefix (0x1300 as a varint) and the key.
    let secret = bs58::decode("3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq")
        .into_vec()
        .unwrap();
    let signer =
        CertificateSigner::from_secret(secret.strip_prefix(&[0x80, 0x26]).unwrap()).unwrap();
    assert_eq!(
        ob3::did_key(&signer.public_key()),
        "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    );
    let credential = serde_json::json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2"
        ],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "name": "Alumni Credential",
        "description": "A minimum viable example of an Alumni Credential.",
        "issuer": "https://vc.example/issuers/5678",
        "validFrom": "2023-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:abcdefgh",
            "alumniOf": "The School of Examples"
        }
    });
    let document = jcs::canonicalize(&credential).unwrap();
    use sha2::Digest as _;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(document.as_bytes())),
        "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
    );
    let Value::Object(credential) = credential else {
        unreachable!()
    };
    let secured = ob3::add_proof(credential, &signer, datetime!(2023-02-24 23:36:38 UTC)).unwrap();
    assert_eq!(
        secured["proof"]["proofValue"],
        "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX"
    );
    assert_eq!(
        secured["proof"]["verificationMethod"],
        "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    );
}
