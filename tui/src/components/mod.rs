//! Widgets shared by the screens: selectable lists, the tab bar, the status bar, gauges,
//! scrollbars and search snippets.

pub mod gauge;
pub mod list;
pub mod scrollbar;
pub mod snippet;
pub mod status_bar;
pub mod tabs;
