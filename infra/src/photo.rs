//! Sanitising of uploaded photos.
//!
//! Photos of children must never carry metadata that could reveal where or when they were taken
//! (EXIF with GPS location, XMP, IPTC, ICC profiles, comments, embedded thumbnails). Rather than
//! stripping known metadata blocks, [`sanitize`] decodes the pixels and re-encodes them into a
//! fresh file, so nothing but the pixels survives.
//!
//! The type is sniffed from the content's magic bytes only; a declared content type or file name
//! is never consulted. Decoding runs under dimension and allocation limits so that a
//! decompression bomb is refused before its pixel buffer is allocated.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::error::LimitErrorKind;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};

/// JPEG quality used when re-encoding.
const JPEG_QUALITY: u8 = 90;

/// Largest number of bytes one decoded pixel can take (RGBA with 16 bits per channel).
const MAX_BYTES_PER_PIXEL: u64 = 8;

/// Limits applied to an upload.
#[derive(Debug, Clone, Copy)]
pub struct PhotoLimits {
    /// Largest accepted upload, in bytes.
    pub max_bytes: usize,
    /// Largest accepted width and largest accepted height, in pixels.
    pub max_pixels_per_side: u32,
}

impl Default for PhotoLimits {
    /// 5 MiB and 8000 pixels per side.
    fn default() -> Self {
        Self {
            max_bytes: 5 * 1024 * 1024,
            max_pixels_per_side: 8000,
        }
    }
}

/// A photo safe to store: re-encoded from its decoded pixels, so no metadata (EXIF with GPS
/// location, XMP, ICC, comments, thumbnails) survives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanPhoto {
    /// `"image/jpeg"` or `"image/png"`.
    pub content_type: &'static str,
    /// The re-encoded file.
    pub bytes: Vec<u8>,
    /// Width in pixels, after the EXIF orientation was applied.
    pub width: u32,
    /// Height in pixels, after the EXIF orientation was applied.
    pub height: u32,
}

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("the photo has {size} bytes; at most {max} are accepted")]
    TooLarge { size: usize, max: usize },
    #[error("the content is not a JPEG or PNG image")]
    UnsupportedType,
    #[error("the image cannot be decoded: {0}")]
    Corrupt(String),
    #[error("the image is {width}x{height} pixels; at most {max} per side")]
    TooManyPixels { width: u32, height: u32, max: u32 },
}

/// Checks the size, sniffs the type from the content's magic bytes (never trusting a declared
/// content type or file name), decodes under dimension and allocation limits, applies the EXIF
/// orientation to the pixels, and re-encodes in the same format (JPEG quality 90, PNG default
/// settings) without any metadata.
///
/// A decompression bomb fails with [`PhotoError::TooManyPixels`] (or [`PhotoError::Corrupt`])
/// once its header has been read, before the pixel buffer is allocated.
///
/// # Errors
///
/// [`PhotoError::TooLarge`] beyond `limits.max_bytes`; [`PhotoError::UnsupportedType`] unless the
/// content starts like a JPEG or PNG; [`PhotoError::TooManyPixels`] when a side exceeds
/// `limits.max_pixels_per_side`; [`PhotoError::Corrupt`] when the content cannot be decoded
/// (including a JPEG cut short) or, which should not happen, re-encoded.
pub fn sanitize(bytes: &[u8], limits: PhotoLimits) -> Result<CleanPhoto, PhotoError> {
    if bytes.len() > limits.max_bytes {
        return Err(PhotoError::TooLarge {
            size: bytes.len(),
            max: limits.max_bytes,
        });
    }

    let format = sniff(bytes)?;
    if format == ImageFormat::Jpeg && !jpeg_ends_after_scan(bytes) {
        // The JPEG decoder fills missing scan data with grey instead of failing.
        return Err(PhotoError::Corrupt(
            "the JPEG data ends before its end-of-image marker".to_owned(),
        ));
    }
    let max = limits.max_pixels_per_side;
    // Enough for any JPEG or PNG within the side limit; a backstop for the decoders' own
    // allocations (the PNG decoder also bounds its metadata chunk buffers with it).
    let max_alloc = u64::from(max) * u64::from(max) * MAX_BYTES_PER_PIXEL;

    // First pass: read the header only, with no dimension limit so that the real dimensions can be
    // reported. Neither decoder allocates the pixel buffer at this stage.
    let mut header_limits = image::Limits::default();
    header_limits.max_alloc = Some(max_alloc);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(header_limits);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;

    let (width, height) = decoder.dimensions();
    if width > max || height > max {
        return Err(PhotoError::TooManyPixels { width, height, max });
    }
    if width == 0 || height == 0 {
        return Err(PhotoError::Corrupt(format!(
            "the image is {width}x{height} pixels"
        )));
    }

    // Now the strict limits, and a reservation for the pixel buffer itself.
    let mut decode_limits = image::Limits::default();
    decode_limits.max_image_width = Some(max);
    decode_limits.max_image_height = Some(max);
    decode_limits.max_alloc = Some(max_alloc);
    let on_limit = |error: ImageError| match error {
        ImageError::Limits(ref limit)
            if matches!(
                limit.kind(),
                LimitErrorKind::DimensionError | LimitErrorKind::InsufficientMemory
            ) =>
        {
            PhotoError::TooManyPixels { width, height, max }
        }
        other => corrupt(other),
    };
    decode_limits
        .reserve(decoder.total_bytes())
        .map_err(on_limit)?;
    decoder.set_limits(decode_limits).map_err(on_limit)?;

    // Malformed EXIF only costs the rotation, never the upload.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(on_limit)?;
    image.apply_orientation(orientation);

    let mut out = Vec::new();
    let content_type = if format == ImageFormat::Png {
        image
            .write_with_encoder(PngEncoder::new(&mut out))
            .map_err(corrupt)?;
        "image/png"
    } else {
        // The JPEG encoder takes only 8-bit grey or RGB; `write_with_encoder` converts.
        image
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
            .map_err(corrupt)?;
        "image/jpeg"
    };

    Ok(CleanPhoto {
        content_type,
        bytes: out,
        width: image.width(),
        height: image.height(),
    })
}

