//! The command set, from the printer's side (spec §1.5; replies §1.4 and docs/printer-driver.md).
//! One function per command family; each command yields exactly one reply.

use cardline_device::MonoPanel;

use super::SimPrinter;
use super::frame::{Frame, psc_is_valid};
use super::mechanics::{Sequence, Side, SimCardPosition};
use super::panels::{self, DecodedPanel, DensityPanel, PanelKind};
use super::replies::{self, ERROR_CDE, ERROR_PARAMETERS, OK, volts};
use crate::faults::ScriptedFault;

/// P-settings stored as given and read back by the matching R command.
const PLAIN_SETTINGS: &[&str] = &[
    "Pmi", "Pdt", "Ppws", "Pcim", "Pcem", "Pcrm", "Psmgr", "Pbc", "Pfs", "Pps", "Pwr", "Pwb",
    "Pwj", "Pwm", "Pwcs", "Pmk", "Pos", "Poc", "Px", "Py", "Pnl", "Pnw", "Pbm", "Prm", "Pro",
    "Prs", "Psp", "Pkn", "Pms", "Ppk", "Ppn", "Psm", "Pmbs", "Pmc", "Pmd", "Pml", "Pmt", "Pmtc",
    "Pmts", "Pcom", "Pip", "Penm", "Pegw", "Pews", "Piem", "Pfm",
];
/// P-settings keyed by panel (`Pc;k;=;10` is read back with `Rc;k`).
const PANEL_SETTINGS: &[&str] = &["Pc", "Pl", "Ps"];
/// Ribbon names `Pr` accepts (spec §1.5).
const RIBBONS: &[&str] = &[
    "ymcko", "ymckos", "ymckok", "ymckoo", "ymckos13", "ko", "k", "kb", "kw", "kr", "kbl", "kgr",
    "kgo", "ksi", "ksc", "h", "ho", "Ktc", "Ktp", "Ka", "soko", "so",
];
/// Sequence commands accepted without a modelled effect.
const NOOP_SEQUENCES: &[&str] = &[
    "Sp", "Ssd", "Sc", "Sa", "Scs", "Sdm", "Sdu", "St", "Stt", "Sk", "Sds", "Scom", "Siscan",
];
/// Motor and adjustment commands (service), accepted without effect.
const NOOP_SERVICE: &[&str] = &["Mr", "Mc", "Mf", "Mh", "Ase"];

type Reply = String;

fn r(s: &str) -> Reply {
    s.to_string()
}

impl SimPrinter {
    /// Handles one command; `None` means no reply at all (a scripted mute fault, a silent
    /// printer).
    pub(super) fn handle(&mut self, f: &Frame) -> Option<Reply> {
        self.commands += 1;
        let mute = ScriptedFault::NoReply {
            command: self.commands,
        };
        if let Some(i) = self.scripted.iter().position(|x| *x == mute) {
            self.scripted.remove(i);
            tracing::debug!("scripted: no reply to command {}", self.commands);
            return None;
        }
        if self.swallowed(Some(f)) {
            tracing::debug!("silent: no reply to {}", f.display());
            return None;
        }
        let reply = match f.name.as_bytes().first() {
            Some(b'R') => {
                let reply = self.read(f);
                self.count_status_poll();
                reply
            }
            Some(b'S') => self.sequence_command(f),
            Some(b'D') => self.download(f),
            Some(b'P') => self.parameter(f),
            Some(b'W') => self.write_bitmap(f),
            _ if NOOP_SERVICE.contains(&f.name.as_str()) => {
                if f.params.is_empty() {
                    r(ERROR_PARAMETERS)
                } else {
                    r(OK)
                }
            }
            _ => r(ERROR_CDE),
        };
        Some(reply)
    }

