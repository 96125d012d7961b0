//! An in-memory [`Backend`] with a small, fixed catalog, for tests: three courses, one
//! enrolled and part done, one finished, and a lesson with a code block and a table. It keeps
//! enrollments and progress like the server would, so whole flows can be driven.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use cloudmaster_core::api::{
    CourseDetail, CourseFilter, CourseProgress, CourseSummary, Enrollment, Lesson, LessonOutline,
    LessonProgress, LessonProgressUpdate, LessonStatus, ModuleOutline, Price, QuizOutline,
    ResumePoint, Role, SearchHit, Tier, User, WhoAmI,
};
use time::OffsetDateTime;

use super::{Backend, BackendError, BackendResult};

pub const REGIONS_BODY: &str = r#"# Regions and Availability Zones

AWS runs its services in **Regions**, each made of several isolated *Availability Zones*
(AZs). Spreading a workload over AZs keeps it running when one data centre fails.

## Choosing a Region

- Latency to your users
- Data residency rules
- Service availability and price

List the Regions your account can use:

```bash
aws ec2 describe-regions \
  --query 'Regions[].RegionName' --output text
```

| Scope | Example | Failure domain |
|---|---|---|
| Region | eu-west-1 | Geographic area |
| AZ | eu-west-1a | One or more data centres |
| Edge location | CloudFront PoP | Single site |

> Design for failure: assume any one AZ can go away.

See the [global infrastructure map](https://aws.amazon.com/about-aws/global-infrastructure/)
for the current list.

## Summary

1. A Region is a geographic area.
2. An AZ is one or more data centres within it.
3. Use at least two AZs for anything that must stay up.
"#;

struct LessonData {
    module: &'static str,
    id: &'static str,
    title: &'static str,
    minutes: u32,
    body: &'static str,
}

struct CourseData {
    summary: CourseSummary,
    modules: Vec<(&'static str, &'static str)>,
    lessons: Vec<LessonData>,
}

fn catalog() -> Vec<CourseData> {
    let summary =
        |id: &str, title: &str, text: &str, level: &str, provider: &str, hours, price, lessons| {
            CourseSummary {
                id: id.to_owned(),
                title: title.to_owned(),
                summary: text.to_owned(),
                level: level.to_owned(),
                provider: provider.to_owned(),
                tags: vec![provider.to_owned()],
                price,
                estimated_hours: hours,
                lesson_count: lessons,
                version: 1,
            }
        };
    let lesson = |module, id, title, minutes, body| LessonData {
        module,
        id,
        title,
        minutes,
        body,
    };
    vec![
        CourseData {
            summary: summary(
                "aws-cloud-practitioner",
                "AWS Cloud Practitioner Essentials",
                "The cloud concepts, core services, security and pricing behind the AWS Certified Cloud Practitioner exam.",
                "beginner",
                "aws",
                12.0,
                None,
                4,
            ),
            modules: vec![
                ("cloud-concepts", "Cloud concepts"),
                ("core-services", "Core services"),
            ],
            lessons: vec![
                lesson(
                    "cloud-concepts",
                    "what-is-cloud",
                    "What is cloud computing?",
                    8,
                    "# What is cloud computing?\n\nOn-demand delivery of IT resources over the internet with pay-as-you-go pricing.\n",
                ),
                lesson(
                    "cloud-concepts",
                    "regions-azs",
                    "Regions and Availability Zones",
                    12,
                    REGIONS_BODY,
                ),
                lesson(
                    "core-services",
                    "ec2-basics",
                    "EC2 instances",
                    15,
                    "# EC2 instances\n\nVirtual servers in the cloud.\n",
                ),
                lesson(
                    "core-services",
                    "s3-storage",
                    "S3 storage classes",
                    10,
                    "# S3 storage classes\n\nObject storage with classes for every access pattern.\n",
                ),
            ],
        },
        CourseData {
            summary: summary(
                "kubernetes-fundamentals",
                "Kubernetes Fundamentals",
                "Pods, deployments and services: run containers on Kubernetes with confidence.",
                "intermediate",
                "kubernetes",
                20.0,
                Some(Price {
                    amount: 4900,
                    currency: "USD".to_owned(),
                }),
                2,
            ),
            modules: vec![("workloads", "Workloads")],
            lessons: vec![
                lesson(
                    "workloads",
                    "pods",
                    "Pods and containers",
                    14,
                    "# Pods\n\nA pod runs one or more containers that share a network namespace.\n",
                ),
                lesson(
                    "workloads",
                    "deployments",
                    "Deployments",
                    16,
                    "# Deployments\n\nA deployment keeps a set of pods running and rolls out new versions.\n",
                ),
            ],
        },
        CourseData {
            summary: summary(
                "terraform-basics",
                "Terraform Basics",
                "Infrastructure as code with Terraform: providers, resources, state and modules.",
                "beginner",
                "terraform",
                8.0,
                None,
                1,
            ),
            modules: vec![("first-steps", "First steps")],
            lessons: vec![lesson(
                "first-steps",
                "hello-terraform",
                "Hello, Terraform",
                9,
                "# Hello, Terraform\n\nWrite a configuration, `terraform init`, `terraform apply`.\n",
            )],
        },
    ]
}

fn epoch() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH
}

