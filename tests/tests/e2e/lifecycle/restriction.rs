//! Majority restricts a record (the shipped rule `restrict-at-majority`): from then on only the
//! guardianship service and the guardian read it, for `guardianship`; no other role, and no
//! listing, search, statistic or event shows it, except that an alert open at that moment keeps
//! its readers until it ends. Lifting the restriction is audited.

use std::time::Duration;

use api::demo::DEMO_CHILDREN;
use rstest_reuse::apply;
use serde_json::{Value, json};

use super::*;
use crate::helpers::sql::audit_rows;
use crate::helpers::{assert_problem, backends};

/// Farid Ahmadi, born 2010-01-01, placed with the demo youth-care service: 18 on 2028-01-01.
const FARID: &str = DEMO_CHILDREN[1];
/// Semhar Haile, born 2011-03-14, the demo guardian's ward: still a minor in 2028.
const SEMHAR: &str = DEMO_CHILDREN[0];

/// The registrations counted in the statistics (the total is published above the threshold).
async fn registrations(app: &TestApp) -> Option<u64> {
    let res = get(
        app,
        ANALYST,
        "/v1/statistics/registrations?by=sex",
        "statistics",
    )
    .await;
    assert_eq!(res.status(), 200);
    let series: Value = res.json().await.unwrap();
    series["total"]["count"].as_u64()
}

async fn found_by_police(app: &TestApp) -> Vec<String> {
    let res = post(
        app,
        POLICE,
        "/v1/minors/search",
        "identification",
        json!({"names": ["Farid Ahmadi"]}),
    )
    .await;
    assert_eq!(res.status(), 200);
    ids(&res.json().await.unwrap())
}

async fn listed_for_guardianship(app: &TestApp) -> Vec<String> {
    let res = get(app, OFFICER, "/v1/minors?limit=100", "guardianship").await;
    assert_eq!(res.status(), 200);
    ids(&res.json().await.unwrap())
}

