//! HTTP-level tests of the console and the API: a real server on an ephemeral loopback port,
//! a SQLite store on disk, real Argon2id hashes, raw HTTP/1.1 requests.

mod admin_pages;
mod api;
mod api_admin;
mod audit_paging;
mod ca_cert;
mod card_actions;
mod common;
mod flow;
mod hosts;
mod live;
mod openapi;
mod options;
mod order_pages;
mod profiles;
mod security;
mod shared_sessions;
mod stations;
mod tls;
mod users;
