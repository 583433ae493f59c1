//! A chart's pixels encoded as PNG, byte for byte as the `png` crate's
//! encoder encodes them with an adaptive filter and fast compression (the
//! settings of `image` 0.24, which saved the charts before, so that they
//! kept their bytes), with a shortcut the crate lacks.
//!
//! The adaptive filter filters each row four ways (Sub, Up, Average,
//! Paeth) and keeps the last of those whose bytes, read as signed, sum to
//! the least in absolute value. A row equal to the one above it filters
//! to zeros by Up and by Paeth, so Paeth is kept; more than half of a
//! chart's rows are such (margins, the space between grid lines), and
//! here they skip the four filters. Filtering was half of the charts'
//! instructions.

use std::io::{self, Cursor, Write};

/// Bytes per pixel: 8-bit RGB.
const BPP: usize = 3;

/// The filter types, as PNG numbers them.
const SUB: u8 = 1;
const UP: u8 = 2;
const AVERAGE: u8 = 3;
const PAETH: u8 = 4;

/// Encodes `width` by `height` 8-bit RGB pixels (row by row) as PNG.
pub(crate) fn encode_png(
    out: impl Write,
    rgb: &[u8],
    (width, height): (u32, u32),
) -> Result<(), png::EncodingError> {
    let row_len = width as usize * BPP;
    if rgb.len() != row_len * height as usize {
        let e = io::Error::new(
            io::ErrorKind::InvalidInput,
            "pixels not of the image's size",
        );
        return Err(png::EncodingError::IoError(e));
    }
    let mut encoder = png::Encoder::new(out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Refuses an empty image before anything is filtered.
    let mut writer = encoder.write_header()?;
    writer.write_chunk(png::chunk::IDAT, &zlib_stream(rgb, row_len)?)?;
    writer.finish()
}

/// The image data: each row's filter type and filtered bytes, compressed
/// (one `write_data` a row, as the crate does: the compressor's output
/// depends on how its input comes).
fn zlib_stream(rgb: &[u8], row_len: usize) -> io::Result<Vec<u8>> {
    let mut compressor = fdeflate::Compressor::new(Cursor::new(Vec::new()))?;
    let mut filtered = Filtered::new(row_len);
    let above = vec![0; row_len];
    let mut above = above.as_slice();
    for row in rgb.chunks_exact(row_len) {
        compressor.write_data(filtered.filter(above, row))?;
        above = row;
    }
    let compressed = compressor.finish()?.into_inner();
    let raw_len = rgb.len() + rgb.len() / row_len;
    if compressed.len() <= fdeflate::StoredOnlyCompressor::<()>::compressed_size(raw_len) {
        return Ok(compressed);
    }
    // Stored uncompressed and unfiltered, as the crate does when the
    // compression would make the data larger.
    let mut stored = fdeflate::StoredOnlyCompressor::new(Cursor::new(Vec::new()))?;
    for row in rgb.chunks_exact(row_len) {
        stored.write_data(&[0])?;
        stored.write_data(row)?;
    }
    Ok(stored.finish()?.into_inner())
}

/// A row filtered each of the four ways, each led by its filter type, and
/// a row equal to the one above filtered: Paeth's zeros.
struct Filtered {
    rows: [Vec<u8>; 4],
    unchanged: Vec<u8>,
}

impl Filtered {
    fn new(row_len: usize) -> Self {
        let row = |kind: u8| {
            let mut r = vec![0; row_len + 1];
            r[0] = kind;
            r
        };
        Filtered {
            rows: [row(SUB), row(UP), row(AVERAGE), row(PAETH)],
            unchanged: row(PAETH),
        }
    }

    /// `row` (below `above`) filtered as the adaptive filter chooses,
    /// led by the filter's type.
    fn filter(&mut self, above: &[u8], row: &[u8]) -> &[u8] {
        if row == above {
            return &self.unchanged;
        }
        let [sub, up, average, paeth] = &mut self.rows;
        filter_sub(row, &mut sub[1..]);
        filter_up(above, row, &mut up[1..]);
        filter_average(above, row, &mut average[1..]);
        filter_paeth(above, row, &mut paeth[1..]);
        // The last of the least, as the crate chooses.
        let mut chosen = 0;
        let mut least = u64::MAX;
        for (i, r) in self.rows.iter().enumerate() {
            let sum = signed_sum(&r[1..]);
            if sum <= least {
                (chosen, least) = (i, sum);
            }
        }
        &self.rows[chosen]
    }
}

/// Each byte less the one a pixel to its left (none for the first pixel).
fn filter_sub(row: &[u8], out: &mut [u8]) {
    out[..BPP].copy_from_slice(&row[..BPP]);
    for ((o, x), a) in out[BPP..].iter_mut().zip(&row[BPP..]).zip(row) {
        *o = x.wrapping_sub(*a);
    }
}

/// Each byte less the one above it.
fn filter_up(above: &[u8], row: &[u8], out: &mut [u8]) {
    for ((o, x), b) in out.iter_mut().zip(row).zip(above) {
        *o = x.wrapping_sub(*b);
    }
}

/// Each byte less the mean of the ones to its left and above it.
fn filter_average(above: &[u8], row: &[u8], out: &mut [u8]) {
    for ((o, x), b) in out[..BPP].iter_mut().zip(row).zip(above) {
        *o = x.wrapping_sub(b >> 1);
    }
    let left = row.iter();
    for (((o, x), b), a) in out[BPP..]
        .iter_mut()
        .zip(&row[BPP..])
        .zip(&above[BPP..])
        .zip(left)
    {
        *o = x.wrapping_sub(((u16::from(*a) + u16::from(*b)) >> 1) as u8);
    }
}

/// Each byte less the Paeth predictor of the ones to its left, above it
/// and above-left.
fn filter_paeth(above: &[u8], row: &[u8], out: &mut [u8]) {
    for ((o, x), b) in out[..BPP].iter_mut().zip(row).zip(above) {
        *o = x.wrapping_sub(paeth(0, *b, 0));
    }
    let lefts = row.iter().zip(above);
    for (((o, x), b), (a, c)) in out[BPP..]
        .iter_mut()
        .zip(&row[BPP..])
        .zip(&above[BPP..])
        .zip(lefts)
    {
        *o = x.wrapping_sub(paeth(*a, *b, *c));
    }
}

/// PNG's Paeth predictor: of left `a`, above `b` and above-left `c`, the
/// nearest to `a + b - c`, ties in that order. In stb_image's form, which
/// compares against one threshold instead of three distances (decoders
/// rely on it giving exactly the predictor's value) and is taken 8 lanes
/// at a time.
fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let threshold = i16::from(c) * 3 - (i16::from(a) + i16::from(b));
    let (low, high) = (a.min(b), a.max(b));
    let below = if i16::from(high) <= threshold { low } else { c };
    if threshold <= i16::from(low) {
        high
    } else {
        below
    }
}

