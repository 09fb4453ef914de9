//! Objects → Markdown files.

mod meeting;
mod render;
mod thread;
mod write;

pub use meeting::{meeting_date, render_meeting};
pub use render::{render_decision, render_page};
pub use thread::render_thread;
pub use write::{ExportItem, ExportObject, export_markdown};
