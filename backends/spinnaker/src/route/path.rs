//! Paths between chips: the shortest path NER plans on a perfect grid, and
//! the search that finds a working one when faults block it.

use crate::geometry::{ChipCoord, Direction};
use crate::machine::Machine;
use std::collections::{BTreeMap, VecDeque};

/// A path from a chip in the tree: each step is the link taken and the
/// chip it arrives at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Branch {
    pub start: ChipCoord,
    pub steps: Vec<(Direction, ChipCoord)>,
}

/// The shortest path from `from` to `to` on the grid (wrapping where the
/// machine wraps), moving along the axis with most hops to go first, then
/// the next (east-west, north-south, then the north-east diagonal on
/// ties). Faults are not considered. `None` if it would leave a grid that
/// does not wrap, which a shortest path between two chips of the grid
/// never does.
pub(super) fn longest_dimension_first(
    machine: &Machine,
    from: ChipCoord,
    to: ChipCoord,
) -> Option<Vec<(Direction, ChipCoord)>> {
    let (dx, dy) = machine.shortest_vector(from, to);
    // With both components of one sign, the diagonal covers the smaller.
    let diagonal = if (dx >= 0) == (dy >= 0) {
        dx.signum() * dx.abs().min(dy.abs())
    } else {
        0
    };
    let mut axes = [
        (dx - diagonal, Direction::East, Direction::West),
        (dy - diagonal, Direction::North, Direction::South),
        (diagonal, Direction::NorthEast, Direction::SouthWest),
    ];
    // Stable, so equal lengths keep the order above.
    axes.sort_by_key(|(hops, _, _)| std::cmp::Reverse(hops.unsigned_abs()));

    let mut steps = Vec::new();
    let mut at = from;
    for (hops, forward, backward) in axes {
        let direction = if hops >= 0 { forward } else { backward };
        for _ in 0..hops.unsigned_abs() {
            at = machine.step(at, direction)?;
            steps.push((direction, at));
        }
    }
    Some(steps)
}

/// The shortest working path from a chip of the tree to `target`, found by
/// a breadth-first search from `target` over working links that stops at
/// the first tree chip it meets, so no chip of the path but its start is in
/// the tree. Links work both ways or neither (see [`Machine`]), so a path
/// searched backwards can be used forwards. `None` if no tree chip is
/// reachable.
pub(super) fn to_tree(
    machine: &Machine,
    target: ChipCoord,
    in_tree: impl Fn(ChipCoord) -> bool,
) -> Option<Branch> {
    // For each chip reached: the next chip towards the target, and the link
    // leading there.
    let mut towards: BTreeMap<ChipCoord, (ChipCoord, Direction)> = BTreeMap::new();
    let mut queue = VecDeque::from([target]);
    while let Some(at) = queue.pop_front() {
        for direction in Direction::ALL {
            let Some(next) = machine.neighbour(at, direction) else {
                continue;
            };
            if next == target || towards.contains_key(&next) {
                continue;
            }
            towards.insert(next, (at, direction.opposite()));
            if in_tree(next) {
                return Some(walk_back(next, target, &towards));
            }
            queue.push_back(next);
        }
    }
    None
}

fn walk_back(
    start: ChipCoord,
    target: ChipCoord,
    towards: &BTreeMap<ChipCoord, (ChipCoord, Direction)>,
) -> Branch {
    let mut steps = Vec::new();
    let mut at = start;
    while at != target {
        let Some(&(next, direction)) = towards.get(&at) else {
            break;
        };
        steps.push((direction, next));
        at = next;
    }
    Branch { start, steps }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: u16, y: u16) -> ChipCoord {
        ChipCoord::new(x, y)
    }

    fn directions(steps: &[(Direction, ChipCoord)]) -> Vec<Direction> {
        steps.iter().map(|(d, _)| *d).collect()
    }

    #[test]
    fn longest_dimension_goes_first() {
        use Direction::*;
        let m = Machine::spinn5();
        let steps = longest_dimension_first(&m, c(0, 0), c(5, 2)).unwrap();
        assert_eq!(directions(&steps), [East, East, East, NorthEast, NorthEast]);
        assert_eq!(steps.last().unwrap().1, c(5, 2));
        let steps = longest_dimension_first(&m, c(0, 3), c(4, 0)).unwrap();
        assert_eq!(
            directions(&steps),
            [East, East, East, East, South, South, South]
        );
        let steps = longest_dimension_first(&m, c(7, 7), c(3, 5)).unwrap();
        // Two hops west and two south-west: the tie goes to east-west.
        assert_eq!(directions(&steps), [West, West, SouthWest, SouthWest]);
        assert!(longest_dimension_first(&m, c(3, 3), c(3, 3))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn paths_wrap_on_a_torus() {
        let m = Machine::spinn5_boards(3).unwrap();
        let steps = longest_dimension_first(&m, c(1, 1), c(11, 10)).unwrap();
        assert_eq!(
            steps,
            [
                (Direction::SouthWest, c(0, 0)),
                (Direction::SouthWest, c(11, 11)),
                (Direction::South, c(11, 10)),
            ]
        );
    }

    #[test]
    fn every_planned_path_is_shortest() {
        let m = Machine::spinn5_boards(3).unwrap();
        for a in m.chips().step_by(7) {
            for b in m.chips() {
                let steps = longest_dimension_first(&m, a, b).unwrap();
                assert_eq!(steps.len() as u32, m.hop_distance(a, b), "{a} to {b}");
                let mut at = a;
                for (d, next) in &steps {
                    assert_eq!(m.neighbour(at, *d), Some(*next));
                    at = *next;
                }
                assert_eq!(at, b);
            }
        }
    }

    #[test]
    fn search_finds_the_nearest_tree_chip_around_faults() {
        let mut m = Machine::spinn5();
        m.mark_chip_dead(c(2, 2)).unwrap();
        let branch = to_tree(&m, c(3, 3), |chip| chip == c(1, 1)).unwrap();
        assert_eq!(branch.start, c(1, 1));
        assert_eq!(branch.steps.len(), 3, "{branch:?}");
        assert_eq!(branch.steps.last().unwrap().1, c(3, 3));
        assert!(branch.steps.iter().all(|(_, chip)| *chip != c(2, 2)));
        assert!(to_tree(&m, c(3, 3), |chip| chip == c(7, 0)).is_none());
    }
}
