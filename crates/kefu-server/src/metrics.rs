//! Prometheus metrics in the text exposition format, kept with atomics and one small map so
//! that counting a request costs a lock-free increment on the hot path.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }
}

#[derive(Default)]
pub struct Metrics {
    /// (method, route template, status) → count and latency.
    requests: Mutex<HashMap<(String, String, u16), std::sync::Arc<Histogram>>>,
    pub messages_ingested: AtomicU64,
    pub duplicates: AtomicU64,
    pub replies_sent: AtomicU64,
    pub replies_blocked: AtomicU64,
    pub secrets_redacted: AtomicU64,
    pub breaches: AtomicU64,
    pub bot_replies: AtomicU64,
    /// Time the bot spent deciding and sending, summed (with `bot_replies`, its mean).
    pub bot_answer_micros: AtomicU64,
    /// Marketplace connector polls that succeeded, and polls or pushes that failed.
    pub connector_polls: AtomicU64,
    pub connector_failures: AtomicU64,
}

impl Metrics {
    pub fn observe_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let hist = {
            let mut map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            map.entry((method.to_string(), route.to_string(), status))
                .or_default()
                .clone()
        };
        hist.observe(took);
    }

    /// Renders everything, with the store's gauges passed in (read at scrape time).
    pub fn render(&self, open_conversations: i64, conversations: i64, messages: i64) -> String {
        let mut out = String::with_capacity(4096);
        self.render_http(&mut out);
        self.render_counters(&mut out);
        let gauges = [
            (
                "kefu_open_conversations",
                "Conversations that still need the desk.",
                open_conversations,
            ),
            ("kefu_conversations", "All conversations.", conversations),
            ("kefu_messages", "All stored messages.", messages),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }

    /// The HTTP requests' counts and latency histograms, by method, route and status.
    fn render_http(&self, out: &mut String) {
        let map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let mut keys: Vec<_> = map.keys().cloned().collect();
        keys.sort();
        out.push_str(
            "# HELP kefu_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE kefu_http_requests_total counter\n");
        for k in &keys {
            let h = &map[k];
            let _ = writeln!(
                out,
                "kefu_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}",
                k.0,
                k.1,
                k.2,
                h.count.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP kefu_http_request_duration_seconds Time to answer HTTP requests.\n");
        out.push_str("# TYPE kefu_http_request_duration_seconds histogram\n");
        for k in &keys {
            let h = &map[k];
            let labels = format!("method=\"{}\",route=\"{}\",status=\"{}\"", k.0, k.1, k.2);
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "kefu_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    h.buckets[i].load(Ordering::Relaxed)
                );
            }
            let count = h.count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "kefu_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "kefu_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "kefu_http_request_duration_seconds_count{{{labels}}} {count}"
            );
        }
    }

    /// The desk's own counters.
    fn render_counters(&self, out: &mut String) {
        let counters = [
            (
                "kefu_messages_ingested_total",
                "Buyer messages stored.",
                &self.messages_ingested,
            ),
            (
                "kefu_messages_duplicate_total",
                "Retried messages recognised by external_id and not stored again.",
                &self.duplicates,
            ),
            (
                "kefu_replies_sent_total",
                "Replies stored for sending.",
                &self.replies_sent,
            ),
            (
                "kefu_replies_blocked_total",
                "Replies the guard blocked.",
                &self.replies_blocked,
            ),
            (
                "kefu_secrets_redacted_total",
                "Buyer secrets masked before storage.",
                &self.secrets_redacted,
            ),
            (
                "kefu_bot_replies_total",
                "Answers the bot sent.",
                &self.bot_replies,
            ),
            (
                "kefu_bot_answer_microseconds_total",
                "Time the bot spent on buyer messages.",
                &self.bot_answer_micros,
            ),
            (
                "kefu_connector_polls_total",
                "Marketplace connector polls that succeeded.",
                &self.connector_polls,
            ),
            (
                "kefu_connector_failures_total",
                "Marketplace connector polls and pushes that failed.",
                &self.connector_failures,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.observe_request("POST", "/api/v1/inbound", 201, Duration::from_micros(700));
        m.observe_request("POST", "/api/v1/inbound", 201, Duration::from_millis(30));
        let text = m.render(5, 7, 9);
        assert!(text.contains(
            "kefu_http_requests_total{method=\"POST\",route=\"/api/v1/inbound\",status=\"201\"} 2"
        ));
        assert!(text.contains("le=\"0.001\"} 1"));
        assert!(text.contains("le=\"0.05\"} 2"));
        assert!(text.contains("kefu_open_conversations 5"));
    }
}
