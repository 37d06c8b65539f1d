//! Wake-ups from PostgreSQL: `LISTEN uam_outbox`, notified by a trigger when an event is written,
//! and `LISTEN uam_agencies`, notified when an agency changes.
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

/// The outbox's channel: a trigger notifies it for each event written.
pub const OUTBOX_CHANNEL: &str = "uam_outbox";
/// The agencies' channel: a trigger notifies it for each statement that changes `agencies`.
pub const AGENCIES_CHANNEL: &str = "uam_agencies";

/// Listens to `channel` on its own connection and calls `wake` once it listens (what was notified
/// before is not heard) and as soon as notifications arrive (once per batch received together),
/// until `stop` is set; calls `lost` when the connection fails, before reconnecting (every
/// second). Stops for good when the database does not exist. The connection is made without TLS:
/// it carries notifications only, which name no child.
pub fn listen(
    url: String,
    channel: &'static str,
    stop: Arc<AtomicBool>,
    wake: impl Fn() + Send + 'static,
    lost: impl Fn() + Send + 'static,
) -> anyhow::Result<()> {
    thread::Builder::new()
        .name(format!("listen-{channel}"))
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut client = match Client::connect(&url, NoTls) {
                    Ok(c) => c,
                    // A database that does not exist will not appear: stop listening (the relay
                    // still looks every few seconds) rather than retry for ever.
                    Err(e) if e.code() == Some(&SqlState::INVALID_CATALOG_NAME) => {
                        lost();
                        tracing::error!(error = %e, channel, "listener stopped: the database is gone");
                        return;
                    }
                    Err(e) => {
                        lost();
                        tracing::warn!(error = %e, channel, "listener cannot connect; retrying");
                        thread::sleep(Duration::from_secs(1));
                        continue;
                    }
                };
                if let Err(e) = client.batch_execute(&format!("LISTEN {channel}")) {
                    tracing::warn!(error = %e, channel, "listener cannot LISTEN; retrying");
                    thread::sleep(Duration::from_secs(1));
                    continue;
                }
                // Changes made before LISTEN took effect are not notified.
                wake();
                if let Err(e) = wait_and_wake(&mut client, &stop, &wake) {
                    lost();
                    tracing::warn!(error = %e, channel, "listener lost its connection; reconnecting");
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