    /// R — read commands.
    fn read(&mut self, f: &Frame) -> Reply {
        let p0 = f.param(0).unwrap_or("");
        match f.name.as_str() {
            "Rfv" => self.config.firmware.clone(),
            "Rtp" => self.config.model.clone(),
            "Rsn" => self.config.serial.clone(),
            "Rkn" => self.config.head_kit.clone(),
            "Rck" => r("5A3C"),
            "Rok" => r(OK),
            "Rem" => format!("{};{}", self.error_mode.0, self.error_mode.1),
            "Rlr" => match p0 {
                "p" => self.position_reply(),
                "h" => r(if self.reject_box >= self.config.reject_box_capacity {
                    replies::BOX_FULL
                } else {
                    replies::BOX_NOT_FULL
                }),
                "r" => r(OK),
                _ => r(ERROR_PARAMETERS),
            },
            "Rse" => match p0 {
                "o" => volts(if self.cover_open { 0.0 } else { 5.0 }),
                "f" => volts(if self.feeder > 0 { 5.0 } else { 0.0 }),
                "n" => volts(if self.feeder <= self.config.feeder_low_level {
                    3.92
                } else {
                    0.17
                }),
                "b" => volts(0.21),
                "p" => volts(if self.card.is_some() { 4.91 } else { 0.18 }),
                "c" | "m" | "r" => volts(2.5),
                _ => r(ERROR_PARAMETERS),
            },
            "Rrt" if self.spurious_ribbon_ok() => r(OK),
            "Rrt" => match (&self.ribbon, p0) {
                (_, p) if !["qty", "count", "zone"].contains(&p) => r(ERROR_PARAMETERS),
                (None, _) => r(replies::ERR_RIB_DETECTION),
                (Some(rb), "qty") => rb.capacity.to_string(),
                (Some(rb), "count") => rb.remaining.to_string(),
                (Some(rb), _) => rb.zone.clone(),
            },
            "Rzp" => r("F616"),
            "Rco" => match p0 {
                "p" => self.counters.panels_printed.to_string(),
                "c" => self.counters.cards_fed.to_string(),
                "i" => self.counters.cards_printed.to_string(),
                "n" => self.counters.cleanings.to_string(),
                "l" => self.ribbon.as_ref().map_or(0, |r| r.remaining).to_string(),
                "a" | "m" => r("1000"),
                _ => r(ERROR_PARAMETERS),
            },
            "Rcr" => match &self.ribbon {
                None => r(replies::ERR_RIB_DETECTION),
                Some(rb) if rb.remaining == 0 => r(replies::ERR_RIBBON_END),
                Some(_) => r(OK),
            },
            "Rr" => match (&self.ribbon_setting, &self.ribbon) {
                (Some(s), _) => s.clone(),
                (None, Some(rb)) => rb.kind.clone(),
                (None, None) => r(replies::ERR_RIB_DETECTION),
            },
            name => self.read_setting(name, f),
        }
    }

    /// Consumes one scripted spurious `OK` to a ribbon query, if any is left.
    fn spurious_ribbon_ok(&mut self) -> bool {
        let i = self
            .scripted
            .iter()
            .position(|f| matches!(f, ScriptedFault::SpuriousRibbonOk { replies } if *replies > 0));
        let Some(i) = i else { return false };
        if let ScriptedFault::SpuriousRibbonOk { replies } = &mut self.scripted[i] {
            *replies -= 1;
            if *replies == 0 {
                self.scripted.remove(i);
            }
        }
        true
    }

    fn position_reply(&self) -> Reply {
        if let Some(j) = self.jammed() {
            return r(j);
        }
        r(match self.card.as_ref().map(|c| self.position_of(c)) {
            None => replies::POS_NO_CARD,
            Some(SimCardPosition::ContactStation) => replies::POS_SMART,
            Some(SimCardPosition::ContactlessStation) => replies::POS_CONTACTLESS,
            Some(_) => replies::POS_CARD,
        })
    }

    /// Reads back a stored P-setting (`Rmi` ← `Pmi`, `Rc;k` ← `Pc;k;=;10`).
    fn read_setting(&self, name: &str, f: &Frame) -> Reply {
        let set = format!("P{}", &name[1..]);
        if PANEL_SETTINGS.contains(&set.as_str()) {
            let key = format!("{set};{}", f.param(0).unwrap_or(""));
            return self
                .settings
                .get(&key)
                .and_then(|v| v.last().cloned())
                .unwrap_or_else(|| r("10"));
        }
        if !PLAIN_SETTINGS.contains(&set.as_str()) {
            return r(ERROR_CDE);
        }
        match self.settings.get(&set) {
            Some(v) => {
                let mut v = v.clone();
                if v.len() > 1 && v.last().is_some_and(|s| s == "s") {
                    v.pop();
                }
                v.join(";")
            }
            None => r("0"),
        }
    }

