//! The audit trail: one entry per request that touches child data (and per failed authentication),
//! chained by hashes so that an altered, deleted, inserted or reordered entry is detected.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::category::{Category, CategorySet};
use crate::purpose::Purpose;

/// What the request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Authenticate,
    Register,
    Read,
    Amend,
    History,
    List,
    PhotoUpload,
    PhotoRead,
    AccessLog,
    VerifyAudit,
    ReportDisappearance,
    AlertRead,
    AlertList,
    Acknowledge,
    Sighting,
    AlertUpdate,
    Resolve,
    AlertStream,
    Search,
    Merge,
    Statistics,
    /// An event delivered to a webhook and acknowledged by it.
    DeliverWebhook,
    /// An event delivered to a Kafka topic and acknowledged by the broker.
    DeliverKafka,
    /// A subscription created, proposed, confirmed or removed.
    Subscription,
    /// The oversight listing of alerts opened and closed in error.
    Oversight,
    /// A subscription's delivery started to fail: its events wait.
    DeliveryFailing,
    /// A failing subscription delivered again.
    DeliveryRecovered,
    /// An event given up on for a subscription: it waited its retry period, or its agency decided.
    DeadLetter,
    /// A subscription's dead letters read by its agency, each through the agency's mask.
    DeadLetterRead,
    /// A dead letter sent again at its agency's request.
    DeadLetterReplay,
    /// A dead letter discarded by its agency, with a reason.
    DeadLetterDiscard,
    /// A signed test event sent to a subscription's endpoint.
    SubscriptionPing,
    /// A record restricted (GDPR Art. 18), by a person or by a retention rule.
    Restrict,
    /// A restriction lifted.
    LiftRestriction,
    /// A record closed (departure, transfer abroad, ...).
    Close,
    /// A review answered: the record's course confirmed, or its rules held back.
    Review,
    /// A review notice raised to the guardianship service by the lifecycle sweep.
    ReviewNotice,
    /// Data erased under a retention rule (the categories erased).
    Erase,
    /// A photo deleted (rectification).
    PhotoDelete,
    /// A value redacted from a record's history (the categories redacted).
    Redact,
    /// The child's access: everything held and every disclosure, for the guardian.
    SubjectAccess,
    /// A roll call recorded (the children named; `placement` for the absences it shows).
    RollCall,
    /// A child's absences read.
    AbsenceRead,
    /// An absence fell overdue or escalated (the sweep).
    AbsenceOverdue,
    /// A sighting graded.
    GradeSighting,
    /// A public appeal published, or a republication recorded.
    Appeal,
    /// Follow-up tasks listed.
    TaskList,
    /// A follow-up task completed.
    TaskComplete,
    /// The police packet of an alert (police report, SIS alert, Yellow Notice request), with the
    /// categories of the values it shows.
    Packet,
    /// Entries older than the audit rule removed; the entry names the last one removed and its
    /// hash (in its request id), from which verification starts.
    AuditCut,
}

/// How the request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Data was disclosed or changed as the entry's categories say.
    Success,
    /// Refused by the access policy (403).
    Denied,
    /// No purpose, or an unknown one (400).
    PurposeMissing,
    /// The input was invalid (400) or a precondition failed (412, 428); nothing was changed.
    Rejected,
    /// No such record (404).
    NotFound,
    /// The token was refused (401).
    Unauthenticated,
    /// The request failed on the server's side; nothing was disclosed.
    Failed,
}

/// One audit entry, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// The token's subject; for a failed authentication, the subject it claimed, if readable.
    pub subject: Option<String>,
    pub agency: Option<String>,
    pub role: Option<String>,
    pub purpose: Option<Purpose>,
    pub action: Action,
    /// The children concerned, in the order met.
    pub minors: Vec<String>,
    /// Categories disclosed (reads) or changed (writes); empty for refusals.
    pub categories: CategorySet,
    pub outcome: Outcome,
    pub request_id: String,
}

