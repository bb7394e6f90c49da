//! Calibration tables: a measured or simulated quantity as a function of a
//! bias current, and the bias that gives a wanted value.
//!
//! The synapse's pass probability and the neuron's leak rate are tables,
//! not formulas, because they come from the process (thermal noise, junction
//! spread) and are characterised per run. Between points the table is
//! interpolated linearly, which keeps it monotone and makes the inverse
//! exact; outside its range it is clamped to the end values.

/// One row of a calibration table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CalibrationPoint {
    /// The bias current, µA.
    pub bias_ua: f64,
    /// The value at that bias: a pass probability for the synapse table, an
    /// escape rate per ns for the neuron's leak table.
    pub value: f64,
}

/// A monotone table of (bias, value) points: biases strictly increasing,
/// values never decreasing and not all equal. Only [`Calibration::new`] and
/// [`Calibration::probabilities`] build one, so these invariants always hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    points: Vec<CalibrationPoint>,
}

/// Why a list of points is not a calibration table. `index` counts points
/// from 0 in the order given.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CalibrationError {
    /// Fewer than two points: nothing to interpolate.
    #[error("a calibration table needs at least 2 points, it has {found}")]
    TooFewPoints { found: usize },

    /// A bias or value that is NaN or infinite.
    #[error("point {index} is not a finite number")]
    NotFinite { index: usize },

    /// A bias not above the previous one.
    #[error("point {index}: bias {bias_ua} µA is not above the previous point's {previous_ua} µA")]
    BiasNotIncreasing {
        index: usize,
        bias_ua: f64,
        previous_ua: f64,
    },

    /// A value below the previous one: the table is not monotone.
    #[error("point {index}: value {value} is below the previous point's {previous}")]
    ValueDecreasing {
        index: usize,
        value: f64,
        previous: f64,
    },

    /// A negative value (probabilities and rates are never negative).
    #[error("point {index}: value {value} is negative")]
    Negative { index: usize, value: f64 },

    /// A probability above 1.
    #[error("point {index}: probability {value} is above 1")]
    NotProbability { index: usize, value: f64 },

    /// Every point has the same value, so no bias can be chosen from a value.
    #[error("all points have the value {value}: the table has no inverse")]
    Flat { value: f64 },
}

impl CalibrationError {
    /// The point the error is about, if it is about one.
    pub fn index(&self) -> Option<usize> {
        match self {
            CalibrationError::TooFewPoints { .. } | CalibrationError::Flat { .. } => None,
            CalibrationError::NotFinite { index }
            | CalibrationError::BiasNotIncreasing { index, .. }
            | CalibrationError::ValueDecreasing { index, .. }
            | CalibrationError::Negative { index, .. }
            | CalibrationError::NotProbability { index, .. } => Some(*index),
        }
    }
}

impl Calibration {
    /// A table of non-negative values, checked to be monotone.
    pub fn new(points: Vec<CalibrationPoint>) -> Result<Calibration, CalibrationError> {
        if points.len() < 2 {
            return Err(CalibrationError::TooFewPoints {
                found: points.len(),
            });
        }
        for (index, point) in points.iter().enumerate() {
            if !point.bias_ua.is_finite() || !point.value.is_finite() {
                return Err(CalibrationError::NotFinite { index });
            }
            if point.value < 0.0 {
                return Err(CalibrationError::Negative {
                    index,
                    value: point.value,
                });
            }
            if index > 0 {
                let previous = points[index - 1];
                if point.bias_ua <= previous.bias_ua {
                    return Err(CalibrationError::BiasNotIncreasing {
                        index,
                        bias_ua: point.bias_ua,
                        previous_ua: previous.bias_ua,
                    });
                }
                if point.value < previous.value {
                    return Err(CalibrationError::ValueDecreasing {
                        index,
                        value: point.value,
                        previous: previous.value,
                    });
                }
            }
        }
        let (first, last) = (points[0].value, points[points.len() - 1].value);
        if first == last {
            return Err(CalibrationError::Flat { value: first });
        }
        Ok(Calibration { points })
    }

    /// A table whose values are probabilities: as [`Calibration::new`], and
    /// every value at most 1.
    pub fn probabilities(points: Vec<CalibrationPoint>) -> Result<Calibration, CalibrationError> {
        if let Some((index, point)) = points
            .iter()
            .enumerate()
            .find(|(_, point)| point.value > 1.0)
        {
            return Err(CalibrationError::NotProbability {
                index,
                value: point.value,
            });
        }
        Calibration::new(points)
    }

    /// The points, biases increasing.
    pub fn points(&self) -> &[CalibrationPoint] {
        &self.points
    }

    /// The lowest and highest bias of the table, µA.
    pub fn bias_range(&self) -> (f64, f64) {
        (self.first().bias_ua, self.last().bias_ua)
    }

    /// The lowest and highest value of the table.
    pub fn value_range(&self) -> (f64, f64) {
        (self.first().value, self.last().value)
    }

    /// The value at a bias (µA), interpolated linearly; below the table the
    /// first value, above it the last. For the synapse table this is the
    /// pass probability. A NaN bias gives the first value.
    pub fn probability(&self, bias_ua: f64) -> f64 {
        let (low, high) = self.bias_range();
        if bias_ua.is_nan() || bias_ua <= low {
            return self.first().value;
        }
        if bias_ua >= high {
            return self.last().value;
        }
        // The first point strictly above the bias; it exists and is not the
        // first point, because low < bias < high.
        let above = self.points.partition_point(|p| p.bias_ua <= bias_ua);
        let (a, b) = (self.points[above - 1], self.points[above]);
        let t = (bias_ua - a.bias_ua) / (b.bias_ua - a.bias_ua);
        a.value + t * (b.value - a.value)
    }

    /// The lowest bias (µA) at which the table reaches `value`, interpolated
    /// linearly; values outside the table are clamped to its ends (for the
    /// synapse table, 0 gives the table's first bias and 1 the first bias
    /// where it reaches 1). On a plateau the lowest bias of the plateau is
    /// given. A NaN value gives the first bias.
    pub fn bias_for(&self, value: f64) -> f64 {
        let (low, high) = self.value_range();
        if value.is_nan() || value <= low {
            return self.first().bias_ua;
        }
        let value = value.min(high);
        // The first point at or above the value; it is not the first point,
        // because value > low.
        let at = self.points.partition_point(|p| p.value < value);
        let (a, b) = (self.points[at - 1], self.points[at]);
        let t = (value - a.value) / (b.value - a.value);
        a.bias_ua + t * (b.bias_ua - a.bias_ua)
    }

    fn first(&self) -> CalibrationPoint {
        self.points[0]
    }

    fn last(&self) -> CalibrationPoint {
        self.points[self.points.len() - 1]
    }
}

/// A bias rounded to the nearest multiple of `step_ua` (the resolution of
/// the bias lines). A step that is not positive and finite leaves the bias
/// unchanged.
pub fn quantise(bias_ua: f64, step_ua: f64) -> f64 {
    if !(step_ua > 0.0 && step_ua.is_finite()) {
        return bias_ua;
    }
    (bias_ua / step_ua).round() * step_ua
}
