//! The tables, as diesel sees them. Both migration folders must produce exactly these.

diesel::table! {
    instance (id) {
        id -> Integer,
        domain -> Text,
        created_at -> Timestamp,
    }
}
