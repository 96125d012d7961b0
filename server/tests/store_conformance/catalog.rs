//! Publishing, versions, the catalog, search and lesson reads.

use std::sync::Arc;

use cloudmaster_core::api::{CourseFilter, CourseSummary, Price, Role};
use cloudmaster_server::store::StoreError;
use serde_json::json;
use time::OffsetDateTime;

use crate::fixtures::{CourseSpec, new_version, publish, user};
use crate::support::TestDatabase;

backend_tests!(
    publish_makes_versions,
    concurrent_first_publishes_have_one_winner,
    catalog_filters,
    course_detail_round_trips,
    search_ranks_titles_first_and_marks_snippets,
    search_never_fails_on_user_syntax,
    lessons_are_read_from_the_current_version,
    owned_courses_are_those_first_published_by_the_user,
);

// --- catalog and publishing -------------------------------------------------------------

async fn publish_makes_versions(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    let spec = CourseSpec {
        id: "tf",
        ..CourseSpec::default()
    };
    assert!(store.current_version("tf").await.unwrap().is_none());
    assert!(store.course_versions("tf").await.unwrap().is_empty());

    let v1 = store
        .publish_version(
            new_version(&spec, ada, "one"),
            None,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(v1, 1);
    let current = store.current_version("tf").await.unwrap().unwrap();
    assert_eq!((current.version, current.owner_id), (1, ada));
    assert_eq!(current.manifest, json!({ "content": "one" }));

    // Planned against nothing, but the course exists: someone else got there first.
    let stale = store
        .publish_version(
            new_version(&spec, ada, "x"),
            None,
            time::OffsetDateTime::now_utc(),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");

    let v2 = store
        .publish_version(
            new_version(&spec, ada, "two"),
            Some(1),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(v2, 2);
    let stale = store
        .publish_version(
            new_version(&spec, ada, "x"),
            Some(1),
            time::OffsetDateTime::now_utc(),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");

    // A rollback is a new version restoring an old one's content.
    let bundle1 = store.version_bundle("tf", 1).await.unwrap().unwrap();
    assert_eq!(bundle1, json!({ "id": "tf", "content": "one" }));
    let mut rollback = new_version(&spec, ada, "one");
    rollback.bundle = bundle1;
    rollback.restored_from = Some(1);
    assert_eq!(
        store
            .publish_version(rollback, Some(2), time::OffsetDateTime::now_utc())
            .await
            .unwrap(),
        3
    );

    let versions = store.course_versions("tf").await.unwrap();
    let summary: Vec<(i64, bool, Option<i64>)> = versions
        .iter()
        .map(|v| (v.version, v.current, v.restored_from))
        .collect();
    assert_eq!(
        summary,
        vec![(1, false, None), (2, false, None), (3, true, Some(1))]
    );
    assert!(
        versions
            .iter()
            .all(|v| v.published_by == ada && v.course_id == "tf")
    );
    assert!(versions[0].published_at <= versions[2].published_at);
    assert_eq!(
        store.version_bundle("tf", 2).await.unwrap(),
        Some(json!({ "id": "tf", "content": "two" }))
    );
    assert_eq!(store.version_bundle("tf", 9).await.unwrap(), None);
    assert_eq!(store.version_bundle("nope", 1).await.unwrap(), None);

    // Detail reflects the current version.
    let detail = store.course_detail("tf").await.unwrap().unwrap();
    assert_eq!(detail.summary.version, 3);
    assert_eq!(detail.published_at, versions[2].published_at);

    // Planned against a version of a course that does not exist.
    let ghost = CourseSpec {
        id: "ghost",
        ..CourseSpec::default()
    };
    let missing = store
        .publish_version(
            new_version(&ghost, ada, "x"),
            Some(1),
            time::OffsetDateTime::now_utc(),
        )
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

async fn concurrent_first_publishes_have_one_winner(db: &TestDatabase) {
    let a = db.open().await;
    let b = db.open().await;
    let ada = user(&*a, "ada@example.com", Role::Instructor).await;
    let spec = CourseSpec {
        id: "race",
        ..CourseSpec::default()
    };
    for expected in [None, Some(1)] {
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let store = if i % 2 == 0 {
                    Arc::clone(&a)
                } else {
                    Arc::clone(&b)
                };
                let new = new_version(&spec, ada, &format!("attempt {i}"));
                tokio::spawn(async move {
                    store
                        .publish_version(new, expected, time::OffsetDateTime::now_utc())
                        .await
                })
            })
            .collect();
        let mut won = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(v) => won.push(v),
                Err(StoreError::Conflict(_)) => {}
                Err(e) => panic!("unexpected error {e:?}"),
            }
        }
        let next = expected.unwrap_or(0) + 1;
        assert_eq!(
            won,
            vec![next],
            "exactly one publish planned on {expected:?} wins"
        );
    }
    assert_eq!(a.course_versions("race").await.unwrap().len(), 2);
}

async fn catalog_filters(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    let courses = [
        CourseSpec {
            id: "aws-saa",
            title: "AWS Solutions Architect",
            provider: "aws",
            level: "intermediate",
            tags: &["AWS", "certification"],
            price: Some(4900),
            ..CourseSpec::default()
        },
        CourseSpec {
            id: "k8s",
            title: "Kubernetes fundamentals",
            provider: "kubernetes",
            level: "beginner",
            tags: &["containers"],
            ..CourseSpec::default()
        },
        CourseSpec {
            id: "aws-basics",
            title: "AWS basics",
            provider: "aws",
            level: "beginner",
            tags: &["aws"],
            ..CourseSpec::default()
        },
    ];
    for spec in &courses {
        publish(&*store, spec, ada).await;
    }
    let ids = |list: Vec<CourseSummary>| list.into_iter().map(|c| c.id).collect::<Vec<_>>();
    let list = |filter: CourseFilter| {
        let store = Arc::clone(&store);
        async move { ids(store.list_courses(&filter).await.unwrap()) }
    };

    assert_eq!(
        list(CourseFilter::default()).await,
        vec!["aws-basics", "aws-saa", "k8s"],
        "sorted by title, case-insensitively"
    );
    let by_provider = CourseFilter {
        provider: Some("AWS".into()),
        ..CourseFilter::default()
    };
    assert_eq!(list(by_provider).await, vec!["aws-basics", "aws-saa"]);
    let by_level = CourseFilter {
        level: Some("beginner".into()),
        ..CourseFilter::default()
    };
    assert_eq!(list(by_level).await, vec!["aws-basics", "k8s"]);
    let by_tag = CourseFilter {
        tag: Some("aws".into()),
        ..CourseFilter::default()
    };
    assert_eq!(list(by_tag).await, vec!["aws-basics", "aws-saa"]);
    let free = CourseFilter {
        free: Some(true),
        ..CourseFilter::default()
    };
    assert_eq!(list(free).await, vec!["aws-basics", "k8s"]);
    let paid = CourseFilter {
        free: Some(false),
        ..CourseFilter::default()
    };
    assert_eq!(list(paid).await, vec!["aws-saa"]);
    let combined = CourseFilter {
        provider: Some("aws".into()),
        level: Some("beginner".into()),
        tag: Some("AWS".into()),
        free: Some(true),
    };
    assert_eq!(list(combined).await, vec!["aws-basics"]);
    let none = CourseFilter {
        tag: Some("nothing".into()),
        ..CourseFilter::default()
    };
    assert!(list(none).await.is_empty());
    let empty_is_unset = CourseFilter {
        provider: Some(String::new()),
        ..CourseFilter::default()
    };
    assert_eq!(list(empty_is_unset).await.len(), 3);

    let saa = store
        .list_courses(&CourseFilter {
            free: Some(false),
            ..CourseFilter::default()
        })
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        saa.price,
        Some(Price {
            amount: 4900,
            currency: "USD".into()
        })
    );
    assert_eq!(saa.tags, vec!["AWS", "certification"], "tags as published");
    assert_eq!((saa.lesson_count, saa.version), (1, 1));
    assert!((saa.estimated_hours - 2.5).abs() < f64::EPSILON);

    // Republishing with other tags replaces the tag index.
    let retagged = CourseSpec {
        tags: &["architecture"],
        ..CourseSpec {
            id: "aws-saa",
            title: "AWS Solutions Architect",
            provider: "aws",
            level: "intermediate",
            price: Some(4900),
            ..CourseSpec::default()
        }
    };
    publish(&*store, &retagged, ada).await;
    let by_old_tag = CourseFilter {
        tag: Some("certification".into()),
        ..CourseFilter::default()
    };
    assert!(list(by_old_tag).await.is_empty());
    let by_new_tag = CourseFilter {
        tag: Some("architecture".into()),
        ..CourseFilter::default()
    };
    assert_eq!(list(by_new_tag).await, vec!["aws-saa"]);
}

