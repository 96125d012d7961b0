//! `cloudmaster unenroll COURSE`.

use crate::context::Context;

#[derive(clap::Args)]
pub struct Args {
    /// Course id
    course: String,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        ctx.client()?.unenroll(&self.course).await?;
        let course = &self.course;
        ctx.print(
            &serde_json::json!({ "course_id": course, "enrolled": false }),
            |out| writeln!(out, "Left course {course}."),
        )
    }
}
