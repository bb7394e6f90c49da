//! Splitter, merger and clock trees, and path balancing: the netlist
//! fragments that fan-out, fan-in and clocked mode need.
//!
//! Takes counts (sinks of a fan-out, sources of a fan-in, clocked cells,
//! path depths in cell stages). Gives [`Tree`]s: small netlists of SFQ cells
//! ([`CellKind`]) joined by point-to-point nets, since an SFQ output drives
//! exactly one input and every fan-out needs its own splitters. Every
//! generator is a pure, deterministic function of its counts.
//!
//! Invariants a [`Tree`] establishes (its fields are private, so only the
//! generators here build one):
//! - every net has one driver (an input port or a cell output pin) and one
//!   sink (an output port or a cell input pin), and every pin and port is on
//!   exactly one net;
//! - the cells form no cycle;
//! - names depend only on position: cells are `<kind>_l<level>_<index>`,
//!   level counted in cells from the tree's single port (the root) and
//!   index from left to right within the level; nets take the name of the
//!   port or pin that drives them (`in0`, `split_l0_0.q1`). Output is
//!   therefore stable and diffs only where the structure changes;
//! - trees are balanced: leaf depths differ by at most one, and are all
//!   equal when the leaf count is a power of two.

use std::collections::VecDeque;
use std::fmt;

/// The SFQ cells the fragments are built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CellKind {
    /// One pulse in, one pulse on each of two outputs.
    Split,
    /// A pulse on either input gives a pulse out (pulses closer than the
    /// cell's minimum separation give one).
    Merge,
    /// Josephson transmission line stage: a pulse in, the same pulse out,
    /// later.
    Jtl,
    /// Clocked D flip-flop: stores a data pulse, emits it on the next clock
    /// pulse.
    Dff,
}

impl CellKind {
    /// Names of the input pins, in pin order.
    pub fn input_pins(self) -> &'static [&'static str] {
        match self {
            CellKind::Split | CellKind::Jtl => &["a"],
            CellKind::Merge => &["a", "b"],
            CellKind::Dff => &["d", "clk"],
        }
    }

    /// Names of the output pins, in pin order.
    pub fn output_pins(self) -> &'static [&'static str] {
        match self {
            CellKind::Split => &["q0", "q1"],
            CellKind::Merge | CellKind::Jtl | CellKind::Dff => &["q"],
        }
    }

    /// The prefix of this kind's cell names and its netlist keyword.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            CellKind::Split => ("split", "SPLIT"),
            CellKind::Merge => ("merge", "MERGE"),
            CellKind::Jtl => ("jtl", "JTL"),
            CellKind::Dff => ("dff", "DFF"),
        }
    }
}

impl fmt::Display for CellKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.names().1)
    }
}

/// Index of a cell in [`Tree::cells`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellId(pub u32);

/// Index of a net in [`Tree::nets`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NetId(pub u32);

/// One cell of a fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// What the cell is.
    pub kind: CellKind,
    /// Stable name, unique within the tree.
    pub name: String,
}

/// One end of a net.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pin {
    /// The fragment's input port with this index (drives a net).
    Input(u32),
    /// The fragment's output port with this index (sinks a net).
    Output(u32),
    /// Input pin `pin` (index into [`CellKind::input_pins`]) of a cell.
    CellIn { cell: CellId, pin: u8 },
    /// Output pin `pin` (index into [`CellKind::output_pins`]) of a cell.
    CellOut { cell: CellId, pin: u8 },
}

/// A point-to-point connection: SFQ outputs drive one input each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Net {
    /// Stable name: that of the port or pin driving it.
    pub name: String,
    /// An [`Pin::Input`] or [`Pin::CellOut`].
    pub driver: Pin,
    /// An [`Pin::Output`] or [`Pin::CellIn`].
    pub sink: Pin,
}

/// What a fragment is for; decides port names and what `leaf_depths` means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TreeKind {
    /// One input `in0` fanned out to outputs `out0..`.
    Splitter,
    /// Inputs `in0..` merged into one output `out0`.
    Merger,
    /// A clock root `clk` fanned out to `clk0..`, one per clocked cell.
    Clock,
    /// A chain of delay stages from `in0` to `out0` (DFF clocks on `clk0..`).
    Delay,
}

