//! The conformance suite every store backend must pass: the same cases, run against SQLite
//! now and PostgreSQL next, so that a backend cannot drift from the rules the rest of
//! cardline relies on (atomic claims, lifecycle refusals, fencing, issue-once, audit).
//!
//! A backend's test file implements [`TestDatabase`] (a fresh, empty database, and a way to
//! open more handles to it — as more processes would) and expands [`conformance_tests!`](crate::conformance_tests):
//!
//! ```ignore
//! struct Sqlite(tempfile::TempDir);
//! impl TestDatabase for Sqlite {
//!     fn open(&self) -> Arc<dyn Store> { Arc::new(SqliteStore::create(&self.0.path().join("db")).unwrap()) }
//! }
//! cardline_issuance::conformance_tests!(|| Sqlite(tempfile::tempdir().unwrap()));
//! ```
//!
//! Each case panics (an assertion) when the backend breaks a rule.

use std::sync::Arc;

use crate::model::*;
use crate::numbering::Numbering;
use crate::store::*;

pub mod audit_cases;
pub mod cards;
pub mod concurrency;
pub mod desk_cases;
pub mod journal;
pub mod order_count_cases;
pub mod orders;
pub mod ownership_cases;
pub mod printer_cases;
pub mod profile_cases;
pub mod revocation_cases;
pub mod search_cases;
pub mod user_cases;

/// One empty database of the backend under test.
pub trait TestDatabase: Sync {
    /// A new handle to the database, with its own connections (like another process).
    fn open(&self) -> Arc<dyn Store>;
}

/// Begins an attempt on `station` as the run that holds it, registering a run and claiming
/// the station first when no run does (cases that are not about ownership).
pub fn begin_attempt(
    store: &dyn Store,
    order: OrderId,
    station: &str,
    actor: &Actor,
) -> Result<Option<(Card, AttemptId)>, StoreError> {
    let run = station_run(store, station);
    store.begin_attempt(run, order, station, actor)
}

/// The run holding `station`, registering one (this process) and claiming it when none does.
pub fn station_run(store: &dyn Store, station: &str) -> RunId {
    if let Some(owner) = store.station_owner(station).unwrap() {
        return owner.id;
    }
    let run = store
        .start_run(
            &ownership::RunStart::this_process("produce"),
            &Actor("conformance".into()),
        )
        .unwrap();
    store
        .claim_station(run.id, station, None, &Actor("conformance".into()))
        .unwrap()
        .expect("a free station is claimed");
    run.id
}

/// One conformance case.
pub type Case = fn(&dyn TestDatabase);

