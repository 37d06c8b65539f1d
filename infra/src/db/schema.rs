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
