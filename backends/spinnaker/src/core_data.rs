//! Per-core data: what a neuron or source core loads besides its synaptic
//! matrix — its slice, its key, every parameter, initial state, scale and
//! propagator in s16.15, its refractory periods, and its synapse types with
//! their ring-buffer shifts; for a source, its Poisson rates or spike
//! times.
//!
//! The layout is a flat little-endian record with a magic number and a
//! version, read back by [`NeuronCore::decode`] / [`SourceCore::decode`]
//! with every size checked: the emulator runs from these bytes, not from
//! the IR. The neuron model's code is the update program, as a SpiNNaker
//! core's model is its binary; the data here is what a loader writes.
//!
//! A neuron core with plastic input also carries its [`Plasticity`]: the
//! integer form of its pair-STDP rule ([`spikec_ir::stdp`]) — the two
//! decay tables, per synapse type the weight dependence in that type's
//! weight unit — and the size of each neuron's post-spike history, which
//! the core keeps beside its neurons and SDRAM accounting counts. Such a
//! core's data is version 2, so that static cores stay byte for byte what
//! they were and a truncated plastic core cannot read as a static one.

use crate::geometry::KeyMask;
use spikec_ir::fixed::{from_s1615, to_s1615, Sign, SynapseType};
use spikec_ir::network::WeightDependence;
use spikec_ir::stdp::{DecayTable, PostEvent, Timing, WeightRule};

const NEURON_MAGIC: u32 = 0x4e4b_5053; // "SPKN"
const SOURCE_MAGIC: u32 = 0x534b_5053; // "SPKS"
const DELAY_MAGIC: u32 = 0x444b_5053; // "SPKD"
const SYNAPSE_MAGIC: u32 = 0x594b_5053; // "SPKY"
const VERSION: u32 = 1;
/// A neuron core with a plasticity section: static cores keep version 1,
/// byte for byte, and a plastic core cannot be cut back to a static one.
const PLASTIC_VERSION: u32 = 2;

/// A parameter: one value for the slice or one per neuron.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    Const(i32),
    PerNeuron(Vec<i32>),
}

/// A neuron core's data.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronCore {
    pub population: u32,
    /// First neuron of the slice in its population.
    pub lo: u32,
    pub n: u32,
    pub key: Option<KeyMask>,
    /// Bits of the step above the neuron index in its keys.
    pub colour_bits: u8,
    /// Per model parameter, s16.15.
    pub params: Vec<Param>,
    /// Per state, per neuron: the initial value, s16.15.
    pub init: Vec<Vec<i32>>,
    /// Per neuron, its refractory period in steps.
    pub refr_steps: Vec<u32>,
    /// Per port, per neuron: the factor of the port's input, s16.15.
    pub scales: Vec<Vec<i32>>,
    /// Exact propagators (P, c, q), s16.15: none, one shared, or one per
    /// neuron.
    pub props: Vec<Vec<i32>>,
    /// Synapse types in number order, with their ring-buffer shifts.
    pub types: Vec<(SynapseType, u8)>,
    /// The STDP rule of its plastic synapses, if it has any.
    pub plasticity: Option<Plasticity>,
}

/// A core's pair-STDP rule in integer form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plasticity {
    /// Post spikes each neuron remembers.
    pub history: u16,
    /// The decay tables, shared by every plastic synapse of the core: a
    /// row's pre trace and a neuron's post history serve them all.
    pub timing: Timing,
    /// Per synapse type (in number order), the weight dependence of its
    /// plastic synapses; `None` for a type with static synapses only.
    pub rules: Vec<Option<WeightRule>>,
}

impl Plasticity {
    /// Bytes of the post-spike histories of `n` neurons (a count and the
    /// events each), which the core allocates beside its data.
    pub fn history_bytes(&self, n: u32) -> u64 {
        let event = std::mem::size_of::<PostEvent>() as u64;
        u64::from(n) * (4 + u64::from(self.history) * event)
    }

