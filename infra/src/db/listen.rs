//! Wake-ups from PostgreSQL: `LISTEN uam_outbox`, notified by a trigger when an event is written.
//!
//! The listening connection is a `postgres` client, not a diesel one: diesel can only look for
//! notifications already received, so it would have to poll, and every poll interval would add
//! to the time an alert takes to reach the agencies. The client blocks until one arrives.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls};

/// How long a wait for a notification lasts before `stop` is looked at again.
const STOP_CHECK: Duration = Duration::from_millis(500);

/// Listens on its own connection and calls `wake` as soon as notifications arrive (once per batch
/// received together), until `stop` is set. Reconnects after a failure, every second; stops for
/// good when the database does not exist. The connection is made without TLS: it carries
/// notifications only, which name no child.
pub fn listen_for_events(
    url: String,
    stop: Arc<AtomicBool>,
    wake: impl Fn() + Send + 'static,
) -> anyhow::Result<()> {
    thread::Builder::new()
        .name("outbox-listener".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut client = match Client::connect(&url, NoTls) {
                    Ok(c) => c,
                    // A database that does not exist will not appear: stop listening (the relay
                    // still looks every few seconds) rather than retry for ever.
                    Err(e) if e.code() == Some(&SqlState::INVALID_CATALOG_NAME) => {
                        tracing::error!(error = %e, "outbox listener stopped: the database is gone");
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "outbox listener cannot connect; retrying");
                        thread::sleep(Duration::from_secs(1));
                        continue;
                    }
                };
                if let Err(e) = client.batch_execute("LISTEN uam_outbox") {
                    tracing::warn!(error = %e, "outbox listener cannot LISTEN; retrying");
                    thread::sleep(Duration::from_secs(1));
                    continue;
                }
                // Events written before LISTEN took effect are not notified.
                wake();
                if let Err(e) = wait_and_wake(&mut client, &stop, &wake) {
                    tracing::warn!(error = %e, "outbox listener lost its connection; reconnecting");
                }
            }
        })?;
    Ok(())
}

/// Calls `wake` for each batch of notifications until `stop` is set (`Ok`) or the connection
/// fails (`Err`).
fn wait_and_wake(
    client: &mut Client,
    stop: &AtomicBool,
    wake: &impl Fn(),
) -> Result<(), postgres::Error> {
    while !stop.load(Ordering::Relaxed) {
        let woke = {
            let mut notifications = client.notifications();
            let first = notifications.timeout_iter(STOP_CHECK).next()?;
            // The others already received belong to the same wake-up.
            notifications.iter().count()?;
            first.is_some()
        };
        if woke {
            wake();
        } else if client.is_closed() {
            // The wait ends without an error when the server closes the connection; a statement
            // on the closed client gives that error.
            client.batch_execute("")?;
        }
    }
    Ok(())
}
