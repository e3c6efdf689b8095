//! Helpers shared by the fuzz targets.

/// Splits fuzz input into chunks at fuzz-chosen boundaries, the way a socket or a pipe may cut
/// a stream.
///
/// Layout: byte 0 is `n` (taken modulo 8), the next `n` bytes are chunk lengths used in turn
/// (0 gives an empty chunk), and the rest is the payload. With `n == 0`, or when every length
/// is 0, the payload is one chunk. Returns the payload and its chunks, which concatenate to it.
pub fn chunks(data: &[u8]) -> (&[u8], Vec<&[u8]>) {
    let Some((&head, rest)) = data.split_first() else {
        return (&[], Vec::new());
    };
    let n = usize::from(head % 8).min(rest.len());
    let (lengths, mut payload) = rest.split_at(n);
    let whole = payload;
    if lengths.iter().all(|&l| l == 0) {
        return (whole, vec![payload]);
    }
    let mut out = Vec::new();
    for &len in lengths.iter().cycle() {
        if payload.is_empty() {
            break;
        }
        let (chunk, tail) = payload.split_at(usize::from(len).min(payload.len()));
        out.push(chunk);
        payload = tail;
    }
    (whole, out)
}

#[cfg(test)]
mod tests {
    use super::chunks;

    #[test]
    fn chunks_concatenate_to_the_payload() {
        let data = b"\x03\x02\x00\x05abcdefghijkl";
        let (payload, parts) = chunks(data);
        assert_eq!(payload, b"abcdefghijkl");
        assert_eq!(parts.concat(), payload);
        assert_eq!(parts[0], b"ab");
        assert_eq!(parts[1], b"");
        assert_eq!(parts[2], b"cdefg");
    }
}
