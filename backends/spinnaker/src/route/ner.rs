//! Neighbour Exploring Routing on a machine with faults.
//!
//! Targets are taken nearest the source first, so later ones can branch off
//! the paths of earlier ones. Each joins the tree at the tree chip nearest
//! to it within [`NEIGHBOUR_RADIUS`] hops (the source if none is), along a
//! longest-dimension-first shortest path. A path from the nearest tree chip
//! cannot meet the tree again, but one from the source can cross branches
//! laid from elsewhere; it then joins at the last tree chip it meets, so no
//! chip gains a second parent (PACMAN's fix to rig's kernel).
//!
//! rig and PACMAN route the whole tree as if the machine were perfect and
//! then cut out dead chips and links, reconnecting the pieces with A*. Here
//! each path is checked as it is laid: if it would cross a dead link or
//! chip, a breadth-first search over working links from the target finds
//! the nearest chip of the tree instead. Both give loop-free trees over
//! working links; checking as we go keeps the tree a tree at every step,
//! so there is nothing to repair afterwards, and a target the search cannot
//! reach is known to be cut off rather than suspected.
//!
//! Ties (targets at equal distance, tree chips equally near) go to the
//! smaller coordinate, so the tree depends only on the inputs.

use super::path;
use super::NEIGHBOUR_RADIUS;
use crate::geometry::{ChipCoord, Direction};
use crate::machine::Machine;
use std::collections::{BTreeMap, BTreeSet};

/// Every chip of a tree with its parent and the parent's outgoing link
/// towards it; the source has none.
pub(super) type Parents = BTreeMap<ChipCoord, Option<(ChipCoord, Direction)>>;

/// The tree from `source` reaching every chip of `targets`, or the targets
/// no working path reaches. All chips must be live.
pub(super) fn tree(
    machine: &Machine,
    source: ChipCoord,
    targets: &BTreeSet<ChipCoord>,
) -> Result<Parents, Vec<ChipCoord>> {
    let mut order: Vec<ChipCoord> = targets.iter().copied().collect();
    order.sort_by_key(|t| (machine.hop_distance(source, *t), *t));

    let mut parents: Parents = BTreeMap::from([(source, None)]);
    let mut unreachable = Vec::new();
    for target in order {
        // An earlier path may already pass through this target.
        if parents.contains_key(&target) {
            continue;
        }
        let branch = planned_branch(machine, &parents, source, target)
            .or_else(|| path::to_tree(machine, target, |c| parents.contains_key(&c)));
        match branch {
            Some(branch) => graft(&mut parents, branch),
            None => unreachable.push(target),
        }
    }
    if unreachable.is_empty() {
        Ok(parents)
    } else {
        unreachable.sort();
        Err(unreachable)
    }
}

/// NER's own branch to `target`, if every link of it works.
fn planned_branch(
    machine: &Machine,
    parents: &Parents,
    source: ChipCoord,
    target: ChipCoord,
) -> Option<path::Branch> {
    let start = nearest_in_tree(machine, parents, target).unwrap_or(source);
    let steps = path::longest_dimension_first(machine, start, target)?;
    // Join at the last tree chip the path touches: everything after it is
    // new, so grafting cannot give any chip a second parent.
    let (start, steps) = match steps
        .iter()
        .rposition(|(_, chip)| parents.contains_key(chip))
    {
        Some(i) => (steps[i].1, &steps[i + 1..]),
        None => (start, &steps[..]),
    };
    let mut at = start;
    for &(direction, next) in steps {
        if machine.neighbour(at, direction) != Some(next) {
            return None;
        }
        at = next;
    }
    Some(path::Branch {
        start,
        steps: steps.to_vec(),
    })
}

/// The tree chip nearest `target` within the radius, the smaller
/// coordinate on ties.
fn nearest_in_tree(machine: &Machine, parents: &Parents, target: ChipCoord) -> Option<ChipCoord> {
    parents
        .keys()
        .map(|chip| (machine.hop_distance(*chip, target), *chip))
        .filter(|(hops, _)| *hops <= NEIGHBOUR_RADIUS)
        .min()
        .map(|(_, chip)| chip)
}

/// Adds a branch whose start is in the tree and whose other chips are not.
fn graft(parents: &mut Parents, branch: path::Branch) {
    let mut at = branch.start;
    for (direction, next) in branch.steps {
        parents.insert(next, Some((at, direction)));
        at = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: u16, y: u16) -> ChipCoord {
        ChipCoord::new(x, y)
    }

    #[test]
    fn beyond_the_radius_branches_start_at_the_source() {
        let m = Machine::spinn5_boards(48).unwrap();
        let parents: Parents = BTreeMap::from([(c(0, 0), None)]);
        assert_eq!(nearest_in_tree(&m, &parents, c(0, 20)), Some(c(0, 0)));
        assert_eq!(nearest_in_tree(&m, &parents, c(0, 21)), None);
    }

    #[test]
    fn a_planned_path_that_meets_the_tree_joins_it_there() {
        // The tree holds (0, 1) as if an earlier branch had come from
        // elsewhere; the target is too far from it to branch from it, so the
        // path starts at the source and runs through it.
        let m = Machine::spinn5_boards(48).unwrap();
        let parents: Parents = BTreeMap::from([
            (c(0, 0), None),
            (c(1, 1), Some((c(0, 0), Direction::NorthEast))),
            (c(0, 1), Some((c(1, 1), Direction::West))),
        ]);
        let branch = planned_branch(&m, &parents, c(0, 0), c(0, 22)).unwrap();
        assert_eq!(branch.start, c(0, 1));
        assert_eq!(branch.steps.len(), 21);
        assert_eq!(branch.steps[0], (Direction::North, c(0, 2)));
        assert!(branch
            .steps
            .iter()
            .all(|(_, chip)| !parents.contains_key(chip)));
    }

    #[test]
    fn a_planned_path_over_a_dead_link_is_refused() {
        let mut m = Machine::spinn5();
        let parents: Parents = BTreeMap::from([(c(0, 0), None)]);
        assert!(planned_branch(&m, &parents, c(0, 0), c(3, 0)).is_some());
        m.mark_link_dead(c(2, 0), Direction::East).unwrap();
        assert!(planned_branch(&m, &parents, c(0, 0), c(3, 0)).is_none());
    }
}
