//! The fake's catalog: three courses (one free with four lessons in two modules, one paid,
//! one short) and a lesson with a code block and a table; and how search marks its hits.

use cloudmaster_core::api::{CourseSummary, Price};

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

pub struct LessonData {
    pub module: &'static str,
    pub id: &'static str,
    pub title: &'static str,
    pub minutes: u32,
    pub body: &'static str,
}

pub struct CourseData {
    pub summary: CourseSummary,
    /// Module ids and titles, in order.
    pub modules: Vec<(&'static str, &'static str)>,
    pub lessons: Vec<LessonData>,
}

pub fn catalog() -> Vec<CourseData> {
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

/// `text` around the first match of `query`, with the match in brackets (as the server
/// marks it).
pub(super) fn snippet(text: &str, query: &str) -> Option<String> {
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
