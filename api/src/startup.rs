//! The composition root: the only place that names infra types. Builds the application from
//! settings, binding its listener first so that tests can ask for port 0.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use domain::alert::{DEFAULT_RISK_TOML, RiskRules};
use domain::episode::{DEFAULT_ZONES_TOML, Zones};
use domain::lifecycle::{DEFAULT_RETENTION_TOML, Retention};
use domain::policy::{DEFAULT_POLICY_TOML, Policy, PolicyDocument};
use domain::ports::{EventSink, Lane, TopicAdmin};
use domain::usecase::agencies::Agencies;
use domain::usecase::alerts::{AlertPorts, Alerts};
use domain::usecase::audit::AuditTrail;
use domain::usecase::authenticate::Authenticator;
use domain::usecase::deliveries::{Deliveries, DeliveryPorts};
use domain::usecase::episodes::{EpisodePorts, Episodes};
use domain::usecase::health::Readiness;
use domain::usecase::kernel::Kernel;
use domain::usecase::lifecycle::{LifecyclePorts, Lifecycles};
use domain::usecase::merge::Merges;
use domain::usecase::policy::Rules;
use domain::usecase::records::{RecordPorts, Records};
use domain::usecase::relay::{Relay, RelayPorts, RelayTiming};
use domain::usecase::search::Search;
use domain::usecase::statistics::Statistics;
use domain::usecase::subject_access::SubjectAccesses;
use domain::usecase::subscriptions::{SubscriptionPorts, Subscriptions};
use infra::auth::{DevKey, JwksSource, JwksVerifier, VerifierSettings};
use infra::clock::SystemClock;
use infra::db::{
    AGENCIES_CHANNEL, AgencyCache, CachedAgencies, Database, DatabaseOutages, DatabaseUrl,
    DieselAgencyRepository, DieselAuditLog, DieselMinorRepository, PoolSettings,
};
use infra::db::{
    DieselAlertRepository, DieselEpisodes, DieselOutbox, DieselStatisticsSource,
    DieselSweepCalendar, OUTBOX_CHANNEL, listen,
};
use infra::ids::UuidGenerator;
use infra::kafka::{KafkaSink, KafkaTopics};
use infra::photo::PhotoSanitizer;
use infra::webhook::{RandomSecrets, WebhookGuard, WebhookSink};
use tracing_actix_web::TracingLogger;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::{Settings, Store};
use crate::state::AppState;
use crate::{demo, http, openapi, routes};

/// Choices made on the command line (or by tests) rather than in settings.
#[derive(Clone, Default)]
pub struct Options {
    /// Seed the demo agencies and children.
    pub demo: bool,
    /// The clock; the system clock when `None`. Tests drive deadlines with their own.
    pub clock: Option<Arc<dyn domain::ports::Clock>>,
}

/// Relay rounds at once on PostgreSQL by default, where each takes a subscription no other holds
/// (`FOR UPDATE SKIP LOCKED`): a report notifies up to ten agencies, and one round would serve
/// them one after another, each waiting for its endpoint's acknowledgement. A round holds one
/// pooled connection while delivering and takes another to render events, so one round is run per
/// four connections of the pool (the rest serve requests), at least one and at most four. SQLite
/// has one round at a time.
fn relay_workers_postgres(pool_size: u32) -> usize {
    usize::try_from(pool_size / 4).unwrap_or(1).clamp(1, 4)
}

/// The database the settings name.
pub fn database_url(settings: &Settings) -> anyhow::Result<DatabaseUrl> {
    Ok(match settings.store()? {
        Store::Sqlite(path) => DatabaseUrl::Sqlite(path),
        Store::Postgres(url) => DatabaseUrl::Postgres(url),
    })
}

