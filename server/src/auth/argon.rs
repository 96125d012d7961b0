//! Argon2id on one hashing thread, with the thread's Argon2 memory kept between hashes.
//!
//! The `argon2` crate's convenience API allocates the memory (19 MiB by default) on every
//! hash. With the allocator's dynamic mmap threshold, those blocks end up cached in
//! per-thread arenas: a flood of logins left hundreds of megabytes resident that were never
//! given back. Each [`Worker`] instead owns one buffer for the configured cost and reuses it,
//! so the server's Argon2 memory is exactly threads × cost, allocated once.

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use rand::RngCore;

/// Salt length, the PHC recommendation.
const SALT_BYTES: usize = 16;

/// One hashing thread's Argon2 state.
pub(super) struct Worker {
    params: Params,
    memory: Vec<Block>,
}

impl Worker {
    pub(super) fn new(params: Params) -> Worker {
        Worker {
            params,
            memory: Vec::new(),
        }
    }

    /// The configured parameters.
    pub(super) fn params(&self) -> &Params {
        &self.params
    }

    /// Hashes `password` with the configured parameters and a random salt: a PHC string.
    pub(super) fn hash(&mut self, password: &[u8]) -> Result<String, String> {
        let mut salt = [0u8; SALT_BYTES];
        rand::rng().fill_bytes(&mut salt);
        let params = self.params.clone();
        let out = self.compute(
            Algorithm::Argon2id,
            Version::V0x13,
            &params,
            password,
            &salt,
        )?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
            salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
            hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches the parsed hash (any Argon2 variant and parameters).
    pub(super) fn verify(&mut self, password: &[u8], hash: &PasswordHash) -> bool {
        let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
            return false;
        };
        let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else {
            return false;
        };
        let version = match hash.version.map(Version::try_from).transpose() {
            Ok(version) => version.unwrap_or_default(),
            Err(_) => return false,
        };
        let Ok(params) = Params::try_from(hash) else {
            return false;
        };
        let Ok(computed) = self.compute(algorithm, version, &params, password, salt) else {
            return false;
        };
        // `Output` compares in constant time.
        Output::new(&computed).is_ok_and(|computed| &computed == expected)
    }

    fn compute(
        &mut self,
        algorithm: Algorithm,
        version: Version,
        params: &Params,
        password: &[u8],
        salt: &[u8],
    ) -> Result<Vec<u8>, String> {
        let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
        let blocks = params.block_count();
        if self.memory.len() < blocks {
            self.memory.resize(blocks, Block::default());
        }
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let result = argon2
            .hash_password_into_with_memory(password, salt, &mut out, &mut self.memory[..blocks])
            .map_err(|e| e.to_string());
        // A stored hash with a higher cost than configured borrowed more memory: give it
        // back rather than keep it for good.
        let configured = self.params.block_count();
        if self.memory.len() > configured {
            self.memory.truncate(configured);
            self.memory.shrink_to_fit();
        }
        result.map(|()| out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

    fn params(m: u32, t: u32) -> Params {
        Params::new(m, t, 1, None).unwrap()
    }

    #[test]
    fn interoperates_with_the_argon2_crate() {
        let mut worker = Worker::new(params(256, 1));
        let ours = worker.hash(b"correct horse battery").unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "{ours}");
        let parsed = PasswordHash::new(&ours).unwrap();
        Argon2::default()
            .verify_password(b"correct horse battery", &parsed)
            .unwrap();

        // A hash made by the crate with other parameters verifies here, once, and the
        // borrowed memory is given back.
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params(512, 2))
            .hash_password(b"correct horse battery")
            .unwrap();
        assert!(worker.verify(b"correct horse battery", &theirs));
        assert!(!worker.verify(b"wrong horse battery", &theirs));
        assert_eq!(worker.memory.len(), params(256, 1).block_count());
    }
}
