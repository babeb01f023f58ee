//! The tables, as diesel sees them. Both migration folders must produce exactly these.

diesel::table! {
    instance (id) {
        id -> Integer,
        domain -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    actors (id) {
        id -> BigInt,
        ap_id -> Text,
        actor_type -> Text,
        local -> Bool,
        username -> Text,
        domain -> Text,
        display_name -> Nullable<Text>,
        summary -> Nullable<Text>,
        inbox -> Text,
        shared_inbox -> Nullable<Text>,
        followers_url -> Nullable<Text>,
        public_key_id -> Text,
        public_key_pem -> Text,
        manually_approves_followers -> Bool,
        published -> Timestamp,
        fetched_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    local_keys (actor_id) {
        actor_id -> BigInt,
        private_key_pem -> Text,
    }
}

diesel::table! {
    follows (id) {
        id -> BigInt,
        follower_id -> BigInt,
        followed_id -> BigInt,
        activity_id -> Text,
        state -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    received_activities (ap_id) {
        ap_id -> Text,
        actor_id -> BigInt,
        kind -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        ap_id -> Text,
        author_id -> BigInt,
        object_type -> Text,
        content -> Text,
        object_json -> Text,
        local -> Bool,
        published -> Timestamp,
        updated -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outgoing_activities (id) {
        id -> BigInt,
        ap_id -> Text,
        actor_id -> BigInt,
        kind -> Text,
        payload -> Text,
        public -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        activity_id -> BigInt,
        inbox -> Text,
        host -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        leased_by -> Nullable<Text>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    hosts (host) {
        host -> Text,
        policy -> Nullable<Text>,
        reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamp>,
        unreachable -> Bool,
        last_success_at -> Nullable<Timestamp>,
        last_seen_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    members (id) {
        id -> BigInt,
        actor_id -> BigInt,
        username -> Text,
        email -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        bio -> Text,
        pronouns -> Text,
        city -> Text,
        avatar_url -> Nullable<Text>,
        role -> Text,
        is_admin -> Bool,
        status -> Text,
        joined_at -> Timestamp,
        eligible_from -> Nullable<Timestamp>,
        buddy_id -> Nullable<BigInt>,
        language -> Nullable<Text>,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        token_hash -> Text,
        role -> Text,
        is_admin -> Bool,
        created_by -> Nullable<BigInt>,
        member_id -> Nullable<BigInt>,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        member_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        member_id -> BigInt,
        name -> Text,
        scope -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    coop_groups (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        description -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    coop_group_members (group_id, member_id) {
        group_id -> BigInt,
        member_id -> BigInt,
        joined_at -> Timestamp,
    }
}

diesel::joinable!(posts -> actors (author_id));
diesel::joinable!(deliveries -> outgoing_activities (activity_id));
diesel::table! {
    remote_memberships (coop_actor_id, member_ap_id) {
        coop_actor_id -> BigInt,
        member_ap_id -> Text,
        fetched_at -> Timestamp,
    }
}

diesel::table! {
    skill_listings (id) {
        id -> BigInt,
        ap_id -> Text,
        actor_id -> BigInt,
        coop_actor_id -> Nullable<BigInt>,
        local -> Bool,
        label -> Text,
        tags -> Text,
        level -> Text,
        description -> Text,
        hours_per_week -> Integer,
        available_from -> Nullable<Text>,
        available_until -> Nullable<Text>,
        work_mode -> Text,
        region -> Text,
        visibility -> Text,
        search_text -> Text,
        published -> Timestamp,
        updated -> Nullable<Timestamp>,
    }
}

diesel::table! {
    projects (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        client -> Nullable<Text>,
        status -> Text,
        start_date -> Nullable<Text>,
        end_date -> Nullable<Text>,
        lead_id -> BigInt,
        currency -> Text,
        budget_minor -> BigInt,
        hourly_rate_minor -> BigInt,
        planned_hundredths -> BigInt,
        needed_skills -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    project_members (project_id, member_id) {
        project_id -> BigInt,
        member_id -> BigInt,
        added_at -> Timestamp,
    }
}

diesel::table! {
    ledger_entries (id) {
        id -> BigInt,
        project_id -> BigInt,
        kind -> Text,
        amount -> BigInt,
        entry_date -> Text,
        category -> Text,
        description -> Text,
        actor_id -> Nullable<BigInt>,
        entered_by -> BigInt,
        reverses -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    offers (id) {
        id -> BigInt,
        ap_id -> Text,
        local -> Bool,
        project_id -> Nullable<BigInt>,
        coop_actor_id -> BigInt,
        title -> Text,
        description -> Text,
        skills -> Text,
        positions -> Integer,
        estimated_hours -> Integer,
        period_start -> Nullable<Text>,
        period_end -> Nullable<Text>,
        compensation -> Text,
        amount_minor -> Nullable<BigInt>,
        currency -> Nullable<Text>,
        location -> Text,
        remote -> Bool,
        application_deadline -> Nullable<Text>,
        audience -> Text,
        status -> Text,
        published -> Timestamp,
        updated -> Nullable<Timestamp>,
    }
}

diesel::table! {
    offer_applications (id) {
        id -> BigInt,
        ap_id -> Text,
        offer_id -> BigInt,
        applicant_actor_id -> BigInt,
        coop_actor_id -> Nullable<BigInt>,
        message -> Text,
        hours_available -> Integer,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    proposals (id) {
        id -> BigInt,
        ap_id -> Text,
        coop_actor_id -> BigInt,
        author_actor_id -> Nullable<BigInt>,
        local -> Bool,
        title -> Text,
        body_html -> Text,
        kind -> Text,
        scope -> Text,
        counting -> Text,
        results -> Text,
        options -> Text,
        quorum_percent -> Nullable<Integer>,
        quorum_coops -> Nullable<Integer>,
        open_poll -> Bool,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        closed -> Bool,
        outcome -> Nullable<Text>,
        remote_tally -> Nullable<Text>,
        update_due -> Bool,
        last_update_at -> Nullable<Timestamp>,
        budget_project_id -> Nullable<BigInt>,
        budget_kind -> Nullable<Text>,
        budget_amount -> Nullable<BigInt>,
        budget_category -> Nullable<Text>,
        budget_reason -> Nullable<Text>,
        budget_entry_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        decides_proposal_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    proposal_votes (id) {
        id -> BigInt,
        proposal_id -> BigInt,
        voter_ap_id -> Text,
        voter_coop -> Nullable<Text>,
        option_index -> Integer,
        standing -> Text,
        reason -> Nullable<Text>,
        ap_id -> Nullable<Text>,
        cast_at -> Timestamp,
    }
}

diesel::table! {
    proposal_comments (id) {
        id -> BigInt,
        proposal_id -> BigInt,
        ap_id -> Text,
        author_ap_id -> Text,
        content -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(skill_listings -> actors (actor_id));
diesel::joinable!(project_members -> projects (project_id));
diesel::joinable!(project_members -> members (member_id));
diesel::joinable!(ledger_entries -> projects (project_id));
diesel::joinable!(offer_applications -> offers (offer_id));
diesel::joinable!(proposal_votes -> proposals (proposal_id));
diesel::joinable!(proposal_comments -> proposals (proposal_id));
diesel::joinable!(outgoing_activities -> actors (actor_id));
diesel::joinable!(members -> actors (actor_id));
diesel::joinable!(sessions -> members (member_id));
diesel::joinable!(api_tokens -> members (member_id));
diesel::joinable!(coop_group_members -> coop_groups (group_id));
diesel::allow_tables_to_appear_in_same_query!(
    actors,
    local_keys,
    follows,
    posts,
    outgoing_activities,
    deliveries,
    hosts,
    received_activities,
    members,
    invitations,
    sessions,
    api_tokens,
    coop_groups,
    coop_group_members,
    remote_memberships,
    skill_listings,
    projects,
    project_members,
    ledger_entries,
    offers,
    offer_applications,
    proposals,
    proposal_votes,
    proposal_comments
);