async fn course_detail_round_trips(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    let spec = CourseSpec {
        id: "k8s",
        title: "Kubernetes",
        lessons: &[
            (
                "pods",
                "what-is-a-pod",
                "What is a pod",
                "Pods run containers.",
            ),
            (
                "pods",
                "pod-lifecycle",
                "Pod lifecycle",
                "Pending, running.",
            ),
            ("svc", "services", "Services", "Stable names."),
        ],
        ..CourseSpec::default()
    };
    let new = new_version(&spec, ada, "v");
    let sent = new.detail.clone();
    store
        .publish_version(new, None, time::OffsetDateTime::now_utc())
        .await
        .unwrap();

    let detail = store.course_detail("k8s").await.unwrap().unwrap();
    assert_eq!(detail.summary.version, 1, "the store numbers versions");
    assert_eq!(detail.summary.lesson_count, 3, "the store counts lessons");
    assert_ne!(
        detail.published_at,
        OffsetDateTime::UNIX_EPOCH,
        "the store stamps"
    );
    assert_eq!(detail.modules, sent.modules);
    assert_eq!(detail.objectives, sent.objectives);
    assert_eq!(detail.summary.title, "Kubernetes");
    let listed = store
        .list_courses(&CourseFilter::default())
        .await
        .unwrap()
        .remove(0);
    assert_eq!(listed, detail.summary, "list and detail agree");
    assert!(store.course_detail("nope").await.unwrap().is_none());
}

