//! The world the authorization suites act in: the demo agencies, a second centre, guardian and
//! police zone, and children written straight into the database (every category filled), placed
//! with the caller's agency or elsewhere, reported missing or not.

use std::sync::atomic::{AtomicUsize, Ordering};

use api::startup::Options;
use domain::audit::{Action, AuditEntry, Outcome};
use domain::category::{Category, CategorySet};
use domain::minor::{MinorData, PhotoRef};
use domain::ports::{AlertRepository, Change, MinorReader, MinorWriter, NewPhoto};
use domain::purpose::Purpose;
use domain::record::Actor;
use infra::db::{
    Database, DatabaseUrl, DieselAlertRepository, DieselMinorRepository, PoolSettings,
};
use serde_json::{Value, json};

use super::policy::Stored;
use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::records::fixtures::full_record;

/// Agencies besides the demo ones: a child placed at `OTHER_CENTRE`, ward of `OTHER_GUARDIAN`,
/// stands in no relation to any demo agency. `OTHER_POLICE` reports the alerts of the fixtures,
/// so that every demo agency that is notified of an alert is notified, not its reporter.
pub const OTHER_CENTRE: &str = "other-reception";
pub const OTHER_GUARDIAN: &str = "other-guardian";
pub const OTHER_POLICE: &str = "other-police";

pub struct World {
    pub app: TestApp,
    pub minors: DieselMinorRepository,
    pub alerts: DieselAlertRepository,
    counter: AtomicUsize,
}

/// Where a child is placed and whose ward it is.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    pub centre: &'static str,
    pub guardian: &'static str,
}

/// Placed elsewhere: no demo agency relates to the child.
pub const ELSEWHERE: Placement = Placement {
    centre: OTHER_CENTRE,
    guardian: OTHER_GUARDIAN,
};

/// The child of a demo agency that takes children in, by the role of its staff; `None` for roles
/// whose agencies hold no child.
pub fn own_of(role: &str) -> Option<Placement> {
    Some(match role {
        "reception_staff" => Placement {
            centre: "demo-reception",
            guardian: OTHER_GUARDIAN,
        },
        "guardian" => Placement {
            centre: OTHER_CENTRE,
            guardian: "demo-guardian",
        },
        "youth_care_worker" => Placement {
            centre: "demo-youth-care",
            guardian: OTHER_GUARDIAN,
        },
        _ => return None,
    })
}