/// A netlist fragment built by one of the generators below.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    kind: TreeKind,
    cells: Vec<Cell>,
    nets: Vec<Net>,
    inputs: Vec<String>,
    outputs: Vec<String>,
    leaf_depths: Vec<u32>,
}

/// The nets on each cell's pins, looked up once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connections {
    /// `inputs[cell][pin]`: the net sinking into that input pin.
    pub inputs: Vec<Vec<NetId>>,
    /// `outputs[cell][pin]`: the net that output pin drives.
    pub outputs: Vec<Vec<NetId>>,
    /// `input_ports[i]`: the net input port `i` drives.
    pub input_ports: Vec<NetId>,
    /// `output_ports[i]`: the net sinking into output port `i`.
    pub output_ports: Vec<NetId>,
}

impl Tree {
    fn empty(kind: TreeKind) -> Tree {
        Tree {
            kind,
            cells: Vec::new(),
            nets: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            leaf_depths: Vec::new(),
        }
    }

    /// What the fragment is for.
    pub fn kind(&self) -> TreeKind {
        self.kind
    }

    /// The cells, indexed by [`CellId`].
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// The nets, indexed by [`NetId`].
    pub fn nets(&self) -> &[Net] {
        &self.nets
    }

    /// Input port names, indexed by [`Pin::Input`].
    pub fn inputs(&self) -> &[String] {
        &self.inputs
    }

    /// Output port names, indexed by [`Pin::Output`].
    pub fn outputs(&self) -> &[String] {
        &self.outputs
    }

    /// Per leaf, the number of tree cells between it and the root: per sink
    /// (output) of a splitter or clock tree, per source (input) of a merger
    /// tree, and the stage count of a delay chain.
    pub fn leaf_depths(&self) -> &[u32] {
        &self.leaf_depths
    }

    /// The deepest leaf's depth (0 for a wire or an empty tree).
    pub fn depth(&self) -> u32 {
        self.leaf_depths.iter().copied().max().unwrap_or(0)
    }

    /// How many cells of `kind` the fragment holds.
    pub fn count(&self, kind: CellKind) -> usize {
        self.cells.iter().filter(|c| c.kind == kind).count()
    }

    /// The nets on every cell pin and port.
    pub fn connections(&self) -> Connections {
        let placeholder = NetId(u32::MAX);
        let mut c = Connections {
            inputs: self
                .cells
                .iter()
                .map(|cell| vec![placeholder; cell.kind.input_pins().len()])
                .collect(),
            outputs: self
                .cells
                .iter()
                .map(|cell| vec![placeholder; cell.kind.output_pins().len()])
                .collect(),
            input_ports: vec![placeholder; self.inputs.len()],
            output_ports: vec![placeholder; self.outputs.len()],
        };
        for (i, net) in self.nets.iter().enumerate() {
            let id = NetId(i as u32);
            for end in [net.driver, net.sink] {
                match end {
                    Pin::Input(p) => c.input_ports[p as usize] = id,
                    Pin::Output(p) => c.output_ports[p as usize] = id,
                    Pin::CellIn { cell, pin } => c.inputs[cell.0 as usize][pin as usize] = id,
                    Pin::CellOut { cell, pin } => c.outputs[cell.0 as usize][pin as usize] = id,
                }
            }
        }
        c
    }

    /// The cells in an order where every cell comes after the cells that
    /// drive its inputs (Kahn's algorithm, ties by id, so deterministic).
    pub fn topological_order(&self) -> Vec<CellId> {
        let mut pending: Vec<usize> = self
            .cells
            .iter()
            .map(|c| c.kind.input_pins().len())
            .collect();
        let mut ready: VecDeque<CellId> = VecDeque::new();
        for net in &self.nets {
            if let (Pin::Input(_), Pin::CellIn { cell, .. }) = (net.driver, net.sink) {
                pending[cell.0 as usize] -= 1;
            }
        }
        ready.extend(
            (0..self.cells.len())
                .filter(|&i| pending[i] == 0)
                .map(|i| CellId(i as u32)),
        );
        let conn = self.connections();
        let mut order = Vec::with_capacity(self.cells.len());
        while let Some(cell) = ready.pop_front() {
            order.push(cell);
            for &net in &conn.outputs[cell.0 as usize] {
                if let Pin::CellIn { cell: next, .. } = self.nets[net.0 as usize].sink {
                    pending[next.0 as usize] -= 1;
                    if pending[next.0 as usize] == 0 {
                        ready.push_back(next);
                    }
                }
            }
        }
        // The generators build trees, so every cell is reached.
        debug_assert_eq!(order.len(), self.cells.len(), "cycle in a generated tree");
        order
    }