async fn search_ranks_titles_first_and_marks_snippets(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    publish(
        &*store,
        &CourseSpec {
            id: "iac",
            title: "Infrastructure as code",
            summary: "Declarative infrastructure for every cloud.",
            lessons: &[
                (
                    "tf",
                    "state",
                    "Terraform state",
                    "Where Terraform keeps what it created. See [the docs](https://x).",
                ),
                ("tf", "modules", "Modules", "Reusable building blocks."),
            ],
            ..CourseSpec::default()
        },
        ada,
    )
    .await;
    publish(
        &*store,
        &CourseSpec {
            id: "ops",
            title: "Operations",
            summary: "Running systems.",
            lessons: &[(
                "m",
                "backups",
                "Backups",
                "Many tools exist for backups; some teams also back up their terraform files \
                 along with everything else they care about in the long run.",
            )],
            ..CourseSpec::default()
        },
        ada,
    )
    .await;

    let hits = store.search("terraform", 10).await.unwrap();
    assert_eq!(hits.len(), 2, "{hits:#?}");
    assert_eq!(
        hits[0].lesson_id.as_deref(),
        Some("state"),
        "title match first"
    );
    assert_eq!(hits[0].course_id, "iac");
    assert_eq!(hits[0].course_title, "Infrastructure as code");
    assert_eq!(hits[0].lesson_title.as_deref(), Some("Terraform state"));
    assert_eq!(hits[1].lesson_id.as_deref(), Some("backups"));
    assert!(hits[0].score > hits[1].score, "{hits:#?}");
    for hit in &hits {
        assert!(
            hit.snippet.to_lowercase().contains("[terraform]"),
            "snippet marks the match: {:?}",
            hit.snippet
        );
    }
    assert!(
        !hits[0].snippet.contains("[the docs]"),
        "brackets of the text are not markers: {:?}",
        hits[0].snippet
    );

    // Course-level hits (title, summary) merge with lesson hits.
    let hits = store.search("declarative", 10).await.unwrap();
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(
        (hits[0].course_id.as_str(), hits[0].lesson_id.as_deref()),
        ("iac", None)
    );
    assert_eq!(hits[0].lesson_title, None);
    assert!(
        hits[0].snippet.contains("[Declarative]"),
        "{:?}",
        hits[0].snippet
    );

    // Stemming: plural query, singular text.
    let hits = store.search("blocks", 10).await.unwrap();
    assert_eq!(
        hits.first().and_then(|h| h.lesson_id.as_deref()),
        Some("modules")
    );

    // Words are ANDed; limits apply; nothing matches nothing.
    assert_eq!(
        store.search("terraform backups", 10).await.unwrap().len(),
        1
    );
    assert_eq!(store.search("terraform", 1).await.unwrap().len(), 1);
    assert!(store.search("kubernetes", 10).await.unwrap().is_empty());

    // Search follows the current version.
    publish(
        &*store,
        &CourseSpec {
            id: "ops",
            title: "Operations",
            summary: "Running systems.",
            lessons: &[("m", "backups", "Backups", "Snapshots.")],
            ..CourseSpec::default()
        },
        ada,
    )
    .await;
    let hits = store.search("terraform", 10).await.unwrap();
    assert_eq!(hits.len(), 1, "{hits:#?}");
}