/// The format given by the content's magic bytes, if it is one we accept.
fn sniff(bytes: &[u8]) -> Result<ImageFormat, PhotoError> {
    match image::guess_format(bytes) {
        Ok(format @ (ImageFormat::Jpeg | ImageFormat::Png)) => Ok(format),
        _ => Err(PhotoError::UnsupportedType),
    }
}

/// Whether a JPEG has an end-of-image marker after its first scan, i.e. was not cut short.
///
/// Walks the marker segments from SOI to the first SOS (so that an EOI inside an embedded EXIF
/// thumbnail does not count), then looks for EOI in the entropy-coded data that follows, where a
/// 0xFF data byte is always stuffed as 0xFF00 and so cannot fake a marker.
fn jpeg_ends_after_scan(bytes: &[u8]) -> bool {
    const SOS: u8 = 0xDA;
    const EOI: [u8; 2] = [0xFF, 0xD9];
    let mut i = 2; // after SOI
    loop {
        // Any number of 0xFF fill bytes may precede a marker.
        while bytes.get(i) == Some(&0xFF) && bytes.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let (Some(0xFF), Some(&marker)) = (bytes.get(i), bytes.get(i + 1)) else {
            return false;
        };
        match marker {
            SOS => return bytes[i..].windows(2).any(|w| w == EOI),
            // Markers without a length field.
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                let (Some(&high), Some(&low)) = (bytes.get(i + 2), bytes.get(i + 3)) else {
                    return false;
                };
                i += 2 + usize::from(u16::from_be_bytes([high, low]));
            }
        }
    }
}

