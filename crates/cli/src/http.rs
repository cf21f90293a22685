//! One HTTP request with bounded retries, shared by the optimizer's DeepSeek client and
//! `btlab data download`: transport failures, replies cut off, 429, 418 and 5xx are tried
//! again after the server's `Retry-After` or an exponential backoff; any other status is
//! final.

use std::time::Duration;

use anyhow::{Result, bail};

pub(crate) enum Failure {
    Retryable {
        message: String,
        retry_after: Option<Duration>,
    },
    Fatal(String),
}

/// The most characters of server text one message quotes.
const QUOTE_LIMIT: usize = 200;

/// Server text on one line, at most [`QUOTE_LIMIT`] characters (with how much was left).
pub(crate) fn excerpt(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let total = one_line.chars().count();
    if total <= QUOTE_LIMIT {
        return one_line;
    }
    let kept: String = one_line.chars().take(QUOTE_LIMIT).collect();
    format!("{kept}... ({} more characters)", total - QUOTE_LIMIT)
}

/// The text of a reply with a 2xx status, read up to `limit` bytes; a reply too slow to
/// arrive names `timeout_flag`, the flag that bounds it.
pub(crate) fn read_reply(
    sent: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    limit: u64,
    timeout_flag: &str,
) -> std::result::Result<String, Failure> {
    let mut response = match sent {
        Ok(r) => r,
        // ureq's message names the URL and the cause, never the request's headers.
        Err(e) => {
            return Err(Failure::Retryable {
                message: format!("request failed: {e}"),
                retry_after: None,
            });
        }
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = match response.body_mut().with_config().limit(limit).read_to_string() {
        Ok(text) => text,
        Err(ureq::Error::BodyExceedsLimit(_)) => {
            let size = match limit % (1 << 20) {
                0 => format!("{} MiB", limit >> 20),
                _ => format!("{} KiB", limit >> 10),
            };
            return Err(Failure::Fatal(format!(
                "HTTP {status}: the reply is larger than {size}"
            )));
        }
        Err(ureq::Error::Timeout(_)) => {
            return Err(Failure::Retryable {
                message: format!("HTTP {status}: the reply did not finish arriving in time ({timeout_flag})"),
                retry_after,
            });
        }
        Err(e) => {
            return Err(Failure::Retryable {
                message: format!("HTTP {status}: the reply was cut off ({e})"),
                retry_after,
            });
        }
    };
    match status {
        200..=299 => Ok(text),
        // 418: Binance's ban for having ignored 429s, lifted after `Retry-After`.
        418 | 429 | 500..=599 => Err(Failure::Retryable {
            message: format!("HTTP {status}: {}", excerpt(&text)),
            retry_after,
        }),
        _ => Err(Failure::Fatal(format!("HTTP {status}: {}", excerpt(&text)))),
    }
}

/// How often and how long to try again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retries {
    /// Tries after the first.
    pub retries: u32,
    /// The first wait when the server names none; doubled each time.
    pub backoff: Duration,
    /// The longest wait: a backoff is cut to it, a longer `Retry-After` as `long_wait` says.
    pub max_wait: Duration,
    pub long_wait: LongWait,
}

/// What a `Retry-After` longer than [`Retries::max_wait`] does.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LongWait {
    /// Waits `max_wait` and tries again.
    Cut,
    /// Ends the tries, naming the wait: Binance lengthens a ban that is not waited out.
    GiveUp,
}

impl Retries {
    /// `attempt`'s text, tried again while it fails in a way worth it; `waiting` hears of
    /// each failure and the wait before the next try.
    pub(crate) fn run(
        &self,
        mut attempt: impl FnMut() -> std::result::Result<String, Failure>,
        mut waiting: impl FnMut(&str, Duration),
    ) -> Result<String> {
        let mut tried = 0;
        loop {
            let (message, retry_after) = match attempt() {
                Ok(text) => return Ok(text),
                Err(Failure::Fatal(message)) => bail!(message),
                Err(Failure::Retryable { message, .. }) if tried >= self.retries => {
                    bail!("{message} (after {} attempts)", tried + 1)
                }
                Err(Failure::Retryable { message, retry_after }) => (message, retry_after),
            };
            let wait = match retry_after {
                Some(asked) if asked > self.max_wait => match self.long_wait {
                    LongWait::Cut => self.max_wait,
                    LongWait::GiveUp => bail!(
                        "{message}: the server asks to wait {} s before another request; try again later",
                        asked.as_secs()
                    ),
                },
                Some(asked) => asked,
                None => (self.backoff * 2u32.saturating_pow(tried)).min(self.max_wait),
            };
            waiting(&message, wait);
            std::thread::sleep(wait);
            tried += 1;
        }
    }
}