    /// P — parameters.
    fn parameter(&mut self, f: &Frame) -> Reply {
        let p = |i| f.param(i).unwrap_or("");
        match f.name.as_str() {
            "Psc" => r(if psc_is_valid(f) {
                OK
            } else {
                ERROR_PARAMETERS
            }),
            "Pem" => match p(0).parse::<u32>() {
                Ok(m) if [0, 1, 2, 3, 4, 5, 16, 18].contains(&m) => {
                    self.error_mode.0 = m;
                    if p(1) == "s" {
                        self.error_mode.1 = m;
                    }
                    r(OK)
                }
                _ => r(ERROR_PARAMETERS),
            },
            "Pr" if RIBBONS.contains(&p(0)) => {
                self.ribbon_setting = Some(p(0).to_string());
                r(OK)
            }
            "Pneab" => match (p(0), p(1)) {
                ("E", _) => {
                    self.auto_eject = false;
                    r(OK)
                }
                ("A", "1") => {
                    self.auto_eject = true;
                    r(OK)
                }
                ("A", "0") => {
                    self.auto_eject = false;
                    r(OK)
                }
                _ => r(ERROR_PARAMETERS),
            },
            "Pmi" if !["F", "M", "B"].contains(&p(0)) => r(ERROR_PARAMETERS),
            name if PANEL_SETTINGS.contains(&name) => {
                let panel_ok = !p(0).is_empty();
                let op_ok = matches!(p(1), "+" | "-") || (p(1) == "=" && !p(2).is_empty());
                if !(panel_ok && op_ok) {
                    return r(ERROR_PARAMETERS);
                }
                let key = format!("{name};{}", p(0));
                self.settings.insert(key, f.params[1..].to_vec());
                r(OK)
            }
            name if PLAIN_SETTINGS.contains(&name) => {
                if f.params.is_empty() || p(0).is_empty() {
                    return r(ERROR_PARAMETERS);
                }
                self.settings.insert(name.to_string(), f.params.clone());
                r(OK)
            }
            "Pr" => r(ERROR_PARAMETERS),
            _ => r(ERROR_CDE),
        }
    }

    /// S — sequences and card movements.
    fn sequence_command(&mut self, f: &Frame) -> Reply {
        let result = match f.name.as_str() {
            "Ss" => self.begin_action(false).and_then(|()| {
                self.move_card(SimCardPosition::PrintPosition)?;
                self.sequence = Some(Sequence::new());
                Ok(())
            }),
            "Sr" => {
                self.sequence.get_or_insert_with(Sequence::new).side = Side::Recto;
                Ok(())
            }
            "Sv" if !self.config.duplex => return r(ERROR_CDE),
            "Sv" => {
                self.sequence.get_or_insert_with(Sequence::new).side = Side::Verso;
                Ok(())
            }
            "Se" => self
                .begin_action(false)
                .and_then(|()| match self.sequence.take() {
                    Some(seq) => self.print_sequence(seq),
                    None => self.eject_card(),
                }),
            "Sis" => self
                .begin_action(false)
                .and_then(|()| self.move_card(SimCardPosition::ContactStation)),
            "Sic" => self
                .begin_action(false)
                .and_then(|()| self.move_card(SimCardPosition::ContactlessStation)),
            "Si" | "Sib" => self
                .begin_action(false)
                .and_then(|()| self.move_card(SimCardPosition::PrintPosition)),
            "Sie" => self.begin_action(false).and_then(|()| {
                self.move_card(SimCardPosition::PrintPosition)?;
                self.eject_card()
            }),
            "Ser" | "Seb" => self.begin_action(true).and_then(|()| self.reject_card()),
            "Srs" => {
                self.software_reset();
                Ok(())
            }
            "Scp" => self.begin_action(false).map(|()| {
                self.counters.cleanings += 1;
            }),
            "Smw" => {
                return r(if self.mag_tracks.iter().any(Option::is_some) {
                    OK
                } else {
                    ERROR_PARAMETERS
                });
            }
            "Smr" => {
                return match f.param(0).and_then(|t| t.parse::<usize>().ok()) {
                    Some(t @ 1..=3) => self.mag_tracks[t - 1].clone().unwrap_or_default(),
                    _ => r(ERROR_PARAMETERS),
                };
            }
            name if NOOP_SEQUENCES.contains(&name) => Ok(()),
            _ => return r(ERROR_CDE),
        };
        r(result.err().unwrap_or(OK))
    }

    /// `Srs`: as a power cycle: the card inside is ejected, the job dropped, the framing and the
    /// error-management mode restored.
    ///
    /// The framing is restored by the parser itself where `Srs` stands in the stream
    /// (`FrameParser::emit`): restoring it here too, once the whole chunk is parsed, undid a
    /// `Psc` that followed the `Srs` in the same chunk (found by the fuzz target `evolis_stream`).
    fn software_reset(&mut self) {
        self.sequence = None;
        if self.card.take().is_some() {
            self.counters.cards_ejected += 1;
        }
        self.error_mode.0 = self.error_mode.1;
        self.auto_eject = true;
        self.busy_until = self.clock.now();
    }

