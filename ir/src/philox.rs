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
#[inline]
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
#[inline]
pub fn quad(key: [u32; 2], quad: u32, step: u64) -> [f64; 4] {
    let w = philox([quad, step as u32, 0, (step >> 32) as u32], key);
    w.map(|x| x as f64 * (1.0 / 4294967296.0))
}

/// How many blocks [`philox_lanes`] computes at once.
pub const LANES: usize = 8;

/// [`philox`] of `LANES` counters at once: `out[j] == philox(counters[j],
/// key)`. The blocks' rounds are interleaved word by word, so their
/// multiplications overlap (and vectorise) where one block's ten rounds
/// would wait on each other.
#[inline]
pub fn philox_lanes(counters: [[u32; 4]; LANES], key: [u32; 2]) -> [[u32; 4]; LANES] {
    let word = |w: usize| counters.map(|c| c[w]);
    let (mut c0, mut c1, mut c2, mut c3) = (word(0), word(1), word(2), word(3));
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        let mut n = [[0u32; LANES]; 4];
        for j in 0..LANES {
            let p0 = M0 * c0[j] as u64;
            let p1 = M1 * c2[j] as u64;
            n[0][j] = ((p1 >> 32) as u32) ^ c1[j] ^ k[0];
            n[1][j] = p1 as u32;
            n[2][j] = ((p0 >> 32) as u32) ^ c3[j] ^ k[1];
            n[3][j] = p0 as u32;
        }
        [c0, c1, c2, c3] = n;
    }
    std::array::from_fn(|j| [c0[j], c1[j], c2[j], c3[j]])
}

/// The words behind [`quad`] for quads `first .. first + LANES`, at once:
/// the uniform of word `w` is `w / 2^32`.
#[inline]
pub fn quad_words(key: [u32; 2], first: u32, step: u64) -> [[u32; 4]; LANES] {
    let counters = std::array::from_fn(|j| {
        [
            first.wrapping_add(j as u32),
            step as u32,
            0,
            (step >> 32) as u32,
        ]
    });
    philox_lanes(counters, key)
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
    /// For uniforms in `[j / GUIDE, (j + 1) / GUIDE)`, the first count the
    /// inversion can return: the search starts there, and usually ends at
    /// once, with the answer of a search from zero.
    guide: Vec<u8>,
}

/// Buckets of the guide table.
const GUIDE: usize = 256;

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
        let guide = if cdf.is_empty() {
            Vec::new()
        } else {
            (0..GUIDE)
                .map(|j| {
                    let x = j as f64 / GUIDE as f64;
                    cdf.iter().position(|&f| x < f).unwrap_or(cdf.len() - 1) as u8
                })
                .collect()
        };
        PoissonTable { lambda, cdf, guide }
    }

    /// The table's inversion alone, when draws need nothing else (a
    /// positive mean small enough for a table): for loops that hoist it.
    pub fn inversion(&self) -> Option<Inversion<'_>> {
        (self.lambda > 0.0 && !self.cdf.is_empty()).then_some(Inversion {
            cdf: &self.cdf,
            guide: &self.guide,
        })
    }

    /// One draw from the uniform `x`; means too large for a table draw
    /// from `more` instead.
    #[inline]
    pub fn sample(&self, x: f64, more: impl FnOnce() -> Uniforms) -> u32 {
        if self.lambda <= 0.0 {
            return 0;
        }
        if self.cdf.is_empty() {
            return poisson(self.lambda, &mut more());
        }
        // Counts below the guide's have a CDF at most the bucket's start,
        // which `x` is not below.
        Inversion {
            cdf: &self.cdf,
            guide: &self.guide,
        }
        .count(x)
    }
}

/// A Poisson table's inverse CDF ([`PoissonTable::inversion`]).
#[derive(Clone, Copy)]
pub struct Inversion<'a> {
    cdf: &'a [f64],
    guide: &'a [u8],
}

impl Inversion<'_> {
    /// The count of uniform `x` in `[0, 1)`: what [`PoissonTable::sample`]
    /// returns.
    #[inline]
    pub fn count(&self, x: f64) -> u32 {
        let from = self.guide[((x * GUIDE as f64) as usize).min(GUIDE - 1)] as usize;
        self.from(from, x)
    }

    /// [`Inversion::count`] of the uniform `word / 2^32` of a [`quad`]:
    /// its bucket is its top byte.
    #[inline]
    pub fn count_word(&self, word: u32) -> u32 {
        const _: () = assert!(GUIDE == 256);
        let x = word as f64 * (1.0 / 4294967296.0);
        self.from(self.guide[(word >> 24) as usize] as usize, x)
    }

    /// The first count from `k` whose CDF exceeds `x`; the last CDF entry
    /// is 1, which every uniform is below.
    #[inline]
    fn from(&self, mut k: usize, x: f64) -> u32 {
        while k + 1 < self.cdf.len() && x >= self.cdf[k] {
            k += 1;
        }
        k as u32
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
    fn lanes_compute_what_one_block_at_a_time_computes() {
        for (first, step, key) in [(0u32, 0u64, [0u32, 0u32]), (7, 123_456_789_012, [55, 9])] {
            let lanes = quad_words(key, first, step);
            for (j, lane) in lanes.iter().enumerate() {
                let u = lane.map(|w| w as f64 / 4294967296.0);
                assert_eq!(u, quad(key, first + j as u32, step), "lane {j}");
            }
        }
        let c = [[0xffff_ffff; 4]; LANES];
        assert!(philox_lanes(c, [0xffff_ffff; 2])
            .iter()
            .all(|w| *w == [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]));
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

    #[test]
    fn the_guide_table_gives_the_inversion_from_zero() {
        for lambda in [1e-4, 0.3, 1.28, 2.32, 7.5, 29.9] {
            let table = PoissonTable::new(lambda);
            let full = |x: f64| {
                table
                    .cdf
                    .iter()
                    .position(|&f| x < f)
                    .unwrap_or(table.cdf.len() - 1) as u32
            };
            // Every CDF value and bucket edge, each side of it, and a sweep.
            let mut xs: Vec<f64> = (0..1 << 16).map(|i| i as f64 / 65536.0).collect();
            for &f in &table.cdf {
                xs.extend([f, f.next_down(), f.next_up()]);
            }
            for j in 0..GUIDE {
                let e = j as f64 / GUIDE as f64;
                xs.extend([e, e.next_down().max(0.0), e.next_up()]);
            }
            for x in xs.into_iter().filter(|x| (0.0..1.0).contains(x)) {
                let never = || -> Uniforms { unreachable!("a table draw") };
                assert_eq!(table.sample(x, never), full(x), "lambda {lambda}, x {x}");
            }
            let inv = table.inversion().expect("a table");
            for w in (0..=u32::MAX)
                .step_by(65_537)
                .chain([u32::MAX, 1 << 24, (1 << 24) - 1])
            {
                let x = w as f64 / 4294967296.0;
                assert_eq!(inv.count_word(w), full(x), "lambda {lambda}, word {w}");
            }
        }
    }
}
