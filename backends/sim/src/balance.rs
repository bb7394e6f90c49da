//! Which thread steps which populations.
//!
//! A step's populations are independent tasks of very different sizes (a
//! population of 22,000 neurons with its Poisson input beside one of
//! 1,000), and a step is short (a tenth of a millisecond of work at full
//! scale), so rayon's halving of the list leaves one thread waiting for the
//! other. Instead each thread gets a fixed set of populations, chosen by
//! longest-processing-time-first from what each population's steps took
//! lately, and chosen again as that changes. The choice moves work between
//! threads, never changes it: every population is stepped by one thread,
//! alone, so the results are the same for any assignment.

/// Steps between reassignments.
const EVERY: u64 = 500;

pub(crate) struct Balance {
    /// The thread (bin) of each population.
    bin: Vec<usize>,
    bins: usize,
}

impl Balance {
    /// `bins` threads for populations whose costs are guessed as `cost`.
    pub(crate) fn new(cost: &[u64], bins: usize) -> Balance {
        let mut b = Balance {
            bin: vec![0; cost.len()],
            bins: bins.max(1),
        };
        b.assign(cost);
        b
    }

    /// The thread of population `p`.
    pub(crate) fn bin(&self, p: usize) -> usize {
        self.bin[p]
    }

    /// The number of threads.
    pub(crate) fn bins(&self) -> usize {
        self.bins
    }

    /// After step `step`, with `spent` the nanoseconds each population took
    /// since the last reassignment: reassigns every [`EVERY`] steps (and
    /// after the first few, once there is something to go by), and then
    /// starts counting again.
    pub(crate) fn after(&mut self, step: u64, spent: &mut [u64]) {
        if step == 20 || step % EVERY == EVERY - 1 {
            self.assign(spent);
            spent.fill(0);
        }
    }

    /// Longest processing time first: the costliest population goes to the
    /// least loaded thread, and so on.
    fn assign(&mut self, cost: &[u64]) {
        let mut order: Vec<usize> = (0..cost.len()).collect();
        order.sort_by_key(|&p| (std::cmp::Reverse(cost[p]), p));
        let mut load = vec![0u64; self.bins];
        for p in order {
            let b = (0..self.bins).min_by_key(|&b| (load[b], b)).unwrap_or(0);
            self.bin[p] = b;
            load[b] += cost[p];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Balance;

    #[test]
    fn the_costliest_go_to_the_least_loaded() {
        let b = Balance::new(&[22, 20, 14, 5, 5, 1, 1, 1], 2);
        let load = |k| {
            [22, 20, 14, 5, 5, 1, 1, 1]
                .iter()
                .enumerate()
                .filter(|(p, _)| b.bin(*p) == k)
                .map(|(_, c)| c)
                .sum::<u64>()
        };
        // 22 + 5 + 5 + 1 + 1 + 1 against 20 + 14, where halving the list
        // gives 61 against 8.
        assert_eq!((load(0), load(1)), (35, 34));
    }
}
