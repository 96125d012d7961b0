//! Certificates: `/certificates`, `/certificates/{id}`, `/certificates/{id}/status`,
//! `/certificates/{id}/ob3`, `/admin/certificates/{id}/revoke`,
//! `/courses/{course}/completion`, and the issuer keys at
//! `/.well-known/cloudmaster/issuer.json`.

use reqwest::{Method, header};
use uuid::Uuid;

use super::{Client, Request, api_error};
use crate::api::{
    CertificateInfo, CertificateStatus, CompletionStatus, ISSUER_KEYS_PATH, IssuerKeys,
    RevokeCertificateRequest,
};
use crate::error::{Error, Result};

impl Client {
    /// `GET /certificates`: the caller's certificates.
    pub async fn certificates(&self) -> Result<Vec<CertificateInfo>> {
        self.call(Request::get(&["certificates"])).await
    }

    /// `GET /certificates/{id}`: the signed certificate file, byte for byte as issued.
    pub async fn certificate_file(&self, id: Uuid) -> Result<Vec<u8>> {
        let id = id.to_string();
        self.send(Request::get(&["certificates", &id])).await
    }

    /// `GET /certificates/{id}/status` (public: sent without credentials).
    pub async fn certificate_status(&self, id: Uuid) -> Result<CertificateStatus> {
        let id = id.to_string();
        self.call(Request::get(&["certificates", &id, "status"]).public())
            .await
    }

    /// `GET /certificates/{id}/ob3`: the Open Badges 3.0 credential.
    pub async fn certificate_open_badge(&self, id: Uuid) -> Result<serde_json::Value> {
        let id = id.to_string();
        self.call(Request::get(&["certificates", &id, "ob3"])).await
    }

    /// `POST /admin/certificates/{id}/revoke` (admin).
    pub async fn revoke_certificate(&self, id: Uuid, reason: &str) -> Result<CertificateInfo> {
        let id = id.to_string();
        let body = RevokeCertificateRequest {
            reason: reason.to_owned(),
        };
        self.call(Request::new(Method::POST, &["admin", "certificates", &id, "revoke"]).json(&body))
            .await
    }

    /// `GET /courses/{course}/completion`: what is left before the course is complete.
    pub async fn completion(&self, course: &str) -> Result<CompletionStatus> {
        self.call(Request::get(&["courses", course, "completion"]))
            .await
    }

    /// `GET /.well-known/cloudmaster/issuer.json`: the keys that verify this server's
    /// certificates (public, outside the API prefix).
    pub async fn issuer_keys(&self) -> Result<IssuerKeys> {
        let segments: Vec<&str> = ISSUER_KEYS_PATH
            .trim_start_matches('/')
            .split('/')
            .collect();
        let url = self.url(&segments, false);
        let response = self
            .inner
            .http
            .get(url.clone())
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| self.network(e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.network(e))?;
        if !status.is_success() {
            return Err(api_error(status, &body));
        }
        serde_json::from_slice(&body).map_err(|e| Error::Decode {
            url: url.to_string(),
            source: Box::new(e),
        })
    }
}
