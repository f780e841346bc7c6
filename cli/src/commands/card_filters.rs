//! The card filters shared by `cards search` and `order create` (one definition, so the
//! operator's search and the selection of an order say the same thing in the same words).

use cardline_issuance::model::{CardState, OrderId};
use cardline_issuance::search::CardQuery;

/// Which cards: every filter given must hold.
#[derive(Clone, Debug, Default, clap::Args)]
#[command(next_help_heading = "Filters")]
pub struct CardFilterArgs {
    /// Cards in this state (repeatable: in any of them).
    #[arg(long = "state", value_name = "STATE", value_parser = parse_state)]
    pub states: Vec<CardState>,
    /// Requested on or after this day (YYYY-MM-DD) or time (RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Requested on or before this day (the whole day) or before this time.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Requested by this requester (any case).
    #[arg(long)]
    pub requester: Option<String>,
    /// For this desk or site (any case).
    #[arg(long, alias = "site")]
    pub desk: Option<String>,
    /// Card numbers starting with this text (any case).
    #[arg(long, value_name = "PREFIX")]
    pub number_prefix: Option<String>,
    /// Card numbers from this one (inclusive).
    #[arg(long, value_name = "CARD")]
    pub number_from: Option<String>,
    /// Card numbers up to this one (inclusive).
    #[arg(long, value_name = "CARD")]
    pub number_to: Option<String>,
    /// Cards this order holds or held.
    #[arg(long, value_name = "ID")]
    pub order: Option<OrderId>,
    /// Failure reason containing this text (any case).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// Parses a state name for clap, listing the allowed ones on error.
pub fn parse_state(s: &str) -> Result<CardState, String> {
    CardState::parse(s).ok_or_else(|| {
        let all: Vec<&str> = CardState::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown state `{s}`: allowed {}", all.join(", "))
    })
}

impl CardFilterArgs {
    /// True when no filter is given.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
            && self.from.is_none()
            && self.to.is_none()
            && self.requester.is_none()
            && self.desk.is_none()
            && self.number_prefix.is_none()
            && self.number_from.is_none()
            && self.number_to.is_none()
            && self.order.is_none()
            && self.reason.is_none()
    }

    /// The search query these filters say (dates checked: `--to` covers its whole day).
    pub fn query(&self) -> anyhow::Result<CardQuery> {
        let query = CardQuery {
            states: self.states.clone(),
            requester: self.requester.clone(),
            desk: self.desk.clone(),
            number_prefix: self.number_prefix.clone(),
            number_from: self.number_from.clone(),
            number_to: self.number_to.clone(),
            order: self.order,
            reason: self.reason.clone(),
            ..CardQuery::default()
        }
        .requested_between(self.from.as_deref(), self.to.as_deref())?;
        query.check()?;
        Ok(query)
    }
}
