//! Progress of a production run: JSON lines (`--json`), a live bar per order and a line per
//! station on a terminal, or plain event lines otherwise.

use std::collections::BTreeMap;
use std::io::Write;

use cardline_issuance::production::ProductionEvent;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Shows production events.
pub struct Progress {
    mode: Mode,
}

enum Mode {
    Json,
    Bars {
        multi: MultiProgress,
        order: ProgressBar,
        stations: BTreeMap<String, ProgressBar>,
        produced: u64,
        failed: u64,
    },
    Lines,
}

impl Progress {
    /// Progress for `total` cards on `stations`.
    pub fn new(total: u64, stations: &[String], json: bool) -> Progress {
        let mode = if json {
            Mode::Json
        } else if super::interactive() {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let order = multi.add(ProgressBar::new(total));
            order.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} cards  {msg}  [{elapsed}]")
                    .expect("valid template"),
            );
            let stations = stations
                .iter()
                .map(|name| {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("  {prefix:<12} {msg}")
                            .expect("valid template"),
                    );
                    bar.set_prefix(name.clone());
                    bar.set_message("starting");
                    (name.clone(), bar)
                })
                .collect();
            Mode::Bars {
                multi,
                order,
                stations,
                produced: 0,
                failed: 0,
            }
        } else {
            Mode::Lines
        };
        Progress { mode }
    }

    /// Shows one event.
    pub fn show(&mut self, event: &ProductionEvent) {
        match &mut self.mode {
            Mode::Json => {
                if let Ok(line) = serde_json::to_string(event) {
                    // A closed pipe must not stop production: the line is dropped.
                    let _ = writeln!(std::io::stdout(), "{line}");
                    super::flush();
                }
            }
            Mode::Lines => {
                if let Some(text) = line(event) {
                    eprintln!("{text}");
                }
            }
            Mode::Bars {
                order,
                stations,
                produced,
                failed,
                ..
            } => {
                use ProductionEvent as E;
                let station_msg = |s: &str, m: String| {
                    if let Some(b) = stations.get(s) {
                        b.set_message(m);
                    }
                };
                match event {
                    E::CardStarted { station, card, .. } => {
                        station_msg(station, format!("producing {card}"))
                    }
                    E::CardProduced { station, card, .. } => {
                        *produced += 1;
                        order.inc(1);
                        station_msg(station, format!("produced {card}"));
                    }
                    E::CardFailed {
                        station,
                        card,
                        reason,
                    } => {
                        *failed += 1;
                        order.inc(1);
                        station_msg(station, format!("rejected {card}: {reason}"));
                    }
                    E::StationPaused {
                        station, reason, ..
                    } => station_msg(station, format!("PAUSED: {reason}")),
                    E::CardPutBack {
                        station,
                        card,
                        reason,
                    } => station_msg(station, format!("put back {card}: {reason}")),
                    E::StationResumed { station } => station_msg(station, "resumed".into()),
                    E::StationStopped { station, reason } => {
                        station_msg(station, format!("STOPPED: {reason}"))
                    }
                    E::StepRetried {
                        station,
                        step,
                        error,
                        ..
                    } => station_msg(station, format!("retrying {step}: {error}")),
                    E::StationStarted { .. } | E::Finished { .. } => {}
                }
                order.set_message(format!("{produced} produced, {failed} failed"));
            }
        }
    }

    /// Ends the display.
    pub fn finish(self) {
        if let Mode::Bars {
            multi,
            order,
            stations,
            ..
        } = self.mode
        {
            order.finish();
            for b in stations.values() {
                b.finish();
            }
            let _ = multi.clear();
        }
    }
}

/// A plain text line for an event (no terminal).
pub(crate) fn line(event: &ProductionEvent) -> Option<String> {
    use ProductionEvent as E;
    Some(match event {
        E::StationStarted { station, printer } => format!("[{station}] ready ({printer})"),
        E::CardStarted { .. } => return None,
        E::StepRetried {
            station,
            card,
            step,
            error,
        } => format!("[{station}] {card}: retrying {step}: {error}"),
        E::CardProduced {
            station,
            card,
            millis,
            ..
        } => format!("[{station}] {card} produced ({millis} ms)"),
        E::CardFailed {
            station,
            card,
            reason,
        } => format!("[{station}] {card} REJECTED: {reason}"),
        E::StationPaused {
            station, reason, ..
        } => format!("[{station}] PAUSED: {reason}"),
        E::CardPutBack {
            station,
            card,
            reason,
        } => format!("[{station}] {card} put back to wait for a new blank: {reason}"),
        E::StationResumed { station } => format!("[{station}] resumed"),
        E::StationStopped { station, reason } => format!("[{station}] STOPPED: {reason}"),
        E::Finished { .. } => return None,
    })
}