#[derive(Default)]
struct State {
    enrolled: Vec<String>,
    progress: HashMap<(String, String), LessonProgress>,
    fail: Option<BackendError>,
}

/// See the module docs.
pub struct FakeBackend {
    courses: Vec<CourseData>,
    state: Mutex<State>,
}

impl FakeBackend {
    /// Enrolled in the AWS course (first lesson done, second started at line 14) and in the
    /// Terraform course (finished).
    pub fn new() -> Self {
        let fake = Self {
            courses: catalog(),
            state: Mutex::new(State::default()),
        };
        {
            let mut state = fake.state.lock().unwrap();
            state.enrolled = vec![
                "aws-cloud-practitioner".to_owned(),
                "terraform-basics".to_owned(),
            ];
            for (course, lesson, status, position) in [
                (
                    "aws-cloud-practitioner",
                    "what-is-cloud",
                    LessonStatus::Completed,
                    None,
                ),
                (
                    "aws-cloud-practitioner",
                    "regions-azs",
                    LessonStatus::Started,
                    Some(14),
                ),
                (
                    "terraform-basics",
                    "hello-terraform",
                    LessonStatus::Completed,
                    None,
                ),
            ] {
                state.progress.insert(
                    (course.to_owned(), lesson.to_owned()),
                    progress_entry(lesson, status, position),
                );
            }
        }
        fake
    }

    /// Makes every call fail with `error` from now on.
    pub fn fail_with(&self, error: BackendError) {
        self.state.lock().unwrap().fail = Some(error);
    }

    /// Drops an enrollment (and keeps its progress, as the server does).
    pub fn unenroll(&self, course: &str) {
        self.state.lock().unwrap().enrolled.retain(|c| c != course);
    }

    /// The progress recorded for a lesson.
    pub fn lesson_progress(&self, course: &str, lesson: &str) -> Option<LessonProgress> {
        let state = self.state.lock().unwrap();
        state
            .progress
            .get(&(course.to_owned(), lesson.to_owned()))
            .cloned()
    }

    fn check(&self) -> BackendResult<()> {
        match &self.state.lock().unwrap().fail {
            Some(err) => Err(err.clone()),
            None => Ok(()),
        }
    }

    fn find(&self, course: &str) -> BackendResult<&CourseData> {
        self.courses
            .iter()
            .find(|c| c.summary.id == course)
            .ok_or_else(|| BackendError::with_code("not_found", format!("no course `{course}`")))
    }

