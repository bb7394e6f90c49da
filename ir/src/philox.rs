//! Philox4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as
//! 1, 2, 3"), the counter-based generator of Random123: the random numbers
//! of (key, counter) are a pure function of both, so a Poisson source's draw
//! at a step does not depend on which thread computes it or on what was
//! drawn before.

const M0: u64 = 0xD251_1F53;
const M1: u64 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// The key of population `population`'s Poisson stream under the network's
/// `seed`: every engine and emulator draws a source's spikes with it.
pub fn source_key(seed: u64, population: usize) -> [u32; 2] {
    [
        seed as u32,
        (seed >> 32) as u32 ^ (population as u32).wrapping_mul(0x9E37_79B9),
    ]
}

/// Four 32-bit random words for `counter` under `key`.
pub fn philox(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let (mut c, mut k) = (counter, key);
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        let p0 = M0 * c[0] as u64;
        let p1 = M1 * c[2] as u64;
        c = [
            ((p1 >> 32) as u32) ^ c[1] ^ k[0],
            p1 as u32,
            ((p0 >> 32) as u32) ^ c[3] ^ k[1],
            p0 as u32,
        ];
    }
    c
}

/// A uniform number in [0, 1) from two 32-bit words (53 bits).
pub fn unit(hi: u32, lo: u32) -> f64 {
    let bits = ((hi as u64) << 21) ^ (lo as u64 >> 11);
    (bits & ((1u64 << 53) - 1)) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A stream of uniforms for one (key, index, step): counter words 0 and 1
/// hold the index and step, word 2 counts draws.
pub struct Uniforms {
    key: [u32; 2],
    counter: [u32; 4],
    buf: [u32; 4],
    used: usize,
}

impl Uniforms {
    /// The stream of neuron `index` at `step` under `key`.
    pub fn new(key: [u32; 2], index: u32, step: u64) -> Self {
        let counter = [index, step as u32, 0, (step >> 32) as u32];
        Uniforms {
            key,
            counter,
            buf: [0; 4],
            used: 4,
        }
    }

    /// A stream for `index` at `step` that never meets the blocks of
    /// [`quad`] (its draw counter starts at 2^31).
    pub fn apart(key: [u32; 2], index: u32, step: u64) -> Self {
        let mut u = Uniforms::new(key, index, step);
        u.counter[2] = 0x8000_0000;
        u
    }

    /// The next uniform in [0, 1).
    pub fn next_uniform(&mut self) -> f64 {
        if self.used >= 4 {
            self.buf = philox(self.counter, self.key);
            self.counter[2] = self.counter[2].wrapping_add(1);
            self.used = 0;
        }
        let u = unit(self.buf[self.used], self.buf[self.used + 1]);
        self.used += 2;
        u
    }
}

/// Four uniforms with 32 random bits each, for neurons `4 * quad` to
/// `4 * quad + 3` at `step`: one Philox block serves all four. 32 bits
/// resolve a Poisson CDF to 2.3e-10, far below any spike-count statistic.
pub fn quad(key: [u32; 2], quad: u32, step: u64) -> [f64; 4] {
    let w = philox([quad, step as u32, 0, (step >> 32) as u32], key);
    w.map(|x| x as f64 * (1.0 / 4294967296.0))
}

/// A Poisson count with mean `lambda`, by inversion (mean per timestep is
/// small for spike sources; large means use the product method in chunks).
pub fn poisson(lambda: f64, u: &mut Uniforms) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    let mut count = 0u32;
    let mut rest = lambda;
    // Split large means so that exp(-chunk) does not underflow.
    while rest > 0.0 {
        let chunk = rest.min(30.0);
        rest -= chunk;
        let limit = (-chunk).exp();
        let mut prod = u.next_uniform();
        while prod > limit {
            count += 1;
            prod *= u.next_uniform();
        }
    }
    count
}

/// Poisson counts by inversion of a precomputed CDF: one uniform per draw,
/// where the product method needs `lambda + 1` of them. Means above 30 fall
/// back to [`poisson`].
#[derive(Clone, Debug)]
pub struct PoissonTable {
    lambda: f64,
    cdf: Vec<f64>,
}

impl PoissonTable {
    /// The table for mean `lambda`.
    pub fn new(lambda: f64) -> Self {
        let mut cdf = Vec::new();
        if lambda > 0.0 && lambda <= 30.0 {
            let mut p = (-lambda).exp();
            let mut f = p;
            let mut k = 0.0;
            // Until the remaining tail is below what a 53-bit uniform resolves.
            while f < 1.0 - 1e-16 && cdf.len() < 200 {
                cdf.push(f);
                k += 1.0;
                p *= lambda / k;
                f += p;
            }
            cdf.push(1.0);
        }
        PoissonTable { lambda, cdf }
    }

    /// One draw from the uniform `x`; means too large for a table draw
    /// from `more` instead.
    pub fn sample(&self, x: f64, more: impl FnOnce() -> Uniforms) -> u32 {
        if self.lambda <= 0.0 {
            return 0;
        }
        if self.cdf.is_empty() {
            return poisson(self.lambda, &mut more());
        }
        self.cdf
            .iter()
            .position(|&f| x < f)
            .unwrap_or(self.cdf.len() - 1) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer() {
        // Random123's known-answer test for philox4x32-10 with zero inputs.
        assert_eq!(
            philox([0; 4], [0; 2]),
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
        );
        assert_eq!(
            philox([0xffff_ffff; 4], [0xffff_ffff; 2]),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
    }

    #[test]
    fn poisson_mean_and_variance() {
        for lambda in [0.05, 2.0, 12.0, 45.0] {
            let n = 20_000;
            let table = PoissonTable::new(lambda);
            let xs: Vec<f64> = (0..n)
                .map(|i| {
                    let u = quad([1, 2], i / 4, 7)[(i % 4) as usize];
                    table.sample(u, || Uniforms::apart([1, 2], i, 7)) as f64
                })
                .collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            let se = (lambda / n as f64).sqrt();
            assert!((mean - lambda).abs() < 5.0 * se, "{lambda}: mean {mean}");
            assert!((var / lambda - 1.0).abs() < 0.1, "{lambda}: var {var}");
        }
    }
}
