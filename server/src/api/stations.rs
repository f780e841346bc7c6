//! `GET /stations`: the live production runs (desk daemons and others), the stations they
//! hold, and the paused stations with their reason.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cardline_issuance::model::{Run, StationClaim, StationPause};
use cardline_issuance::store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiResult, Problem, Refused, require};
use crate::AppState;
use crate::auth::ApiUser;
use crate::pages::stations::{RESUMERS, ResumeResult, VIEWERS, resume_station};

/// Desks and stations now.
#[derive(Serialize, ToSchema)]
pub struct Stations {
    /// The live production runs (a desk daemon has its `desk`); `lease_expired` marks a run
    /// whose process seems gone.
    runs: Vec<Run>,
    /// Which run holds which station, with what its printer last reported (`printer`:
    /// ribbon, cover, feeder, faults, error, model, serial, `read_at`; `null` until read).
    claims: Vec<StationClaim>,
    /// The stations paused until someone resumes them, with what to check.
    paused: Vec<StationPause>,
}

/// `GET /stations`.
#[utoipa::path(get, path = "/stations", tag = "stations", security(("token" = [])),
    description = "The live production runs (desks), the stations they hold and the paused stations. Roles: operator, admin, auditor.",
    responses(
        Refused,
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

/// A station resumed.
#[derive(Serialize, ToSchema)]
pub struct Resumed {
    /// The station.
    station: String,
    /// Who resumed it (audited `station.resume` as this user).
    resumed_by: String,
}

/// `POST /stations/{name}/resume`: the console's Resume.
#[utoipa::path(post, path = "/stations/{name}/resume", tag = "stations", security(("token" = [])),
    params(("name" = String, Path, description = "station name")),
    description = "Resume a paused station once its cause is fixed (the desk waiting on it re-opens it and goes on); audited as the token's user. Roles: operator, admin.",
    responses(
        Refused,
        (status = 404, description = "no such station: it is neither paused nor driven by a run", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the station is not paused", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the station is resumed", body = Resumed)))]
pub async fn resume(
    State(state): State<AppState>,
    who: ApiUser,
    Path(name): Path<String>,
) -> ApiResult<Resumed> {
    require(&who, RESUMERS)?;
    match resume_station(&state, who.actor(), &name).await? {
        ResumeResult::Resumed => Ok(Json(Resumed {
            station: name,
            resumed_by: who.actor().0,
        })),
        ResumeResult::NotPaused => Err(Problem::new(
            StatusCode::CONFLICT,
            format!("station `{name}` is not paused"),
        )),
        ResumeResult::Unknown => Err(Problem::new(
            StatusCode::NOT_FOUND,
            format!(
                "no station `{name}`: it is neither paused nor driven by a run (GET /api/v1/stations)"
            ),
        )),
    }
}
