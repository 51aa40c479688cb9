//! `kefu simulate --day … --plot FILE.png`: the day drawn into pixels — arrivals per hour as
//! bars (scaled to the busiest hour), rates (0–100 %) as lines, grid lines at 0, 50 and 100 %
//! and a tick each hour (a longer one every six). No text: the JSON has the numbers and the
//! SVG has the labels; this is the picture to glance at or attach. Encoded as an RGB PNG with
//! a zlib stream from `libflate` and chunk checksums from `crc32fast` (both already in the
//! build through the search index's dependencies), so the image costs no new crate.

use std::io::Write;

const W: usize = 960;
const H: usize = 360;
const LEFT: usize = 24;
const RIGHT: usize = 8;
const TOP: usize = 12;
const BOTTOM: usize = 28;
const BACKGROUND: [u8; 3] = [255, 255, 255];
const GRID: [u8; 3] = [227, 227, 234];
const BAR: [u8; 3] = [217, 221, 247];
const AXIS: [u8; 3] = [102, 102, 102];

struct Canvas {
    pixels: Vec<[u8; 3]>,
}

impl Canvas {
    fn new() -> Canvas {
        Canvas {
            pixels: vec![BACKGROUND; W * H],
        }
    }

    fn set(&mut self, x: i64, y: i64, c: [u8; 3]) {
        if (0..W as i64).contains(&x) && (0..H as i64).contains(&y) {
            self.pixels[y as usize * W + x as usize] = c;
        }
    }

    fn rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, c: [u8; 3]) {
        for y in y0.min(y1)..=y0.max(y1) {
            for x in x0.min(x1)..=x0.max(x1) {
                self.set(x, y, c);
            }
        }
    }

    /// A line `width` pixels thick, stepped along its longer side.
    fn line(&mut self, (x0, y0): (f64, f64), (x1, y1): (f64, f64), c: [u8; 3], width: i64) {
        let steps = (x1 - x0).abs().max((y1 - y0).abs()).ceil().max(1.0) as i64;
        for s in 0..=steps {
            let f = s as f64 / steps as f64;
            let (x, y) = (x0 + (x1 - x0) * f, y0 + (y1 - y0) * f);
            let (x, y) = (x.round() as i64, y.round() as i64);
            self.rect(x, y, x + width - 1, y + width - 1, c);
        }
    }
}

fn plot_height() -> f64 {
    (H - TOP - BOTTOM) as f64
}

fn y_of(rate: f64) -> f64 {
    TOP as f64 + (1.0 - rate.clamp(0.0, 1.0)) * plot_height()
}

/// The chart as PNG bytes: `volume` per point as bars, each line's rates in its colour.
pub fn png(volume: &[u64], lines: &[(Vec<Option<f64>>, [u8; 3])]) -> anyhow::Result<Vec<u8>> {
    let mut c = Canvas::new();
    let n = volume.len().max(1);
    let step = (W - LEFT - RIGHT) as f64 / n as f64;
    let x_of = |i: usize| LEFT as f64 + step * (i as f64 + 0.5);
    for rate in [0.0, 0.5, 1.0] {
        let y = y_of(rate).round() as i64;
        c.rect(LEFT as i64, y, (W - RIGHT) as i64, y, GRID);
    }
    let most = volume.iter().copied().max().unwrap_or(0).max(1) as f64;
    let floor = (H - BOTTOM) as i64;
    for (i, &v) in volume.iter().enumerate() {
        let h = (v as f64 / most * plot_height() * 0.6).round() as i64;
        let (x0, x1) = (x_of(i) - step * 0.35, x_of(i) + step * 0.35);
        if h > 0 {
            c.rect(
                x0.round() as i64,
                floor - h,
                x1.round() as i64,
                floor - 1,
                BAR,
            );
        }
        let tick = if i % 6 == 0 { 8 } else { 4 };
        let x = (LEFT as f64 + step * i as f64).round() as i64;
        c.rect(x, floor + 1, x, floor + tick, AXIS);
    }
    c.rect(LEFT as i64, floor, (W - RIGHT) as i64, floor, AXIS);
    for (values, colour) in lines {
        // A line breaks where an hour has nothing to rate.
        let mut last: Option<(f64, f64)> = None;
        for (i, v) in values.iter().enumerate() {
            let point = v.map(|v| (x_of(i), y_of(v)));
            match (last, point) {
                (Some(a), Some(b)) => c.line(a, b, *colour, 2),
                (None, Some(b)) => c.line(b, b, *colour, 3),
                _ => {}
            }
            last = point;
        }
    }
    encode(&c)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

fn encode(c: &Canvas) -> anyhow::Result<Vec<u8>> {
    let mut raw = Vec::with_capacity((W * 3 + 1) * H);
    for row in c.pixels.chunks(W) {
        raw.push(0); // no filter
        raw.extend(row.iter().flatten());
    }
    let mut z = libflate::zlib::Encoder::new(Vec::new())?;
    z.write_all(&raw)?;
    let data = z.finish().into_result()?;
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&(W as u32).to_be_bytes());
    header.extend_from_slice(&(H as u32).to_be_bytes());
    // 8 bits per channel, RGB, deflate, no filter method choice, no interlace.
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &data);
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_with_its_header_and_the_colours_drawn() {
        let bytes = png(&[3, 0, 9], &[(vec![Some(1.0), None, Some(0.5)], [1, 2, 3])]).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(&bytes[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 960);
        assert!(
            bytes.ends_with(&[0xae, 0x42, 0x60, 0x82]),
            "IEND's checksum"
        );
        // The point of the first hour is drawn in the line's colour at 100 %.
        let mut c = Canvas::new();
        c.line((100.0, 12.0), (100.0, 12.0), [1, 2, 3], 3);
        assert_eq!(c.pixels[12 * W + 100], [1, 2, 3]);
    }
}
