//! A small Prometheus registry: request counts by route, method and status, and a latency
//! histogram per route and method, all plain atomics.
//!
//! A route's counters are found by its matched path (`/api/v1/courses/{course}`), never the
//! raw URI, so the number of series is bounded by the route table. Recording a request takes
//! a read lock on the route map and a few relaxed atomic adds; the map is written only the
//! first time a route is seen.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};

/// Statuses counted individually; anything else is counted as `other`.
const STATUSES: [u16; 16] = [
    200, 201, 204, 400, 401, 402, 403, 404, 405, 409, 413, 422, 429, 500, 503, 0,
];
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "OTHER"];
/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct MethodStats {
    statuses: [AtomicU64; STATUSES.len()],
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

#[derive(Default)]
struct RouteStats {
    methods: [MethodStats; METHODS.len()],
}

pub struct Metrics {
    routes: RwLock<HashMap<String, Box<RouteStats>>>,
    started: Instant,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            routes: RwLock::default(),
            started: Instant::now(),
        }
    }
}

fn method_index(method: &Method) -> usize {
    match *method {
        Method::GET => 0,
        Method::POST => 1,
        Method::PUT => 2,
        Method::DELETE => 3,
        _ => 4,
    }
}

fn status_index(status: StatusCode) -> usize {
    let code = status.as_u16();
    STATUSES
        .iter()
        .position(|s| *s == code)
        .unwrap_or(STATUSES.len() - 1)
}

impl Metrics {
    /// Records one finished request. `route` is the matched path, or `unmatched`.
    pub fn record(&self, route: &str, method: &Method, status: StatusCode, elapsed: Duration) {
        let update = |stats: &RouteStats| {
            let m = &stats.methods[method_index(method)];
            m.statuses[status_index(status)].fetch_add(1, Ordering::Relaxed);
            let secs = elapsed.as_secs_f64();
            if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
                m.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
            m.count.fetch_add(1, Ordering::Relaxed);
            m.sum_micros
                .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        };
        if let Some(stats) = self
            .routes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(route)
        {
            update(stats);
            return;
        }
        let mut routes = self.routes.write().unwrap_or_else(|e| e.into_inner());
        update(routes.entry(route.to_owned()).or_default());
    }

    /// The Prometheus text exposition of everything recorded.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let routes = self.routes.read().unwrap_or_else(|e| e.into_inner());
        let mut names: Vec<&String> = routes.keys().collect();
        names.sort();

        out.push_str(
            "# HELP cloudmaster_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE cloudmaster_http_requests_total counter\n");
        for name in &names {
            for (mi, m) in routes[*name].methods.iter().enumerate() {
                for (si, counter) in m.statuses.iter().enumerate() {
                    let n = counter.load(Ordering::Relaxed);
                    if n == 0 {
                        continue;
                    }
                    let status = match STATUSES[si] {
                        0 => "other".to_owned(),
                        s => s.to_string(),
                    };
                    let _ = writeln!(
                        out,
                        "cloudmaster_http_requests_total{{route=\"{name}\",method=\"{}\",status=\"{status}\"}} {n}",
                        METHODS[mi]
                    );
                }
            }
        }

        out.push_str("# HELP cloudmaster_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE cloudmaster_http_request_duration_seconds histogram\n");
        for name in &names {
            for (mi, m) in routes[*name].methods.iter().enumerate() {
                let count = m.count.load(Ordering::Relaxed);
                if count == 0 {
                    continue;
                }
                let labels = format!("route=\"{name}\",method=\"{}\"", METHODS[mi]);
                let mut cumulative = 0;
                for (bi, bound) in BUCKETS.iter().enumerate() {
                    cumulative += m.buckets[bi].load(Ordering::Relaxed);
                    let _ = writeln!(
                        out,
                        "cloudmaster_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                    );
                }
                let _ = writeln!(
                    out,
                    "cloudmaster_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
                );
                let sum = m.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
                let _ = writeln!(
                    out,
                    "cloudmaster_http_request_duration_seconds_sum{{{labels}}} {sum}"
                );
                let _ = writeln!(
                    out,
                    "cloudmaster_http_request_duration_seconds_count{{{labels}}} {count}"
                );
            }
        }

        out.push_str("# HELP cloudmaster_uptime_seconds Seconds since this replica started.\n");
        out.push_str("# TYPE cloudmaster_uptime_seconds gauge\n");
        let _ = writeln!(
            out,
            "cloudmaster_uptime_seconds {}",
            self.started.elapsed().as_secs()
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_histogram() {
        let metrics = Metrics::default();
        let route = "/api/v1/courses/{course}";
        metrics.record(
            route,
            &Method::GET,
            StatusCode::OK,
            Duration::from_micros(700),
        );
        metrics.record(
            route,
            &Method::GET,
            StatusCode::NOT_FOUND,
            Duration::from_millis(3),
        );
        metrics.record(
            route,
            &Method::GET,
            StatusCode::IM_A_TEAPOT,
            Duration::from_secs(9),
        );
        let text = metrics.render();
        assert!(text.contains(
            "cloudmaster_http_requests_total{route=\"/api/v1/courses/{course}\",method=\"GET\",status=\"200\"} 1"
        ), "{text}");
        assert!(text.contains("status=\"other\"} 1"));
        assert!(text.contains("le=\"0.001\"} 1"));
        assert!(text.contains("le=\"0.005\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 3"));
    }
}
