//! DeepSeek's OpenAI-compatible chat completions, asked for the next configs of an
//! optimization. Retries with backoff on timeouts, 429 and 5xx; every other failure is
//! returned so the loop falls back to the heuristic. The key goes into one header and
//! nowhere else: not into errors, logs, the store or exports.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use btlab::Metrics;
use btlab::metrics::Metric;
use btlab::optimize::{Dimension, SearchSpace};
use serde_json::{Map, Value, json};

use crate::http::{self, LongWait, Retries, excerpt};

pub(crate) const DEFAULT_BASE_URL: &str = "https://api.deepseek.com";

pub(crate) struct DeepSeek {
    agent: ureq::Agent,
    url: String,
    key: String,
    pub model: String,
    retries: Retries,
}

/// What the history table shows of each trial.
pub(crate) struct Tried<'a> {
    pub params: &'a Map<String, Value>,
    pub metrics: &'a Metrics,
}

impl DeepSeek {
    /// A client when `DEEPSEEK_API_KEY` is set (base URL from `DEEPSEEK_BASE_URL`).
    pub(crate) fn from_env(model: &str, timeout: Duration, retries: u32, backoff: Duration) -> Option<DeepSeek> {
        let key = std::env::var("DEEPSEEK_API_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty())?;
        let base = std::env::var("DEEPSEEK_BASE_URL").unwrap_or_else(|_| DEFAULT_BASE_URL.to_owned());
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Some(DeepSeek {
            agent,
            url: format!("{}/chat/completions", base.trim_end_matches('/')),
            key: key.trim().to_owned(),
            model: model.to_owned(),
            retries: Retries {
                retries,
                backoff,
                max_wait: Duration::from_secs(30),
                long_wait: LongWait::Cut,
            },
        })
    }

    /// Up to `n` params objects as the model proposes them (unvalidated: the caller checks
    /// each against the strategy's schema).
    pub(crate) fn propose(
        &self,
        space: &SearchSpace,
        target: Metric,
        history: &[Tried],
        n: usize,
    ) -> Result<Vec<Map<String, Value>>> {
        let body = json!({
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": user_prompt(space, target, history, n)},
            ],
            "response_format": {"type": "json_object"},
            "temperature": 0.7,
            "stream": false,
        });
        // Whatever a server sends back may quote the request, key included: every
        // message made from a reply is redacted and cut short before anyone sees it.
        self.post_with_retries(&body)
            .and_then(|reply| parse_reply(&reply))
            .map_err(|e| anyhow!(self.redact(&format!("{e:#}"))))
    }

    /// `text` without the key, cut to [`QUOTE_LIMIT`] characters: what btlab prints of
    /// anything a server sent.
    pub(crate) fn redact(&self, text: &str) -> String {
        excerpt(&text.replace(&self.key, "[redacted]"))
    }

    fn post_with_retries(&self, body: &Value) -> Result<String> {
        self.retries.run(
            || {
                let sent = self
                    .agent
                    .post(&self.url)
                    .header("Authorization", &format!("Bearer {}", self.key))
                    .send_json(body);
                http::read_reply(sent, REPLY_LIMIT, "--api-timeout")
            },
            |message, wait| {
                note!(
                    "  deepseek: {}; retrying in {:.1}s",
                    self.redact(message),
                    wait.as_secs_f64()
                );
            },
        )
    }
}

/// The most of a reply btlab reads: a chat completion of a few configs is a few KB.
const REPLY_LIMIT: u64 = 4 << 20;
const SYSTEM_PROMPT: &str = "You optimize the parameters of a trading strategy backtested on historical candles. \
Answer with one JSON object and nothing else: {\"configs\": [{<parameter>: <value>, ...}, ...]}. \
Every config must give every searched parameter, respect its type, bounds and the constraints, \
and differ from every config already tried. Balance exploiting the best region with exploring.";

