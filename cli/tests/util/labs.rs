//! The bundled courses' labs, run from a test: where their files are, commands run in a
//! lab workspace, and a learner ready to start the labs of `cloud-foundations`.

use std::path::{Path, PathBuf};

use cloudmaster_core::api::Role;
use cloudmaster_core::course::load_course;

use super::{Home, TestServer};

pub const PASSWORD: &str = "correct horse battery";

pub fn courses_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../courses")
}

pub fn lab_dir(course: &str, lab: &str) -> PathBuf {
    courses_dir().join(course).join("labs").join(lab)
}

/// Runs `args` in `dir`: (exit code, stdout, stderr).
pub fn run_in(home: &Home, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = home.cmd().current_dir(dir).args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// Copies the files of a lab's solution folder for `step` into `workspace`.
pub fn copy_solution(course: &str, lab: &str, step: &str, workspace: &Path) {
    let from = lab_dir(course, lab).join("solution").join(step);
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), workspace.join(entry.file_name())).unwrap();
    }
}

/// A server with the bundled `cloud-foundations` course published and a logged-in learner
/// enrolled in it who finished the lessons of the modules before its labs.
pub fn learner() -> (TestServer, Home) {
    let server = TestServer::start();
    let teacher = server.create_user("teacher@example.com", PASSWORD, Role::Instructor);
    let course_dir = courses_dir().join("cloud-foundations");
    server.publish(&teacher, &course_dir);
    let home = Home::new(&server.url);
    home.register("learner@example.com", PASSWORD);
    home.ok(&["enroll", "cloud-foundations"]);
    // Modules unlock in order: finish the lessons before the module with the labs.
    let (course, _) = load_course(&course_dir).unwrap();
    for module in course
        .modules
        .iter()
        .take_while(|m| !m.labs.contains(&"cidr-plan".to_owned()))
    {
        for lesson in &module.lessons {
            home.ok(&[
                "lesson",
                "done",
                &format!("cloud-foundations/{}", lesson.id),
            ]);
        }
    }
    (server, home)
}
