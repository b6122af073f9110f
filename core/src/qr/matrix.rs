//! The QR matrix an app draws: modules from the `qrcode` crate (it picks
//! the alphanumeric mode for base45 payloads on its own, as its optimal
//! segmentation does), error correction level M, and two renderings that
//! need no image library: SVG and terminal half blocks.

use std::fmt::Write as _;

use qrcode::{Color, EcLevel, QrCode};

use super::QrError;

/// Light modules around the symbol, as ISO/IEC 18004 asks.
pub const QUIET_ZONE: usize = 4;

/// A QR code's modules, `size` × `size`, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    /// Modules per side (21 for version 1, 177 for version 40), without the quiet zone.
    pub size: usize,
    modules: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `payload` at error correction level M, in the most compact
    /// mode mix the payload allows (all alphanumeric for a Stele payload).
    pub fn new(payload: &str) -> Result<Self, QrError> {
        let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
            .map_err(|_| QrError::MatrixCapacity)?;
        let size = code.width();
        let modules = code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        Ok(QrMatrix { size, modules })
    }

    /// The QR version (1–40), from the size.
    pub fn version(&self) -> usize {
        (self.size.saturating_sub(17)) / 4
    }

    /// Whether the module at column `x`, row `y` is dark; outside the
    /// symbol (the quiet zone and beyond) everything is light.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.size && y < self.size && self.modules[y * self.size + x]
    }

    /// A compact SVG, one unit per module, with the quiet zone: a white
    /// background and one black path of unit squares.
    pub fn to_svg(&self) -> String {
        let side = self.size + 2 * QUIET_ZONE;
        let mut path = String::with_capacity(self.modules.len() * 4);
        for y in 0..self.size {
            let mut x = 0;
            while x < self.size {
                if !self.is_dark(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < self.size && self.is_dark(x, y) {
                    x += 1;
                }
                // Horizontal runs: a move, a width, a unit height.
                let _ = write!(
                    path,
                    "M{} {}h{}v1h-{}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE,
                    x - start,
                    x - start
                );
            }
        }
        format!(
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {s} {s}" "#,
                r#"shape-rendering="crispEdges" role="img" aria-label="QR code">"#,
                r##"<rect width="{s}" height="{s}" fill="#fff"/>"##,
                r##"<path fill="#000" d="{p}"/></svg>"##
            ),
            s = side,
            p = path
        )
    }

    /// Text for a terminal: two module rows per line with half blocks
    /// (`▀`, `▄`, `█`, space), dark modules drawn as ink, with the quiet
    /// zone. Terminals with light text on a dark background show it inverted,
    /// which most scanners read too.
    pub fn to_terminal(&self) -> String {
        let side = self.size + 2 * QUIET_ZONE;
        let dark = |x: usize, y: usize| {
            x >= QUIET_ZONE && y >= QUIET_ZONE && self.is_dark(x - QUIET_ZONE, y - QUIET_ZONE)
        };
        let mut out = String::with_capacity(side * side.div_ceil(2) * 3 + side);
        for y in (0..side).step_by(2) {
            for x in 0..side {
                out.push(match (dark(x, y), dark(x, y + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders the matrix (with its quiet zone) as a grayscale image, `scale`
    /// pixels per module, and decodes it with `rqrr`.
    fn scan(m: &QrMatrix, scale: usize) -> String {
        let side = (m.size + 2 * QUIET_ZONE) * scale;
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            let (mx, my) = (x / scale, y / scale);
            let dark =
                mx >= QUIET_ZONE && my >= QUIET_ZONE && m.is_dark(mx - QUIET_ZONE, my - QUIET_ZONE);
            if dark { 0 } else { 255 }
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the image");
        grids[0].decode().expect("decodes").1
    }

    #[test]
    fn matrix_scans_back() {
        for payload in [
            "SC1:ABC",
            &super::super::encode(super::super::PayloadKind::Challenge, &[7u8; 300]),
        ] {
            let m = QrMatrix::new(payload).unwrap();
            assert!((1..=40).contains(&m.version()));
            assert_eq!(m.size, 17 + 4 * m.version());
            assert_eq!(scan(&m, 4), payload);
        }
    }

    #[test]
    fn alphanumeric_mode_is_used() {
        // 1 000 alphanumeric characters fit version 22 at level M; in byte
        // mode they would need version 27.
        let payload: String = "SP1:"
            .chars()
            .chain("0A$%*+-./: ".chars().cycle().take(996))
            .collect();
        let m = QrMatrix::new(&payload).unwrap();
        assert!(m.version() <= 22, "version {}", m.version());
        assert_eq!(scan(&m, 3), payload);
    }

    #[test]
    fn renderings() {
        let m = QrMatrix::new("SC1:HELLO").unwrap();
        let svg = m.to_svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#) && svg.contains("aria-label="));
        assert!(svg.contains(&format!("viewBox=\"0 0 {0} {0}\"", m.size + 8)));
        let term = m.to_terminal();
        let lines: Vec<&str> = term.lines().collect();
        assert_eq!(lines.len(), (m.size + 8).div_ceil(2));
        assert!(lines.iter().all(|l| l.chars().count() == m.size + 8));
        assert!(
            lines[0].trim().is_empty() && lines[1].trim().is_empty(),
            "quiet zone"
        );
        assert!(!m.is_dark(m.size, 0) && m.is_dark(0, 0), "finder corner");
        assert!(QrMatrix::new(&"A".repeat(5000)).is_err());
    }
}