/// A moment one hour ago, as the API writes times.
pub fn an_hour_ago() -> String {
    (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339()
}

impl World {
    /// The demo application on `backend`, with the other agencies.
    pub async fn new(backend: Backend) -> Self {
        Self::with(backend, |_| {}).await
    }

    /// As [`World::new`], with a last change to the settings.
    pub async fn with(backend: Backend, tweak: impl FnOnce(&mut api::config::Settings)) -> Self {
        let app = spawn_app_with(
            backend,
            Options {
                demo: true,
                ..Default::default()
            },
            tweak,
        )
        .await;
        for (id, kind) in [
            (OTHER_CENTRE, "reception_centre"),
            (OTHER_GUARDIAN, "guardian"),
            (OTHER_POLICE, "police"),
        ] {
            assert_eq!(app.create_agency(id, kind).await.status(), 201);
        }
        let db = Database::connect(
            &DatabaseUrl::parse(&app.db.url).unwrap(),
            PoolSettings {
                max_size: 2,
                acquire_timeout: std::time::Duration::from_secs(10),
            },
        )
        .unwrap();
        Self {
            app,
            minors: DieselMinorRepository::new(db.clone()),
            alerts: DieselAlertRepository::new(db),
            counter: AtomicUsize::new(0),
        }
    }

    /// A number not used before in this world.
    pub fn next(&self) -> usize {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    fn seed_actor() -> Actor {
        Actor {
            subject: "authz-seed".into(),
            agency: "registry".into(),
            role: "registry_admin".into(),
            purpose: Purpose::Care,
        }
    }

    fn seed_entry(action: Action, id: &str, changed: CategorySet) -> AuditEntry {
        AuditEntry {
            at: chrono::Utc::now(),
            subject: Some("authz-seed".into()),
            agency: Some("registry".into()),
            role: Some("registry_admin".into()),
            purpose: Some(Purpose::Care),
            action,
            minors: vec![id.to_owned()],
            categories: changed,
            outcome: Outcome::Success,
            request_id: format!("authz-seed-{id}"),
        }
        .normalised()
    }

    /// A child with every category but `photos`, as `full_record`, after `tweak`.
    pub fn child_with(&self, at: Placement, tweak: impl FnOnce(&mut Value)) -> String {
        let mut record = full_record(at.centre, at.guardian);
        tweak(&mut record);
        let data: MinorData = serde_json::from_value(record).unwrap();
        let id = uuid::Uuid::new_v4().to_string();
        self.minors
            .insert(
                &id,
                &data,
                &Self::seed_actor(),
                chrono::Utc::now(),
                None,
                &[],
            )
            .unwrap();
        id
    }

    pub fn child(&self, at: Placement) -> String {
        self.child_with(at, |_| {})
    }

    /// Stores a photo (any bytes: the store does not look) and lists it in the record's `photos`.
    pub fn add_photo(&self, id: &str) -> String {
        let minor = self.minors.find(id).unwrap().unwrap();
        let photo = NewPhoto {
            id: uuid::Uuid::new_v4().to_string(),
            content_type: "image/png".into(),
            bytes: format!("photo of {id}").into_bytes(),
        };
        let mut data = minor.data.clone();
        data.photos
            .get_or_insert_with(Default::default)
            .items
            .push(PhotoRef {
                id: photo.id.clone(),
                content_type: photo.content_type.clone(),
                width: 1,
                height: 1,
                bytes: photo.bytes.len() as u64,
                uploaded_at: chrono::Utc::now(),
            });
        let changed: CategorySet = [Category::Photos].into_iter().collect();
        let audit = Self::seed_entry(Action::PhotoUpload, id, changed);
        self.minors
            .update(
                id,
                &Change {
                    expected_version: minor.version,
                    data: &data,
                    changed,
                    photo: Some(&photo),
                    removed_photo: None,
                    lifecycle: None,
                    actor: &Self::seed_actor(),
                    at: audit.at,
                    audit: &audit,
                },
            )
            .unwrap();
        photo.id
    }

    /// Changes one category straight in the database (a new revision).
    pub fn change(&self, id: &str, category: &str, value: Value) {
        let minor = self.minors.find(id).unwrap().unwrap();
        let mut record = serde_json::to_value(&minor.data).unwrap();
        record[category] = value;
        let data: MinorData = serde_json::from_value(record).unwrap();
        let changed = minor.data.changed_categories(&data);
        let audit = Self::seed_entry(Action::Amend, id, changed);
        self.minors
            .update(
                id,
                &Change {
                    expected_version: minor.version,
                    data: &data,
                    changed,
                    photo: None,
                    removed_photo: None,
                    lifecycle: None,
                    actor: &Self::seed_actor(),
                    at: audit.at,
                    audit: &audit,
                },
            )
            .unwrap();
    }

    /// The record as stored.
    pub fn stored(&self, id: &str) -> Stored {
        let minor = self.minors.find(id).unwrap().unwrap();
        Stored {
            id: minor.id,
            data: serde_json::to_value(&minor.data).unwrap(),
            status: minor.status.as_str().to_owned(),
        }
    }

    /// (version, status) of a record, to see that a refused write changed nothing.
    pub fn state_of_child(&self, id: &str) -> (i64, String) {
        let minor = self.minors.find(id).unwrap().unwrap();
        (minor.version, minor.status.as_str().to_owned())
    }

    pub fn alert_version(&self, id: &str) -> i64 {
        self.alerts.find(id).unwrap().unwrap().version
    }

    /// A request as `role` of `agency`, stating `purpose` (none if empty).
    pub fn as_(
        &self,
        method: reqwest::Method,
        path: &str,
        (role, agency): (&str, &str),
        purpose: &str,
    ) -> reqwest::RequestBuilder {
        let mut rq = self
            .app
            .client
            .request(method, self.app.url(path))
            .headers(self.app.auth(agency, role));
        if !purpose.is_empty() {
            rq = rq.header("x-purpose", purpose);
        }
        rq
    }

    /// Reports the child missing, as an officer of `OTHER_POLICE`; returns the alert's id.
    pub async fn report(&self, id: &str) -> String {
        let res = self
            .as_(
                reqwest::Method::POST,
                &format!("/v1/minors/{id}/disappearances"),
                ("police_officer", OTHER_POLICE),
                "disappearance",
            )
            .json(&json!({"last_seen_at": an_hour_ago(), "last_seen_place": "Brussels-North station"}))
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 201, "report {id}: {body}");
        body["id"].as_str().unwrap().to_owned()
    }
}
