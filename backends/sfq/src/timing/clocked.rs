//! Setup and hold checks in clocked mode.
//!
//! Takes a clock splitter tree (one sink per clocked cell, see
//! [`crate::tree::clock_tree`]), the clock period, and the data paths
//! between clocked cells with their delay windows. Gives a setup and a hold
//! slack per path and the shortest period every path can meet.
//!
//! Clock pulse `n` leaves the clock root at `n·T` and reaches clocked cell
//! `i` at `c_i + n·T`, `c_i` being its clock tree latency; unequal depths in
//! the clock tree are skew. A path from cell `j` to cell `i` launches on
//! pulse 0 at `c_j + clk→q` and arrives in
//! `[c_j + clk→q + d_min, c_j + clk→q + d_max]`; it must
//! - arrive after pulse 0 has read cell `i`'s previous value (hold):
//!   `slack_hold = earliest − (c_i + t_hold)`,
//! - arrive before pulse 1 reads it (setup):
//!   `slack_setup = (c_i + T − t_setup) − latest`.
//!
//! A clock reaching the capturing cell later than the launching one (data
//! and clock flowing the same way) eats hold slack; earlier, setup slack.
//! Negative slack is a violation.

use super::{output_arrivals, TimingError, TimingModel, Window};
use crate::tree::Tree;

/// A data path between clocked cells, cells named by clock tree sink.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DataPath {
    /// The clocked cell that launches the data, or `None` for a primary
    /// input that changes when the clock leaves the root (time 0).
    pub launch: Option<u32>,
    /// The clocked cell that captures it.
    pub capture: u32,
    /// The delay of the logic, splitters, mergers and JTLs between them.
    pub delay: Window,
}

/// Which constraint a slack measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckKind {
    /// Latest data before the next clock pulse, minus setup.
    Setup,
    /// Earliest data after this clock pulse, plus hold.
    Hold,
}

/// One check of one path.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slack {
    /// Index of the path in the input.
    pub path: usize,
    /// The capturing clocked cell.
    pub capture: u32,
    /// Setup or hold.
    pub check: CheckKind,
    /// Margin in ps; negative is a violation.
    pub slack_ps: f64,
}

/// The outcome of [`check_clocked`].
#[derive(Clone, Debug, PartialEq)]
pub struct ClockedReport {
    /// Per path, its setup slack then its hold slack.
    pub slacks: Vec<Slack>,
    /// The shortest period meeting every setup check (`None` without
    /// paths). Hold does not depend on the period.
    pub min_period_ps: Option<f64>,
}

impl ClockedReport {
    /// The checks with negative slack.
    pub fn violations(&self) -> impl Iterator<Item = &Slack> {
        self.slacks.iter().filter(|s| s.slack_ps < 0.0)
    }

    /// The smallest slack of one kind of check.
    pub fn worst(&self, check: CheckKind) -> Option<&Slack> {
        self.slacks
            .iter()
            .filter(|s| s.check == check)
            .min_by(|a, b| a.slack_ps.total_cmp(&b.slack_ps))
    }
}

/// Clock arrival at every sink of a clock tree (root pulse at 0).
pub fn clock_arrivals(clock_tree: &Tree, model: &TimingModel, jtls_per_net: u32) -> Vec<f64> {
    output_arrivals(clock_tree, model, jtls_per_net)
        .into_iter()
        .map(|w| w.latest_ps)
        .collect()
}