impl AuditEntry {
    /// Times are kept to the microsecond, and NUL characters (which a caller can put in an id in
    /// a path, a body or a token, and PostgreSQL text cannot hold) become U+FFFD, as both databases
    /// store them: the hash covers exactly what is stored.
    pub fn normalised(mut self) -> Self {
        fn storable(text: &mut String) {
            if text.contains('\0') {
                *text = text.replace('\0', "\u{FFFD}");
            }
        }
        self.at = self.at.trunc_subsecs(6);
        for text in [&mut self.subject, &mut self.agency, &mut self.role]
            .into_iter()
            .flatten()
            .chain(self.minors.iter_mut())
            .chain([&mut self.request_id])
        {
            storable(text);
        }
        self
    }
}

/// An entry in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEntry {
    pub seq: i64,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The canonical encoding hashed for an entry: a JSON array of every field in a fixed order, with
/// the time as `YYYY-MM-DDTHH:MM:SS.ffffffZ` and categories as names in catalogue order.
pub fn canonical(seq: i64, entry: &AuditEntry) -> Vec<u8> {
    let categories: Vec<&str> = entry.categories.iter().map(Category::as_str).collect();
    let value = serde_json::json!([
        seq,
        entry.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        entry.subject,
        entry.agency,
        entry.role,
        entry.purpose.map(Purpose::as_str),
        entry.action,
        entry.minors,
        categories,
        entry.outcome,
        entry.request_id,
    ]);
    value.to_string().into_bytes()
}

/// `hex(SHA-256(prev_hash || canonical(seq, entry)))`.
pub fn link_hash(prev_hash: &str, seq: i64, entry: &AuditEntry) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical(seq, entry));
    hex::encode(hasher.finalize())
}

/// The request id of a cut entry: the day and rule, then the last entry removed and its hash.
pub fn cut_request_id(day: chrono::NaiveDate, rule: &str, through: i64, hash: &str) -> String {
    format!("lifecycle:{day}:{rule}:through:{through}:{hash}")
}

/// Where the chain breaks first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    pub seq: i64,
    pub reason: String,
}

/// The result of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub entries: u64,
    pub first_broken: Option<BrokenLink>,
    /// The last entry removed by an audit cut: the chain is checked from the entry after it.
    pub cut_through: Option<i64>,
}

/// Checks entries streamed in `seq` order against each other and against the chain head (the last
/// `seq` and hash the writer recorded). Detects an altered entry (its hash no longer matches), a
/// deleted one (a gap, or a link to a hash that is not its predecessor's), an inserted one (the same),
/// reordered ones, and a truncated or extended tail (the head disagrees).
#[derive(Debug)]
pub struct Verifier {
    expected_seq: i64,
    prev_hash: String,
    entries: u64,
    broken: Option<BrokenLink>,
    /// The cut the check starts after, and whether an entry of the chain records it.
    cut: Option<(i64, String)>,
    cut_recorded: bool,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
            entries: 0,
            broken: None,
            cut: None,
            cut_recorded: false,
        }
    }
}

impl Verifier {
    /// A check of a chain cut after entry `through`, whose hash was `hash`: the first entry kept
    /// must link to it, and an entry of the chain must record the cut (its request id ends with
    /// `through:<through>:<hash>`), so that a cut recorded only outside the chain is detected.
    pub fn after_cut(through: i64, hash: &str) -> Self {
        Self {
            expected_seq: through + 1,
            prev_hash: hash.to_owned(),
            cut: Some((through, hash.to_owned())),
            ..Self::default()
        }
    }

    /// Feeds the next entry; after the first break, later entries are only counted.
    pub fn push(&mut self, e: &ChainedEntry) {
        self.entries += 1;
        if let Some((through, hash)) = &self.cut
            && e.entry.action == Action::AuditCut
            && e.entry
                .request_id
                .ends_with(&format!(":through:{through}:{hash}"))
        {
            self.cut_recorded = true;
        }
        if self.broken.is_some() {
            return;
        }
        let reason = if e.seq != self.expected_seq {
            Some(format!(
                "expected entry {} here, found {}: entries are missing or inserted",
                self.expected_seq, e.seq
            ))
        } else if e.prev_hash != self.prev_hash {
            Some("does not link to the entry before it".to_owned())
        } else if link_hash(&e.prev_hash, e.seq, &e.entry) != e.hash {
            Some("its content does not match its hash: the entry was altered".to_owned())
        } else {
            None
        };
        if let Some(reason) = reason {
            self.broken = Some(BrokenLink { seq: e.seq, reason });
            return;
        }
        self.expected_seq = e.seq + 1;
        self.prev_hash = e.hash.clone();
    }

