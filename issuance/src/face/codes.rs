//! Machine-readable codes of the card number, drawn in resin black: Code 128 (`barcoders`) and
//! QR (`qrcode`). Both use whole dots per module so every bar and module edge is sharp.

use barcoders::sym::code128::Code128;
use qrcode::{Color, EcLevel, QrCode};

use super::canvas::{Canvas, fill_black};
use super::design::{BarcodeElement, QrEcc, QrElement, Rect};
use super::error::FaceError;

/// Quiet zone on each side of a Code 128 symbol, in modules.
pub const BARCODE_QUIET_MODULES: usize = 10;
/// Quiet zone around a QR symbol, in modules.
pub const QR_QUIET_MODULES: usize = 4;

/// The Code 128 text for `data` as `barcoders` wants it: code set C (two digits per symbol) for
/// an all-digit even-length number, otherwise set B, switching to C for a trailing run of six or
/// more digits.
pub fn code128_input(data: &str) -> String {
    let digits = data.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == data.len() && digits % 2 == 0 && digits > 0 {
        return format!("Ć{data}");
    }
    let run = digits - digits % 2;
    if run >= 6 {
        let split = data.len() - run;
        format!("Ɓ{}Ć{}", &data[..split], &data[split..])
    } else {
        format!("Ɓ{data}")
    }
}

/// Where a barcode's bars go: a module width in dots and the bar modules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BarcodeLayout {
    /// Left edge of the first bar (after the quiet zone).
    pub x: u32,
    /// Dots per module.
    pub module: u32,
    /// The modules, 1 = bar.
    pub modules: Vec<u8>,
}

/// Lays out the Code 128 symbol for `data` in the element's box.
pub fn barcode_layout(el: &BarcodeElement, data: &str) -> Result<BarcodeLayout, FaceError> {
    if data.is_empty() || !data.bytes().all(|b| (32..=126).contains(&b)) {
        return Err(FaceError::BarcodeData {
            data: data.to_owned(),
            reason: "Code 128 set B takes 1 to many printable ASCII characters".to_owned(),
        });
    }
    let symbol = Code128::new(code128_input(data)).map_err(|e| FaceError::BarcodeData {
        data: data.to_owned(),
        reason: e.to_string(),
    })?;
    let modules = symbol.encode();
    let total = modules.len() + 2 * BARCODE_QUIET_MODULES;
    let module = el.rect.width / total as u32;
    if module == 0 {
        return Err(FaceError::BarcodeTooWide {
            data: data.to_owned(),
            modules: total,
            width: el.rect.width,
        });
    }
    let bars = modules.len() as u32 * module;
    Ok(BarcodeLayout {
        x: el.rect.x + (el.rect.width - bars) / 2,
        module,
        modules,
    })
}

/// Draws a Code 128 barcode of `data` into the resin black layer.
pub fn draw_barcode(
    canvas: &mut dyn Canvas,
    el: &BarcodeElement,
    data: &str,
) -> Result<(), FaceError> {
    let layout = barcode_layout(el, data)?;
    for (i, _) in layout.modules.iter().enumerate().filter(|(_, m)| **m == 1) {
        let rect = Rect {
            x: layout.x + i as u32 * layout.module,
            y: el.rect.y,
            width: layout.module,
            height: el.rect.height,
        };
        fill_black(canvas, rect);
    }
    Ok(())
}

/// Where a QR symbol goes: top-left of the first module, dots per module, modules per side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrLayout {
    /// Left edge of the symbol (inside the quiet zone).
    pub x: u32,
    /// Top edge of the symbol.
    pub y: u32,
    /// Dots per module.
    pub module: u32,
    /// Modules per side.
    pub width: usize,
    /// Module colours, row-major, true = dark.
    pub dark: Vec<bool>,
}

/// Encodes `data` and lays the QR symbol out in the element's box.
pub fn qr_layout(el: &QrElement, data: &str) -> Result<QrLayout, FaceError> {
    let level = match el.ecc {
        QrEcc::L => EcLevel::L,
        QrEcc::M => EcLevel::M,
        QrEcc::Q => EcLevel::Q,
        QrEcc::H => EcLevel::H,
    };
    let too_large = || FaceError::QrTooLarge {
        data: data.to_owned(),
        size: el.size,
    };
    let code =
        QrCode::with_error_correction_level(data.as_bytes(), level).map_err(|_| too_large())?;
    let width = code.width();
    let module = el.size / (width + 2 * QR_QUIET_MODULES) as u32;
    if module == 0 {
        return Err(too_large());
    }
    let offset = (el.size - width as u32 * module) / 2;
    Ok(QrLayout {
        x: el.x + offset,
        y: el.y + offset,
        module,
        width,
        dark: code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect(),
    })
}

/// Draws a QR code of `data` into the resin black layer.
pub fn draw_qr(canvas: &mut dyn Canvas, el: &QrElement, data: &str) -> Result<(), FaceError> {
    let layout = qr_layout(el, data)?;
    for (i, _) in layout.dark.iter().enumerate().filter(|(_, d)| **d) {
        let (mx, my) = ((i % layout.width) as u32, (i / layout.width) as u32);
        let rect = Rect {
            x: layout.x + mx * layout.module,
            y: layout.y + my * layout.module,
            width: layout.module,
            height: layout.module,
        };
        fill_black(canvas, rect);
    }
    Ok(())
}
