//! One schema for both backends: only types that SQLite and PostgreSQL share.

diesel::table! {
    agencies (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        country -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    minors (seq) {
        seq -> BigInt,
        id -> Text,
        registry_number -> Nullable<Text>,
        status -> Text,
        version -> BigInt,
        placement_agency -> Nullable<Text>,
        guardian_agency -> Nullable<Text>,
        registered_at -> Timestamp,
        updated_at -> Timestamp,
        data -> Text,
        merged_into -> Nullable<Text>,
        restricted -> Bool,
        lifecycle -> Text,
    }
}

diesel::table! {
    minor_nationalities (minor_seq, country) {
        minor_seq -> BigInt,
        country -> Text,
    }
}

diesel::table! {
    minor_revisions (minor_seq, version) {
        minor_seq -> BigInt,
        version -> BigInt,
        at -> Timestamp,
        subject -> Text,
        agency -> Text,
        role -> Text,
        purpose -> Text,
        changed -> Text,
        data -> Text,
        redactions -> Nullable<Text>,
    }
}

diesel::table! {
    lifecycle_sweeps (day) {
        day -> Text,
        started -> Timestamp,
    }
}

diesel::table! {
    photos (id) {
        id -> Text,
        minor_seq -> BigInt,
        content_type -> Text,
        bytes -> Binary,
        created_at -> Timestamp,
    }
}

diesel::joinable!(minor_nationalities -> minors (minor_seq));
diesel::joinable!(minor_revisions -> minors (minor_seq));
diesel::joinable!(photos -> minors (minor_seq));
diesel::allow_tables_to_appear_in_same_query!(
    agencies,
    minors,
    minor_nationalities,
    minor_revisions,
    photos
);

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        at -> Timestamp,
        subject -> Nullable<Text>,
        agency -> Nullable<Text>,
        role -> Nullable<Text>,
        purpose -> Nullable<Text>,
        action -> Text,
        minors -> Text,
        categories -> Text,
        outcome -> Text,
        request_id -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_minors (minor_id, audit_seq) {
        minor_id -> Text,
        audit_seq -> BigInt,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    audit_cut (id) {
        id -> Integer,
        through_seq -> BigInt,
        through_hash -> Text,
    }
}

diesel::joinable!(audit_minors -> audit_log (audit_seq));
diesel::allow_tables_to_appear_in_same_query!(audit_log, audit_minors);

diesel::table! {
    alerts (seq) {
        seq -> BigInt,
        id -> Text,
        minor_id -> Text,
        status -> Text,
        risk -> Text,
        next_due_at -> Nullable<Timestamp>,
        version -> BigInt,
        data -> Text,
        ledger_gap -> Bool,
    }
}

diesel::table! {
    alert_agencies (agency, alert_seq) {
        alert_seq -> BigInt,
        agency -> Text,
    }
}

diesel::table! {
    outbox (seq) {
        seq -> BigInt,
        event_id -> Text,
        #[sql_name = "type"]
        kind -> Text,
        alert_id -> Text,
        minor_id -> Text,
        time -> Timestamp,
        alert -> Text,
        possible_match -> Nullable<Text>,
    }
}

diesel::table! {
    absences (seq) {
        seq -> BigInt,
        id -> Text,
        minor_id -> Text,
        status -> Text,
        next_due_at -> Nullable<Timestamp>,
        version -> BigInt,
        data -> Text,
    }
}

diesel::table! {
    tasks (seq) {
        seq -> BigInt,
        id -> Text,
        minor_id -> Text,
        alert_id -> Text,
        agency -> Text,
        status -> Text,
        overdue -> Bool,
        next_due_at -> Nullable<Timestamp>,
        version -> BigInt,
        data -> Text,
    }
}

diesel::joinable!(alert_agencies -> alerts (alert_seq));
diesel::allow_tables_to_appear_in_same_query!(alerts, alert_agencies, minors);

diesel::table! {
    subscriptions (id) {
        id -> Text,
        agency -> Text,
        kind -> Text,
        url -> Nullable<Text>,
        secret -> Nullable<Text>,
        topic -> Nullable<Text>,
        cursor -> BigInt,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        status -> Text,
        proposed_by -> Nullable<Text>,
        failing_since -> Nullable<Timestamp>,
        failing_seq -> Nullable<BigInt>,
        paused_since -> Nullable<Timestamp>,
        retry_hours -> Integer,
    }
}

diesel::table! {
    dead_letters (subscription_id, outbox_seq) {
        subscription_id -> Text,
        outbox_seq -> BigInt,
        event_id -> Text,
        reason -> Text,
        at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolution -> Nullable<Text>,
        resolved_by -> Nullable<Text>,
        resolution_reason -> Nullable<Text>,
    }
}

diesel::table! {
    outbox_horizon (id) {
        id -> Integer,
        pruned_through -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(outbox, dead_letters);

diesel::table! {
    minor_name_keys (key, minor_seq) {
        key -> Text,
        minor_seq -> BigInt,
        birth_day -> Nullable<Integer>,
    }
}

diesel::table! {
    name_index (id) {
        id -> Integer,
        version -> Integer,
    }
}

diesel::joinable!(minor_name_keys -> minors (minor_seq));
diesel::allow_tables_to_appear_in_same_query!(minors, minor_name_keys);
