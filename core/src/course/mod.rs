//! The course format, version 1 (see `docs/course-format.md`): the typed model, loading and
//! validating course folders, content hashes and publish plans, and scaffolding.
//!
//! How the pieces fit:
//! - [`model`] is what a course *is*; a loaded [`Course`] carries all its text and lab files
//!   and is, serialized as JSON, the publish bundle the CLI sends to the server.
//! - [`load_course`] / [`load_catalog`] read folders. Each YAML file is parsed into a tree of
//!   located nodes (`yaml`), decoded against the schema with diagnostics instead of serde's
//!   first-error-wins (`decode`), referenced files are read, and the model is validated
//!   (`validate`). Every problem comes back as a [`Diagnostic`] at `file:line:column`.
//! - [`validate_course_model`] runs the same semantic checks on a bundle without files (the
//!   server re-validates everything it is sent); its diagnostics carry logical paths.
//! - [`Manifest`] and [`Plan`] hash items and diff versions for `cloudmaster publish`.
//! - [`scaffold_course`] writes a small valid course for `cloudmaster course new`.

mod decode;
pub mod diagnostic;
mod load;
pub mod model;
pub mod plan;
mod scaffold;
mod validate;
mod yaml;

pub use diagnostic::{Diagnostic, Severity, has_errors, summary};
pub use load::{LoadError, load_catalog, load_course};
pub use model::*;
pub use plan::{Changes, ItemKey, ItemKind, Manifest, Plan};
pub use scaffold::{ScaffoldError, scaffold_course};
pub use validate::{check_prerequisites, is_valid_id, validate_course_model};

/// Size limits of lab files, enforced when loading.
pub mod limits {
    pub use super::load::content::{MAX_LAB_BYTES, MAX_LAB_FILE_BYTES};
}