#[apply(backends)]
async fn majority_restricts_the_record_from_every_other_role_and_channel(#[case] backend: Backend) {
    let start = at(2027, 12, 20, 10);
    let (app, clock) = on_clock(backend, start).await;
    // Three more children, so that the total is published (threshold 3) before and after.
    for name in ["Karim", "Bilal", "Omid"] {
        let res = post(
            &app,
            RECEPTION,
            "/v1/minors",
            "care",
            json!({"identity": {"family_name": "Test", "given_names": name, "sex": "male",
                                "date_of_birth": "2013-05-01"},
                   "placement": {"current_agency": "demo-reception", "since": "2027-12-01"}}),
        )
        .await;
        assert_eq!(res.status(), 201);
    }
    // Both children go missing: Farid's alert is open when he comes of age, Semhar's is the
    // sentinel the police keep seeing.
    let farid_alert = report(&app, POLICE, FARID, start).await;
    report(&app, POLICE, SEMHAR, start).await;

    // Before: every channel shows Farid.
    assert_eq!(registrations(&app).await, Some(5));
    assert!(found_by_police(&app).await.contains(&FARID.to_owned()));
    assert!(
        listed_for_guardianship(&app)
            .await
            .contains(&FARID.to_owned())
    );
    let before = replay(&app, POLICE, Duration::from_millis(1500)).await;
    assert!(
        before
            .iter()
            .any(|e| e["data"]["alert"]["minor_id"] == FARID)
    );
    let farid = format!("/v1/minors/{FARID}");
    assert_eq!(get(&app, YOUTH_CARE, &farid, "care").await.status(), 200);

    // 1 January 2028: the sweep restricts the record under the rule.
    sweep_to(
        &app,
        &clock,
        at(2028, 1, 1, 6),
        FARID,
        "restrict-at-majority",
    )
    .await;
    let life = lifecycle(&app, FARID).await;
    assert_eq!(life["restricted"], true);
    assert_eq!(life["restriction"]["rule"], "restrict-at-majority");
    let act = &life["acts"][0];
    assert_eq!(act["kind"], "restricted");
    assert!(act.get("by").is_none(), "the sweep acted: {act}");

    // While the alert is open, its readers keep the record for `disappearance`, and nobody
    // else reads it.
    let res = get(&app, POLICE, &farid, "disappearance").await;
    assert_eq!(res.status(), 200);
    assert!(res.json::<Value>().await.unwrap()["identity"].is_object());
    assert_problem(get(&app, POLICE, &farid, "identification").await, 403).await;
    assert_problem(get(&app, YOUTH_CARE, &farid, "care").await, 403).await;
    // The alert ends.
    let res = post(
        &app,
        POLICE,
        &format!(
            "/v1/alerts/{}/resolution",
            farid_alert["id"].as_str().unwrap()
        ),
        "disappearance",
        json!({"outcome": "found_safe"}),
    )
    .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

    // GET: only the guardianship service and the guardian, for `guardianship`.
    let refused = [
        (POLICE, "disappearance"),
        (POLICE, "identification"),
        (YOUTH_CARE, "care"),
        (YOUTH_CARE, "disappearance"),
        (OFFICER, "identification"),
        (OFFICER, "disappearance"),
        (("demo-immigration", "immigration_officer"), "procedure"),
    ];
    for (who, purpose) in refused {
        let res = get(&app, who, &farid, purpose).await;
        assert_eq!(res.status(), 403, "{who:?} {purpose}");
        let res = get(&app, who, &format!("{farid}/history"), purpose).await;
        assert_eq!(res.status(), 403, "history: {who:?} {purpose}");
    }
    let res = get(&app, OFFICER, &farid, "guardianship").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["identity"]["given_names"],
        "Farid"
    );
    assert_eq!(
        get(&app, OFFICER, &format!("{farid}/history"), "guardianship")
            .await
            .status(),
        200
    );
    // Lists, search, statistics, events: nobody.
    assert!(
        !listed_for_guardianship(&app)
            .await
            .contains(&FARID.to_owned())
    );
    assert!(!found_by_police(&app).await.contains(&FARID.to_owned()));
    let res = post(
        &app,
        OFFICER,
        "/v1/minors/search",
        "guardianship",
        json!({"names": ["Farid Ahmadi"]}),
    )
    .await;
    assert!(!ids(&res.json().await.unwrap()).contains(&FARID.to_owned()));
    assert_eq!(registrations(&app).await, Some(4));
    let after = replay(&app, POLICE, Duration::from_millis(1500)).await;
    assert!(
        after
            .iter()
            .any(|e| e["data"]["alert"]["minor_id"] == SEMHAR),
        "the sentinel's events still come"
    );
    // The alert open when the restriction came keeps its events to the end, its resolution
    // included, but they no longer carry his record.
    let farid_events: Vec<&Value> = after
        .iter()
        .filter(|e| e["data"]["alert"]["minor_id"] == FARID)
        .collect();
    assert!(
        farid_events
            .iter()
            .any(|e| e["type"] == "be.uam.alert.resolved"),
        "the police learn the alert ended"
    );
    assert!(farid_events.iter().all(|e| e["data"]["minor"].is_null()));
    // A restricted record is not merged, either way.
    let res = app
        .client
        .post(app.url(&format!("/v1/minors/{SEMHAR}/merge")))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "guardianship")
        .json(&json!({"duplicate": FARID}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 409).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("restricted"),
        "{problem}"
    );
    // A new report by the police is refused: the record is restricted.
    let res = post(
        &app,
        POLICE,
        &format!("{farid}/disappearances"),
        "disappearance",
        json!({"last_seen_at": "2028-01-01T05:00:00Z", "last_seen_place": "Ghent"}),
    )
    .await;
    assert_eq!(res.status(), 403);

    // The sweep's entry: no person, the rule in the request id; the chain holds.
    let rows = audit_rows(&app);
    let swept = rows
        .iter()
        .find(|r| r.action == "restrict" && r.minors.contains(FARID))
        .expect("the restriction is audited");
    assert_eq!(swept.subject, None);
    assert_eq!(swept.agency, None);
    assert_eq!(
        swept.request_id,
        "lifecycle:2028-01-01:restrict-at-majority"
    );
    let res = call(
        &app,
        AUDITOR,
        reqwest::Method::GET,
        "/v1/audit/verify",
        None,
        None,
    )
    .await;
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["first_broken"], Value::Null, "{report}");

    // Only the guardianship service lifts it, with a reason; the youth-care service reads again.
    let lift = format!("{farid}/restriction/lift");
    let why = json!({"reason": "age assessment appeal pending: treated as a minor"});
    assert_problem(
        post(&app, GUARDIAN, &lift, "guardianship", why.clone()).await,
        403,
    )
    .await;
    let problem = assert_problem(
        post(&app, OFFICER, &lift, "guardianship", json!({"reason": " "})).await,
        400,
    )
    .await;
    assert_eq!(problem["invalid-params"][0]["name"], "reason");
    let res = post(&app, OFFICER, &lift, "guardianship", why.clone()).await;
    assert_eq!(res.status(), 200);
    let lifted: Value = res.json().await.unwrap();
    assert_eq!(lifted["restricted"], false);
    assert_eq!(lifted["acts"][1]["kind"], "lifted");
    assert_eq!(lifted["acts"][1]["by"]["agency"], "demo-guardianship");
    assert_eq!(get(&app, YOUTH_CARE, &farid, "care").await.status(), 200);
    assert!(found_by_police(&app).await.contains(&FARID.to_owned()));
    assert_problem(post(&app, OFFICER, &lift, "guardianship", why).await, 409).await;
    let rows = audit_rows(&app);
    assert!(rows.iter().any(|r| r.action == "lift_restriction"
        && r.minors.contains(FARID)
        && r.agency.as_deref() == Some("demo-guardianship")
        && r.outcome == "success"));
    assert!(
        rows.iter()
            .any(|r| r.action == "lift_restriction" && r.outcome == "denied"),
        "the guardian's refusal is audited"
    );
}

