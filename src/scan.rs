//! Finding the first byte of interest in a row of targets, sixteen bytes at a time: the
//! crossover rules look for ties (0), the execution loop for the next change of position.

/// The index of the first byte that `flags` marks. `flags` maps sixteen bytes (read
/// little-endian) to a word whose lowest set bit lies in the first marked byte, whatever
/// the bits above it; the last, shorter chunk is padded with `unmarked`.
#[inline]
pub(crate) fn first_marked(bytes: &[i8], unmarked: i8, flags: impl Fn(u128) -> u128) -> Option<usize> {
    let at = |offset: usize, marks: u128| offset + marks.trailing_zeros() as usize / 8;
    let mut chunks = bytes.chunks_exact(16);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = <[i8; 16]>::try_from(chunk).expect("16 bytes").map(|b| b as u8);
        let marks = flags(u128::from_le_bytes(word));
        if marks != 0 {
            return Some(at(offset, marks));
        }
        offset += 16;
    }
    let mut last = [unmarked as u8; 16];
    for (padded, &b) in last.iter_mut().zip(chunks.remainder()) {
        *padded = b as u8;
    }
    let marks = flags(u128::from_le_bytes(last));
    (marks != 0).then(|| at(offset, marks))
}

/// The index of the first 0 byte: in `word - ONES & !word & HIGHS` the lowest set bit is
/// the high bit of the first 0 byte (borrows only run upward).
pub(crate) fn first_zero(bytes: &[i8]) -> Option<usize> {
    const ONES: u128 = u128::from_le_bytes([0x01; 16]);
    const HIGHS: u128 = u128::from_le_bytes([0x80; 16]);
    first_marked(bytes, 1, |word| word.wrapping_sub(ONES) & !word & HIGHS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_zero_at_any_position() {
        for len in [0usize, 1, 7, 8, 9, 30] {
            for at in 0..len {
                let mut bytes = vec![1i8; len];
                bytes[at] = 0;
                assert_eq!(first_zero(&bytes), Some(at));
            }
            assert_eq!(first_zero(&vec![-1i8; len]), None);
        }
    }
}