/// Setup and hold slack of every path at clock period `period_ps`, with
/// clock arrivals from [`clock_arrivals`]. See the module documentation.
pub fn check_clocked(
    clock_arrival_ps: &[f64],
    model: &TimingModel,
    period_ps: f64,
    paths: &[DataPath],
) -> Result<ClockedReport, TimingError> {
    if !(period_ps.is_finite() && period_ps > 0.0) {
        return Err(TimingError::InvalidPeriod { period_ps });
    }
    let clock = |path: usize, cell: u32| {
        clock_arrival_ps
            .get(cell as usize)
            .copied()
            .ok_or(TimingError::NoSuchClockedCell {
                path,
                cell,
                cells: clock_arrival_ps.len(),
            })
    };
    let setup = model.clocked.setup_ps;
    let hold = model.clocked.hold_ps;
    let mut slacks = Vec::with_capacity(2 * paths.len());
    let mut min_period: Option<f64> = None;
    for (i, p) in paths.iter().enumerate() {
        let launched = match p.launch {
            Some(j) => clock(i, j)? + model.dff.delay_ps,
            None => 0.0,
        };
        let capture = clock(i, p.capture)?;
        let earliest = launched + p.delay.earliest_ps;
        let latest = launched + p.delay.latest_ps;
        slacks.push(Slack {
            path: i,
            capture: p.capture,
            check: CheckKind::Setup,
            slack_ps: capture + period_ps - setup - latest,
        });
        slacks.push(Slack {
            path: i,
            capture: p.capture,
            check: CheckKind::Hold,
            slack_ps: earliest - (capture + hold),
        });
        let needed = latest + setup - capture;
        min_period = Some(min_period.map_or(needed, |m| m.max(needed)));
    }
    Ok(ClockedReport {
        slacks,
        min_period_ps: min_period,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::tests::model;
    use crate::tree::clock_tree;

    fn path(launch: Option<u32>, capture: u32, min: f64, max: f64) -> DataPath {
        DataPath {
            launch,
            capture,
            delay: Window {
                earliest_ps: min,
                latest_ps: max,
            },
        }
    }

    #[test]
    fn clock_arrivals_follow_the_tree_depth() {
        let m = model();
        // Power of two: no skew.
        let c = clock_arrivals(&clock_tree(8), &m, 0);
        assert_eq!(c, [15.0; 8]);
        // Five cells: depths 3,3,2,2,2, one split (5 ps) and one JTL
        // stage per net (2 ps) of skew.
        let c = clock_arrivals(&clock_tree(5), &m, 1);
        assert_eq!(c, [23.0, 23.0, 16.0, 16.0, 16.0]);
    }

    #[test]
    fn setup_and_hold_violations_name_the_cell_and_slack() {
        let m = model(); // setup 3, hold 2, clk→q 6.
        let c = clock_arrivals(&clock_tree(5), &m, 1); // 23,23,16,16,16
        let paths = [
            // Same depth, comfortable: 6 + 10..20 after the launch clock.
            path(Some(0), 1, 10.0, 20.0),
            // Launch early (16), capture late (23), short path: hold.
            // earliest = 16 + 6 + 1 = 23 < 23 + 2 → slack −2.
            path(Some(2), 0, 1.0, 5.0),
            // Launch late (23), capture early (16), long path: setup.
            // latest = 23 + 6 + 40 = 69 > 16 + 50 − 3 = 63 → slack −6.
            path(Some(0), 3, 30.0, 40.0),
            // Primary input at 0.
            path(None, 4, 30.0, 40.0),
        ];
        let r = check_clocked(&c, &m, 50.0, &paths).unwrap();
        let v: Vec<_> = r
            .violations()
            .map(|s| (s.path, s.capture, s.check, s.slack_ps))
            .collect();
        assert_eq!(
            v,
            [
                (1, 0, CheckKind::Hold, -2.0),
                (2, 3, CheckKind::Setup, -6.0)
            ]
        );
        assert_eq!(
            r.slacks[0].slack_ps,
            23.0 + 50.0 - 3.0 - (23.0 + 6.0 + 20.0)
        );
        assert_eq!(r.slacks[1].slack_ps, 23.0 + 6.0 + 10.0 - 23.0 - 2.0);
        assert_eq!(r.slacks[7].slack_ps, 30.0 - 16.0 - 2.0);
        assert_eq!(r.worst(CheckKind::Setup).unwrap().path, 2);
        // The shortest period clears every setup check, exactly.
        assert_eq!(r.min_period_ps, Some(56.0));
        let at = check_clocked(&c, &m, 56.0, &paths).unwrap();
        assert_eq!(at.worst(CheckKind::Setup).unwrap().slack_ps, 0.0);
        assert!(at.violations().all(|s| s.check == CheckKind::Hold));
        // With a balanced clock tree the hold violation goes away.
        let flat = clock_arrivals(&clock_tree(8), &m, 1);
        let r = check_clocked(&flat, &m, 56.0, &paths).unwrap();
        assert_eq!(r.violations().count(), 0);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let m = model();
        let c = [0.0, 0.0];
        assert_eq!(
            check_clocked(&c, &m, 10.0, &[path(Some(0), 2, 0.0, 1.0)]),
            Err(TimingError::NoSuchClockedCell {
                path: 0,
                cell: 2,
                cells: 2
            })
        );
        assert!(check_clocked(&c, &m, 0.0, &[]).is_err());
        assert_eq!(
            check_clocked(&c, &m, 10.0, &[]).unwrap().min_period_ps,
            None
        );
    }
}
