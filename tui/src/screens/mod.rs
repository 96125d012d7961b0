//! One module per screen. Each owns its state, its part of `update` (an `on_cmd` that
//! returns `None` when a command is not its business, so the global bindings get it) and
//! its pure `render`.

pub mod catalog;
pub mod course;
pub mod dashboard;
pub mod lab;
pub mod lesson;
pub mod quiz;
pub mod review;
