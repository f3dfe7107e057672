//! What the developer tools share: the two compressions the build writes
//! (`precompress`) and the budgets count (`bundle-size`), so that both
//! measure the same bytes a browser receives.

use std::io::Write;

/// `bytes` compressed with brotli at quality 11 (window 2^24).
pub fn brotli_11(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

/// `bytes` compressed with gzip at level 9.
pub fn gzip_9(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    gz.finish()
}
