//! The outbox's delivery worker and its sinks. Domains write messages with
//! `zhengwu_store::notify::enqueue` in their own transaction; this worker delivers them.
//!
//! - `log`: writes the message to the log (`target = zhengwu::notify`); never fails.
//! - `webhook`: `POST` of the message as JSON to the configured URL with an
//!   `Idempotency-Key` header; any 2xx is a delivery, anything else is retried.

use std::time::Duration;

use chrono::Utc;
use serde::Serialize;
use tokio::sync::watch;
use zhengwu_store::notify::{self, Message, RetryPolicy, SINK_LOG, SINK_WEBHOOK};

use crate::config::Config;
use crate::startup::AppState;

/// The sink a new message goes to: the webhook when one is configured, else the log.
pub fn default_sink(config: &Config) -> &'static str {
    if config.notify.webhook_url.is_some() {
        SINK_WEBHOOK
    } else {
        SINK_LOG
    }
}

/// What the webhook receives.
#[derive(Debug, Serialize)]
struct WebhookBody<'a> {
    id: i64,
    topic: &'a str,
    payload: &'a serde_json::Value,
    created_at: chrono::DateTime<Utc>,
    attempt: i32,
}

/// Delivers due messages until shut down.
pub struct Worker {
    state: AppState,
    shutdown: watch::Receiver<bool>,
    http: reqwest::Client,
    policy: RetryPolicy,
}

impl Worker {
    pub fn new(state: AppState, shutdown: watch::Receiver<bool>) -> Self {
        let n = &state.config.notify;
        let policy = RetryPolicy {
            max_attempts: n.max_attempts,
            base_delay: n.base_delay,
            max_delay: n.max_delay,
        };
        let http = reqwest::Client::builder()
            .timeout(n.request_timeout)
            .user_agent(concat!("zhengwu/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            state,
            shutdown,
            http,
            policy,
        }
    }

    pub async fn run(mut self) {
        let poll = self.state.config.notify.poll_interval;
        loop {
            if *self.shutdown.borrow() {
                return;
            }
            match self.tick().await {
                // A full batch: there may be more due at once.
                Ok(n) if n >= BATCH as usize => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox worker: could not read the outbox"),
            }
            let wake = self.state.outbox_wake.clone();
            tokio::select! {
                _ = self.shutdown.wait_for(|v| *v) => return,
                () = tokio::time::sleep(poll) => {}
                () = wake.notified() => {}
            }
        }
    }

    /// Delivers one batch of due messages; returns how many were tried.
    pub async fn tick(&self) -> Result<usize, zhengwu_store::StoreError> {
        let lease = self.state.config.notify.request_timeout * 2 + Duration::from_secs(30);
        let batch = notify::claim_due(&self.state.db, Utc::now(), BATCH, lease).await?;
        let n = batch.len();
        for msg in batch {
            let outcome = self.deliver(&msg).await;
            let now = Utc::now();
            let res = match outcome {
                Ok(()) => notify::mark_delivered(&self.state.db, msg.id, now).await,
                Err(e) => notify::mark_failed(&self.state.db, msg.id, &e, now, &self.policy)
                    .await
                    .map(|status| {
                        tracing::warn!(id = %msg.id, topic = %msg.topic, attempt = msg.attempts + 1,
                            status = status.as_str(), error = %e, "notification not delivered");
                    }),
            };
            if let Err(e) = res {
                // The lease expires and the message is tried again: never lost.
                tracing::error!(id = %msg.id, error = %e, "could not record a delivery attempt");
            }
        }
        Ok(n)
    }

    async fn deliver(&self, msg: &Message) -> Result<(), String> {
        match msg.sink.as_str() {
            SINK_LOG => {
                tracing::info!(target: "zhengwu::notify", id = %msg.id, topic = %msg.topic,
                    payload = %masked_payload(&msg.payload), "notification");
                Ok(())
            }
            SINK_WEBHOOK => {
                let Some(url) = &self.state.config.notify.webhook_url else {
                    return Err("no webhook URL is configured".into());
                };
                let body = WebhookBody {
                    id: msg.id.get(),
                    topic: &msg.topic,
                    payload: &msg.payload,
                    created_at: msg.created_at,
                    attempt: msg.attempts + 1,
                };
                let res = self
                    .http
                    .post(url.expose())
                    .header("Idempotency-Key", &msg.idempotency_key)
                    .json(&body)
                    .send()
                    .await
                    .map_err(|e| format!("webhook request failed: {}", e.without_url()))?;
                if res.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("webhook answered {}", res.status()))
                }
            }
            other => Err(format!("no sink named {other}")),
        }
    }
}

/// Messages leased per round.
const BATCH: u64 = 32;

/// The payload for a log line: personal data (mobile numbers, ID numbers) masked.
pub fn masked_payload(payload: &serde_json::Value) -> serde_json::Value {
    use zhengwu_core::ident::mask;
    match payload {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let v = match (k.as_str(), v.as_str()) {
                    ("mobile", Some(s)) => serde_json::Value::String(mask(s, 3, 4)),
                    ("id_number", Some(s)) => serde_json::Value::String(mask(s, 6, 4)),
                    _ => masked_payload(v),
                };
                (k.clone(), v)
            })
            .collect(),
        serde_json::Value::Array(a) => a.iter().map(masked_payload).collect(),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::masked_payload;

    #[test]
    fn personal_data_is_masked_in_the_log() {
        let p = serde_json::json!({"mobile": "13904110001", "nested": {"id_number": "11010519491231002X"}, "code": "123456"});
        assert_eq!(
            masked_payload(&p),
            serde_json::json!({"mobile": "139****0001", "nested": {"id_number": "110105********002X"}, "code": "123456"})
        );
    }
}