    fn encode(&self, w: &mut Writer) {
        w.u32(u32::from(self.history));
        for t in [&self.timing.plus, &self.timing.minus] {
            w.u8(t.shift());
            w.u32(t.entries().len() as u32);
            t.entries().iter().for_each(|e| w.u16(*e));
        }
        for r in &self.rules {
            match r {
                None => w.u8(0),
                Some(r) => {
                    w.u8(match r.dependence {
                        WeightDependence::Additive => 1,
                        WeightDependence::Multiplicative => 2,
                    });
                    w.u32(r.a_plus);
                    w.u32(r.a_minus);
                    w.u16(r.w_min);
                    w.u16(r.w_max);
                }
            }
        }
    }

    fn decode(r: &mut Reader<'_>, n_types: usize) -> Result<Plasticity, CoreDataError> {
        let at = r.at;
        let history = u16::try_from(r.u32()?).map_err(|_| CoreDataError::Range(at))?;
        if history == 0 {
            return Err(CoreDataError::Range(at));
        }
        let mut table = || -> Result<DecayTable, CoreDataError> {
            let at = r.at;
            let shift = r.u8()?;
            let len = r.count(2)?;
            let entries = (0..len).map(|_| r.u16()).collect::<Result<_, _>>()?;
            DecayTable::from_parts(shift, entries).ok_or(CoreDataError::Range(at))
        };
        let timing = Timing {
            plus: table()?,
            minus: table()?,
        };
        let mut rules = Vec::with_capacity(n_types);
        for _ in 0..n_types {
            let at = r.at;
            let dependence = match r.u8()? {
                0 => {
                    rules.push(None);
                    continue;
                }
                1 => WeightDependence::Additive,
                2 => WeightDependence::Multiplicative,
                _ => return Err(CoreDataError::Range(at)),
            };
            let (a_plus, a_minus) = (r.u32()?, r.u32()?);
            let (w_min, w_max) = (r.u16()?, r.u16()?);
            if w_min > w_max {
                return Err(CoreDataError::Range(at));
            }
            rules.push(Some(WeightRule {
                dependence,
                a_plus,
                a_minus,
                w_min,
                w_max,
            }));
        }
        Ok(Plasticity {
            history,
            timing,
            rules,
        })
    }
}

/// How a source core makes spikes.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceKind {
    /// Poisson: the Philox key, and per neuron the mean count a step and
    /// the active window (ms), kept as IEEE doubles so that the counts are
    /// the simulator's.
    Poisson {
        key: [u32; 2],
        lambda: Vec<f64>,
        start: Vec<f64>,
        stop: Vec<f64>,
    },
    /// Per neuron, the steps whose end it spikes at, ascending.
    Array { steps: Vec<Vec<u64>> },
}

/// A source core's data.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceCore {
    pub population: u32,
    pub lo: u32,
    pub n: u32,
    pub key: Option<KeyMask>,
    pub colour_bits: u8,
    pub kind: SourceKind,
}

/// A delay-extension core's data: it receives the spikes of one slice
/// (`source` keys) and re-sends each `s · slots` steps later under stage
/// `s`'s keys (`stage_base + ((s - 1) << neuron_bits) | i`) for every stage
/// in `stages` (bit `s`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelayCore {
    pub population: u32,
    pub lo: u32,
    pub n: u32,
    pub source: KeyMask,
    pub slots: u16,
    pub stages: u16,
    pub stage_base: u32,
    pub neuron_bits: u8,
    pub colour_bits: u8,
}