    fn course_progress_of(&self, course: &CourseData) -> CourseProgress {
        let state = self.state.lock().unwrap();
        let id = &course.summary.id;
        let lessons: Vec<LessonProgress> = course
            .lessons
            .iter()
            .filter_map(|l| state.progress.get(&(id.clone(), l.id.to_owned())).cloned())
            .collect();
        let done = |l: &LessonData| {
            lessons
                .iter()
                .any(|p| p.lesson_id == l.id && p.status == LessonStatus::Completed)
        };
        let completed = course.lessons.iter().filter(|l| done(l)).count() as u32;
        let total = course.lessons.len() as u32;
        let resume = course
            .lessons
            .iter()
            .find(|l| !done(l))
            .map(|l| ResumePoint {
                module_id: l.module.to_owned(),
                lesson_id: l.id.to_owned(),
                lesson_title: l.title.to_owned(),
                position: lessons
                    .iter()
                    .find(|p| p.lesson_id == l.id)
                    .and_then(|p| p.position),
            });
        CourseProgress {
            course_id: id.clone(),
            course_title: course.summary.title.clone(),
            completed_lessons: completed,
            total_lessons: total,
            percent: completed * 100 / total.max(1),
            resume,
            lessons,
            review_due: 0,
            labs: Vec::new(),
            certificate: None,
        }
    }
}

fn progress_entry(lesson: &str, status: LessonStatus, position: Option<u32>) -> LessonProgress {
    LessonProgress {
        lesson_id: lesson.to_owned(),
        status,
        position,
        updated_at: epoch(),
        completed_at: (status == LessonStatus::Completed).then(epoch),
    }
}

/// `text` around the first match of `query`, with the match in brackets (as the server
/// marks it).
fn snippet(text: &str, query: &str) -> Option<String> {
    let plain = text.replace(['#', '*', '`'], "");
    let flat = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    let at = flat.to_lowercase().find(&query.to_lowercase())?;
    let end = at + query.len();
    if !flat.is_char_boundary(end) {
        return None;
    }
    let start = flat[..at]
        .char_indices()
        .rev()
        .nth(30)
        .map_or(0, |(i, _)| i);
    let start = flat[start..at]
        .find(' ')
        .filter(|_| start > 0)
        .map_or(start, |i| start + i + 1);
    let stop = flat[end..]
        .char_indices()
        .nth(60)
        .map_or(flat.len(), |(i, _)| end + i);
    let stop = flat[..stop].rfind(' ').filter(|&i| i > end).unwrap_or(stop);
    Some(format!(
        "{}[{}]{}",
        &flat[start..at],
        &flat[at..end],
        &flat[end..stop]
    ))
}

#[async_trait]
impl Backend for FakeBackend {
    async fn whoami(&self) -> BackendResult<WhoAmI> {
        self.check()?;
        Ok(WhoAmI {
            user: User {
                id: uuid::Uuid::nil(),
                email: "ada@example.com".to_owned(),
                name: "Ada Lovelace".to_owned(),
                role: Role::Learner,
                tier: Tier::Free,
                created_at: epoch(),
            },
            credential: "session".to_owned(),
            scopes: Vec::new(),
        })
    }

    async fn list_courses(&self, _filter: &CourseFilter) -> BackendResult<Vec<CourseSummary>> {
        self.check()?;
        Ok(self.courses.iter().map(|c| c.summary.clone()).collect())
    }

    async fn search(&self, query: &str, limit: u32) -> BackendResult<Vec<SearchHit>> {
        self.check()?;
        let mut hits = Vec::new();
        for course in &self.courses {
            let about = format!("{} {}", course.summary.title, course.summary.summary);
            if let Some(snippet) = snippet(&about, query) {
                hits.push(SearchHit {
                    course_id: course.summary.id.clone(),
                    course_title: course.summary.title.clone(),
                    lesson_id: None,
                    lesson_title: None,
                    snippet,
                    score: 2.0,
                });
            }
            for lesson in &course.lessons {
                if let Some(snippet) = snippet(lesson.body, query) {
                    hits.push(SearchHit {
                        course_id: course.summary.id.clone(),
                        course_title: course.summary.title.clone(),
                        lesson_id: Some(lesson.id.to_owned()),
                        lesson_title: Some(lesson.title.to_owned()),
                        snippet,
                        score: 1.0,
                    });
                }
            }
        }
        hits.truncate(limit as usize);
        Ok(hits)
    }

