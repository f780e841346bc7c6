//! The breaker: card faults in a row on one station pause it, with the likely cause.

use crate::model::ProductionStep;

/// Card faults in a row on one station, and at which step the last one happened.
#[derive(Default)]
pub(super) struct Breaker {
    pub(super) in_a_row: u32,
    steps: Vec<ProductionStep>,
    last_reason: String,
}

impl Breaker {
    pub(super) fn card_fault(&mut self, step: ProductionStep, reason: &str) {
        self.in_a_row += 1;
        self.steps.push(step);
        self.last_reason = reason.to_string();
    }

    pub(super) fn reset(&mut self) {
        *self = Breaker::default();
    }

    /// The operator message of a tripped breaker: the likely cause, from the step the cards
    /// failed at.
    pub(super) fn message(&self) -> String {
        let n = self.in_a_row;
        let same = self.steps.windows(2).all(|w| w[0] == w[1]);
        let step = self.steps.last().copied();
        let advice = match step {
            Some(ProductionStep::Encode) if same => {
                "while encoding: check the reader pattern, the card stock and the card profile"
            }
            Some(ProductionStep::Feed) if same => {
                "while feeding: check the card stock, the feeder and the contact station"
            }
            Some(ProductionStep::Print) if same => {
                "while printing: check the ribbon, the card stock and the print head"
            }
            Some(ProductionStep::Eject) if same => {
                "while ejecting: check the output hopper and the card path"
            }
            _ => "at different steps: check the printer, the reader and the card stock",
        };
        format!(
            "{n} cards in a row rejected {advice} (last: {})",
            self.last_reason
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_names_the_likely_cause_from_the_step() {
        let mut b = Breaker::default();
        for _ in 0..3 {
            b.card_fault(
                ProductionStep::Encode,
                "encode: card refused GENERATE 9A: 6A84",
            );
        }
        let m = b.message();
        assert!(
            m.starts_with("3 cards in a row rejected while encoding"),
            "{m}"
        );
        assert!(m.contains("reader pattern") && m.contains("card profile") && m.contains("6A84"));
        let mut mixed = Breaker::default();
        mixed.card_fault(ProductionStep::Feed, "jam");
        mixed.card_fault(ProductionStep::Print, "jam");
        assert!(mixed.message().contains("at different steps"));
        mixed.reset();
        assert_eq!(mixed.in_a_row, 0);
    }
}
