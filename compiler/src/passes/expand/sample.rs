//! Drawing from PyNN's distributions, in canonical units.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution as _, Exp1, Gamma, Poisson, StandardNormal};
use spikec_ir::network::{DistKind, Distribution};

/// Redraws allowed for `normal_clipped` before clamping; validation already
/// rejects windows far from the mean, so this is never reached in practice.
const MAX_REDRAWS: u32 = 100_000;

/// One draw from `d` (times its scale).
pub fn sample(d: &Distribution, rng: &mut ChaCha8Rng) -> f64 {
    let a = |i: usize| d.args.get(i).copied().unwrap_or(f64::NAN);
    let normal = |rng: &mut ChaCha8Rng| -> f64 { rng.sample(StandardNormal) };
    let v = match d.kind {
        DistKind::Uniform => a(0) + (a(1) - a(0)) * rng.random::<f64>(),
        DistKind::Normal => a(0) + a(1) * normal(rng),
        DistKind::NormalClipped => {
            let (mu, sigma, low, high) = (a(0), a(1), a(2), a(3));
            let mut x = mu + sigma * normal(rng);
            let mut tries = 0;
            while !(low..=high).contains(&x) && tries < MAX_REDRAWS {
                x = mu + sigma * normal(rng);
                tries += 1;
            }
            x.clamp(low, high)
        }
        DistKind::NormalClippedToBoundary => (a(0) + a(1) * normal(rng)).clamp(a(2), a(3)),
        DistKind::Exponential => a(0) * rng.sample::<f64, _>(Exp1),
        DistKind::Lognormal => (a(0) + a(1) * normal(rng)).exp(),
        DistKind::Gamma => Gamma::new(a(0), a(1)).map_or(f64::NAN, |g| g.sample(rng)),
        DistKind::VonMises => von_mises(a(0), a(1), rng),
        DistKind::Binomial => {
            Binomial::new(a(0) as u64, a(1)).map_or(f64::NAN, |b| b.sample(rng) as f64)
        }
        DistKind::Poisson => {
            if a(0) == 0.0 {
                0.0
            } else {
                Poisson::new(a(0)).map_or(f64::NAN, |p| p.sample(rng))
            }
        }
    };
    v * d.scale.unwrap_or(1.0)
}

/// Best & Fisher's (1979) rejection sampler for the von Mises distribution,
/// in (-pi, pi] around `mu`.
fn von_mises(mu: f64, kappa: f64, rng: &mut ChaCha8Rng) -> f64 {
    use std::f64::consts::PI;
    if kappa < 1e-8 {
        return mu + PI * (2.0 * rng.random::<f64>() - 1.0);
    }
    let tau = 1.0 + (1.0 + 4.0 * kappa * kappa).sqrt();
    let rho = (tau - (2.0 * tau).sqrt()) / (2.0 * kappa);
    let r = (1.0 + rho * rho) / (2.0 * rho);
    loop {
        let u1: f64 = rng.random();
        let z = (PI * u1).cos();
        let f = (1.0 + r * z) / (r + z);
        let c = kappa * (r - f);
        let u2: f64 = rng.random();
        if c * (2.0 - c) - u2 > 0.0 || (c / u2).ln() + 1.0 - c >= 0.0 {
            let u3: f64 = rng.random();
            let theta = if u3 > 0.5 { f.acos() } else { -f.acos() };
            let x = mu + theta;
            // Wrap into (-pi, pi] around zero, like PyNN/NumPy.
            return (x + PI).rem_euclid(2.0 * PI) - PI;
        }
    }
}
