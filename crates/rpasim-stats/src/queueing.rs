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

/// Mean wait in queue of each class of M/M/c with non-preemptive
/// priorities, every class served at the same rate `mu` (Cobham, 1954):
/// W_k = C(c, a) / (c mu (1 - s_{k-1}) (1 - s_k)), where `a` is the load
/// of all classes and s_k the utilization of classes 1 to k. `lambdas` in
/// priority order, the highest first; in the time unit of `1 / mu`
/// (stable only when the classes' total rate is below c mu).
pub fn mmc_priority_mean_waits(c: u32, lambdas: &[f64], mu: f64) -> Vec<f64> {
    let capacity = f64::from(c) * mu;
    let all_waiting = erlang_c(c, lambdas.iter().sum::<f64>() / mu);
    let mut before = 0.0;
    lambdas
        .iter()
        .map(|lambda| {
            let through = before + lambda / capacity;
            let wait = all_waiting / (capacity * (1.0 - before) * (1.0 - through));
            before = through;
            wait
        })
        .collect()
}

/// Mean wait in queue of M/G/1 (Pollaczek-Khinchine): lambda E[S²] /
/// (2 (1 - rho)), with rho = lambda E[S]; in the time unit of the
/// durations' moments (stable only when rho < 1).
pub fn mg1_mean_wait(lambda: f64, mean: f64, second_moment: f64) -> f64 {
    lambda * second_moment / (2.0 * (1.0 - lambda * mean))
}

/// M/G/1 with setup times: a server that goes off once it has been idle
/// for `stays_on` (T; 0: as soon as the queue empties) and must first be
/// set up, for a time U, when a customer arrives to find it off. Returns
/// the mean wait in queue and the share of customers that find it off
/// (each starts a busy period with a setup), in the time unit of the
/// moments.
///
/// By Fuhrmann and Cooper's decomposition, the wait is Pollaczek-
/// Khinchine's plus E[Φ(Φ-1)] / (2 lambda E[Φ]), Φ being the customers
/// present when a busy period's service begins: 1 when one arrives
/// within T of the last departure (probability 1 - q, q = e^(-lambda
/// T)), else 1 plus those arriving during the setup. So the setup adds q
/// (2 E[U] + lambda E[U²]) / (2 (1 + q lambda E[U])) (with q = 1,
/// Takagi's M/G/1 with setup times). A busy period serves E[Φ] / (1 -
/// rho) customers, q of its first ones finding the server off.
pub fn mg1_setup(
    lambda: f64,
    (mean, second_moment): (f64, f64),
    (setup_mean, setup_second_moment): (f64, f64),
    stays_on: f64,
) -> (f64, f64) {
    let q = (-lambda * stays_on).exp();
    let first = 1.0 + q * lambda * setup_mean;
    let extra = q * (2.0 * setup_mean + lambda * setup_second_moment) / (2.0 * first);
    let rho = lambda * mean;
    (
        mg1_mean_wait(lambda, mean, second_moment) + extra,
        q * (1.0 - rho) / first,
    )
}