/// A built, bound, not yet running server, with its background work.
pub struct Application {
    port: u16,
    server: Server,
    alerts: Alerts,
    episodes: Episodes,
    lifecycles: Lifecycles,
    relay: Relay,
    /// Wakes the relay when an event is written (PostgreSQL `NOTIFY`).
    wake: Arc<tokio::sync::Notify>,
    /// How long the relay waits for a wake-up before looking anyway.
    relay_poll: Duration,
    /// Relay rounds run at once on each wake-up: each serves other subscriptions.
    relay_workers: usize,
    /// Ends the outbox listener thread.
    stop: Arc<std::sync::atomic::AtomicBool>,
    /// How often the deadline sweep runs, and outbox events past retention are removed.
    sweep_every: Duration,
    prune_every: Duration,
    /// The verifier of a JWKS given by URL, and how often to fetch it again.
    key_refresh: Option<(Arc<JwksVerifier>, Duration)>,
}

/// Opens the database pool, applies pending migrations and rebuilds the name index if its key
/// scheme changed. Blocks.
pub fn open_database(settings: &Settings) -> anyhow::Result<Database> {
    let url = database_url(settings)?;
    let db = Database::connect(
        &url,
        PoolSettings {
            max_size: settings.database_pool_size,
            acquire_timeout: settings.database_timeout(),
        },
    )?;
    let applied = db.migrate()?;
    if !applied.is_empty() {
        tracing::info!(?applied, "applied migrations");
    }
    let rekeyed = infra::db::ensure_name_index(&db)?;
    if rekeyed > 0 {
        tracing::info!(records = rekeyed, "rebuilt the name index");
    }
    if db.autovacuum_off()? {
        tracing::warn!(
            "PostgreSQL runs with autovacuum off: as the registry grows, queries keep plans made \
             while it was small; turn autovacuum on or ANALYZE regularly (docs/operations.md)"
        );
    }
    Ok(db)
}

/// Checks the audit chain of the configured database. Blocks.
pub fn verify_audit(settings: &Settings) -> anyhow::Result<domain::audit::VerifyReport> {
    use domain::ports::AuditLog;
    let db = open_database(settings)?;
    DieselAuditLog::start(db, 1, settings.database_timeout())?.verify()
}

/// The development key, when no JWKS is configured.
fn dev_key(settings: &Settings) -> anyhow::Result<DevKey> {
    DevKey::load_or_create(&settings.data_dir).context("the development signing key")
}

fn verifier(settings: &Settings) -> anyhow::Result<JwksVerifier> {
    let source = if settings.uses_dev_key() {
        let key = dev_key(settings)?;
        tracing::warn!(
            jwks = %key.jwks_path().display(),
            "no auth_jwks configured: accepting tokens signed with the development key"
        );
        JwksSource::File(key.jwks_path().to_path_buf())
    } else {
        JwksSource::parse(&settings.auth_jwks)
    };
    JwksVerifier::load(VerifierSettings {
        source,
        issuer: settings.auth_issuer.clone(),
        audience: settings.auth_audience.clone(),
        leeway: Duration::from_secs(settings.auth_leeway_seconds),
        refetch_interval: Duration::from_secs(60),
    })
    .context("the token verification keys (auth_jwks)")
}

/// The access policy: the file named by `policy`, or the shipped default. Fails, naming the file,
/// on an unknown role, category, purpose or condition and on a grant that breaks an invariant.
pub fn load_policy(settings: &Settings) -> anyhow::Result<Policy> {
    let (text, origin) = if settings.policy.is_empty() {
        (
            DEFAULT_POLICY_TOML.to_owned(),
            "the default policy".to_owned(),
        )
    } else {
        let text = std::fs::read_to_string(&settings.policy)
            .with_context(|| format!("cannot read the policy file {}", settings.policy))?;
        (text, format!("the policy file {}", settings.policy))
    };
    let document: PolicyDocument =
        toml::from_str(&text).with_context(|| format!("{origin} is invalid"))?;
    Policy::from_document(document).with_context(|| format!("{origin} is invalid"))
}

/// The retention rules: the file named by `retention`, or the shipped default. Fails, naming the
/// file and the rule, on an unknown name and on rules that do not hold together.
pub fn load_retention(settings: &Settings) -> anyhow::Result<Retention> {
    let (text, origin) = if settings.retention.is_empty() {
        (
            DEFAULT_RETENTION_TOML.to_owned(),
            "the default retention rules".to_owned(),
        )
    } else {
        let text = std::fs::read_to_string(&settings.retention)
            .with_context(|| format!("cannot read the retention file {}", settings.retention))?;
        (text, format!("the retention file {}", settings.retention))
    };
    let rules: Retention = toml::from_str(&text).with_context(|| format!("{origin} is invalid"))?;
    rules
        .checked()
        .with_context(|| format!("{origin} is invalid"))
}