fn corrupt(error: ImageError) -> PhotoError {
    PhotoError::Corrupt(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, RgbImage};

    const GPS_MARKER: &[u8] = b"GPSLatitude";
    const COMMENT_MARKER: &[u8] = b"found-near-the-station";

    fn rgb(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 30 % 256) as u8, (y * 50 % 256) as u8, 128])
        })
    }

    fn encode_jpeg(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90)
            .write_image(
                rgb(width, height).as_raw(),
                width,
                height,
                image::ExtendedColorType::Rgb8,
            )
            .expect("encode jpeg");
        out
    }

    fn encode_png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        PngEncoder::new(&mut out)
            .write_image(
                rgb(width, height).as_raw(),
                width,
                height,
                image::ExtendedColorType::Rgb8,
            )
            .expect("encode png");
        out
    }

    /// A little-endian TIFF structure as found in an EXIF block: IFD0 with an optional
    /// orientation tag and a GPS IFD pointer (0x8825) to a GPS IFD holding a latitude, followed by
    /// the recognisable string `GPSLatitude`.
    fn tiff_with_gps(orientation: Option<u16>) -> Vec<u8> {
        fn entry(t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32) {
            t.extend_from_slice(&tag.to_le_bytes());
            t.extend_from_slice(&kind.to_le_bytes());
            t.extend_from_slice(&count.to_le_bytes());
            t.extend_from_slice(&value.to_le_bytes());
        }
        let ifd0_entries: u16 = if orientation.is_some() { 2 } else { 1 };
        let gps_ifd = 8 + 2 + 12 * u32::from(ifd0_entries) + 4;
        let gps_rationals = gps_ifd + 2 + 12 * 2 + 4;

        let mut t = b"II*\0".to_vec();
        t.extend_from_slice(&8u32.to_le_bytes());
        t.extend_from_slice(&ifd0_entries.to_le_bytes());
        if let Some(o) = orientation {
            entry(&mut t, 0x0112, 3, 1, u32::from(o)); // Orientation, SHORT
        }
        entry(&mut t, 0x8825, 4, 1, gps_ifd); // GPS IFD pointer, LONG
        t.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(t.len() as u32, gps_ifd);
        t.extend_from_slice(&2u16.to_le_bytes());
        entry(&mut t, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0")); // GPSLatitudeRef
        entry(&mut t, 0x0002, 5, 3, gps_rationals); // GPSLatitude, 3 RATIONALs
        t.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(t.len() as u32, gps_rationals);
        for (num, den) in [(52u32, 1u32), (31, 1), (1234, 100)] {
            t.extend_from_slice(&num.to_le_bytes());
            t.extend_from_slice(&den.to_le_bytes());
        }
        t.extend_from_slice(GPS_MARKER);
        t
    }

    fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let len = u16::try_from(payload.len() + 2).expect("segment fits");
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&len.to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    /// A JPEG with an EXIF APP1 segment (GPS data, optional orientation) and a COM segment
    /// spliced in right after SOI.
    fn jpeg_with_exif(width: u32, height: u32, orientation: Option<u16>) -> Vec<u8> {
        let plain = encode_jpeg(width, height);
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(&tiff_with_gps(orientation));
        let mut out = plain[..2].to_vec();
        out.extend(jpeg_segment(0xE1, &exif));
        out.extend(jpeg_segment(0xFE, COMMENT_MARKER));
        out.extend_from_slice(&plain[2..]);
        out
    }

    /// The markers of the segments between SOI and SOS.
    fn jpeg_markers_before_sos(bytes: &[u8]) -> Vec<u8> {
        assert_eq!(&bytes[..2], &[0xFF, 0xD8], "starts with SOI");
        let mut markers = Vec::new();
        let mut i = 2;
        while i + 4 <= bytes.len() {
            assert_eq!(bytes[i], 0xFF, "segment at {i} starts with 0xFF");
            let marker = bytes[i + 1];
            markers.push(marker);
            if marker == 0xDA {
                break;
            }
            i += 2 + usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        }
        assert_eq!(markers.last(), Some(&0xDA), "reached SOS");
        markers
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = u32::try_from(data.len())
            .expect("chunk fits")
            .to_be_bytes()
            .to_vec();
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        c.extend_from_slice(&body);
        c.extend_from_slice(&crc32(&body).to_be_bytes());
        c
    }

    /// The chunk types of a PNG, in order.
    fn png_chunk_types(bytes: &[u8]) -> Vec<[u8; 4]> {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let mut types = Vec::new();
        let mut i = 8;
        while i + 12 <= bytes.len() {
            let len = u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
            let kind = [bytes[i + 4], bytes[i + 5], bytes[i + 6], bytes[i + 7]];
            types.push(kind);
            i += 12 + len as usize;
        }
        assert_eq!(i, bytes.len(), "chunks cover the whole file");
        types
    }

    /// A PNG with tEXt, zTXt-free iTXt and eXIf (GPS data, optional orientation) chunks inserted
    /// right after IHDR.
    fn png_with_metadata(width: u32, height: u32, orientation: Option<u16>) -> Vec<u8> {
        let plain = encode_png(width, height);
        let after_ihdr = 8 + 12 + 13;
        assert_eq!(&plain[12..16], b"IHDR");
        let mut text = b"Comment\0".to_vec();
        text.extend_from_slice(COMMENT_MARKER);
        let mut itxt = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
        itxt.extend_from_slice(b"<x:xmpmeta>exif:GPSLatitude=52,31N</x:xmpmeta>");
        let mut out = plain[..after_ihdr].to_vec();
        out.extend(png_chunk(b"tEXt", &text));
        out.extend(png_chunk(b"iTXt", &itxt));
        out.extend(png_chunk(b"eXIf", &tiff_with_gps(orientation)));
        out.extend_from_slice(&plain[after_ihdr..]);
        out
    }

    /// A PNG whose header declares `width`x`height` RGB pixels, with a tiny (empty) IDAT.
    fn png_declaring(width: u32, height: u32) -> Vec<u8> {
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        out.extend(png_chunk(b"IHDR", &ihdr));
        // A zlib stream holding one empty stored block.
        out.extend(png_chunk(
            b"IDAT",
            &[
                0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01,
            ],
        ));
        out.extend(png_chunk(b"IEND", &[]));
        out
    }

    #[test]
    fn default_limits() {
        let limits = PhotoLimits::default();
        assert_eq!(limits.max_bytes, 5 * 1024 * 1024);
        assert_eq!(limits.max_pixels_per_side, 8000);
    }

    #[test]
    fn jpeg_loses_exif_gps_and_comment() {
        let input = jpeg_with_exif(40, 24, None);
        // The fixture really carries what must be removed.
        assert!(jpeg_markers_before_sos(&input).contains(&0xE1));
        assert!(contains(&input, GPS_MARKER));
        assert!(contains(&input, COMMENT_MARKER));

        let clean = sanitize(&input, PhotoLimits::default()).expect("sanitised");
        assert_eq!(clean.content_type, "image/jpeg");
        assert_eq!((clean.width, clean.height), (40, 24));
        let markers = jpeg_markers_before_sos(&clean.bytes);
        assert!(!markers.contains(&0xE1), "no APP1: {markers:02X?}");
        assert!(!markers.contains(&0xFE), "no COM: {markers:02X?}");
        assert!(
            markers.iter().all(|m| !(0xE1..=0xEF).contains(m)),
            "no APPn other than the JFIF APP0: {markers:02X?}"
        );
        assert!(!contains(&clean.bytes, GPS_MARKER));
        assert!(!contains(&clean.bytes, b"Exif\0\0"));
        assert!(!contains(&clean.bytes, COMMENT_MARKER));
        // The output is itself a valid JPEG of the same size.
        let decoded = image::load_from_memory_with_format(&clean.bytes, ImageFormat::Jpeg)
            .expect("output decodes");
        assert_eq!((decoded.width(), decoded.height()), (40, 24));
    }

    #[test]
    fn jpeg_exif_orientation_is_applied_to_the_pixels() {
        // 6 = rotate 90° clockwise to display.
        let input = jpeg_with_exif(40, 24, Some(6));
        let clean = sanitize(&input, PhotoLimits::default()).expect("sanitised");
        assert_eq!((clean.width, clean.height), (24, 40));
        assert!(!jpeg_markers_before_sos(&clean.bytes).contains(&0xE1));
        let decoded = image::load_from_memory(&clean.bytes).expect("output decodes");
        assert_eq!((decoded.width(), decoded.height()), (24, 40));
    }

    #[test]
    fn png_loses_text_and_exif_chunks() {
        let input = png_with_metadata(30, 20, None);
        let types = png_chunk_types(&input);
        assert!(types.contains(b"tEXt") && types.contains(b"iTXt") && types.contains(b"eXIf"));

        let clean = sanitize(&input, PhotoLimits::default()).expect("sanitised");
        assert_eq!(clean.content_type, "image/png");
        assert_eq!((clean.width, clean.height), (30, 20));
        let types = png_chunk_types(&clean.bytes);
        for forbidden in [
            b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"iCCP", b"tIME", b"pHYs",
        ] {
            assert!(!types.contains(forbidden), "{types:?}");
        }
        assert!(!contains(&clean.bytes, GPS_MARKER));
        assert!(!contains(&clean.bytes, COMMENT_MARKER));
        let decoded = image::load_from_memory_with_format(&clean.bytes, ImageFormat::Png)
            .expect("output decodes");
        // PNG is lossless: the pixels are unchanged.
        assert_eq!(decoded.to_rgb8(), rgb(30, 20));
    }

    #[test]
    fn png_exif_orientation_is_applied_to_the_pixels() {
        let input = png_with_metadata(30, 20, Some(6));
        let clean = sanitize(&input, PhotoLimits::default()).expect("sanitised");
        assert_eq!((clean.width, clean.height), (20, 30));
        let decoded = image::load_from_memory(&clean.bytes).expect("output decodes");
        assert_eq!(
            decoded.to_rgb8(),
            image::imageops::rotate90(&rgb(30, 20)),
            "rotated, not just relabelled"
        );
    }

    #[test]
    fn type_comes_from_the_content_not_a_declared_type() {
        // A PNG body (whatever it was called) is a PNG, a JPEG body is a JPEG.
        let png = sanitize(&encode_png(5, 7), PhotoLimits::default()).expect("png");
        assert_eq!(png.content_type, "image/png");
        assert_eq!((png.width, png.height), (5, 7));
        let jpeg = sanitize(&encode_jpeg(9, 3), PhotoLimits::default()).expect("jpeg");
        assert_eq!(jpeg.content_type, "image/jpeg");
        assert_eq!((jpeg.width, jpeg.height), (9, 3));
    }

    #[test]
    fn other_content_is_unsupported() {
        let bodies: [&[u8]; 7] = [
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF",
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>",
            b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00",
            b"RIFF\x24\x00\x00\x00WEBPVP8 ",
            b"",
        ];
        for body in bodies {
            assert!(
                matches!(
                    sanitize(body, PhotoLimits::default()),
                    Err(PhotoError::UnsupportedType)
                ),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn magic_bytes_followed_by_garbage_is_corrupt() {
        let mut fake_jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        fake_jpeg.extend_from_slice(b"<html><script>alert(1)</script></html>");
        assert!(matches!(
            sanitize(&fake_jpeg, PhotoLimits::default()),
            Err(PhotoError::Corrupt(_))
        ));
        let mut fake_png = b"\x89PNG\r\n\x1a\n".to_vec();
        fake_png.extend_from_slice(b"<html></html>");
        assert!(matches!(
            sanitize(&fake_png, PhotoLimits::default()),
            Err(PhotoError::Corrupt(_))
        ));
    }

    #[test]
    fn truncated_jpeg_is_corrupt() {
        let jpeg = encode_jpeg(64, 64);
        let sos = jpeg
            .windows(2)
            .position(|w| w == [0xFF, 0xDA])
            .expect("SOS");
        // Cut inside the headers, right after SOS, inside the scan, just before EOI.
        for len in [
            3,
            20,
            100,
            sos + 2,
            sos + 20,
            (sos + jpeg.len()) / 2,
            jpeg.len() - 2,
        ] {
            assert!(
                matches!(
                    sanitize(&jpeg[..len], PhotoLimits::default()),
                    Err(PhotoError::Corrupt(_))
                ),
                "cut at {len}"
            );
        }
    }

    #[test]
    fn truncated_jpeg_with_exif_thumbnail_is_corrupt() {
        // An EOI inside an embedded thumbnail must not make a cut-short main image look whole.
        let thumbnail = encode_jpeg(4, 4);
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(&tiff_with_gps(None));
        exif.extend_from_slice(&thumbnail);
        let plain = encode_jpeg(64, 64);
        let mut input = plain[..2].to_vec();
        input.extend(jpeg_segment(0xE1, &exif));
        input.extend_from_slice(&plain[2..]);

        let clean = sanitize(&input, PhotoLimits::default()).expect("whole file is fine");
        assert!(!contains(&clean.bytes, &thumbnail[2..40]));
        assert!(matches!(
            sanitize(&input[..input.len() - 100], PhotoLimits::default()),
            Err(PhotoError::Corrupt(_))
        ));
    }

    #[test]
    fn jpeg_with_data_after_eoi_is_accepted() {
        // Some cameras append data after EOI; it is dropped by the re-encoding.
        let mut input = encode_jpeg(16, 16);
        input.extend_from_slice(b"trailer with GPSLatitude");
        let clean = sanitize(&input, PhotoLimits::default()).expect("sanitised");
        assert!(!contains(&clean.bytes, GPS_MARKER));
    }

    #[test]
    fn truncated_png_is_corrupt() {
        let png = encode_png(64, 64);
        for len in [12, 40, png.len() / 2, png.len() - 12] {
            assert!(
                matches!(
                    sanitize(&png[..len], PhotoLimits::default()),
                    Err(PhotoError::Corrupt(_))
                ),
                "cut at {len}"
            );
        }
    }

    #[test]
    fn oversize_upload_is_too_large() {
        let png = encode_png(16, 16);
        let limits = PhotoLimits {
            max_bytes: png.len() - 1,
            ..PhotoLimits::default()
        };
        match sanitize(&png, limits) {
            Err(PhotoError::TooLarge { size, max }) => {
                assert_eq!((size, max), (png.len(), png.len() - 1));
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
        // The size is checked before anything else, even for non-images.
        let limits = PhotoLimits {
            max_bytes: 4,
            ..PhotoLimits::default()
        };
        assert!(matches!(
            sanitize(b"%PDF-1.7", limits),
            Err(PhotoError::TooLarge { size: 8, max: 4 })
        ));
        // Exactly at the limit is accepted.
        let limits = PhotoLimits {
            max_bytes: png.len(),
            ..PhotoLimits::default()
        };
        assert!(sanitize(&png, limits).is_ok());
    }

    #[test]
    fn png_declaring_huge_dimensions_is_refused_before_allocation() {
        // 20000x20000 RGB would need 1.2 GB of pixels.
        let bomb = png_declaring(20_000, 20_000);
        assert!(bomb.len() < 100);
        match sanitize(&bomb, PhotoLimits::default()) {
            Err(PhotoError::TooManyPixels { width, height, max }) => {
                assert_eq!((width, height, max), (20_000, 20_000, 8000));
            }
            other => panic!("expected TooManyPixels, got {other:?}"),
        }
        // Even one overlong side is refused.
        assert!(matches!(
            sanitize(&png_declaring(1, 9000), PhotoLimits::default()),
            Err(PhotoError::TooManyPixels {
                width: 1,
                height: 9000,
                ..
            })
        ));
        // Within the limits, the empty IDAT is simply missing data.
        assert!(matches!(
            sanitize(&png_declaring(2000, 2000), PhotoLimits::default()),
            Err(PhotoError::Corrupt(_))
        ));
    }

    #[test]
    fn jpeg_declaring_huge_dimensions_is_refused_before_allocation() {
        let mut jpeg = encode_jpeg(8, 8);
        let sof = jpeg
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .expect("baseline SOF0");
        // SOF0: marker, length (2), precision (1), height (2), width (2).
        jpeg[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
        jpeg[sof + 7..sof + 9].copy_from_slice(&50_000u16.to_be_bytes());
        match sanitize(&jpeg, PhotoLimits::default()) {
            Err(PhotoError::TooManyPixels { width, height, max }) => {
                assert_eq!((width, height, max), (50_000, 60_000, 8000));
            }
            other => panic!("expected TooManyPixels, got {other:?}"),
        }
    }

    #[test]
    fn custom_side_limit_is_enforced() {
        let limits = PhotoLimits {
            max_pixels_per_side: 50,
            ..PhotoLimits::default()
        };
        assert!(matches!(
            sanitize(&encode_png(64, 32), limits),
            Err(PhotoError::TooManyPixels {
                width: 64,
                height: 32,
                max: 50
            })
        ));
        assert!(matches!(
            sanitize(&encode_jpeg(32, 51), limits),
            Err(PhotoError::TooManyPixels {
                width: 32,
                height: 51,
                max: 50
            })
        ));
        let clean = sanitize(&encode_jpeg(50, 50), limits).expect("at the limit");
        assert_eq!((clean.width, clean.height), (50, 50));
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            PhotoError::TooManyPixels {
                width: 20_000,
                height: 10,
                max: 8000
            }
            .to_string(),
            "the image is 20000x10 pixels; at most 8000 per side"
        );
        assert_eq!(
            PhotoError::TooLarge { size: 9, max: 4 }.to_string(),
            "the photo has 9 bytes; at most 4 are accepted"
        );
    }
}

/// [`domain::ports::PhotoCleaner`] over [`sanitize`].
#[derive(Debug, Clone, Copy)]
pub struct PhotoSanitizer {
    pub limits: PhotoLimits,
}

impl Default for PhotoSanitizer {
    /// 5 MiB and 4096 pixels per side: enough for an identification photo, and a decoded image of
    /// at most 64 MiB.
    fn default() -> Self {
        Self {
            limits: PhotoLimits {
                max_bytes: 5 * 1024 * 1024,
                max_pixels_per_side: 4096,
            },
        }
    }
}

impl domain::ports::PhotoCleaner for PhotoSanitizer {
    fn clean(
        &self,
        bytes: &[u8],
    ) -> Result<domain::ports::CleanPhoto, domain::ports::PhotoRejected> {
        let clean = sanitize(bytes, self.limits)
            .map_err(|e| domain::ports::PhotoRejected(e.to_string()))?;
        Ok(domain::ports::CleanPhoto {
            content_type: clean.content_type.to_owned(),
            bytes: clean.bytes,
            width: clean.width,
            height: clean.height,
        })
    }
}