    /// D — downloads.
    fn download(&mut self, f: &Frame) -> Reply {
        if f.name == "Dm" {
            return match (f.param(0).and_then(|t| t.parse::<usize>().ok()), f.param(1)) {
                (Some(t @ 1..=3), Some(data)) => {
                    self.mag_tracks[t - 1] = Some(data.to_string());
                    r(OK)
                }
                _ => r(ERROR_PARAMETERS),
            };
        }
        if !["Db", "Dbc", "Dbp", "Dbpc", "Dbmp"].contains(&f.name.as_str()) {
            return r(ERROR_CDE);
        }
        if self.cover_open {
            return r(replies::ERR_COVER_OPEN);
        }
        if let Some(j) = self.jammed() {
            return r(j);
        }
        let (Some(kind), Some(payload)) = (
            f.param(0).and_then(PanelKind::from_letter),
            f.payload.as_deref(),
        ) else {
            return r(ERROR_PARAMETERS);
        };
        if f.name == "Dbmp" {
            // logo bitmaps are accepted but not rendered (documented gap)
            return r(if kind.is_mono() { OK } else { ERROR_PARAMETERS });
        }
        let num = |i: usize| f.param(i).and_then(|v| v.trim().parse::<usize>().ok());
        let Some(levels) = num(1) else {
            return r(ERROR_PARAMETERS);
        };
        let side = self.sequence.get_or_insert_with(Sequence::new).current();
        let result = match f.name.as_str() {
            "Db" => panels::decode_raw(kind, levels, payload).map(|d| store(side, kind, d)),
            "Dbc" if kind.is_mono() && levels == 2 => {
                panels::decode_mono_dbc(payload).map(|m| store(side, kind, DecodedPanel::Mono(m)))
            }
            "Dbc" => {
                let mut panel = DensityPanel::blank(levels);
                panels::decode_color_dbc(&mut panel, 0, payload)
                    .map(|()| store(side, kind, DecodedPanel::Density(panel)))
            }
            _ if kind.is_mono() => Err(panels::PanelError::Levels { levels }),
            "Dbp" => {
                let (Some(start), Some(lines)) = (num(2), num(3)) else {
                    return r(ERROR_PARAMETERS);
                };
                let slot = side.density_mut(kind).expect("colour panel");
                let panel = slot.get_or_insert_with(|| DensityPanel::blank(levels));
                if panel.levels() != levels {
                    *panel = DensityPanel::blank(levels);
                }
                panels::decode_raw_lines(panel, start, lines, payload)
            }
            _ => {
                let Some(start) = num(2) else {
                    return r(ERROR_PARAMETERS);
                };
                let slot = side.density_mut(kind).expect("colour panel");
                let panel = slot.get_or_insert_with(|| DensityPanel::blank(levels));
                if panel.levels() != levels {
                    *panel = DensityPanel::blank(levels);
                }
                panels::decode_color_dbc(panel, start, payload)
            }
        };
        match result {
            Ok(()) => r(OK),
            Err(e) => {
                tracing::debug!("{}: {e}", f.display());
                r(ERROR_PARAMETERS)
            }
        }
    }

    /// W — printer-side drawing. `Wcb` fills or clears a panel; text, barcode and line drawing
    /// are accepted but not rendered (documented gap).
    fn write_bitmap(&mut self, f: &Frame) -> Reply {
        match f.name.as_str() {
            "Wcb" => {
                let value = match f.param(1).map(|v| v.parse::<u8>()) {
                    None => 0,
                    Some(Ok(v)) => v,
                    Some(Err(_)) => return r(ERROR_PARAMETERS),
                };
                let kinds: Vec<PanelKind> = match f.param(0) {
                    Some("a") => ["y", "m", "c", "k", "o"]
                        .iter()
                        .filter_map(|l| PanelKind::from_letter(l))
                        .collect(),
                    Some(l) => match PanelKind::from_letter(l) {
                        Some(k) => vec![k],
                        None => return r(ERROR_PARAMETERS),
                    },
                    None => return r(ERROR_PARAMETERS),
                };
                let side = self.sequence.get_or_insert_with(Sequence::new).current();
                for kind in kinds {
                    let panel = if kind.is_mono() {
                        DecodedPanel::Mono(if value == 0 {
                            MonoPanel::blank()
                        } else {
                            MonoPanel::full()
                        })
                    } else {
                        let bytes = vec![value; panels::raw_panel_len(256).unwrap_or(0)];
                        match panels::decode_raw(kind, 256, &bytes) {
                            Ok(p) => p,
                            Err(_) => return r(ERROR_PARAMETERS),
                        }
                    };
                    store(side, kind, panel);
                }
                r(OK)
            }
            "Wt" | "Wb" | "Wl" if f.params.len() >= 3 => r(OK),
            "Wt" | "Wb" | "Wl" => r(ERROR_PARAMETERS),
            _ => r(ERROR_CDE),
        }
    }
}

fn store(side: &mut super::PrintedSide, kind: PanelKind, panel: DecodedPanel) {
    match panel {
        DecodedPanel::Mono(m) => {
            if let Some(slot) = side.mono_mut(kind) {
                *slot = Some(m);
            }
        }
        DecodedPanel::Density(d) => {
            if let Some(slot) = side.density_mut(kind) {
                *slot = Some(d);
            }
        }
    }
}