/// Every case, by name, for backends that run them in a loop.
pub const CASES: &[(&str, Case)] = &[
    (
        "requested_cards_are_numbered_and_the_sequence_continues",
        cards::requested_cards_are_numbered_and_the_sequence_continues,
    ),
    (
        "request_refuses_what_the_numbering_cannot_hold",
        cards::request_refuses_what_the_numbering_cannot_hold,
    ),
    ("card_lookup_and_filters", cards::card_lookup_and_filters),
    ("assign_withdraw_lock", cards::assign_withdraw_lock),
    (
        "assign_needs_a_person_and_a_time_and_order_events_are_refused",
        cards::assign_needs_a_person_and_a_time_and_order_events_are_refused,
    ),
    (
        "expiry_sweep_moves_only_assigned_cards_past_their_validity",
        cards::expiry_sweep_moves_only_assigned_cards_past_their_validity,
    ),
    (
        "spoiled_chips_and_ended_cards_are_revoked",
        revocation_cases::spoiled_chips_and_ended_cards_are_revoked,
    ),
    (
        "a_desk_ca_is_revoked_alone_and_its_desk_may_not_encode",
        revocation_cases::a_desk_ca_is_revoked_alone_and_its_desk_may_not_encode,
    ),
    (
        "audit_entries_chain_per_writer_and_verify",
        audit_cases::audit_entries_chain_per_writer_and_verify,
    ),
    (
        "audit_notes_filters_and_limits",
        cards::audit_notes_filters_and_limits,
    ),
    (
        "requests_carry_their_data_and_numbers_are_found_in_any_case",
        cards::requests_carry_their_data_and_numbers_are_found_in_any_case,
    ),
    (
        "a_produced_card_keeps_its_order_after_the_order_is_completed",
        cards::a_produced_card_keeps_its_order_after_the_order_is_completed,
    ),
    (
        "create_by_all_first_and_numbers",
        orders::create_by_all_first_and_numbers,
    ),
    (
        "an_order_is_read_page_by_page_in_production_order",
        orders::an_order_is_read_page_by_page_in_production_order,
    ),
    (
        "a_card_already_ordered_or_unknown_cannot_be_selected_and_nothing_is_half_done",
        orders::a_card_already_ordered_or_unknown_cannot_be_selected_and_nothing_is_half_done,
    ),
    (
        "cancel_returns_unproduced_cards_and_keeps_the_history",
        orders::cancel_returns_unproduced_cards_and_keeps_the_history,
    ),
    (
        "complete_is_refused_while_cards_wait_and_releases_failed_ones",
        orders::complete_is_refused_while_cards_wait_and_releases_failed_ones,
    ),
    (
        "repeat_takes_failed_and_misprinted_cards_and_voids_the_misprint",
        orders::repeat_takes_failed_and_misprinted_cards_and_voids_the_misprint,
    ),
    (
        "an_order_counts_its_own_outcome_lists_failures_and_previews_changes",
        orders::an_order_counts_its_own_outcome_lists_failures_and_previews_changes,
    ),
    (
        "order_counters_equal_a_recount_after_every_change",
        order_count_cases::order_counters_equal_a_recount_after_every_change,
    ),
    (
        "attempts_take_cards_in_order_and_skip_cards_in_flight",
        journal::attempts_take_cards_in_order_and_skip_cards_in_flight,
    ),
    (
        "an_outcome_and_the_next_intent_commit_together",
        journal::an_outcome_and_the_next_intent_commit_together,
    ),
    (
        "the_last_outcome_and_the_success_commit_together",
        journal::the_last_outcome_and_the_success_commit_together,
    ),
    (
        "a_desk_registers_its_master_at_start_and_attempts_compare_with_it",
        journal::a_desk_registers_its_master_at_start_and_attempts_compare_with_it,
    ),
    (
        "attempts_record_key_ids_and_refuse_a_replaced_management_master",
        journal::attempts_record_key_ids_and_refuse_a_replaced_management_master,
    ),
    (
        "steps_are_journaled_as_intent_then_outcome",
        journal::steps_are_journaled_as_intent_then_outcome,
    ),
    (
        "success_records_chip_and_secrets_and_a_closed_attempt_cannot_close_again",
        journal::success_records_chip_and_secrets_and_a_closed_attempt_cannot_close_again,
    ),
    (
        "production_of_a_closed_order_is_refused",
        journal::production_of_a_closed_order_is_refused,
    ),
    (
        "concurrent_orders_never_share_a_card",
        concurrency::concurrent_orders_never_share_a_card,
    ),
    (
        "concurrent_stations_never_take_the_same_card",
        concurrency::concurrent_stations_never_take_the_same_card,
    ),
    (
        "one_store_is_shared_between_threads",
        concurrency::one_store_is_shared_between_threads,
    ),
    (
        "a_station_is_driven_by_one_live_run",
        ownership_cases::a_station_is_driven_by_one_live_run,
    ),
    (
        "fencing_refuses_a_run_without_its_station_and_a_closed_attempt",
        ownership_cases::fencing_refuses_a_run_without_its_station_and_a_closed_attempt,
    ),
    (
        "leases_are_renewed_and_expire",
        ownership_cases::leases_are_renewed_and_expire,
    ),
    (
        "pauses_are_recorded_listed_resumed_and_audited",
        ownership_cases::pauses_are_recorded_listed_resumed_and_audited,
    ),
    (
        "a_key_is_recorded_once",
        ownership_cases::a_key_is_recorded_once,
    ),
    (
        "waiting_cards_and_a_named_card_attempt",
        ownership_cases::waiting_cards_and_a_named_card_attempt,
    ),
    (
        "lost_attempts_are_audited_apart",
        ownership_cases::lost_attempts_are_audited_apart,
    ),
    (
        "orders_are_released_once_and_only_open",
        desk_cases::orders_are_released_once_and_only_open,
    ),
    (
        "desks_take_released_orders_oldest_first_and_skip_what_they_cannot_do",
        desk_cases::desks_take_released_orders_oldest_first_and_skip_what_they_cannot_do,
    ),
    (
        "the_change_mark_moves_with_production_and_only_then",
        desk_cases::the_change_mark_moves_with_production_and_only_then,
    ),
    (
        "a_desk_claims_for_several_stations_at_once",
        desk_cases::a_desk_claims_for_several_stations_at_once,
    ),
    (
        "many_desks_take_each_card_once",
        desk_cases::many_desks_take_each_card_once,
    ),
    (
        "untouched_attempts_of_lapsed_runs_go_back_to_the_queue",
        desk_cases::untouched_attempts_of_lapsed_runs_go_back_to_the_queue,
    ),
    (
        "runs_and_claims_are_listed_for_desks",
        desk_cases::runs_and_claims_are_listed_for_desks,
    ),
    (
        "printer_reports_round_trip_on_the_claim",
        printer_cases::printer_reports_round_trip_on_the_claim,
    ),
    (
        "search_filters_pages_and_counts",
        search_cases::search_filters_pages_and_counts,
    ),
    (
        "orders_select_by_search_exact_count_or_dry_run",
        search_cases::orders_select_by_search_exact_count_or_dry_run,
    ),
    (
        "search_totals_are_counted_up_to_a_bound",
        search_cases::search_totals_are_counted_up_to_a_bound,
    ),
    (
        "option_profiles_are_validated_logged_and_audited",
        profile_cases::option_profiles_are_validated_logged_and_audited,
    ),
    (
        "users_are_added_once_disabled_and_their_password_replaced",
        user_cases::users_are_added_once_disabled_and_their_password_replaced,
    ),
    (
        "failed_logins_lock_the_user_and_a_success_or_reset_clears_them",
        user_cases::failed_logins_lock_the_user_and_a_success_or_reset_clears_them,
    ),
    (
        "api_tokens_are_found_by_hash_until_revoked",
        user_cases::api_tokens_are_found_by_hash_until_revoked,
    ),
    (
        "api_tokens_record_their_last_use_at_most_once_per_interval",
        user_cases::api_tokens_record_their_last_use_at_most_once_per_interval,
    ),
    (
        "sessions_are_shared_by_handles_end_and_expire_and_stay_bounded",
        user_cases::sessions_are_shared_by_handles_end_and_expire_and_stay_bounded,
    ),
    (
        "the_audit_log_is_filtered_by_time_and_paged_older_by_id",
        user_cases::the_audit_log_is_filtered_by_time_and_paged_older_by_id,
    ),
];

