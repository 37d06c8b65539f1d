//! Wake-ups from PostgreSQL: `LISTEN uam_outbox`, notified by a trigger when an event is written.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};

/// Listens on its own connection and calls `wake` for every batch of notifications, until `stop`
/// is set. Reconnects after a failure. Checking for received notifications reads the socket only,
/// no query, so the 50 ms tick costs the database nothing.
pub fn listen_for_events(
    url: String,
    stop: Arc<AtomicBool>,
    wake: impl Fn() + Send + 'static,
) -> anyhow::Result<()> {
    thread::Builder::new()
        .name("outbox-listener".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut conn = match PgConnection::establish(&url) {
                    Ok(c) => c,
                    // A database that does not exist will not appear: stop listening (the relay
                    // still looks every few seconds) rather than retry for ever.
                    Err(e) if e.to_string().contains("does not exist") => {
                        tracing::error!(error = %e, "outbox listener stopped: the database is gone");
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "outbox listener cannot connect; retrying");
                        thread::sleep(Duration::from_secs(1));
                        continue;
                    }
                };
                if let Err(e) = diesel::sql_query("LISTEN uam_outbox").execute(&mut conn) {
                    tracing::warn!(error = %e, "outbox listener cannot LISTEN; retrying");
                    thread::sleep(Duration::from_secs(1));
                    continue;
                }
                // Whatever was written while not listening is found by the first wake-up.
                wake();
                while !stop.load(Ordering::Relaxed) {
                    let mut woke = false;
                    let mut broken = false;
                    for n in conn.notifications_iter() {
                        match n {
                            Ok(_) => woke = true,
                            Err(_) => broken = true,
                        }
                    }
                    if woke {
                        wake();
                    }
                    if broken {
                        break;
                    }
                    thread::sleep(Duration::from_millis(50));
                }
            }
        })?;
    Ok(())
}