    /// Adds a cell named `<kind>_l<level>_<index>`.
    fn add_cell(&mut self, kind: CellKind, level: u32, index: u32) -> CellId {
        let id = CellId(self.cells.len() as u32);
        let prefix = kind.names().0;
        self.cells.push(Cell {
            kind,
            name: format!("{prefix}_l{level}_{index}"),
        });
        id
    }

    /// Adds a net from `driver` to `sink`, named after the driver.
    fn connect(&mut self, driver: Pin, sink: Pin) {
        let name = self.pin_name(driver);
        self.nets.push(Net { name, driver, sink });
    }

    /// `in0`, `out3`, `split_l0_0.q1`.
    pub fn pin_name(&self, pin: Pin) -> String {
        match pin {
            Pin::Input(i) => self.inputs[i as usize].clone(),
            Pin::Output(i) => self.outputs[i as usize].clone(),
            Pin::CellIn { cell, pin } => {
                let c = &self.cells[cell.0 as usize];
                format!("{}.{}", c.name, c.kind.input_pins()[pin as usize])
            }
            Pin::CellOut { cell, pin } => {
                let c = &self.cells[cell.0 as usize];
                format!("{}.{}", c.name, c.kind.output_pins()[pin as usize])
            }
        }
    }
}

/// One line per port and cell, cells with `pin=net` for every pin:
///
/// ```text
/// input in0
/// output out0 out1 out2
/// SPLIT split_l0_0 a=in0 q0=split_l0_0.q0 q1=split_l0_0.q1
/// ```
impl fmt::Display for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.inputs.is_empty() {
            writeln!(f, "input {}", self.inputs.join(" "))?;
        }
        if !self.outputs.is_empty() {
            write!(f, "output")?;
            let conn = self.connections();
            for (name, net) in self.outputs.iter().zip(&conn.output_ports) {
                let driver = &self.nets[net.0 as usize].name;
                if driver == name {
                    write!(f, " {name}")?;
                } else {
                    write!(f, " {name}={driver}")?;
                }
            }
            writeln!(f)?;
        }
        let conn = self.connections();
        for (i, cell) in self.cells.iter().enumerate() {
            write!(f, "{} {}", cell.kind, cell.name)?;
            let pins = cell.kind.input_pins().iter().zip(&conn.inputs[i]);
            let pins = pins.chain(cell.kind.output_pins().iter().zip(&conn.outputs[i]));
            for (pin, net) in pins {
                write!(f, " {pin}={}", self.nets[net.0 as usize].name)?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// The shape of a balanced binary tree over leaves `first..first + n`.
enum Shape {
    Leaf(u32),
    Node(Box<Shape>, Box<Shape>),
}

/// Halves `n` leaves (left half rounded up) until one is left: at depth `d`
/// every subtree holds ⌊n/2^d⌋ or ⌈n/2^d⌉ leaves, so leaf depths are
/// ⌊log2 n⌋ or ⌈log2 n⌉, and the tree has n − 1 inner nodes.
fn shape(first: u32, n: u32) -> Shape {
    if n == 1 {
        Shape::Leaf(first)
    } else {
        let left = n.div_ceil(2);
        Shape::Node(
            Box::new(shape(first, left)),
            Box::new(shape(first + left, n - left)),
        )
    }
}

/// Which way pulses flow through a generated binary tree.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// From the root port out to the leaves (splitters).
    Out,
    /// From the leaves in to the root port (mergers).
    In,
}

/// Builds a tree over `n` leaves: cells breadth-first from the root, so
/// `<kind>_l<level>_<index>` runs left to right within a level.
fn binary_tree(kind: TreeKind, cell: CellKind, n: u32, root: &str, leaf: &str) -> Tree {
    let mut tree = Tree::empty(kind);
    if n == 0 {
        return tree;
    }
    let flow = if cell == CellKind::Merge {
        Flow::In
    } else {
        Flow::Out
    };
    let leaves: Vec<String> = (0..n).map(|i| format!("{leaf}{i}")).collect();
    match flow {
        Flow::Out => {
            tree.inputs.push(root.to_string());
            tree.outputs = leaves;
        }
        Flow::In => {
            tree.inputs = leaves;
            tree.outputs.push(root.to_string());
        }
    }
    tree.leaf_depths = vec![0; n as usize];
    let root_pin = match flow {
        Flow::Out => Pin::Input(0),
        Flow::In => Pin::Output(0),
    };
    let mut per_level: Vec<u32> = Vec::new();
    let mut queue: VecDeque<(Shape, u32, Pin)> = VecDeque::new();
    queue.push_back((shape(0, n), 0, root_pin));
    // `toward_root` is the pin on the root side of this subtree: the pin
    // that drives it (splitters) or the pin it drives (mergers).
    while let Some((node, level, toward_root)) = queue.pop_front() {
        match node {
            Shape::Leaf(i) => {
                tree.leaf_depths[i as usize] = level;
                match flow {
                    Flow::Out => tree.connect(toward_root, Pin::Output(i)),
                    Flow::In => tree.connect(Pin::Input(i), toward_root),
                }
            }
            Shape::Node(left, right) => {
                if per_level.len() <= level as usize {
                    per_level.push(0);
                }
                let index = per_level[level as usize];
                per_level[level as usize] += 1;
                let id = tree.add_cell(cell, level, index);
                let children = match flow {
                    Flow::Out => {
                        tree.connect(toward_root, Pin::CellIn { cell: id, pin: 0 });
                        [
                            Pin::CellOut { cell: id, pin: 0 },
                            Pin::CellOut { cell: id, pin: 1 },
                        ]
                    }
                    Flow::In => {
                        tree.connect(Pin::CellOut { cell: id, pin: 0 }, toward_root);
                        [
                            Pin::CellIn { cell: id, pin: 0 },
                            Pin::CellIn { cell: id, pin: 1 },
                        ]
                    }
                };
                queue.push_back((*left, level + 1, children[0]));
                queue.push_back((*right, level + 1, children[1]));
            }
        }
    }
    tree
}

/// Fan-out of one pulse stream to `n_sinks` sinks: n − 1 SPLITs, depth
/// ⌈log2 n⌉, sink `i` on output `out<i>`. One sink is a plain wire, none is
/// an empty tree.
pub fn splitter_tree(n_sinks: u32) -> Tree {
    binary_tree(TreeKind::Splitter, CellKind::Split, n_sinks, "in0", "out")
}

/// Fan-in of `n_sources` pulse streams (`in0..`) into `out0`: n − 1 MERGEs,
/// depth ⌈log2 n⌉.
pub fn merger_tree(n_sources: u32) -> Tree {
    binary_tree(TreeKind::Merger, CellKind::Merge, n_sources, "out0", "in")
}

/// Clock distribution to `m` clocked cells: a splitter tree from `clk` to
/// `clk0..`, m − 1 SPLITs. Its leaf depths set each cell's clock arrival.
pub fn clock_tree(m_cells: u32) -> Tree {
    binary_tree(TreeKind::Clock, CellKind::Split, m_cells, "clk", "clk")
}

/// The stage a delay chain is built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DelayStage {
    /// Asynchronous mode: JTL stages add delay.
    Jtl,
    /// Clocked mode: each DFF holds the pulse for one clock period.
    Dff,
}

