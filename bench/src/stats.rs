//! Order statistics over samples, and the rounds that ratios are computed within.
//!
//! The machine is shared and noisy, so a configuration is never compared with another's
//! numbers from a different moment: every round measures every configuration (in a rotated
//! order), a ratio is computed from the two medians of the same round, and the reported ratio
//! is the median of those per-round ratios.

/// Samples (nanoseconds, or any unit), kept for order statistics.
#[derive(Debug, Clone, Default)]
pub(crate) struct Samples {
    values: Vec<f64>,
}

impl Samples {
    pub(crate) fn push(&mut self, value: f64) {
        self.values.push(value);
    }

    pub(crate) fn extend(&mut self, other: &Samples) {
        self.values.extend_from_slice(&other.values);
    }

    /// The median (the mean of the two middle values for an even count); NaN when empty.
    pub(crate) fn median(&self) -> f64 {
        let v = self.sorted();
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }

    /// The `p`-th percentile (0–100) by nearest rank; NaN when empty.
    pub(crate) fn percentile(&self, p: f64) -> f64 {
        let v = self.sorted();
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1]
    }

    pub(crate) fn p99(&self) -> f64 {
        self.percentile(99.0)
    }

    pub(crate) fn max(&self) -> f64 {
        self.values.iter().copied().fold(f64::NAN, f64::max)
    }

    fn sorted(&self) -> Vec<f64> {
        let mut v = self.values.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    /// The samples from index `from` to `to` (exclusive), in the order they were pushed.
    pub(crate) fn slice(&self, from: usize, to: usize) -> Samples {
        let to = to.min(self.values.len());
        Samples {
            values: self.values[from.min(to)..to].to_vec(),
        }
    }
}

/// Per-configuration samples over rounds: all samples, and each round's median.
#[derive(Debug, Clone)]
pub(crate) struct Rounds {
    all: Vec<Samples>,
    medians: Vec<Vec<f64>>,
}

impl Rounds {
    /// Rounds for `configs` configurations.
    pub(crate) fn new(configs: usize) -> Rounds {
        Rounds {
            all: vec![Samples::default(); configs],
            medians: Vec::new(),
        }
    }

    /// Records one round: `round[i]` holds configuration `i`'s samples.
    pub(crate) fn record(&mut self, round: &[Samples]) {
        for (all, samples) in self.all.iter_mut().zip(round) {
            all.extend(samples);
        }
        self.medians
            .push(round.iter().map(Samples::median).collect());
    }

    /// Every sample of configuration `i`.
    pub(crate) fn samples(&self, i: usize) -> &Samples {
        &self.all[i]
    }

    /// Configuration `i`'s round medians.
    pub(crate) fn round_medians(&self, i: usize) -> Samples {
        let mut s = Samples::default();
        for m in &self.medians {
            s.push(m[i]);
        }
        s
    }

    /// The median over rounds of `a`'s round median divided by `b`'s.
    pub(crate) fn ratio(&self, a: usize, b: usize) -> f64 {
        let mut ratios = Samples::default();
        for m in &self.medians {
            ratios.push(m[a] / m[b]);
        }
        ratios.median()
    }
}

/// The order configurations run in during round `round`: rotated by one each round, so that
/// none is always first (after a pause) or always after the same neighbour.
pub(crate) fn rotation(configs: usize, round: usize) -> impl Iterator<Item = usize> {
    (0..configs).map(move |i| (i + round) % configs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(values: &[f64]) -> Samples {
        let mut s = Samples::default();
        for &v in values {
            s.push(v);
        }
        s
    }

    #[test]
    fn median_and_percentiles() {
        assert_eq!(samples(&[3.0, 1.0, 2.0]).median(), 2.0);
        assert_eq!(samples(&[4.0, 1.0, 3.0, 2.0]).median(), 2.5);
        assert!(samples(&[]).median().is_nan());
        let hundred = samples(&(1..=100).map(f64::from).collect::<Vec<_>>());
        assert_eq!(hundred.p99(), 99.0);
        assert_eq!(hundred.percentile(100.0), 100.0);
        assert_eq!(hundred.percentile(0.0), 1.0);
        assert_eq!(samples(&[5.0]).p99(), 5.0);
        assert_eq!(hundred.max(), 100.0);
        assert_eq!(hundred.slice(90, 200).median(), 95.5);
    }

    #[test]
    fn ratios_are_taken_within_rounds() {
        let mut r = Rounds::new(2);
        // A slow round slows both: its ratio is the same as the fast round's.
        r.record(&[samples(&[10.0, 10.0]), samples(&[20.0, 20.0])]);
        r.record(&[samples(&[100.0]), samples(&[200.0])]);
        r.record(&[samples(&[12.0]), samples(&[20.0])]);
        assert_eq!(r.ratio(0, 1), 0.5);
        // Pooled samples of configuration 0: 10, 10, 100, 12.
        assert_eq!(r.samples(0).median(), 11.0);
        assert_eq!(r.round_medians(1).median(), 20.0);
    }

    #[test]
    fn rotation_visits_every_configuration_once() {
        assert_eq!(rotation(3, 0).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(rotation(3, 1).collect::<Vec<_>>(), [1, 2, 0]);
        assert_eq!(rotation(3, 5).collect::<Vec<_>>(), [2, 0, 1]);
    }
}