fn user_prompt(space: &SearchSpace, target: Metric, history: &[Tried], n: usize) -> String {
    let mut text = format!(
        "Strategy `{}`: {}\nTarget: {} ({}).\nParameters to search:\n",
        space.strategy.name(),
        space.strategy.description(),
        target,
        if target.higher_is_better() {
            "higher is better"
        } else {
            "lower is better"
        }
    );
    for d in &space.dimensions {
        let line = match d {
            Dimension::Int { name, low, high, step } => format!("- {name}: integer in [{low}, {high}], step {step}"),
            Dimension::Float { name, low, high, log } => {
                format!(
                    "- {name}: number in [{low}, {high}]{}",
                    if *log { ", log scale" } else { "" }
                )
            }
            Dimension::Choice { name, values } => format!("- {name}: one of {}", Value::Array(values.clone())),
        };
        text.push_str(&line);
        text.push('\n');
    }
    for c in space.strategy.constraints() {
        text.push_str(&format!("Constraint: {c}\n"));
    }
    if !space.fixed.is_empty() {
        text.push_str(&format!(
            "Fixed (do not send): {}\n",
            Value::Object(space.fixed.clone())
        ));
    }
    // The best trials and the latest ones: what to exploit and what was just learned.
    let mut ranked: Vec<&Tried> = history.iter().collect();
    ranked.sort_by(|a, b| {
        let (x, y) = (target.of(a.metrics), target.of(b.metrics));
        if target.higher_is_better() {
            y.total_cmp(&x)
        } else {
            x.total_cmp(&y)
        }
    });
    let shown: Vec<&Tried> = ranked
        .iter()
        .take(20)
        .chain(history.iter().rev().take(10).collect::<Vec<_>>().iter())
        .copied()
        .collect();
    text.push_str(&format!(
        "\n{} configs tried so far; the best 20 and the latest 10:\nparams | {target} | sharpe_ratio | total_return | max_drawdown | total_trades\n",
        history.len()
    ));
    for t in shown {
        text.push_str(&format!(
            "{} | {:.4} | {:.4} | {:.4} | {:.4} | {}\n",
            Value::Object(t.params.clone()),
            target.of(t.metrics),
            t.metrics.sharpe_ratio,
            t.metrics.total_return,
            t.metrics.max_drawdown,
            t.metrics.total_trades
        ));
    }
    text.push_str(&format!("\nPropose {n} new configs."));
    text
}

/// The configs of a chat completion, read strictly: the message must be one JSON object
/// with a `configs` array of objects.
fn parse_reply(text: &str) -> Result<Vec<Map<String, Value>>> {
    let reply: Value = serde_json::from_str(text).context("the API's reply is not JSON")?;
    let content = reply
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("the reply has no choices[0].message.content"))?;
    let answer: Value = serde_json::from_str(content.trim())
        .map_err(|e| anyhow!("the model's answer is not strict JSON ({e}): {}", excerpt(content)))?;
    let configs = answer
        .get("configs")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("the model's answer has no `configs` array: {}", excerpt(content)))?;
    configs
        .iter()
        .map(|c| {
            c.as_object()
                .cloned()
                .ok_or_else(|| anyhow!("a config is not an object: {}", excerpt(&c.to_string())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(content: &str) -> String {
        json!({"choices": [{"message": {"role": "assistant", "content": content}}]}).to_string()
    }

    #[test]
    fn replies_are_read_strictly() {
        let ok = parse_reply(&reply(r#"{"configs": [{"fast_period": 9, "slow_period": 40}]}"#)).unwrap();
        assert_eq!(ok[0]["fast_period"], 9);
        for bad in [
            "Here you go: {\"configs\": []}",
            "{\"configs\": {\"fast_period\": 9}}",
            "{\"configs\": [3]}",
            "```json\n{\"configs\": []}\n```",
        ] {
            assert!(parse_reply(&reply(bad)).is_err(), "{bad}");
        }
        assert!(parse_reply("{\"error\": \"x\"}").is_err());
    }
}
