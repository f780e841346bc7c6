//! `GET /stations`: the live production runs (desk daemons and others), the stations they
//! hold, and the paused stations with their reason.

use axum::Json;
use axum::extract::State;
use cardline_issuance::model::{Run, StationClaim, StationPause};
use cardline_issuance::store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiResult, Problem, require};
use crate::AppState;
use crate::auth::ApiUser;
use crate::pages::stations::VIEWERS;

/// Desks and stations now.
#[derive(Serialize, ToSchema)]
pub struct Stations {
    /// The live production runs (a desk daemon has its `desk`); `lease_expired` marks a run
    /// whose process seems gone.
    runs: Vec<Run>,
    /// Which run holds which station.
    claims: Vec<StationClaim>,
    /// The stations paused until someone resumes them, with what to check.
    paused: Vec<StationPause>,
}

/// `GET /stations`.
#[utoipa::path(get, path = "/stations", tag = "stations", security(("token" = [])),
    description = "The live production runs (desks), the stations they hold and the paused stations. Roles: operator, admin, auditor.",
    responses(
        (status = 401, description = "no, unknown or revoked token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "the role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "runs, claims and paused stations", body = Stations)))]
pub async fn stations(State(state): State<AppState>, who: ApiUser) -> ApiResult<Stations> {
    require(&who, VIEWERS)?;
    let s = state
        .with_store(|s| {
            Ok::<_, StoreError>(Stations {
                runs: s.runs(false)?,
                claims: s.station_claims()?,
                paused: s.station_pauses()?,
            })
        })
        .await?;
    Ok(Json(s))
}
