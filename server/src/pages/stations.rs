//! Desks and stations: the live production runs (desk, host, lease), the stations they hold,
//! the paused stations with their reason and a Resume button.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use cardline_issuance::store::StoreError;
use cardline_issuance::store::users::Role;
use maud::html;

use super::{PageError, check_csrf, csrf_field, layout, pairs, require};
use crate::AppState;
use crate::auth::Authed;

/// Who may see desks and stations.
pub const VIEWERS: &[Role] = &[Role::Operator, Role::Admin, Role::Auditor];
/// Who may resume a paused station.
pub const RESUMERS: &[Role] = &[Role::Operator, Role::Admin];

/// `GET /stations`.
pub async fn page(State(state): State<AppState>, who: Authed) -> Response {
    let run = async {
        require(&who, VIEWERS)?;
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
                                            (csrf_field(&who))
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
        Ok::<_, PageError>(layout("Desks and stations", Some(&who), body).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
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
        let actor = who.actor();
        let station = name.clone();
        let resumed = state
            .with_store(move |s| s.resume_station(&station, &actor))
            .await?;
        if !resumed {
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