async fn search_never_fails_on_user_syntax(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    publish(
        &*store,
        &CourseSpec {
            id: "c",
            title: "Foo and bar",
            lessons: &[("m", "l", "Foo", "foo bar baz NEAR quux")],
            ..CourseSpec::default()
        },
        ada,
    )
    .await;
    for query in [
        "\"foo AND (",
        "foo AND (",
        "(",
        ")",
        "\"",
        "\"\"",
        "*",
        "foo*",
        "NEAR(foo bar)",
        "title:foo",
        "-",
        "- foo",
        "-foo",
        "foo OR",
        "OR foo",
        "foo -",
        "'; DROP TABLE users; --",
        "^foo",
        "foo:",
        "{foo}",
        "foo & bar | !baz",
        "<->",
        "\u{0}",
        "ünïcödé 日本語",
        "",
        "   ",
    ] {
        let result = store.search(query, 10).await;
        assert!(result.is_ok(), "{query:?} failed: {result:?}");
    }
    // The meaning of the websearch syntax is the same on both backends.
    let n = |q: &'static str| {
        let store = Arc::clone(&store);
        async move { store.search(q, 10).await.unwrap().len() }
    };
    assert_eq!(n("foo").await, 2);
    assert_eq!(n("\"foo bar\"").await, 1);
    assert_eq!(n("foo -baz").await, 1);
    assert_eq!(n("zzz or baz").await, 1);
    assert_eq!(n("-baz").await, 0, "only exclusions match nothing");
}

async fn lessons_are_read_from_the_current_version(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    publish(
        &*store,
        &CourseSpec {
            id: "c",
            lessons: &[("m", "intro", "Intro", "# Hello\n\nWorld.")],
            ..CourseSpec::default()
        },
        ada,
    )
    .await;
    let lesson = store.lesson("c", "intro").await.unwrap().unwrap();
    assert_eq!(lesson.course_id, "c");
    assert_eq!(lesson.module_id, "m");
    assert_eq!(lesson.title, "Intro");
    assert_eq!(lesson.body, "# Hello\n\nWorld.");
    assert_eq!(lesson.minutes, 10);
    assert_eq!(
        lesson.video.as_deref(),
        Some("https://example.com/intro.mp4")
    );
    assert_eq!(lesson.transcript, None);
    assert_eq!(lesson.resources.len(), 1);
    assert!(store.lesson("c", "nope").await.unwrap().is_none());
    assert!(store.lesson("nope", "intro").await.unwrap().is_none());

    publish(
        &*store,
        &CourseSpec {
            id: "c",
            lessons: &[("m", "other", "Other", "x")],
            ..CourseSpec::default()
        },
        ada,
    )
    .await;
    assert!(store.lesson("c", "intro").await.unwrap().is_none());
    assert!(store.lesson("c", "other").await.unwrap().is_some());
}

async fn owned_courses_are_those_first_published_by_the_user(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    let bob = user(&*store, "bob@example.com", Role::Instructor).await;
    assert!(store.owned_courses(ada).await.unwrap().is_empty());
    for (id, by) in [("zeta", ada), ("alpha", ada), ("mid", bob)] {
        let spec = CourseSpec {
            id,
            ..CourseSpec::default()
        };
        publish(&*store, &spec, by).await;
    }
    // A later version by someone else (an admin) leaves the owner as it was.
    let again = CourseSpec {
        id: "alpha",
        ..CourseSpec::default()
    };
    publish(&*store, &again, bob).await;
    assert_eq!(store.owned_courses(ada).await.unwrap(), ["alpha", "zeta"]);
    assert_eq!(store.owned_courses(bob).await.unwrap(), ["mid"]);
}
