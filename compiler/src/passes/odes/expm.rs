//! The matrix exponential, by scaling and squaring with a degree-13 Padé
//! approximant (Higham 2005, "The scaling and squaring method for the matrix
//! exponential revisited"). Matrices here are small (a few states plus one),
//! so plain row-major `Vec<f64>` and Gaussian elimination are enough.

/// `exp(a)` for an `n` x `n` row-major matrix.
pub fn expm(a: &[f64], n: usize) -> Vec<f64> {
    const B: [f64; 14] = [
        64764752532480000.0,
        32382376266240000.0,
        7771770303897600.0,
        1187353796428800.0,
        129060195264000.0,
        10559470521600.0,
        670442572800.0,
        33522128640.0,
        1323241920.0,
        40840800.0,
        960960.0,
        16380.0,
        182.0,
        1.0,
    ];
    const THETA13: f64 = 5.371920351148152;
    let norm = norm1(a, n);
    // Scale so that the Padé approximant is accurate, square back after.
    let s = if norm > THETA13 {
        (norm / THETA13).log2().ceil() as i32
    } else {
        0
    };
    let scale = 0.5f64.powi(s);
    let a: Vec<f64> = a.iter().map(|x| x * scale).collect();
    let id = identity(n);
    let a2 = matmul(&a, &a, n);
    let a4 = matmul(&a2, &a2, n);
    let a6 = matmul(&a4, &a2, n);
    let lin = |c: [f64; 4], m: [&[f64]; 4]| -> Vec<f64> {
        (0..n * n)
            .map(|k| c[0] * m[0][k] + c[1] * m[1][k] + c[2] * m[2][k] + c[3] * m[3][k])
            .collect()
    };
    let u_inner = lin([B[13], B[11], B[9], 0.0], [&a6, &a4, &a2, &id]);
    let u_tail = lin([B[7], B[5], B[3], B[1]], [&a6, &a4, &a2, &id]);
    let u_sum: Vec<f64> = matmul(&a6, &u_inner, n)
        .iter()
        .zip(&u_tail)
        .map(|(x, y)| x + y)
        .collect();
    let u = matmul(&a, &u_sum, n);
    let v_inner = lin([B[12], B[10], B[8], 0.0], [&a6, &a4, &a2, &id]);
    let v_tail = lin([B[6], B[4], B[2], B[0]], [&a6, &a4, &a2, &id]);
    let v: Vec<f64> = matmul(&a6, &v_inner, n)
        .iter()
        .zip(&v_tail)
        .map(|(x, y)| x + y)
        .collect();
    // (V - U) R = (V + U)
    let p: Vec<f64> = v.iter().zip(&u).map(|(x, y)| x + y).collect();
    let q: Vec<f64> = v.iter().zip(&u).map(|(x, y)| x - y).collect();
    let mut r = solve(&q, &p, n, n);
    for _ in 0..s {
        r = matmul(&r, &r, n);
    }
    r
}

fn identity(n: usize) -> Vec<f64> {
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        m[i * n + i] = 1.0;
    }
    m
}

fn norm1(a: &[f64], n: usize) -> f64 {
    (0..n)
        .map(|j| (0..n).map(|i| a[i * n + j].abs()).sum::<f64>())
        .fold(0.0, f64::max)
}

fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let aik = a[i * n + k];
            if aik != 0.0 {
                for j in 0..n {
                    c[i * n + j] += aik * b[k * n + j];
                }
            }
        }
    }
    c
}

/// Solves `a x = b` for an `n` x `m` right-hand side by Gaussian
/// elimination with partial pivoting; `None` when `a` is singular.
pub fn try_solve(a: &[f64], b: &[f64], n: usize, m: usize) -> Option<Vec<f64>> {
    let mut a = a.to_vec();
    let mut x = b.to_vec();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))
            .unwrap_or(col);
        if a[pivot * n + col] == 0.0 {
            return None;
        }
        if pivot != col {
            for j in 0..n {
                a.swap(col * n + j, pivot * n + j);
            }
            for j in 0..m {
                x.swap(col * m + j, pivot * m + j);
            }
        }
        let d = a[col * n + col];
        for i in col + 1..n {
            let f = a[i * n + col] / d;
            if f != 0.0 {
                for j in 0..n {
                    a[i * n + j] -= f * a[col * n + j];
                }
                for j in 0..m {
                    x[i * m + j] -= f * x[col * m + j];
                }
            }
        }
    }
    for col in (0..n).rev() {
        let d = a[col * n + col];
        for j in 0..m {
            let mut s = x[col * m + j];
            for k in col + 1..n {
                s -= a[col * n + k] * x[k * m + j];
            }
            x[col * m + j] = s / d;
        }
    }
    Some(x)
}

/// [`try_solve`] where the matrix is known to be invertible (the Padé
/// denominator is, for the scaled argument).
fn solve(a: &[f64], b: &[f64], n: usize, m: usize) -> Vec<f64> {
    try_solve(a, b, n, m).unwrap_or_else(|| vec![f64::NAN; n * m])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_and_triangular_match_closed_forms() {
        // Timestep-sized arguments need no scaling: within an ulp or two.
        for a in [-0.01, -0.005, -0.2, 1.0] {
            let e = expm(&[a], 1)[0];
            assert!(
                (e - f64::exp(a)).abs() <= 2.0 * f64::EPSILON * e.abs(),
                "{a}: {e}"
            );
        }
        // Large ones are squared back: each squaring doubles the error.
        for a in [-30.0, 12.5] {
            let e = expm(&[a], 1)[0];
            assert!((e - f64::exp(a)).abs() <= 1e-13 * e.abs(), "{a}: {e}");
        }
        // [[a, c], [0, b]]: the off-diagonal is c (e^b - e^a) / (b - a).
        let (a, b, c) = (-0.1, -2.0, 3.0);
        let e = expm(&[a, c, 0.0, b], 2);
        let want = c * (f64::exp(b) - f64::exp(a)) / (b - a);
        assert!(
            (e[1] - want).abs() < 1e-14 * want.abs(),
            "{} vs {want}",
            e[1]
        );
        // Equal eigenvalues: c e^a.
        let e = expm(&[a, c, 0.0, a], 2);
        assert!((e[1] - c * f64::exp(a)).abs() < 1e-14);
    }
}