/// The police zones: the file named by `zones`, or the shipped default. Fails, naming the file, on
/// an unknown name and on a municipality in two zones.
pub fn load_zones(settings: &Settings) -> anyhow::Result<Zones> {
    let (text, origin) = if settings.zones.is_empty() {
        (
            DEFAULT_ZONES_TOML.to_owned(),
            "the default police zones".to_owned(),
        )
    } else {
        let text = std::fs::read_to_string(&settings.zones)
            .with_context(|| format!("cannot read the zones file {}", settings.zones))?;
        (text, format!("the zones file {}", settings.zones))
    };
    let zones: Zones = toml::from_str(&text).with_context(|| format!("{origin} is invalid"))?;
    zones
        .checked()
        .with_context(|| format!("{origin} is invalid"))
}

impl Application {
    pub async fn build(settings: Settings, options: Options) -> anyhow::Result<Self> {
        let prepared = settings.clone();
        let chosen_clock = options.clock.clone();
        let demo = options.demo;
        let wake = Arc::new(tokio::sync::Notify::new());
        let waker = wake.clone();
        let agency_cache = Arc::new(AgencyCache::default());
        let cached = agency_cache.clone();
        let (state, verifier) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let policy = Arc::new(load_policy(&prepared)?);
            let retention = Arc::new(load_retention(&prepared)?);
            let outbox_retention = chrono::Duration::days(i64::from(retention.outbox_days()));
            let db = open_database(&prepared)?;
            if db.backend() == infra::db::Backend::Sqlite {
                // No NOTIFY on SQLite: the writers in this process wake the relay themselves.
                db.on_events_written(move || waker.notify_one());
            }
            let agencies = Arc::new(CachedAgencies::new(
                DieselAgencyRepository::new(db.clone()),
                cached,
            ));
            let clock: Arc<dyn domain::ports::Clock> =
                chosen_clock.unwrap_or_else(|| Arc::new(SystemClock));
            let minors = Arc::new(DieselMinorRepository::new(db.clone()));
            if demo {
                demo::seed(agencies.as_ref(), clock.as_ref())?;
                demo::seed_children(minors.as_ref(), minors.as_ref(), clock.as_ref())?;
            }
            let audit = Arc::new(DieselAuditLog::start(
                db.clone(),
                prepared.audit_batch_max,
                prepared.database_timeout() * 2,
            )?);
            let kernel = Kernel::new(policy, clock, audit).with_outages(Arc::new(DatabaseOutages));
            let ids = Arc::new(UuidGenerator);
            let risk: RiskRules =
                toml::from_str(DEFAULT_RISK_TOML).context("the default risk rules")?;
            let risk = Arc::new(risk.checked()?);
            let outbox = Arc::new(DieselOutbox::new(db.clone()));
            let kafka: Option<(Arc<dyn EventSink>, Arc<dyn TopicAdmin>)> =
                if prepared.kafka_brokers.is_empty() {
                    None
                } else {
                    let timeout = prepared.kafka_timeout();
                    Some((
                        Arc::new(KafkaSink::new(&prepared.kafka_brokers, timeout)?),
                        Arc::new(KafkaTopics::new(&prepared.kafka_brokers, timeout)?),
                    ))
                };
            let alert_repository = Arc::new(DieselAlertRepository::new(db.clone()));
            let episode_repository = Arc::new(DieselEpisodes::new(db.clone()));
            let zones = Arc::new(load_zones(&prepared)?);
            let retention_days = i64::from(retention.outbox_days());
            let alerts = Alerts::new(
                kernel.clone(),
                AlertPorts {
                    alerts: alert_repository.clone(),
                    minors: minors.clone(),
                    agencies: agencies.clone(),
                    ids: ids.clone(),
                    outbox: outbox.clone(),
                    absences: episode_repository.clone(),
                },
                risk.clone(),
                zones,
                retention_days,
            );
            let episodes = Episodes::new(
                kernel.clone(),
                EpisodePorts {
                    absences: episode_repository.clone(),
                    tasks: episode_repository,
                    alerts: alert_repository.clone(),
                    minors: minors.clone(),
                    ids: ids.clone(),
                },
                risk.clone(),
            );
            let guard = WebhookGuard::new(&prepared.webhook_allowed_hosts);
            let subscriptions = Subscriptions::new(
                kernel.clone(),
                SubscriptionPorts {
                    subscriptions: outbox.clone(),
                    outbox: outbox.clone(),
                    agencies: agencies.clone(),
                    targets: Arc::new(guard.clone()),
                    ids: ids.clone(),
                    secrets: Arc::new(RandomSecrets),
                    topics: kafka.as_ref().map(|(_, topics)| topics.clone()),
                },
                outbox_retention,
            );
            let relay = Relay::new(
                kernel.clone(),
                RelayPorts {
                    outbox: outbox.clone(),
                    subscriptions: outbox.clone(),
                    minors: minors.clone(),
                    agencies: agencies.clone(),
                    webhooks: Arc::new(WebhookSink::new(prepared.webhook_timeout(), guard)?),
                    kafka: kafka.map(|(sink, _)| sink),
                },
                risk,
                RelayTiming {
                    schedule: prepared.retry_schedule(),
                    retention: outbox_retention,
                },
            );
            let deliveries = Deliveries::new(
                kernel.clone(),
                subscriptions.clone(),
                DeliveryPorts {
                    subscriptions: outbox.clone(),
                    outbox,
                    ids: ids.clone(),
                },
                relay.clone(),
            );
            let matching = Arc::new(domain::matching::MatchingConfig::default());
            let verifier = Arc::new(verifier(&prepared)?);
            let state = AppState {
                authenticator: Authenticator::new(
                    kernel.clone(),
                    verifier.clone(),
                    agencies.clone(),
                    prepared.token_limits(),
                    Arc::new(SystemClock),
                ),
                readiness: Readiness::new(Arc::new(db.clone())),
                agencies: Agencies::new(kernel.clone(), agencies.clone()),
                rules: Rules::new(kernel.clone()),
                records: Records::new(
                    kernel.clone(),
                    RecordPorts {
                        minors: minors.clone(),
                        writer: minors.clone(),
                        agencies: agencies.clone(),
                        alerts: alert_repository.clone(),
                        ids: ids.clone(),
                        photos: Arc::new(PhotoSanitizer::default()),
                    },
                    matching.clone(),
                ),
                search: Search::new(kernel.clone(), minors.clone(), matching),
                merges: Merges::new(kernel.clone(), minors.clone(), minors.clone(), agencies),
                audit_trail: AuditTrail::new(kernel.clone(), minors.clone()),
                subject_access: SubjectAccesses::new(
                    kernel.clone(),
                    minors.clone(),
                    alert_repository.clone(),
                    retention.clone(),
                ),
                lifecycles: Lifecycles::new(
                    kernel.clone(),
                    LifecyclePorts {
                        minors: minors.clone(),
                        writer: minors,
                        calendar: Arc::new(DieselSweepCalendar::new(db.clone())),
                        alerts: alert_repository.clone(),
                        ids: ids.clone(),
                    },
                    retention,
                ),
                alerts,
                episodes,
                subscriptions,
                deliveries,
                relay,
                statistics: Statistics::new(
                    kernel,
                    Arc::new(DieselStatisticsSource::new(db)),
                    prepared.statistics_threshold,
                ),
                stream: prepared.stream_timing(),
            };
            Ok((state, verifier))
        })
        .await??;
        let key_refresh = verifier.is_remote().then(|| {
            (
                verifier,
                Duration::from_secs(settings.auth_jwks_refresh_seconds),
            )
        });

        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let alerts = state.alerts.clone();
        let episodes = state.episodes.clone();
        let lifecycles = state.lifecycles.clone();
        let relay = state.relay.clone();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (poll, workers) = match database_url(&settings)? {
            DatabaseUrl::Postgres(url) => {
                let waker = wake.clone();
                listen(
                    url.clone(),
                    OUTBOX_CHANNEL,
                    stop.clone(),
                    move || waker.notify_one(),
                    || {},
                )?;
                let (renew, lost) = (agency_cache.clone(), agency_cache.clone());
                listen(
                    url,
                    AGENCIES_CHANNEL,
                    stop.clone(),
                    move || renew.renew(),
                    move || lost.lost(),
                )?;
                (
                    Duration::from_secs(2),
                    relay_workers_postgres(settings.database_pool_size),
                )
            }
            DatabaseUrl::Sqlite(_) => (Duration::from_millis(250), 1),
        };
        let relay_poll = match settings.relay_poll_ms {
            0 => poll,
            ms => Duration::from_millis(ms),
        };
        let relay_workers = match settings.relay_workers {
            0 => workers,
            n => n,
        };
        let state = web::Data::new(state);
        let rate_limits = web::Data::new(crate::ratelimit::RateLimits::from_settings(&settings));
        let limit = settings.body_limit_bytes;
        let document = web::Data::new(OpenApiJson(openapi::document_json()));
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(rate_limits.clone())
                .app_data(document.clone())
                .app_data(http::json_config(limit))
                .app_data(http::query_config())
                .app_data(http::path_config())
                .app_data(http::payload_config(limit))
                .configure(routes::health::configure)
                .configure(routes::agencies::configure)
                .configure(routes::search::configure)
                .configure(routes::merge::configure)
                .configure(routes::minors::configure)
                .configure(routes::lifecycle::configure)
                .configure(routes::subject_access::configure)
                .configure(routes::episodes::configure)
                .configure(routes::policy::configure)
                .configure(routes::audit::configure)
                .configure(routes::alerts::configure)
                .configure(routes::subscriptions::configure)
                .configure(routes::statistics::configure)
                .route("/openapi.json", web::get().to(openapi_json))
                .route("/docs", web::get().to(docs_redirect))
                .service(
                    SwaggerUi::new("/docs/{_:.*}")
                        .config(utoipa_swagger_ui::Config::from("/openapi.json")),
                )
                .default_service(web::to(http::not_found))
                .wrap(from_fn(http::negotiate))
                .wrap(from_fn(http::body_idle_timeout))
                .wrap(from_fn(crate::ratelimit::per_subject))
                .wrap(from_fn(crate::auth::authenticate_first))
                .wrap(from_fn(crate::ratelimit::per_address))
                .wrap(from_fn(http::refuse_nul_in_url))
                .wrap(ErrorHandlers::new().default_handler(http::problem_body))
                .wrap(from_fn(http::request_id_and_access_log))
                .wrap(TracingLogger::default())
        })
        // Slow clients: the request head must arrive within `http_client_timeout_seconds` of the
        // first byte (else 408 and the connection closes), an idle keep-alive connection closes
        // after as long, and a closing connection is given 1 s to read the answer; body stalls
        // end in `body_idle_timeout`.
        .client_request_timeout(settings.http_client_timeout())
        .keep_alive(settings.http_client_timeout())
        .client_disconnect_timeout(Duration::from_secs(1))
        .listen(listener)?
        .shutdown_timeout(settings.shutdown_timeout_seconds);
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        Ok(Self {
            port,
            server: server.run(),
            alerts,
            episodes,
            lifecycles,
            relay,
            wake,
            relay_poll,
            relay_workers,
            stop,
            sweep_every: settings.sweep_interval(),
            prune_every: settings.prune_interval(),
            key_refresh,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then lets in-flight requests finish (graceful shutdown).
    /// Meanwhile sweeps alert deadlines every `sweep_interval_ms`, relays events, and fetches a JWKS given
    /// by URL every `auth_jwks_refresh_seconds`; each stops with the server.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let alerts = self.alerts;
        let episodes = self.episodes;
        let lifecycles = self.lifecycles;
        let sweep_every = self.sweep_every;
        let sweeper = async move {
            loop {
                tokio::time::sleep(sweep_every).await;
                let alerts = alerts.clone();
                match tokio::task::spawn_blocking(move || alerts.sweep()).await {
                    Ok(Ok(0)) => {}
                    Ok(Ok(raised)) => tracing::info!(raised, "alert deadlines passed"),
                    Ok(Err(e)) => tracing::warn!(error = format!("{e:#}"), "deadline sweep failed"),
                    Err(e) => tracing::error!(error = %e, "deadline sweep panicked"),
                }
                // Absences past their clock, follow-up tasks past their deadline.
                let episodes = episodes.clone();
                match tokio::task::spawn_blocking(move || episodes.sweep()).await {
                    Ok(Ok(0)) => {}
                    Ok(Ok(raised)) => tracing::info!(raised, "episode deadlines passed"),
                    Ok(Err(e)) => tracing::warn!(error = format!("{e:#}"), "episode sweep failed"),
                    Err(e) => tracing::error!(error = %e, "episode sweep panicked"),
                }
                // Once a day of the registry's clock: the retention rules.
                let lifecycles = lifecycles.clone();
                match tokio::task::spawn_blocking(move || lifecycles.sweep_if_due()).await {
                    Ok(Ok(None)) => {}
                    Ok(Ok(Some(r))) => tracing::info!(
                        records = r.records,
                        restricted = r.restricted,
                        erased = r.erased,
                        deferred = r.deferred,
                        "lifecycle sweep"
                    ),
                    Ok(Err(e)) => {
                        tracing::warn!(error = format!("{e:#}"), "lifecycle sweep failed")
                    }
                    Err(e) => tracing::error!(error = %e, "lifecycle sweep panicked"),
                }
            }
        };
        let (relay, wake, poll) = (self.relay.clone(), self.wake, self.relay_poll);
        let workers = self.relay_workers;
        let relaying = async move {
            loop {
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(poll) => {}
                }
                let rounds = (0..workers).map(|_| {
                    let relay = relay.clone();
                    tokio::task::spawn_blocking(move || relay.run_lane(Lane::Delivering))
                });
                for round in futures_util::future::join_all(rounds).await {
                    match round {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => {
                            tracing::warn!(error = format!("{e:#}"), "relay round failed");
                        }
                        Err(e) => tracing::error!(error = %e, "relay round panicked"),
                    }
                }
            }
        };
        // Failing subscriptions are retried in a loop of their own: an endpoint that does not
        // answer (each attempt waits for a timeout) holds up no subscription that delivers.
        let retrier = self.relay.clone();
        let retrying = async move {
            loop {
                tokio::time::sleep(poll).await;
                let relay = retrier.clone();
                match tokio::task::spawn_blocking(move || relay.run_lane(Lane::Failing)).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(error = format!("{e:#}"), "retry round failed"),
                    Err(e) => tracing::error!(error = %e, "retry round panicked"),
                }
            }
        };
        let pruner = self.relay.clone();
        let prune_every = self.prune_every;
        let pruning = async move {
            loop {
                tokio::time::sleep(prune_every).await;
                let relay = pruner.clone();
                match tokio::task::spawn_blocking(move || relay.prune()).await {
                    Ok(Ok(0)) => {}
                    Ok(Ok(removed)) => {
                        tracing::info!(removed, "outbox events past retention removed")
                    }
                    Ok(Err(e)) => tracing::warn!(error = format!("{e:#}"), "outbox pruning failed"),
                    Err(e) => tracing::error!(error = %e, "outbox pruning panicked"),
                }
            }
        };
        let key_refresh = self.key_refresh;
        let refreshing = async move {
            let Some((verifier, every)) = key_refresh else {
                return std::future::pending().await;
            };
            loop {
                tokio::time::sleep(every).await;
                let verifier = verifier.clone();
                match tokio::task::spawn_blocking(move || verifier.refresh_keys()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(
                        error = format!("{e:#}"),
                        "cannot refresh the JWKS; keeping the keys in force"
                    ),
                    Err(e) => tracing::error!(error = %e, "the JWKS refresh panicked"),
                }
            }
        };
        let result = tokio::select! {
            result = self.server => result,
            () = sweeper => Ok(()),
            () = relaying => Ok(()),
            () = retrying => Ok(()),
            () = pruning => Ok(()),
            () = refreshing => Ok(()),
        };
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        result
    }
}

async fn openapi_json(document: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.0.clone())
}

/// The OpenAPI document, rendered once at start.
struct OpenApiJson(String);

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}
