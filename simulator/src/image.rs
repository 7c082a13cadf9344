//! The images the simulator "generates": real PNGs, small, different for every prediction.

use serde_json::{Map, Value};

/// Pixels per side of the simulated image's long edge at scale 1 (a 1024-pixel image at 1/16).
const LONG_EDGE: u32 = 64;

/// A PNG for a prediction: its size follows the input's `resolution` or `aspect_ratio` (scaled down),
/// its colours follow the prediction id.
pub(crate) fn png_for(id: &str, input: &Map<String, Value>) -> Vec<u8> {
    let (width, height) = size_of(input);
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let [r0, g0, b0, ..] = hash.to_le_bytes();
    let mut pixels = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let fx = (x * 255 / width.max(1)) as u8;
            let fy = (y * 255 / height.max(1)) as u8;
            pixels.extend_from_slice(&[r0 ^ fx, g0 ^ fy, b0.wrapping_add(fx / 2 + fy / 2)]);
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Encoding into memory with a valid header cannot fail; an empty body would show up in tests.
    if let Ok(mut writer) = encoder.write_header() {
        let _ = writer.write_image_data(&pixels);
    }
    out
}

fn size_of(input: &Map<String, Value>) -> (u32, u32) {
    let parse = |text: &str, separator: char| {
        let (a, b) = text.split_once(separator)?;
        Some((a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?))
    };
    let (w, h) = input
        .get("resolution")
        .and_then(Value::as_str)
        .and_then(|r| parse(r, 'x'))
        .or_else(|| {
            input
                .get("aspect_ratio")
                .and_then(Value::as_str)
                .and_then(|a| parse(a, ':'))
        })
        .filter(|(w, h)| *w > 0 && *h > 0)
        .unwrap_or((1, 1));
    let long = w.max(h);
    ((w * LONG_EDGE / long).max(1), (h * LONG_EDGE / long).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn images_are_pngs_shaped_like_the_input() {
        let input = json!({"aspect_ratio": "16:9", "resolution": "None"});
        let png = png_for("abc", input.as_object().unwrap());
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(&png));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (64, 36));
        let by_resolution = json!({"resolution": "512x1536"});
        assert_eq!(size_of(by_resolution.as_object().unwrap()), (21, 64));
        assert_ne!(png_for("a", &Map::new()), png_for("b", &Map::new()));
    }
}
