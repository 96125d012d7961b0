//! Fixtures: users, course versions built from a compact spec, refresh tokens.

use cloudmaster_core::api::{
    CourseDetail, CourseSummary, Lesson, LessonOutline, ModuleOutline, Price, Resource, Role, Tier,
};
use cloudmaster_server::auth::records::{NewRefreshToken, NewUser};
use cloudmaster_server::publish::NewCourseVersion;
use cloudmaster_server::store::Store;
use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub async fn user(store: &dyn Store, email: &str, role: Role) -> Uuid {
    store
        .create_user(
            NewUser {
                email: email.into(),
                name: format!("User {email}"),
                password_hash: "$argon2id$test".into(),
                role,
                tier: Tier::Free,
            },
            time::OffsetDateTime::now_utc(),
        )
        .await
        .expect("create user")
        .id
}

/// `(module_id, lesson_id, title, body)`
pub type LessonSpec<'a> = (&'a str, &'a str, &'a str, &'a str);

pub struct CourseSpec<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub provider: &'a str,
    pub level: &'a str,
    pub tags: &'a [&'a str],
    pub price: Option<i64>,
    pub lessons: &'a [LessonSpec<'a>],
}

impl Default for CourseSpec<'_> {
    fn default() -> Self {
        CourseSpec {
            id: "course",
            title: "A course",
            summary: "A summary.",
            provider: "aws",
            level: "beginner",
            tags: &[],
            price: None,
            lessons: &[("m1", "l1", "First lesson", "Body one.")],
        }
    }
}

pub fn new_version(spec: &CourseSpec<'_>, by: Uuid, content: &str) -> NewCourseVersion {
    let lessons: Vec<Lesson> = spec
        .lessons
        .iter()
        .map(|(module, id, title, body)| Lesson {
            course_id: spec.id.into(),
            module_id: (*module).into(),
            id: (*id).into(),
            title: (*title).into(),
            minutes: 10,
            body: (*body).into(),
            video: Some(format!("https://example.com/{id}.mp4")),
            transcript: None,
            resources: vec![Resource {
                title: "Docs".into(),
                url: "https://example.com/docs".into(),
            }],
        })
        .collect();
    let mut modules: Vec<ModuleOutline> = Vec::new();
    for l in &lessons {
        if modules.last().is_none_or(|m| m.id != l.module_id) {
            modules.push(ModuleOutline {
                id: l.module_id.clone(),
                title: format!("Module {}", l.module_id),
                lessons: vec![],
                quiz: None,
                labs: vec![],
            });
        }
        if let Some(m) = modules.last_mut() {
            m.lessons.push(LessonOutline {
                id: l.id.clone(),
                title: l.title.clone(),
                minutes: l.minutes,
                has_video: l.video.is_some(),
            });
        }
    }
    NewCourseVersion {
        course_id: spec.id.into(),
        published_by: by,
        bundle: json!({ "id": spec.id, "content": content }),
        manifest: json!({ "content": content }),
        detail: CourseDetail {
            summary: CourseSummary {
                id: spec.id.into(),
                title: spec.title.into(),
                summary: spec.summary.into(),
                level: spec.level.into(),
                provider: spec.provider.into(),
                tags: spec.tags.iter().map(|t| (*t).to_string()).collect(),
                price: spec.price.map(|amount| Price {
                    amount,
                    currency: "USD".into(),
                }),
                estimated_hours: 2.5,
                lesson_count: 0, // the store counts
                version: 0,      // the store numbers
            },
            objectives: vec!["Learn things.".into()],
            prerequisites: vec![],
            exam: None,
            modules,
            published_at: OffsetDateTime::UNIX_EPOCH, // the store stamps
        },
        lessons,
        restored_from: None,
    }
}

pub async fn publish(store: &dyn Store, spec: &CourseSpec<'_>, by: Uuid) -> i64 {
    let expected = store
        .current_version(spec.id)
        .await
        .expect("current version")
        .map(|c| c.version);
    store
        .publish_version(
            new_version(spec, by, "v"),
            expected,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .expect("publish")
}

pub fn hash(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

pub fn refresh(user_id: Uuid, family_id: Uuid, secret: &str, ttl: Duration) -> NewRefreshToken {
    NewRefreshToken {
        id: Uuid::new_v4(),
        family_id,
        user_id,
        token_hash: hash(secret),
        expires_at: OffsetDateTime::now_utc() + ttl,
    }
}
