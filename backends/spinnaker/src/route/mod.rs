//! Multicast routing: for each source core, the tree of chips and links its
//! packets take to every target core.
//!
//! Takes a [`Machine`] and, per source, the cores its packets must reach
//! (the placement of the source's vertex and of its targets' vertices).
//! Gives a [`MulticastTree`] per source, which routing-table generation
//! turns into entries. The trees use only live chips and working links,
//! visit each chip once (so no router ever sees its own packet come back),
//! and on every chip but the source name the link the packets arrive on,
//! which table generation needs to decide whether default routing can
//! stand in for an entry.
//!
//! The algorithm is Neighbour Exploring Routing (Navaridas et al.,
//! "SpiNNaker: Enhanced multicast routing", Parallel Computing 2015), as
//! rig's `place_and_route.route.ner` and PACMAN's `ner_route` run it;
//! the `ner` module says how faults are handled here.

mod ner;
mod path;

use crate::geometry::{ChipCoord, MulticastTree, Route, TreeNode};
use crate::machine::{CoreLocation, Machine};
use std::collections::{BTreeMap, BTreeSet};

/// How far (in hops) from a new target NER looks for a chip already in the
/// tree to branch from; beyond it the branch starts at the source. PACMAN
/// and rig both use 20.
pub const NEIGHBOUR_RADIUS: u32 = 20;

/// One source and the cores its packets must reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Net {
    pub source: CoreLocation,
    pub targets: Vec<CoreLocation>,
}

/// Why a source could not be routed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The source's chip is dead or outside the machine.
    #[error("the source chip {chip} is not in the machine")]
    SourceChipMissing { chip: ChipCoord },

    /// A source or target core that is not a live core of its chip.
    #[error("{location} is not a working core")]
    DeadCore { location: CoreLocation },

    /// Targets on chips that are dead or outside the machine.
    #[error(
        "packets from chip {from} have targets on chips not in the machine: {}",
        chip_list(chips)
    )]
    TargetChipsMissing {
        from: ChipCoord,
        chips: Vec<ChipCoord>,
    },

    /// Live target chips that no path of working links reaches from the
    /// source: dead links and chips cut them off.
    #[error("no path of working links from chip {from} to {}", chip_list(chips))]
    Unreachable {
        from: ChipCoord,
        chips: Vec<ChipCoord>,
    },
}

impl RouteError {
    /// A line telling the user how to fix it, where there is one.
    pub fn help(&self) -> Option<String> {
        match self {
            RouteError::Unreachable { .. } => Some(
                "the machine's dead links and chips split it; place the source and \
                 its targets in the same connected part, or check the machine file"
                    .into(),
            ),
            RouteError::SourceChipMissing { .. }
            | RouteError::DeadCore { .. }
            | RouteError::TargetChipsMissing { .. } => Some(
                "placement put a vertex where the machine has no working core; \
                 place against the same machine as routing"
                    .into(),
            ),
        }
    }
}

fn chip_list(chips: &[ChipCoord]) -> String {
    chips
        .iter()
        .map(ChipCoord::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Routes packets from `source` to every core of `targets` (in any order,
/// repeats allowed). A target on the source's chip costs no link: the
/// source chip's route just delivers to it.
pub fn route(
    machine: &Machine,
    source: CoreLocation,
    targets: &[CoreLocation],
) -> Result<MulticastTree, RouteError> {
    let from = source.chip;
    let source_chip = machine
        .chip(from)
        .ok_or(RouteError::SourceChipMissing { chip: from })?;
    if !source_chip.is_core_live(source.core) {
        return Err(RouteError::DeadCore { location: source });
    }

    let targets: BTreeSet<CoreLocation> = targets.iter().copied().collect();
    let missing: BTreeSet<ChipCoord> = targets
        .iter()
        .map(|t| t.chip)
        .filter(|c| !machine.has_chip(*c))
        .collect();
    if !missing.is_empty() {
        return Err(RouteError::TargetChipsMissing {
            from,
            chips: missing.into_iter().collect(),
        });
    }
    if let Some(dead) = targets
        .iter()
        .find(|t| !machine.chip(t.chip).is_some_and(|c| c.is_core_live(t.core)))
    {
        return Err(RouteError::DeadCore { location: *dead });
    }

    let target_chips: BTreeSet<ChipCoord> = targets.iter().map(|t| t.chip).collect();
    let parents = ner::tree(machine, from, &target_chips)
        .map_err(|chips| RouteError::Unreachable { from, chips })?;
    Ok(multicast_tree(from, &parents, &targets))
}

/// Routes every net, returning the trees in the order of `nets`; the first
/// net that cannot be routed (in that order) is the error.
pub fn route_all(machine: &Machine, nets: &[Net]) -> Result<Vec<MulticastTree>, RouteError> {
    nets.iter()
        .map(|net| route(machine, net.source, &net.targets))
        .collect()
}

/// Turns the parent of every chip into what each router does.
fn multicast_tree(
    source: ChipCoord,
    parents: &ner::Parents,
    targets: &BTreeSet<CoreLocation>,
) -> MulticastTree {
    let mut hops: BTreeMap<ChipCoord, TreeNode> = parents
        .iter()
        .map(|(chip, parent)| {
            let node = TreeNode {
                from: parent.map(|(_, out)| out.opposite()),
                route: Route::EMPTY,
            };
            (*chip, node)
        })
        .collect();
    for (parent, out) in parents.values().flatten() {
        if let Some(node) = hops.get_mut(parent) {
            node.route = node.route.union(Route::link(*out));
        }
    }
    for target in targets {
        if let Some(node) = hops.get_mut(&target.chip) {
            node.route = node.route.union(Route::core(target.core));
        }
    }
    MulticastTree { source, hops }
}

#[cfg(test)]
mod tests;