/// A chain of `stages` delay cells from `in0` to `out0`, cells named
/// `<kind>_l<stage>_0` from the input. DFF clock pins are input ports
/// `clk0..` (to be fed from a [`clock_tree`]). Zero stages is a wire.
pub fn delay_chain(stages: u32, stage: DelayStage) -> Tree {
    let mut tree = Tree::empty(TreeKind::Delay);
    tree.inputs.push("in0".to_string());
    tree.outputs.push("out0".to_string());
    tree.leaf_depths.push(stages);
    let kind = match stage {
        DelayStage::Jtl => CellKind::Jtl,
        DelayStage::Dff => CellKind::Dff,
    };
    let mut driver = Pin::Input(0);
    for s in 0..stages {
        let id = tree.add_cell(kind, s, 0);
        tree.connect(driver, Pin::CellIn { cell: id, pin: 0 });
        if kind == CellKind::Dff {
            let port = tree.inputs.len() as u32;
            tree.inputs.push(format!("clk{s}"));
            tree.connect(Pin::Input(port), Pin::CellIn { cell: id, pin: 1 });
        }
        driver = Pin::CellOut { cell: id, pin: 0 };
    }
    tree.connect(driver, Pin::Output(0));
    tree
}

/// Path balancing for a clocked gate: given the depth (in cell stages) of
/// each path reaching it, the stages to add to each so that all arrive at
/// the deepest one's stage. In clocked mode each added stage is a DFF (see
/// [`delay_chain`]); in asynchronous mode a JTL stage of matching delay.
pub fn balance(depths: &[u32]) -> Vec<u32> {
    let target = depths.iter().copied().max().unwrap_or(0);
    depths.iter().map(|&d| target - d).collect()
}