    /// Ends the check against the head (`None` when no entry was ever written).
    pub fn finish(mut self, head: Option<(i64, String)>) -> VerifyReport {
        if self.broken.is_none() {
            let (head_seq, head_hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
            let last = self.expected_seq - 1;
            if head_seq != last || head_hash != self.prev_hash {
                self.broken = Some(BrokenLink {
                    seq: last.max(head_seq),
                    reason: format!(
                        "the chain ends at entry {last} but the head records entry {head_seq}: entries were removed or added at the end"
                    ),
                });
            }
        }
        if self.broken.is_none()
            && let Some((through, _)) = &self.cut
            && !self.cut_recorded
        {
            self.broken = Some(BrokenLink {
                seq: through + 1,
                reason: format!(
                    "the trail starts after entry {through}, but no cut entry of the chain records \
                     that cut: entries were removed"
                ),
            });
        }
        VerifyReport {
            entries: self.entries,
            first_broken: self.broken,
            cut_through: self.cut.map(|(through, _)| through),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: i64) -> AuditEntry {
        AuditEntry {
            at: DateTime::from_timestamp(1_700_000_000 + n, 123_456_789).unwrap(),
            subject: Some(format!("user{n}")),
            agency: Some("demo-police".into()),
            role: Some("police_officer".into()),
            purpose: Some(Purpose::Identification),
            action: Action::Read,
            minors: vec![format!("child-{n}")],
            categories: [Category::Identity].into_iter().collect(),
            outcome: Outcome::Success,
            request_id: format!("req-{n}"),
        }
        .normalised()
    }

    fn chain(n: i64) -> Vec<ChainedEntry> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let e = entry(seq);
                let hash = link_hash(&prev, seq, &e);
                let c = ChainedEntry {
                    seq,
                    entry: e,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                c
            })
            .collect()
    }

    fn check(entries: &[ChainedEntry], head: Option<(i64, String)>) -> VerifyReport {
        let mut v = Verifier::default();
        entries.iter().for_each(|e| v.push(e));
        v.finish(head)
    }

    fn head(entries: &[ChainedEntry]) -> Option<(i64, String)> {
        entries.last().map(|e| (e.seq, e.hash.clone()))
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(
            check(&c, head(&c)),
            VerifyReport {
                entries: 5,
                first_broken: None,
                cut_through: None,
            }
        );
        assert_eq!(check(&[], None).first_broken, None);
    }

    /// A chain of 6 whose last entry is the cut of the first 3: checked from entry 4 it holds;
    /// without the cut entry, or cut further than recorded, it breaks.
    #[test]
    fn a_cut_chain_verifies_from_its_cut_and_only_with_its_cut_entry() {
        let mut c = chain(5);
        let (through, hash) = (c[2].seq, c[2].hash.clone());
        let mut cut = entry(6);
        cut.action = Action::AuditCut;
        cut.request_id = cut_request_id(
            chrono::NaiveDate::from_ymd_opt(2031, 1, 1).unwrap(),
            "audit-entries",
            through,
            &hash,
        );
        let prev = c[4].hash.clone();
        let linked = link_hash(&prev, 6, &cut);
        c.push(ChainedEntry {
            seq: 6,
            entry: cut,
            prev_hash: prev,
            hash: linked,
        });
        let kept = &c[3..];
        let mut v = Verifier::after_cut(through, &hash);
        kept.iter().for_each(|e| v.push(e));
        let report = v.finish(head(&c));
        assert_eq!(report.first_broken, None, "{report:?}");
        assert_eq!(report.cut_through, Some(3));
        // Entry 4 removed too, the cut moved to it outside the chain: no cut entry names it.
        let mut v = Verifier::after_cut(4, &c[3].hash);
        c[4..].iter().for_each(|e| v.push(e));
        let report = v.finish(head(&c));
        assert!(report.first_broken.unwrap().reason.contains("no cut entry"));
        // The cut entry itself removed: the chain no longer reaches the head.
        let mut v = Verifier::after_cut(through, &hash);
        c[3..5].iter().for_each(|e| v.push(e));
        assert!(v.finish(head(&c)).first_broken.is_some());
    }