impl DelayCore {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::head(DELAY_MAGIC, self.population, self.lo, self.n);
        w.key(Some(self.source));
        w.u32(self.slots as u32);
        w.u32(self.stages as u32);
        w.u32(self.stage_base);
        w.u8(self.neuron_bits);
        w.u8(self.colour_bits);
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<DelayCore, CoreDataError> {
        let (mut r, population, lo, n) = Reader::head(bytes, DELAY_MAGIC)?;
        let at = r.at;
        let source = r.key()?.ok_or(CoreDataError::Range(at))?;
        let at = r.at;
        let slots = u16::try_from(r.u32()?).map_err(|_| CoreDataError::Range(at))?;
        let at = r.at;
        let stages = u16::try_from(r.u32()?).map_err(|_| CoreDataError::Range(at))?;
        let stage_base = r.u32()?;
        let at = r.at;
        let neuron_bits = r.u8()?;
        let colour_bits = colour(&mut r)?;
        if slots == 0 || neuron_bits as u32 + colour_bits as u32 > 31 {
            return Err(CoreDataError::Range(at));
        }
        r.end()?;
        Ok(DelayCore {
            population,
            lo,
            n,
            source,
            slots,
            stages,
            stage_base,
            neuron_bits,
            colour_bits,
        })
    }
}

/// A synapse core's data (beside its `synapses.bin`): the slice whose
/// synapses it processes; it hands its ring buffers to that slice's neuron
/// core on the same chip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynapseCore {
    pub population: u32,
    pub lo: u32,
    pub n: u32,
}

impl SynapseCore {
    pub fn encode(&self) -> Vec<u8> {
        let w = Writer::head(SYNAPSE_MAGIC, self.population, self.lo, self.n);
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<SynapseCore, CoreDataError> {
        let (r, population, lo, n) = Reader::head(bytes, SYNAPSE_MAGIC)?;
        let d = SynapseCore { population, lo, n };
        r.end()?;
        Ok(d)
    }
}

/// A malformed core blob.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CoreDataError {
    #[error("not a core data blob of this version")]
    Magic,
    #[error("the blob ends early, at byte {0}")]
    Truncated(usize),
    #[error("a field is out of range at byte {0}")]
    Range(usize),
}

struct Writer(Vec<u8>);