/// The cells a [`balance`] result inserts: the sum of its extra stages.
pub fn inserted_cells(extra: &[u32]) -> u64 {
    extra.iter().map(|&e| u64::from(e)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn ceil_log2(n: u32) -> u32 {
        if n <= 1 {
            0
        } else {
            32 - (n - 1).leading_zeros()
        }
    }

    /// Checks the structural invariants every tree promises.
    fn check_wiring(tree: &Tree) {
        let mut ends = BTreeSet::new();
        for net in &tree.nets {
            assert!(
                matches!(net.driver, Pin::Input(_) | Pin::CellOut { .. }),
                "{net:?}"
            );
            assert!(
                matches!(net.sink, Pin::Output(_) | Pin::CellIn { .. }),
                "{net:?}"
            );
            assert!(ends.insert(net.driver), "pin driven twice: {net:?}");
            assert!(ends.insert(net.sink), "pin sunk twice: {net:?}");
            assert_eq!(net.name, tree.pin_name(net.driver));
        }
        let pins: usize = tree
            .cells
            .iter()
            .map(|c| c.kind.input_pins().len() + c.kind.output_pins().len())
            .sum();
        assert_eq!(
            ends.len(),
            pins + tree.inputs.len() + tree.outputs.len(),
            "every pin and port on exactly one net"
        );
        let names: BTreeSet<_> = tree.cells.iter().map(|c| &c.name).collect();
        assert_eq!(names.len(), tree.cells.len(), "cell names unique");
        assert_eq!(
            tree.topological_order().len(),
            tree.cells.len(),
            "no cycles"
        );
    }

    /// Follows nets from `pin` towards the leaves of a splitter tree (or
    /// back towards the inputs of a merger tree), recording each port it
    /// reaches with the number of cells passed.
    fn walk(tree: &Tree, conn: &Connections, net: NetId, depth: u32, out: &mut Vec<(Pin, u32)>) {
        let net = &tree.nets[net.0 as usize];
        let (end, forward) = match tree.kind {
            TreeKind::Merger => (net.driver, false),
            _ => (net.sink, true),
        };
        match end {
            Pin::CellIn { cell, .. } if forward => {
                for &n in &conn.outputs[cell.0 as usize] {
                    walk(tree, conn, n, depth + 1, out);
                }
            }
            Pin::CellOut { cell, .. } if !forward => {
                for &n in &conn.inputs[cell.0 as usize] {
                    walk(tree, conn, n, depth + 1, out);
                }
            }
            port => out.push((port, depth)),
        }
    }

    fn check_tree(tree: &Tree, n: u32, kind: CellKind) {
        check_wiring(tree);
        let conn = tree.connections();
        assert_eq!(tree.cells.len() as u32, n.saturating_sub(1));
        assert_eq!(tree.count(kind) as u32, n.saturating_sub(1));
        assert_eq!(tree.depth(), ceil_log2(n), "n = {n}");
        assert_eq!(tree.leaf_depths.len() as u32, n);
        if n == 0 {
            assert!(tree.nets.is_empty() && tree.inputs.is_empty() && tree.outputs.is_empty());
            return;
        }
        let root = match tree.kind {
            TreeKind::Merger => conn.output_ports[0],
            _ => conn.input_ports[0],
        };
        let mut reached = Vec::new();
        walk(tree, &conn, root, 0, &mut reached);
        let mut seen = vec![0; n as usize];
        for (pin, depth) in reached {
            let i = match pin {
                Pin::Output(i) | Pin::Input(i) => i as usize,
                other => panic!("walk ended on {other:?}"),
            };
            seen[i] += 1;
            assert_eq!(depth, tree.leaf_depths[i], "leaf {i} of {n}");
        }
        assert!(seen.iter().all(|&s| s == 1), "every leaf once: {seen:?}");
        let min = *tree.leaf_depths.iter().min().unwrap();
        if n.is_power_of_two() {
            assert_eq!(min, tree.depth(), "power of two: all leaves level");
        } else {
            assert!(
                tree.depth() - min <= 1,
                "within one: {:?}",
                tree.leaf_depths
            );
        }
    }

    #[test]
    fn splitter_and_merger_trees_have_n_minus_one_cells_and_log_depth() {
        for n in [0, 1, 2, 3, 5, 8, 100] {
            check_tree(&splitter_tree(n), n, CellKind::Split);
            check_tree(&merger_tree(n), n, CellKind::Merge);
            check_tree(&clock_tree(n), n, CellKind::Split);
        }
        for n in 0..=70 {
            check_tree(&splitter_tree(n), n, CellKind::Split);
            check_tree(&merger_tree(n), n, CellKind::Merge);
        }
    }

    #[test]
    fn one_sink_is_a_wire() {
        let t = splitter_tree(1);
        assert_eq!(t.nets.len(), 1);
        assert_eq!(t.nets[0].driver, Pin::Input(0));
        assert_eq!(t.nets[0].sink, Pin::Output(0));
        assert_eq!(t.leaf_depths, [0]);
    }

    #[test]
    fn names_are_positional_and_stable() {
        let t = splitter_tree(3);
        assert_eq!(
            t.to_string(),
            "input in0\n\
             output out0=split_l1_0.q0 out1=split_l1_0.q1 out2=split_l0_0.q1\n\
             SPLIT split_l0_0 a=in0 q0=split_l0_0.q0 q1=split_l0_0.q1\n\
             SPLIT split_l1_0 a=split_l0_0.q0 q0=split_l1_0.q0 q1=split_l1_0.q1\n"
        );
        assert_eq!(t.leaf_depths, [2, 2, 1]);
        let m = merger_tree(3);
        assert_eq!(
            m.to_string(),
            "input in0 in1 in2\n\
             output out0=merge_l0_0.q\n\
             MERGE merge_l0_0 a=merge_l1_0.q b=in2 q=merge_l0_0.q\n\
             MERGE merge_l1_0 a=in0 b=in1 q=merge_l1_0.q\n"
        );
        assert_eq!(merger_tree(100), merger_tree(100));
        assert_eq!(
            splitter_tree(100).to_string(),
            splitter_tree(100).to_string()
        );
    }

    #[test]
    fn delay_chains() {
        let wire = delay_chain(0, DelayStage::Dff);
        check_wiring(&wire);
        assert_eq!(wire.cells.len(), 0);
        let dffs = delay_chain(3, DelayStage::Dff);
        check_wiring(&dffs);
        assert_eq!(dffs.count(CellKind::Dff), 3);
        assert_eq!(dffs.inputs, ["in0", "clk0", "clk1", "clk2"]);
        assert_eq!(dffs.leaf_depths, [3]);
        let order: Vec<_> = dffs
            .topological_order()
            .iter()
            .map(|c| dffs.cells[c.0 as usize].name.clone())
            .collect();
        assert_eq!(order, ["dff_l0_0", "dff_l1_0", "dff_l2_0"]);
        let jtls = delay_chain(2, DelayStage::Jtl);
        check_wiring(&jtls);
        assert_eq!(
            jtls.to_string(),
            "input in0\noutput out0=jtl_l1_0.q\n\
             JTL jtl_l0_0 a=in0 q=jtl_l0_0.q\n\
             JTL jtl_l1_0 a=jtl_l0_0.q q=jtl_l1_0.q\n"
        );
    }

    #[test]
    fn balancing_pads_every_path_to_the_deepest() {
        assert_eq!(balance(&[]), Vec::<u32>::new());
        assert_eq!(balance(&[4]), [0]);
        let extra = balance(&[1, 4, 2, 4]);
        assert_eq!(extra, [3, 0, 2, 0]);
        assert_eq!(inserted_cells(&extra), 5);
        // Balancing the leaves of an uneven merger tree: depth 3 or 2.
        let depths = merger_tree(5).leaf_depths().to_vec();
        let extra = balance(&depths);
        let arrive: BTreeSet<u32> = depths.iter().zip(&extra).map(|(d, e)| d + e).collect();
        assert_eq!(arrive.len(), 1);
        assert_eq!(inserted_cells(&extra), 3, "{depths:?}");
    }
}
