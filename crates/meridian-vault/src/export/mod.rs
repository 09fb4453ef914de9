//! Objects → Markdown files.

mod render;
mod write;

pub use render::{render_decision, render_page};
pub use write::{ExportItem, ExportObject, export_markdown};