/// The review notice of `id` for `reason`, as the guardianship service's stream replays it, once
/// the sweep of the clock's day has raised it.
async fn notice_of(app: &TestApp, id: &str, reason: &str) -> Value {
    for _ in 0..40 {
        let found = replay(app, OFFICER, Duration::from_millis(300))
            .await
            .into_iter()
            .find(|e| {
                e["type"] == "be.uam.minor.review_due"
                    && e["subject"] == id
                    && e["data"]["reason"] == reason
            });
        if let Some(notice) = found {
            return notice;
        }
    }
    panic!("no `{reason}` notice for {id}");
}

#[apply(backends)]
async fn a_restriction_at_the_guardians_request_and_the_review_notices(#[case] backend: Backend) {
    let start = at(2027, 12, 20, 10);
    let (app, clock) = on_clock(backend, start).await;
    // Farid comes of age within the 30 days' notice: on the first day's sweep the guardianship
    // service is told, before the rule runs; the police are not.
    let mut notices = Vec::new();
    for _ in 0..40 {
        notices = replay(&app, OFFICER, Duration::from_millis(300))
            .await
            .into_iter()
            .filter(|e| e["type"] == "be.uam.minor.review_due")
            .collect();
        if !notices.is_empty() {
            break;
        }
    }
    assert_eq!(notices.len(), 1, "{notices:?}");
    let notice = &notices[0];
    assert_eq!(notice["subject"], FARID);
    assert_eq!(notice["data"]["reason"], "rule_due");
    assert_eq!(notice["data"]["due"], "2027-12-02");
    assert_eq!(notice["data"]["rules"][0]["rule"], "restrict-at-majority");
    assert_eq!(notice["data"]["rules"][0]["on"], "2028-01-01");
    assert!(notice["data"].get("identity").is_none());
    let police = replay(&app, POLICE, Duration::from_millis(500)).await;
    assert!(
        police
            .iter()
            .all(|e| e["type"] != "be.uam.minor.review_due")
    );
    assert!(
        audit_rows(&app).iter().any(|r| r.action == "review_notice"
            && r.minors.contains(FARID)
            && r.subject.is_none())
    );

    // The service holds the rules back a month, with a reason; the restriction moves with it.
    let review = format!("/v1/minors/{FARID}/review");
    let hold = json!({"decision": "hold", "hold_until": "2028-01-20",
                      "reason": "age assessment under appeal"});
    let res = post(&app, OFFICER, &review, "guardianship", hold).await;
    assert_eq!(res.status(), 200);
    let life: Value = res.json().await.unwrap();
    assert_eq!(life["hold"]["until"], "2028-01-20");
    assert_eq!(life["pending"][0]["rule"], "restrict-at-majority");
    assert_eq!(life["pending"][0]["on"], "2028-01-20");
    let bad = json!({"decision": "hold", "reason": "no day"});
    let problem =
        assert_problem(post(&app, OFFICER, &review, "guardianship", bad).await, 400).await;
    assert_eq!(problem["invalid-params"][0]["name"], "hold_until");
    let far = json!({"decision": "hold", "hold_until": "2030-01-01", "reason": "too far"});
    assert_problem(post(&app, OFFICER, &review, "guardianship", far).await, 400).await;

    // The guardian asks for a restriction of Semhar's record (GDPR Art. 18): only the
    // guardianship service restricts.
    let restrict = format!("/v1/minors/{SEMHAR}/restriction");
    let why = json!({"reason": "the accuracy of the identity is contested"});
    assert_problem(
        post(&app, GUARDIAN, &restrict, "guardianship", why.clone()).await,
        403,
    )
    .await;
    assert_problem(
        post(&app, OFFICER, &restrict, "identification", why.clone()).await,
        403,
    )
    .await;
    let res = post(&app, OFFICER, &restrict, "guardianship", why.clone()).await;
    assert_eq!(res.status(), 200);
    assert_problem(
        post(&app, OFFICER, &restrict, "guardianship", why).await,
        409,
    )
    .await;
    let semhar = format!("/v1/minors/{SEMHAR}");
    assert_eq!(
        get(&app, GUARDIAN, &semhar, "guardianship").await.status(),
        200
    );
    assert_problem(get(&app, GUARDIAN, &semhar, "care").await, 403).await;
    assert_problem(get(&app, RECEPTION, &semhar, "care").await, 403).await;
    // The guardian may still report her missing (an estimated age can be wrong): the alert opens
    // the record to its readers, for `disappearance`, until it ends.
    assert_problem(get(&app, POLICE, &semhar, "disappearance").await, 403).await;
    let alert = report(&app, GUARDIAN, SEMHAR, start).await;
    assert_eq!(
        get(&app, POLICE, &semhar, "disappearance").await.status(),
        200
    );
    // While she is missing she is found by the police's search again.
    let res = post(
        &app,
        POLICE,
        "/v1/minors/search",
        "disappearance",
        json!({"names": ["Semhar Haile"]}),
    )
    .await;
    assert!(ids(&res.json().await.unwrap()).contains(&SEMHAR.to_owned()));
    let res = post(
        &app,
        POLICE,
        &format!("/v1/alerts/{}/resolution", alert["id"].as_str().unwrap()),
        "disappearance",
        json!({"outcome": "found_safe"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    assert_problem(get(&app, POLICE, &semhar, "disappearance").await, 403).await;
    // The access log holds no field of the child: the guardian still sees who looked.
    let res = get(
        &app,
        GUARDIAN,
        &format!("{semhar}/access-log"),
        "guardianship",
    )
    .await;
    assert_eq!(res.status(), 200);

    // Lifted again; Semhar's periodic review falls a year after her registration, unanswered;
    // thirty days before she comes of age (2029-03-14) the service is told again.
    let lift = format!("{semhar}/restriction/lift");
    let res = post(
        &app,
        OFFICER,
        &lift,
        "guardianship",
        json!({"reason": "corrected"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    clock.set(at(2028, 12, 19, 6));
    let periodic = notice_of(&app, SEMHAR, "periodic").await;
    assert_eq!(periodic["data"]["due"], "2028-12-19");
    clock.set(at(2029, 2, 12, 6));
    let before_rule = notice_of(&app, SEMHAR, "rule_due").await;
    assert_eq!(before_rule["data"]["due"], "2029-02-12");
    assert_eq!(
        before_rule["data"]["rules"][0]["rule"],
        "restrict-at-majority"
    );

    // Retention rules are shown to any caller, with their reasons.
    let res = call(
        &app,
        RECEPTION,
        reqwest::Method::GET,
        "/v1/retention",
        None,
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let rules: Value = res.json().await.unwrap();
    let outbox = rules["rule"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["applies_to"] == "outbox")
        .unwrap();
    assert_eq!(outbox["days"], 30);
    assert!(outbox["reason"].as_str().unwrap().len() > 40);
}