impl Writer {
    /// Every blob starts with its kind, the version and the slice.
    fn head(magic: u32, population: u32, lo: u32, n: u32) -> Writer {
        let mut w = Writer(Vec::new());
        for v in [magic, VERSION, population, lo, n] {
            w.u32(v);
        }
        w
    }

    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn key(&mut self, k: Option<KeyMask>) {
        let (flag, k) = k.map_or((0, KeyMask { key: 0, mask: 0 }), |k| (1, k));
        self.u32(flag);
        self.u32(k.key);
        self.u32(k.mask);
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// Checks the kind and version; returns the slice.
    fn head(bytes: &'a [u8], magic: u32) -> Result<(Reader<'a>, u32, u32, u32), CoreDataError> {
        let mut r = Reader { bytes, at: 0 };
        let (m, version) = (r.u32()?, r.u32()?);
        let plastic = magic == NEURON_MAGIC && version == PLASTIC_VERSION;
        if m != magic || !(version == VERSION || plastic) {
            return Err(CoreDataError::Magic);
        }
        let (population, lo, n) = (r.u32()?, r.u32()?, r.u32()?);
        Ok((r, population, lo, n))
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], CoreDataError> {
        let end = self.at + N;
        let b = self
            .bytes
            .get(self.at..end)
            .ok_or(CoreDataError::Truncated(self.at))?;
        self.at = end;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, CoreDataError> {
        Ok(self.take::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, CoreDataError> {
        Ok(u16::from_le_bytes(self.take()?))
    }
    fn u32(&mut self) -> Result<u32, CoreDataError> {
        Ok(u32::from_le_bytes(self.take()?))
    }
    fn i32(&mut self) -> Result<i32, CoreDataError> {
        Ok(i32::from_le_bytes(self.take()?))
    }
    fn u64(&mut self) -> Result<u64, CoreDataError> {
        Ok(u64::from_le_bytes(self.take()?))
    }
    fn f64(&mut self) -> Result<f64, CoreDataError> {
        Ok(f64::from_le_bytes(self.take()?))
    }
    /// A count of items of at least `min_bytes` each that must fit in the
    /// rest of the blob (so a corrupt count cannot allocate gigabytes).
    fn count(&mut self, min_bytes: usize) -> Result<usize, CoreDataError> {
        let at = self.at;
        let n = self.u32()? as usize;
        if n.saturating_mul(min_bytes) > self.bytes.len() - self.at {
            return Err(CoreDataError::Range(at));
        }
        Ok(n)
    }
    fn i32s(&mut self, n: usize) -> Result<Vec<i32>, CoreDataError> {
        if n.saturating_mul(4) > self.bytes.len() - self.at {
            return Err(CoreDataError::Truncated(self.at));
        }
        (0..n).map(|_| self.i32()).collect()
    }
    fn key(&mut self) -> Result<Option<KeyMask>, CoreDataError> {
        let flag = self.u32()?;
        let key = self.u32()?;
        let mask = self.u32()?;
        Ok((flag != 0).then_some(KeyMask { key, mask }))
    }
    fn end(&self) -> Result<(), CoreDataError> {
        if self.at == self.bytes.len() {
            Ok(())
        } else {
            Err(CoreDataError::Range(self.at))
        }
    }
}

/// Reads a number of colour bits (at most 8).
fn colour(r: &mut Reader<'_>) -> Result<u8, CoreDataError> {
    let at = r.at;
    let c = r.u8()?;
    if c > crate::matrix::format::MAX_COLOUR_BITS {
        return Err(CoreDataError::Range(at));
    }
    Ok(c)
}

/// A value as the core stores it.
pub fn s1615(v: f64) -> i32 {
    to_s1615(v)
}

/// A stored value back as a number.
pub fn value(v: i32) -> f64 {
    from_s1615(v)
}

impl NeuronCore {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::head(NEURON_MAGIC, self.population, self.lo, self.n);
        w.key(self.key);
        w.u8(self.colour_bits);
        w.u32(self.params.len() as u32);
        for p in &self.params {
            match p {
                Param::Const(v) => {
                    w.u8(0);
                    w.i32(*v);
                }
                Param::PerNeuron(vs) => {
                    w.u8(1);
                    vs.iter().for_each(|v| w.i32(*v));
                }
            }
        }
        w.u32(self.init.len() as u32);
        self.init.iter().flatten().for_each(|v| w.i32(*v));
        self.refr_steps.iter().for_each(|v| w.u32(*v));
        w.u32(self.scales.len() as u32);
        self.scales.iter().flatten().for_each(|v| w.i32(*v));
        w.u32(self.props.len() as u32);
        w.u32(self.props.first().map_or(0, Vec::len) as u32);
        self.props.iter().flatten().for_each(|v| w.i32(*v));
        w.u32(self.types.len() as u32);
        for (t, shift) in &self.types {
            w.u32(t.port as u32);
            w.u8(u8::from(t.sign == Sign::Negative));
            w.u8(*shift);
        }
        // Static cores end here, as before plastic rows existed.
        if let Some(p) = &self.plasticity {
            w.0[4..8].copy_from_slice(&PLASTIC_VERSION.to_le_bytes());
            p.encode(&mut w);
        }
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<NeuronCore, CoreDataError> {
        let (mut r, population, lo, n) = Reader::head(bytes, NEURON_MAGIC)?;
        let key = r.key()?;
        let colour_bits = colour(&mut r)?;
        let nn = n as usize;
        let n_params = r.count(5)?;
        let mut params = Vec::with_capacity(n_params);
        for _ in 0..n_params {
            let at = r.at;
            params.push(match r.u8()? {
                0 => Param::Const(r.i32()?),
                1 => Param::PerNeuron(r.i32s(nn)?),
                _ => return Err(CoreDataError::Range(at)),
            });
        }
        let n_states = r.count(4 * nn.max(1))?;
        let init = (0..n_states)
            .map(|_| r.i32s(nn))
            .collect::<Result<_, _>>()?;
        let refr_steps = (0..nn).map(|_| r.u32()).collect::<Result<_, _>>()?;
        let n_ports = r.count(4 * nn.max(1))?;
        let scales = (0..n_ports).map(|_| r.i32s(nn)).collect::<Result<_, _>>()?;
        let at = r.at;
        let sets = r.count(0)?;
        let per = r.u32()? as usize;
        // Empty sets are no propagators: a count of them would only
        // allocate.
        if sets > 0 && per == 0 {
            return Err(CoreDataError::Range(at));
        }
        if sets.saturating_mul(per).saturating_mul(4) > bytes.len() - r.at {
            return Err(CoreDataError::Truncated(r.at));
        }
        let props = (0..sets).map(|_| r.i32s(per)).collect::<Result<_, _>>()?;
        let n_types = r.count(6)?;
        let mut types = Vec::with_capacity(n_types);
        for _ in 0..n_types {
            let at = r.at;
            let port = u16::try_from(r.u32()?).map_err(|_| CoreDataError::Range(at))?;
            let sign = match r.u8()? {
                0 => Sign::Positive,
                1 => Sign::Negative,
                _ => return Err(CoreDataError::Range(at)),
            };
            types.push((SynapseType { port, sign }, r.u8()?));
        }
        let plastic = bytes.get(4..8) == Some(&PLASTIC_VERSION.to_le_bytes()[..]);
        let plasticity = match plastic {
            true => Some(Plasticity::decode(&mut r, n_types)?),
            false => None,
        };
        r.end()?;
        Ok(NeuronCore {
            population,
            lo,
            n,
            key,
            colour_bits,
            params,
            init,
            refr_steps,
            scales,
            props,
            types,
            plasticity,
        })
    }
}

impl SourceCore {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::head(SOURCE_MAGIC, self.population, self.lo, self.n);
        w.key(self.key);
        w.u8(self.colour_bits);
        match &self.kind {
            SourceKind::Poisson {
                key,
                lambda,
                start,
                stop,
            } => {
                w.u8(0);
                w.u32(key[0]);
                w.u32(key[1]);
                for i in 0..lambda.len() {
                    w.f64(lambda[i]);
                    w.f64(start[i]);
                    w.f64(stop[i]);
                }
            }
            SourceKind::Array { steps } => {
                w.u8(1);
                for s in steps {
                    w.u32(s.len() as u32);
                    s.iter().for_each(|v| w.u64(*v));
                }
            }
        }
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<SourceCore, CoreDataError> {
        let (mut r, population, lo, n) = Reader::head(bytes, SOURCE_MAGIC)?;
        let key = r.key()?;
        let colour_bits = colour(&mut r)?;
        let nn = n as usize;
        let at = r.at;
        let kind = match r.u8()? {
            0 => {
                let key = [r.u32()?, r.u32()?];
                if nn.saturating_mul(24) > bytes.len() - r.at {
                    return Err(CoreDataError::Truncated(r.at));
                }
                let (mut lambda, mut start, mut stop) = (vec![], vec![], vec![]);
                for _ in 0..nn {
                    lambda.push(r.f64()?);
                    start.push(r.f64()?);
                    stop.push(r.f64()?);
                }
                SourceKind::Poisson {
                    key,
                    lambda,
                    start,
                    stop,
                }
            }
            1 => {
                let mut steps = Vec::with_capacity(nn.min(bytes.len()));
                for _ in 0..nn {
                    let k = r.count(8)?;
                    steps.push((0..k).map(|_| r.u64()).collect::<Result<_, _>>()?);
                }
                SourceKind::Array { steps }
            }
            _ => return Err(CoreDataError::Range(at)),
        };
        r.end()?;
        Ok(SourceCore {
            population,
            lo,
            n,
            key,
            colour_bits,
            kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neuron() -> NeuronCore {
        NeuronCore {
            population: 2,
            lo: 256,
            n: 3,
            key: Some(KeyMask {
                key: 0x300,
                mask: 0xffff_ff00,
            }),
            colour_bits: 2,
            params: vec![Param::Const(-65 << 15), Param::PerNeuron(vec![1, 2, 3])],
            init: vec![vec![4, 5, 6], vec![7, 8, 9]],
            refr_steps: vec![20, 20, 21],
            scales: vec![vec![1 << 15; 3]],
            props: vec![vec![10, 11, 12, 13, 14, 15, 16, 17]],
            types: vec![(
                SynapseType {
                    port: 0,
                    sign: Sign::Negative,
                },
                3,
            )],
            plasticity: None,
        }
    }

    fn plastic_neuron() -> NeuronCore {
        let rule = spikec_ir::network::StdpRule {
            tau_plus: 16.8,
            tau_minus: 33.7,
            a_plus: 0.005,
            a_minus: 0.0025,
            w_min: 0.0,
            w_max: 2.0,
            dependence: WeightDependence::Multiplicative,
        };
        NeuronCore {
            plasticity: Some(Plasticity {
                history: 16,
                timing: Timing::new(&rule, 1.0).unwrap(),
                rules: vec![Some(WeightRule::new(&rule, 4).unwrap())],
            }),
            ..neuron()
        }
    }

    #[test]
    fn plastic_neuron_data_round_trips_and_damage_is_an_error() {
        let n = plastic_neuron();
        let bytes = n.encode();
        assert_eq!(NeuronCore::decode(&bytes), Ok(n.clone()));
        for len in 0..bytes.len() {
            assert!(NeuronCore::decode(&bytes[..len]).is_err(), "length {len}");
        }
        // Every single-bit flip decodes to something or errs, never panics.
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                let _ = NeuronCore::decode(&b);
            }
        }
        assert_eq!(
            n.plasticity.as_ref().map(|p| p.history_bytes(3)),
            Some(3 * (4 + 16 * 8))
        );
    }

    #[test]
    fn neuron_data_round_trips() {
        let n = neuron();
        assert_eq!(NeuronCore::decode(&n.encode()), Ok(n));
    }

    #[test]
    fn source_data_round_trips() {
        for kind in [
            SourceKind::Poisson {
                key: [1, 2],
                lambda: vec![0.001, 0.002],
                start: vec![0.0, 1.0],
                stop: vec![f64::INFINITY, 5.0],
            },
            SourceKind::Array {
                steps: vec![vec![1, 5, 9], vec![]],
            },
        ] {
            let s = SourceCore {
                population: 0,
                lo: 0,
                n: 2,
                key: None,
                colour_bits: 0,
                kind,
            };
            assert_eq!(SourceCore::decode(&s.encode()), Ok(s));
        }
    }

    #[test]
    fn delay_data_round_trips_and_truncations_are_errors() {
        let d = DelayCore {
            population: 1,
            lo: 256,
            n: 200,
            source: KeyMask {
                key: 0x100,
                mask: 0xffff_ff00,
            },
            slots: 32,
            stages: 0b110,
            stage_base: 0x800,
            neuron_bits: 8,
            colour_bits: 1,
        };
        let bytes = d.encode();
        assert_eq!(DelayCore::decode(&bytes), Ok(d));
        for len in 0..bytes.len() {
            assert!(DelayCore::decode(&bytes[..len]).is_err(), "length {len}");
        }
    }

    #[test]
    fn every_truncation_and_a_bad_magic_are_errors() {
        let bytes = neuron().encode();
        for len in 0..bytes.len() {
            assert!(NeuronCore::decode(&bytes[..len]).is_err(), "length {len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(NeuronCore::decode(&longer).is_err());
        let mut bad = bytes;
        bad[0] ^= 1;
        assert_eq!(NeuronCore::decode(&bad), Err(CoreDataError::Magic));
        assert!(SourceCore::decode(&neuron().encode()).is_err());
    }
}
