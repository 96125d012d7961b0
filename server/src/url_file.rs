//! `--url-file`: where a running server tells whoever started it which address it listens
//! on. With `--listen 127.0.0.1:0` the operating system picks the port, and only the server
//! knows it; scripts and tests read it from this file instead of guessing a free port
//! beforehand (which another process may take in between).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::server_error::{Context as _, ServerError};

/// The written file; removed when dropped (the server stopped), so a file that exists
/// names a server that is listening or was killed without a chance to clean up.
pub struct UrlFile {
    path: PathBuf,
}

impl UrlFile {
    /// Writes `http://HOST:PORT` and a newline to `path`. A reader never sees a partial
    /// line: the text is written to a file beside it and renamed into place.
    pub fn write(path: &Path, addr: SocketAddr) -> Result<UrlFile, ServerError> {
        let mut aside = path.as_os_str().to_owned();
        aside.push(format!(".{}.tmp", std::process::id()));
        let aside = PathBuf::from(aside);
        std::fs::write(&aside, format!("{}\n", client_url(addr)))
            .and_then(|()| std::fs::rename(&aside, path))
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&aside);
            })
            .with_context(|| format!("cannot write the URL file {}", path.display()))?;
        Ok(UrlFile {
            path: path.to_owned(),
        })
    }
}

impl Drop for UrlFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The URL a client on this machine uses: a wildcard listen address is reached through
/// the loopback.
pub fn client_url(addr: SocketAddr) -> String {
    let host = match addr {
        SocketAddr::V4(a) if a.ip().is_unspecified() => "127.0.0.1".to_owned(),
        SocketAddr::V6(a) if a.ip().is_unspecified() => "[::1]".to_owned(),
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    };
    format!("http://{host}:{}", addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_addresses_are_reached_through_the_loopback() {
        let url = |a: &str| client_url(a.parse().unwrap());
        assert_eq!(url("127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(url("0.0.0.0:41000"), "http://127.0.0.1:41000");
        assert_eq!(url("[::]:41000"), "http://[::1]:41000");
        assert_eq!(url("[fd00::7]:80"), "http://[fd00::7]:80");
    }

    #[test]
    fn the_file_holds_one_line_while_the_server_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("url");
        let written = UrlFile::write(&path, "127.0.0.1:41000".parse().unwrap()).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "http://127.0.0.1:41000\n"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "nothing is left beside it");
        drop(written);
        assert!(!path.exists(), "removed once the server stops");
    }

    #[test]
    fn an_unwritable_place_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/url");
        let Err(err) = UrlFile::write(&path, "127.0.0.1:1".parse().unwrap()) else {
            panic!("a file in a missing folder cannot be written");
        };
        let message = crate::error::error_chain(&err);
        assert!(
            message.contains(&format!("cannot write the URL file {}", path.display())),
            "{message}"
        );
    }
}
