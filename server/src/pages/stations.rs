//! Desks and stations: the live production runs (desk, host, lease), the stations they hold,
//! the paused stations with their reason and a Resume button.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use cardline_issuance::model::StationClaim;
use cardline_issuance::store::users::Role;
use cardline_issuance::store::{Actor, StoreError};
use maud::{Markup, html};

use super::printer_view::{NOT_READ, cover_warns, feeder_warns, printer_name, ribbon_text};
use super::{PageError, check_csrf, csrf_field, layout, pairs, require};
use crate::AppState;
use crate::auth::Authed;

/// Who may see desks and stations.
pub const VIEWERS: &[Role] = &[Role::Operator, Role::Admin, Role::Auditor];
/// Who may resume a paused station.
pub const RESUMERS: &[Role] = &[Role::Operator, Role::Admin];

/// `GET /stations`: the tables in a `#stations-live` block that the page's script
/// (`/static/stations-live.js`) replaces with a fresh copy of this page whenever the stream
/// `/stations/events` says its content changed; without JavaScript, reload.
pub async fn page(State(state): State<AppState>, who: Authed) -> Response {
    let run = async {
        require(&who, VIEWERS)?;
        let tables = content(&state, &who).await?;
        let hash = fingerprint(&tables);
        let body = html! {
            div #stations-live data-live="/stations/events" data-hash=(hash) { (tables) }
            script src="/static/stations-live.js" defer {}
        };
        Ok::<_, PageError>(layout("Desks and stations", Some(&who), body).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// A short fingerprint of rendered tables (equal content, equal fingerprint).
pub fn fingerprint(tables: &Markup) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    tables.0.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// The page's tables as they are now: runs, stations with their printers, paused stations.
pub async fn content(state: &AppState, who: &Authed) -> Result<Markup, PageError> {
    {
        let (runs, claims, pauses) = state
            .with_store(|s| {
                Ok::<_, StoreError>((s.runs(false)?, s.station_claims()?, s.station_pauses()?))
            })
            .await?;
        let body = html! {
            h2 { "Production runs" }
            table {
                thead { tr { th { "Run" } th { "Kind" } th { "Desk" } th { "Host" } th { "Pid" } th { "Started" } th { "By" } th { "Lease" } th { "Stations" } } }
                tbody {
                    @for r in &runs {
                        tr {
                            td { (r.id) } td { (r.kind) } td { (r.desk.as_deref().unwrap_or("")) } td { (r.host) } td { (r.pid) }
                            td { (r.started_at) } td { (r.operator) }
                            td { @if r.lease_expired { "expired (gone?)" } @else { "until " (r.lease_until) } }
                            td { (claims.iter().filter(|c| c.run == r.id).map(|c| c.station.as_str()).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                }
            }
            @if runs.is_empty() { p { "No production run is live." } }
            @if !claims.is_empty() {
                h2 { "Stations and their printers" }
                table #printers {
                    thead { tr { th { "Station" } th { "Run" } th { "State" } th { "Printer" } th { "Ribbon" } th { "Cover" } th { "Feeder" } th { "Attention" } th { "Read" } } }
                    tbody {
                        @for c in &claims {
                            (printer_row(c, pauses.iter().any(|p| p.station == c.station)))
                        }
                    }
                }
            }
            h2 { "Paused stations" }
            @if pauses.is_empty() { p { "No station is paused." } }
            @else {
                table {
                    thead { tr { th { "Station" } th { "Why" } th { "Since" } th { "" } } }
                    tbody {
                        @for p in &pauses {
                            tr {
                                td { (p.station) } td { (p.reason) } td { (p.paused_at) }
                                td {
                                    @if who.has(RESUMERS) {
                                        form.inline method="post" action={ "/stations/" (p.station) "/resume" } {
                                            (csrf_field(who))
                                            button type="submit" { "Resume" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
        Ok(body)
    }
}

/// One station's row: its printer as last read, warnings in the warning style.
fn printer_row(c: &StationClaim, paused: bool) -> maud::Markup {
    let state = if paused { "paused" } else { "driven" };
    match &c.printer {
        None => html! {
            tr data-station=(c.station) {
                td { (c.station) } td { (c.run) } td { (state) }
                td colspan="6" { (NOT_READ) }
            }
        },
        Some(p) => {
            let warnings = p.warnings();
            html! {
                tr data-station=(c.station) {
                    td { (c.station) } td { (c.run) } td { (state) }
                    td { (printer_name(p)) }
                    td class=[p.ribbon_low().then_some("warn")] { (ribbon_text(p)) }
                    td class=[cover_warns(p).then_some("warn")] { (p.cover.as_str()) }
                    td class=[feeder_warns(p).then_some("warn")] { (p.feeder.as_str()) }
                    td class=[(!warnings.is_empty()).then_some("warn")] {
                        @if warnings.is_empty() { "-" } @else { (warnings.join("; ")) }
                    }
                    td { (p.read_at) }
                }
            }
        }
    }
}

/// What resuming a station found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResumeResult {
    /// It was paused and is resumed now (audited as the user).
    Resumed,
    /// A run drives it, and it is not paused.
    NotPaused,
    /// No run drives it and it is not paused: no such station as far as the store knows.
    Unknown,
}

/// Resumes a paused station as `actor` (audited `station.resume`): the console's Resume and
/// `POST /api/v1/stations/{name}/resume` both come here.
pub(crate) async fn resume_station(
    state: &AppState,
    actor: Actor,
    name: &str,
) -> Result<ResumeResult, StoreError> {
    let name = name.to_string();
    state
        .with_store(move |s| {
            if s.resume_station(&name, &actor)? {
                return Ok(ResumeResult::Resumed);
            }
            let driven = s.station_claims()?.iter().any(|c| c.station == name);
            Ok(if driven {
                ResumeResult::NotPaused
            } else {
                ResumeResult::Unknown
            })
        })
        .await
}

/// `POST /stations/{name}/resume`.
pub async fn resume(
    State(state): State<AppState>,
    who: Authed,
    Path(name): Path<String>,
    body: String,
) -> Response {
    let run = async {
        require(&who, RESUMERS)?;
        let form = pairs(&body);
        check_csrf(&who, &form)?;
        if resume_station(&state, who.actor(), &name).await? != ResumeResult::Resumed {
            return Err(PageError::BadInput(format!(
                "Station `{name}` is not paused."
            )));
        }
        // Back to the order page the button was on, else to this page (never elsewhere).
        let back = super::value(&form, "back")
            .filter(|b| {
                b.strip_prefix("/orders/")
                    .is_some_and(|id| !id.is_empty() && id.bytes().all(|c| c.is_ascii_digit()))
            })
            .unwrap_or("/stations");
        Ok(Redirect::to(back).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}
