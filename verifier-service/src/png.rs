//! A minimal PNG encoder for QR matrices: 1-bit greyscale, one IDAT chunk
//! compressed with zlib (flate2's pure-Rust backend), CRC-32 per chunk.
//! Enough for a black-and-white QR code; no other PNG feature is needed.

use std::io::Write;

use stele_core::qr::QrMatrix;

/// PNG of `matrix`, `scale` pixels per module, with the 4-module quiet zone.
pub fn qr_png(matrix: &QrMatrix, scale: usize) -> Vec<u8> {
    let scale = scale.clamp(1, 32);
    let quiet = 4; // ISO/IEC 18004 quiet zone, as core's SVG draws it
    let modules = matrix.size + 2 * quiet;
    let size = modules * scale;
    let row_bytes = size.div_ceil(8);
    let mut raw = Vec::with_capacity((row_bytes + 1) * size);
    for y in 0..size {
        raw.push(0); // filter: none
        let my = y / scale;
        let mut row = vec![0xffu8; row_bytes]; // 1 = white
        for x in 0..size {
            let mx = x / scale;
            let dark = my >= quiet && mx >= quiet && matrix.is_dark(mx - quiet, my - quiet);
            if dark {
                row[x / 8] &= !(0x80 >> (x % 8));
            }
        }
        raw.extend_from_slice(&row);
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = z.write_all(&raw);
    let idat = z.finish().unwrap_or_default();

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let side = u32::try_from(size).unwrap_or(u32::MAX);
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // bit depth 1, greyscale, deflate, filter 0, no interlace
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn decodes_back_to_the_matrix() {
        let m = QrMatrix::new("SC2:HELLO").unwrap();
        let png = qr_png(&m, 3);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let side = u32::from_be_bytes(png[16..20].try_into().unwrap()) as usize;
        assert_eq!(side, (m.size + 8) * 3);
        // Inflate the IDAT and check a few pixels against the matrix.
        let len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&png[41..41 + len])
            .read_to_end(&mut raw)
            .unwrap();
        let row_bytes = side.div_ceil(8);
        assert_eq!(raw.len(), side * (row_bytes + 1));
        for (mx, my) in [(0, 0), (1, 1), (7, 0), (8, 8), (m.size - 1, 0)] {
            let (x, y) = ((mx + 4) * 3 + 1, (my + 4) * 3 + 1);
            let byte = raw[y * (row_bytes + 1) + 1 + x / 8];
            let white = byte & (0x80 >> (x % 8)) != 0;
            assert_eq!(!white, m.is_dark(mx, my), "module ({mx},{my})");
        }
        // CRC of IEND is the well-known constant.
        assert_eq!(&png[png.len() - 8..], b"IEND\xae\x42\x60\x82");
    }
}
