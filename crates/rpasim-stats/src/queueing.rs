//! Analytic results of queueing theory, to validate the simulator against.
//!
//! Notation: `c` servers (bots), arrival rate `lambda`, service rate `mu`
//! per server, offered load `a = lambda / mu`, utilization `rho = a / c`.

/// Erlang B: the blocking probability of M/M/c/c (no waiting room), by the
/// numerically stable recursion B(k) = a B(k-1) / (k + a B(k-1)).
pub fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// Erlang C: the probability that an arrival must wait in M/M/c (a < c).
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let b = erlang_b(c, a);
    let c = f64::from(c);
    c * b / (c - a * (1.0 - b))
}

/// Mean wait in queue of M/M/c: C(c, a) / (c mu - lambda), in the time unit
/// of `1 / mu` (stable only when lambda < c mu).
pub fn mmc_mean_wait(c: u32, lambda: f64, mu: f64) -> f64 {
    let a = lambda / mu;
    erlang_c(c, a) / (f64::from(c) * mu - lambda)
}

/// Stationary distribution of M/M/c/K (at most `k` >= c runs in the system:
/// c in service and k - c waiting), p_0 ... p_k.
pub fn mmck_distribution(c: u32, k: u32, a: f64) -> Vec<f64> {
    let rho = a / f64::from(c);
    let mut terms = Vec::with_capacity(k as usize + 1);
    let mut t = 1.0;
    terms.push(t);
    for n in 1..=k {
        t *= if n <= c { a / f64::from(n) } else { rho };
        terms.push(t);
    }
    let total: f64 = terms.iter().sum();
    terms.iter().map(|t| t / total).collect()
}

/// Probability that an arrival to M/M/c/K finds the system full (p_K, by
/// PASTA) and is rejected.
pub fn mmck_blocking(c: u32, k: u32, a: f64) -> f64 {
    mmck_distribution(c, k, a).last().copied().unwrap_or(0.0)
}

/// Mean number waiting (not in service) in M/M/c/K.
pub fn mmck_mean_queue(c: u32, k: u32, a: f64) -> f64 {
    mmck_distribution(c, k, a)
        .iter()
        .enumerate()
        .map(|(n, p)| (n as f64 - f64::from(c)).max(0.0) * p)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_b_matches_the_closed_form() {
        // B(2, 1) = (1/2) / (1 + 1 + 1/2) = 0.2
        assert!((erlang_b(2, 1.0) - 0.2).abs() < 1e-12);
    }

    #[test]
    fn erlang_c_of_mm1_is_rho() {
        assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
        // M/M/1 mean wait: rho / (mu - lambda)
        assert!((mmc_mean_wait(1, 0.7, 1.0) - 0.7 / 0.3).abs() < 1e-12);
    }

    #[test]
    fn erlang_c_of_mm2_matches_the_closed_form() {
        // M/M/2: C = 2 rho^2 / (1 + rho), rho = a / 2
        let a: f64 = 1.0;
        let rho = a / 2.0;
        assert!((erlang_c(2, a) - 2.0 * rho * rho / (1.0 + rho)).abs() < 1e-12);
    }

    #[test]
    fn mmck_without_room_is_erlang_b() {
        assert!((mmck_blocking(5, 5, 3.0) - erlang_b(5, 3.0)).abs() < 1e-12);
        let p = mmck_distribution(2, 6, 1.5);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn mm1k_blocking_matches_the_closed_form() {
        // M/M/1/K: p_K = (1 - rho) rho^K / (1 - rho^(K+1))
        let (rho, k) = (0.8f64, 4);
        let expected = (1.0 - rho) * rho.powi(k) / (1.0 - rho.powi(k + 1));
        assert!((mmck_blocking(1, k as u32, rho) - expected).abs() < 1e-12);
    }
}