/// M/M/1 whose customers leave the queue when they have waited
/// `patience` (D) without starting (M/M/1+D): the probability that one
/// leaves so, and the mean wait of those that start, in the time unit of
/// `1 / mu`. Stable at any load.
///
/// Service is first come, first served, so a customer's wait is the work
/// V in the system when it arrives, and one that will leave (V > D) adds
/// no work. V's density is then lambda p0 e^(-(mu - lambda) v) up to D
/// and decays at rate mu beyond, whence P(V > D) = rho p0 E with E =
/// e^(-(mu - lambda) D) (Barrer, 1957): rho (1 - rho) E / (1 - rho² E)
/// away from rho = 1.
pub fn mm1_patience(lambda: f64, mu: f64, patience: f64) -> (f64, f64) {
    let (rho, theta) = (lambda / mu, mu - lambda);
    let e = (-theta * patience).exp();
    // The integrals from 0 to D of e^(-θ v) and of v e^(-θ v), with their
    // limits as θ → 0 (D and D² / 2), where the closed forms are 0 / 0.
    let near_zero = theta.abs() * patience < 1e-6;
    let (mass, moment) = if near_zero {
        (patience, patience * patience / 2.0)
    } else {
        (
            -(-theta * patience).exp_m1() / theta,
            (1.0 - e * (1.0 + theta * patience)) / (theta * theta),
        )
    };
    // P(V = 0), from the density's total: p0 (1 + λ mass + ρ E) = 1.
    let p0 = 1.0 / (1.0 + lambda * mass + rho * e);
    let leaves = rho * p0 * e;
    (leaves, lambda * p0 * moment / (1.0 - leaves))
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
    fn one_priority_class_is_mmc_and_classes_conserve_the_work() {
        let one = mmc_priority_mean_waits(3, &[2.4], 1.0);
        assert!((one[0] - mmc_mean_wait(3, 2.4, 1.0)).abs() < 1e-12);
        // Kleinrock's conservation law (equal service rates): the classes'
        // waits, weighted by their rates, average to the FIFO wait.
        let lambdas = [0.5, 0.9, 1.0];
        let waits = mmc_priority_mean_waits(3, &lambdas, 1.0);
        let weighted: f64 = lambdas.iter().zip(&waits).map(|(l, w)| l * w).sum();
        assert!((weighted / 2.4 - mmc_mean_wait(3, 2.4, 1.0)).abs() < 1e-12);
        assert!(waits[0] < waits[1] && waits[1] < waits[2]);
        // M/M/1, two classes, by M/G/1's priority formula W_k = W0 / ((1 -
        // s_{k-1}) (1 - s_k)), the residual work W0 = lambda E[S²] / 2 =
        // rho / mu: W_1 = rho / (mu (1 - rho_1)), W_2 = rho / (mu (1 -
        // rho_1) (1 - rho)).
        let waits = mmc_priority_mean_waits(1, &[0.2, 0.5], 1.0);
        assert!((waits[0] - 0.7 / 0.8).abs() < 1e-12);
        assert!((waits[1] - 0.7 / (0.8 * 0.3)).abs() < 1e-12);
    }

    #[test]
    fn pollaczek_khinchine_of_exponential_durations_is_mm1() {
        // Exponential durations of mean 1/mu: E[S²] = 2 / mu².
        let (lambda, mu) = (0.7, 1.0);
        let pk = mg1_mean_wait(lambda, 1.0 / mu, 2.0 / (mu * mu));
        assert!((pk - mmc_mean_wait(1, lambda, mu)).abs() < 1e-12);
        // Constant durations (M/D/1) wait half as long.
        assert!((mg1_mean_wait(lambda, 1.0, 1.0) - pk / 2.0).abs() < 1e-12);
    }

    #[test]
    fn setups_vanish_without_setup_time_or_when_the_server_stays_on() {
        let (lambda, service) = (0.5, (1.0, 2.0));
        let plain = mg1_mean_wait(lambda, service.0, service.1);
        let (wait, _) = mg1_setup(lambda, service, (0.0, 0.0), 0.0);
        assert!((wait - plain).abs() < 1e-12);
        let (wait, off) = mg1_setup(lambda, service, (3.0, 9.0), 1e3);
        assert!((wait - plain).abs() < 1e-12 && off < 1e-12);
        // Arrivals so rare that each finds the server off and nobody
        // before it: it waits the setup, no more.
        let (rare, off) = mg1_setup(1e-9, service, (3.0, 9.0), 0.0);
        assert!((rare - 3.0).abs() < 1e-6 && (off - 1.0).abs() < 1e-6);
        // Takagi's M/G/1 with setup times, U of 2 constant.
        let (wait, off) = mg1_setup(lambda, service, (2.0, 4.0), 0.0);
        let takagi = plain + (2.0 * 2.0 + lambda * 4.0) / (2.0 * (1.0 + lambda * 2.0));
        assert!((wait - takagi).abs() < 1e-12);
        assert!((off - 0.5 / 2.0).abs() < 1e-12);
    }

    #[test]
    fn patience_bounds_are_loss_and_mm1() {
        // No patience: M/M/1/1, an arrival leaves when the bot is busy.
        let (leaves, waited) = mm1_patience(0.7, 1.0, 0.0);
        assert!((leaves - erlang_b(1, 0.7)).abs() < 1e-12);
        assert_eq!(waited, 0.0);
        // Endless patience: M/M/1.
        let (leaves, waited) = mm1_patience(0.7, 1.0, 1e4);
        assert!(leaves < 1e-12);
        assert!((waited - mmc_mean_wait(1, 0.7, 1.0)).abs() < 1e-9);
        // Overloaded, the queue stays bounded: more than the excess leaves.
        let (leaves, _) = mm1_patience(1.2, 1.0, 2.0);
        assert!(leaves > 0.2 / 1.2 && leaves < 1.0);
        // The closed form of the loss away from rho = 1.
        let (rho, e) = (0.9f64, (-0.1f64 * 2.0).exp());
        let (leaves, _) = mm1_patience(0.9, 1.0, 2.0);
        assert!((leaves - rho * (1.0 - rho) * e / (1.0 - rho * rho * e)).abs() < 1e-12);
        // At rho = 1 the formula's limit.
        let (at, _) = mm1_patience(1.0, 1.0, 2.0);
        let (near, _) = mm1_patience(1.0 - 1e-6, 1.0, 2.0);
        assert!((at - near).abs() < 1e-5, "{at} {near}");
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