/// Expands to a `#[test]` that runs every conformance case, each on a fresh database made by
/// `$fresh` (a closure returning a [`TestDatabase`]), printing each case's name and result
/// and failing with the list of cases that failed.
///
/// With `when $ready` (a closure returning `bool`), the test first asks whether the backend
/// is there (a database server): when it returns `false` the test returns at once (`$ready`
/// prints why, e.g. `skipped: no postgres`).
#[macro_export]
macro_rules! conformance_tests {
    (@run $fresh:expr) => {{
        let mut failed = Vec::new();
        for (name, case) in $crate::store::conformance::CASES {
            let db = ($fresh)();
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(&db)));
            match outcome {
                Ok(()) => eprintln!("conformance: {name} ... ok"),
                Err(_) => {
                    eprintln!("conformance: {name} ... FAILED");
                    failed.push(*name);
                }
            }
        }
        assert!(failed.is_empty(), "conformance cases failed: {failed:?}");
    }};
    ($fresh:expr, when $ready:expr) => {
        #[test]
        fn conformance_suite() {
            if !($ready)() {
                return;
            }
            $crate::conformance_tests!(@run $fresh);
        }
    };
    ($fresh:expr) => {
        #[test]
        fn conformance_suite() {
            $crate::conformance_tests!(@run $fresh);
        }
    };
}
