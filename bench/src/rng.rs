//! A small deterministic pseudo-random generator (SplitMix64) and a Zipf-like sampler, so that a
//! synthetic registry is the same on every machine and every run: record `i` of seed `s` is always
//! the same record, whichever thread builds it and in whatever order.

/// SplitMix64 (Steele, Lea, Flood 2014): 64 bits of state, passes BigCrush, and any seed is fine.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator for stream `stream` of seed `seed`; different streams are independent.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut rng = Self {
            state: seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        };
        // Mix once so that neighbouring streams do not start from neighbouring states.
        rng.next_u64();
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        // 53 random bits, exactly representable.
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }

    /// Uniform in `0..n`; `n` must be positive.
    pub fn below(&mut self, n: usize) -> usize {
        // The modulo bias is below 2^-40 for the sizes used here.
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// An index into a list of `n` items ranked by frequency, drawn with probability proportional
    /// to `1 / (rank + 1)^exponent` (Zipf's law; names and spellings follow it closely).
    pub fn zipf(&mut self, n: usize, exponent: f64) -> usize {
        let weight = |rank: usize| 1.0 / ((rank + 1) as f64).powf(exponent);
        let total: f64 = (0..n).map(weight).sum();
        let mut target = self.unit() * total;
        for rank in 0..n {
            target -= weight(rank);
            if target < 0.0 {
                return rank;
            }
        }
        n.saturating_sub(1)
    }

    /// An index drawn with probability proportional to `weights[i]`.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut target = self.next_u64() % total.max(1);
        for (i, &w) in weights.iter().enumerate() {
            if target < u64::from(w) {
                return i;
            }
            target -= u64::from(w);
        }
        weights.len().saturating_sub(1)
    }

    /// 16 random bytes.
    pub fn bytes16(&mut self) -> [u8; 16] {
        let mut out = [0_u8; 16];
        out[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        out[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_spread() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(7, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(7, 3).next_u64(), Rng::new(7, 4).next_u64());
        let mut r = Rng::new(1, 1);
        let mut counts = [0_usize; 5];
        for _ in 0..10_000 {
            counts[r.zipf(5, 1.0)] += 1;
        }
        assert!(counts.windows(2).all(|w| w[0] > w[1]), "{counts:?}");
        assert!((0..1000).all(|_| r.unit() < 1.0));
    }
}