    async fn course(&self, course: &str) -> BackendResult<CourseDetail> {
        self.check()?;
        let course = self.find(course)?;
        let modules = course
            .modules
            .iter()
            .map(|(id, title)| ModuleOutline {
                id: (*id).to_owned(),
                title: (*title).to_owned(),
                lessons: course
                    .lessons
                    .iter()
                    .filter(|l| l.module == *id)
                    .map(|l| LessonOutline {
                        id: l.id.to_owned(),
                        title: l.title.to_owned(),
                        minutes: l.minutes,
                        has_video: false,
                    })
                    .collect(),
                quiz: (*id == "cloud-concepts").then(|| QuizOutline {
                    id: "concepts-check".to_owned(),
                    title: "Cloud concepts check".to_owned(),
                    questions: 5,
                    pass_mark: 80,
                }),
                labs: if *id == "core-services" {
                    vec!["s3-bucket-policy".to_owned()]
                } else {
                    Vec::new()
                },
            })
            .collect();
        Ok(CourseDetail {
            summary: course.summary.clone(),
            objectives: Vec::new(),
            prerequisites: Vec::new(),
            exam: None,
            modules,
            published_at: epoch(),
        })
    }

    async fn lesson(&self, course: &str, lesson: &str) -> BackendResult<Lesson> {
        self.check()?;
        let data = self.find(course)?;
        if !self
            .state
            .lock()
            .unwrap()
            .enrolled
            .iter()
            .any(|c| c == course)
        {
            return Err(BackendError::with_code(
                "forbidden",
                "enroll in the course to read its lessons",
            ));
        }
        let found = data.lessons.iter().find(|l| l.id == lesson);
        let found = found
            .ok_or_else(|| BackendError::with_code("not_found", format!("no lesson `{lesson}`")))?;
        Ok(Lesson {
            course_id: course.to_owned(),
            module_id: found.module.to_owned(),
            id: found.id.to_owned(),
            title: found.title.to_owned(),
            minutes: found.minutes,
            body: found.body.to_owned(),
            video: None,
            transcript: None,
            resources: Vec::new(),
        })
    }

    async fn enroll(&self, course: &str) -> BackendResult<Enrollment> {
        self.check()?;
        let data = self.find(course)?;
        if data.summary.price.is_some() {
            return Err(BackendError::with_code(
                "payment_required",
                "this course is paid: run `cloudmaster billing checkout` or subscribe to premium",
            ));
        }
        let mut state = self.state.lock().unwrap();
        if !state.enrolled.iter().any(|c| c == course) {
            state.enrolled.push(course.to_owned());
        }
        Ok(Enrollment {
            course_id: course.to_owned(),
            course_title: data.summary.title.clone(),
            enrolled_at: epoch(),
        })
    }

    async fn enrollments(&self) -> BackendResult<Vec<Enrollment>> {
        self.check()?;
        let state = self.state.lock().unwrap();
        Ok(state
            .enrolled
            .iter()
            .filter_map(|id| self.courses.iter().find(|c| &c.summary.id == id))
            .map(|c| Enrollment {
                course_id: c.summary.id.clone(),
                course_title: c.summary.title.clone(),
                enrolled_at: epoch(),
            })
            .collect())
    }

    async fn record_lesson_progress(
        &self,
        course: &str,
        lesson: &str,
        update: &LessonProgressUpdate,
    ) -> BackendResult<LessonProgress> {
        self.check()?;
        self.find(course)?;
        let mut state = self.state.lock().unwrap();
        let key = (course.to_owned(), lesson.to_owned());
        let was_done = state
            .progress
            .get(&key)
            .is_some_and(|p| p.status == LessonStatus::Completed);
        let status = if was_done {
            LessonStatus::Completed
        } else {
            update.status
        };
        let entry = progress_entry(lesson, status, update.position);
        state.progress.insert(key, entry.clone());
        Ok(entry)
    }

    async fn progress(&self) -> BackendResult<Vec<CourseProgress>> {
        self.check()?;
        let enrolled = self.state.lock().unwrap().enrolled.clone();
        Ok(enrolled
            .iter()
            .filter_map(|id| self.courses.iter().find(|c| &c.summary.id == id))
            .map(|c| self.course_progress_of(c))
            .collect())
    }

    async fn course_progress(&self, course: &str) -> BackendResult<CourseProgress> {
        self.check()?;
        let data = self.find(course)?;
        Ok(self.course_progress_of(data))
    }
}
