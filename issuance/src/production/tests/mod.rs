//! Orchestrator tests with scripted mock devices and an in-memory journal.

mod desk_scenarios;
mod memory_store;
mod mock_devices;
mod scenarios;