/// The sum of the bytes' absolute values, read as signed: the adaptive
/// filter's measure.
fn signed_sum(bytes: &[u8]) -> u64 {
    let abs = |b: &u8| (*b as i8).unsigned_abs();
    let mut chunks = bytes.chunks_exact(64);
    let mut sum = 0;
    for chunk in &mut chunks {
        // At most 64 times 128: 16 bits hold it, so the sum is taken 16
        // lanes at a time.
        let part: u16 = chunk.iter().map(|b| u16::from(abs(b))).sum();
        sum += u64::from(part);
    }
    sum + chunks
        .remainder()
        .iter()
        .map(|b| u64::from(abs(b)))
        .sum::<u64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The `png` crate's own encoding with the settings the charts had.
    fn crates_encoding(rgb: &[u8], (width, height): (u32, u32)) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        encoder.set_filter(png::FilterType::Sub);
        encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        let mut writer = encoder.write_header().expect("header");
        writer.write_image_data(rgb).expect("data");
        writer.finish().expect("end");
        bytes
    }

    fn ours(rgb: &[u8], size: (u32, u32)) -> Vec<u8> {
        let mut bytes = Vec::new();
        encode_png(&mut bytes, rgb, size).expect("encoded");
        bytes
    }

    /// Images like charts (rows repeated, runs of one colour, a few
    /// colours) and unlike them (any byte).
    fn image() -> impl Strategy<Value = ((u32, u32), Vec<u8>)> {
        (1u32..24, 1u32..16).prop_flat_map(|(width, height)| {
            let row = width as usize * BPP;
            let palette = prop_oneof![Just(0u8), Just(255u8), Just(128u8), Just(1u8), any::<u8>()];
            let rows = proptest::collection::vec(
                (proptest::collection::vec(palette, row), any::<bool>()),
                height as usize,
            );
            rows.prop_map(move |rows| {
                // A row flagged repeats the one above it.
                let mut rgb: Vec<u8> = Vec::new();
                for (r, repeat) in rows {
                    if repeat && rgb.len() >= row {
                        let above = rgb[rgb.len() - row..].to_vec();
                        rgb.extend(above);
                    } else {
                        rgb.extend(r);
                    }
                }
                ((width, height), rgb)
            })
        })
    }

    proptest! {
        #[test]
        fn the_bytes_are_the_png_crates(((width, height), rgb) in image()) {
            prop_assert_eq!(ours(&rgb, (width, height)), crates_encoding(&rgb, (width, height)));
        }
    }

    #[test]
    fn black_white_noise_and_a_chart_sized_image_are_the_crates_bytes() {
        let size = (1000u32, 600u32);
        let len = 1000 * 600 * BPP;
        // SplitMix64's bytes: no filter makes them compressible, so the
        // data is stored.
        let noise: Vec<u8> = (0..len as u64)
            .map(|i| {
                let mut z = i.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                (z ^ (z >> 31)) as u8
            })
            .collect();
        assert!(
            ours(&noise, size).len() > len,
            "stored, so larger than the pixels"
        );
        // A white chart with a grid and a diagonal line.
        let mut chart = vec![255u8; len];
        for y in 0..600 {
            for x in 0..1000 {
                if x % 100 == 0 || y % 120 == 0 || x == y {
                    chart[(y * 1000 + x) * BPP..][..BPP].copy_from_slice(&[40, 90, 200]);
                }
            }
        }
        for rgb in [vec![0u8; len], vec![255u8; len], noise, chart] {
            assert_eq!(ours(&rgb, size), crates_encoding(&rgb, size));
        }
    }

    /// The predictor as the PNG specification defines it.
    fn specified_paeth(a: u8, b: u8, c: u8) -> u8 {
        let (a16, b16, c16) = (i16::from(a), i16::from(b), i16::from(c));
        let p = a16 + b16 - c16;
        let (pa, pb, pc) = ((p - a16).abs(), (p - b16).abs(), (p - c16).abs());
        if pa <= pb && pa <= pc {
            a
        } else if pb <= pc {
            b
        } else {
            c
        }
    }

    #[test]
    fn paeth_is_the_specified_predictor_for_every_input() {
        for a in 0..=255 {
            for b in 0..=255 {
                for c in 0..=255 {
                    assert_eq!(paeth(a, b, c), specified_paeth(a, b, c), "{a} {b} {c}");
                }
            }
        }
    }

    #[test]
    fn pixels_not_of_the_images_size_are_refused() {
        let e = encode_png(Vec::new(), &[0; 5], (2, 1)).expect_err("6 bytes expected");
        assert!(matches!(e, png::EncodingError::IoError(_)), "{e:?}");
    }
}
