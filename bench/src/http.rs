//! Small HTTP helpers over reqwest for the load generators.

use std::time::{Duration, Instant};

use anyhow::Context;

/// A blocking client for one sequential caller: keep-alive, no proxy, generous timeout.
pub fn blocking_client() -> anyhow::Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(1)
        .build()
        .context("building an HTTP client")
}

/// An async client for many concurrent callers (one keep-alive connection each).
pub fn async_client(connections: usize) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(connections)
        .build()
        .context("building an HTTP client")
}

/// The answer to one timed request.
pub struct Timed {
    pub status: u16,
    pub elapsed: Duration,
    pub body: Vec<u8>,
}

/// Sends `request`, reads the whole body, and times both.
pub fn send(request: reqwest::blocking::RequestBuilder) -> anyhow::Result<Timed> {
    let started = Instant::now();
    let response = request.send().context("sending a request")?;
    let status = response.status().as_u16();
    let body = response.bytes().context("reading an answer")?.to_vec();
    Ok(Timed {
        status,
        elapsed: started.elapsed(),
        body,
    })
}
