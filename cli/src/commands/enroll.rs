//! `cloudmaster enroll COURSE`.

use crate::context::Context;

#[derive(clap::Args)]
pub struct Args {
    /// Course id, as in `cloudmaster courses list`
    course: String,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let enrollment = ctx.client()?.enroll(&self.course).await?;
        ctx.print(&enrollment, |out| {
            writeln!(
                out,
                "Enrolled in {} ({}).",
                enrollment.course_title, enrollment.course_id
            )
        })?;
        ctx.notice(&format!(
            "Next: `cloudmaster courses show {0}` for the outline, `cloudmaster progress {0}` for where you are.",
            enrollment.course_id
        ));
        Ok(())
    }
}