    #[test]
    fn every_tampering_is_found_at_its_place() {
        let c = chain(6);
        let h = head(&c);

        let mut altered = c.clone();
        altered[2].entry.purpose = Some(Purpose::Care);
        assert_eq!(check(&altered, h.clone()).first_broken.unwrap().seq, 3);

        let mut deleted = c.clone();
        deleted.remove(2);
        assert_eq!(check(&deleted, h.clone()).first_broken.unwrap().seq, 4);

        let mut reordered = c.clone();
        reordered.swap(2, 3);
        assert_eq!(check(&reordered, h.clone()).first_broken.unwrap().seq, 4);

        let mut swapped_content = c.clone();
        let (a, b) = (
            swapped_content[2].entry.clone(),
            swapped_content[3].entry.clone(),
        );
        swapped_content[2].entry = b;
        swapped_content[3].entry = a;
        assert_eq!(
            check(&swapped_content, h.clone()).first_broken.unwrap().seq,
            3
        );

        let mut truncated = c.clone();
        truncated.pop();
        assert!(check(&truncated, h.clone()).first_broken.is_some());

        let mut extended = c.clone();
        let extra = entry(7);
        let hash = link_hash(&c[5].hash, 7, &extra);
        extended.push(ChainedEntry {
            seq: 7,
            entry: extra,
            prev_hash: c[5].hash.clone(),
            hash,
        });
        assert!(
            check(&extended, h.clone()).first_broken.is_some(),
            "an entry added after the head"
        );

        // The whole chain recomputed: every link holds, but the head kept elsewhere disagrees.
        let (seq, _) = h.unwrap();
        assert!(
            check(&c, Some((seq, "f".repeat(64))))
                .first_broken
                .is_some(),
            "a head of the same length with another hash"
        );
    }

    #[test]
    fn the_encoding_and_the_hash_match_known_answers() {
        // The canonical text written out by hand, and its SHA-256 computed apart from this code
        // (Python's hashlib: sha256((prev + canonical).encode()).hexdigest()). A change of the
        // encoding breaks every chain already stored: it must fail here first.
        let first = AuditEntry {
            at: DateTime::from_timestamp(1_767_323_045, 123_456_789).unwrap(),
            subject: Some("alice".into()),
            agency: Some("demo-police".into()),
            role: Some("police_officer".into()),
            purpose: Some(Purpose::Disappearance),
            action: Action::Read,
            minors: vec!["m-1".into(), "m-2".into()],
            categories: [Category::Health, Category::Identity, Category::Physical]
                .into_iter()
                .collect(),
            outcome: Outcome::Success,
            request_id: "req-1".into(),
        }
        .normalised();
        assert_eq!(
            String::from_utf8(canonical(7, &first)).unwrap(),
            r#"[7,"2026-01-02T03:04:05.123456Z","alice","demo-police","police_officer","disappearance","read",["m-1","m-2"],["identity","physical","health"],"success","req-1"]"#
        );
        let h1 = link_hash(GENESIS_HASH, 7, &first);
        assert_eq!(
            h1,
            "a2ecaae4416ddf3f86952a2188bf3cb11e181e0c74600a49f72dac4a9e34d7c2"
        );
        // Absent fields are null, a NUL is stored (and hashed) as U+FFFD, text is raw UTF-8.
        let second = AuditEntry {
            at: DateTime::from_timestamp(1_767_323_045, 0).unwrap(),
            subject: None,
            agency: None,
            role: None,
            purpose: None,
            action: Action::Authenticate,
            minors: vec![],
            categories: CategorySet::EMPTY,
            outcome: Outcome::Unauthenticated,
            request_id: "réq-\0".into(),
        }
        .normalised();
        assert_eq!(
            String::from_utf8(canonical(8, &second)).unwrap(),
            "[8,\"2026-01-02T03:04:05.000000Z\",null,null,null,null,\"authenticate\",[],[],\"unauthenticated\",\"réq-\u{FFFD}\"]"
        );
        assert_eq!(
            link_hash(&h1, 8, &second),
            "cb64fd2f0eb8e5ffab1ba745772dbebd549384d185d22c118b5b810b6361b693"
        );
    }
}
