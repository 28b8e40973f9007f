//! The charts' data: time series built once from ticks as they arrive (live or from a recording),
//! each line read as the chart catalogue ([`crate::chart`]) says, and min/max downsampling to the pixel so a one-hour run draws as fast as a one-minute one.

use std::collections::{BTreeMap, VecDeque};

use crate::chart::{Baseline, Chart, Headline, Reader};
use crate::measure::{EventRecord, StrategyTick, Tick};
use crate::scenario::StrategyName;

/// Points a series keeps: eight hours at 4 ticks/s. Older points make way for new ones.
pub const SERIES_CAPACITY: usize = 8 * 3600 * 4;

/// One line of a chart: (seconds, value) points in time order, in a ring buffer of
/// [`SERIES_CAPACITY`] points, appended to as ticks arrive and never rebuilt.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub t: VecDeque<f64>,
    pub v: VecDeque<f64>,
    /// The largest value ever pushed (0 when empty): the charts of both strategies share a y
    /// scale through it, so equal heights mean equal values.
    pub max: f64,
}

impl Series {
    pub fn push(&mut self, t: f64, v: f64) {
        if self.t.len() == SERIES_CAPACITY {
            self.t.pop_front();
            self.v.pop_front();
        }
        self.t.push_back(t);
        self.v.push_back(v);
        self.max = self.max.max(v);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.t.len()
    }

    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    /// The value of the latest point at or before `t`.
    pub fn at(&self, t: f64) -> Option<f64> {
        let i = self.t.partition_point(|&x| x <= t);
        i.checked_sub(1).map(|i| self.v[i])
    }

    /// The points within `[from, to]`, reduced to at most two per pixel column (the column's
    /// minimum and maximum, in time order), so peaks survive and drawing cost is bounded by width.
    pub fn downsample(&self, from: f64, to: f64, columns: usize) -> Vec<[f64; 2]> {
        let start = self.t.partition_point(|&t| t < from).saturating_sub(1);
        let end = (self.t.partition_point(|&t| t <= to) + 1).min(self.t.len());
        if start >= end {
            return Vec::new();
        }
        let visible = end - start;
        let columns = columns.max(1);
        if visible <= columns * 2 {
            return (start..end).map(|i| [self.t[i], self.v[i]]).collect();
        }
        let width = (to - from).max(f64::EPSILON) / columns as f64;
        let mut out = Vec::with_capacity(columns * 2);
        let mut i = start;
        while i < end {
            let column = ((self.t[i] - from) / width).floor();
            let (mut lo, mut hi) = (i, i);
            let mut j = i + 1;
            while j < end && ((self.t[j] - from) / width).floor() == column {
                if self.v[j] < self.v[lo] {
                    lo = j;
                }
                if self.v[j] > self.v[hi] {
                    hi = j;
                }
                j += 1;
            }
            let (a, b) = if lo <= hi { (lo, hi) } else { (hi, lo) };
            out.push([self.t[a], self.v[a]]);
            if b != a {
                out.push([self.t[b], self.v[b]]);
            }
            i = j;
        }
        out
    }
}

/// The lines of one chart for one strategy, as its catalogue entry declares them.
#[derive(Debug, Clone, Default)]
pub struct ChartSeries {
    /// A line per node, in order of first appearance, with its id: stacked, each node's line is
    /// its value plus the values of the nodes before it, so the top line is the strategy's total.
    pub nodes: Vec<(String, Series)>,
    /// One per fixed line of the chart, in the catalogue's order.
    pub lines: Vec<Series>,
    /// A line per Redis Cluster primary, in order of first appearance, with its address.
    pub primaries: Vec<(String, Series)>,
}

/// Every chart line of one strategy.
#[derive(Debug, Clone)]
pub struct StrategySeries {
    /// One per chart, in the order of [`Chart::NAMES`].
    charts: Vec<ChartSeries>,
    /// One per headline figure, in the order of [`Headline::NAMES`].
    headlines: Vec<Series>,
    /// The strategy's first tick, which memory per user grows from.
    baseline: Option<Baseline>,
    reader: Reader,
    pub simulated: bool,
    /// `[target.*]`: the user's own server, and what the lab could read of it.
    pub foreign: Option<crate::measure::ForeignTick>,
}

impl Default for StrategySeries {
    fn default() -> Self {
        let charts = Chart::NAMES
            .iter()
            .map(|(chart, _)| ChartSeries {
                nodes: Vec::new(),
                lines: vec![Series::default(); chart.spec().lines.len()],
                primaries: Vec::new(),
            })
            .collect();
        let headlines = vec![Series::default(); Headline::NAMES.len()];
        StrategySeries { charts, headlines, baseline: None, reader: Reader::default(), simulated: false, foreign: None }
    }
}

impl StrategySeries {
    /// The lines of `chart`.
    pub fn chart(&self, chart: Chart) -> &ChartSeries {
        &self.charts[chart.index()]
    }

    /// `figure`'s value at the latest tick at or before `t`.
    pub fn headline(&self, figure: Headline, t: f64) -> Option<f64> {
        self.headlines[figure.index()].at(t)
    }

    /// Appends the strategy's tick at `t`, which lasted `interval_s`: a point per line that has a
    /// value there, read as the catalogue says, and one per headline figure.
    fn push(&mut self, t: f64, interval_s: f64, tick: &StrategyTick) {
        let baseline = *self.baseline.get_or_insert_with(|| Baseline::of(tick));
        for ((figure, _), series) in Headline::NAMES.iter().zip(&mut self.headlines) {
            if let Some(value) = figure.value(tick, interval_s, baseline) {
                series.push(t, value);
            }
        }
        let sample = self.reader.read(tick, interval_s);
        for ((chart, _), series) in Chart::NAMES.iter().zip(&mut self.charts) {
            let spec = chart.spec();
            if let Some(stack) = &spec.nodes {
                for (i, (id, _, top)) in self.reader.stack(&sample, stack).into_iter().enumerate() {
                    if series.nodes.len() == i {
                        series.nodes.push((id.to_owned(), Series::default()));
                    }
                    series.nodes[i].1.push(t, top);
                }
            }
            for (line, out) in spec.lines.iter().zip(&mut series.lines) {
                if let Some(value) = (line.value)(&sample) {
                    out.push(t, value);
                }
            }
            for (address, value) in spec.primaries.iter().flat_map(|p| p.read(&sample)) {
                let (_, line) = crate::measure::find_or_push(
                    &mut series.primaries,
                    |(a, _)| a == address,
                    || (address.to_owned(), Series::default()),
                );
                line.push(t, value);
            }
        }
        self.simulated |= tick.simulated;
        self.foreign = self.foreign.or(tick.foreign);
    }
}

/// A run as the charts see it: series per strategy, and the events.
#[derive(Debug, Clone, Default)]
pub struct RunData {
    pub strategies: BTreeMap<StrategyName, StrategySeries>,
    pub events: Vec<EventRecord>,
    /// Time of the latest tick.
    pub end_s: f64,
    pub ticks: usize,
    /// The charts to draw, in order: the scenario's choice (empty: [`Chart::STANDARD`]).
    pub charts: Vec<Chart>,
    /// The headline figures above the charts, in order: the scenario's choice.
    pub headline: Vec<Headline>,
}

impl RunData {
    /// An empty run that will draw `charts`.
    pub fn with_charts(charts: &[Chart]) -> Self {
        RunData { charts: charts.to_vec(), headline: Headline::DEFAULT.to_vec(), ..RunData::default() }
    }

    /// The charts to draw, in order.
    pub fn charts(&self) -> &[Chart] {
        if self.charts.is_empty() { &Chart::STANDARD } else { &self.charts }
    }

    pub fn from_run(ticks: &[Tick], events: &[EventRecord], charts: &[Chart]) -> Self {
        let mut data = RunData::with_charts(charts);
        for tick in ticks {
            data.push_tick(tick);
        }
        data.events = events.to_vec();
        data
    }

    /// Appends one tick: a few pushes per series, never a rebuild.
    pub fn push_tick(&mut self, tick: &Tick) {
        for (&name, strategy) in &tick.strategies {
            self.strategies.entry(name).or_default().push(tick.t, tick.interval_s, strategy);
        }
        self.end_s = self.end_s.max(tick.t);
        self.ticks += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_keeps_peaks_and_bounds_the_points() {
        let mut s = Series::default();
        for i in 0..14_400 {
            s.push(i as f64 * 0.25, if i == 7_000 { 1000.0 } else { (i % 10) as f64 });
        }
        let points = s.downsample(0.0, 3600.0, 800);
        assert!(points.len() <= 1600, "{}", points.len());
        assert!(points.iter().any(|p| p[1] == 1000.0), "the spike survives");
        assert!(points.windows(2).all(|w| w[0][0] <= w[1][0]), "time order");
        let few = s.downsample(100.0, 101.0, 800);
        assert!(few.len() >= 5 && few.len() <= 7, "a short range keeps its points: {}", few.len());
    }

    #[test]
    fn each_primary_of_a_redis_cluster_gets_its_series_by_address() {
        use crate::measure::{PrimaryTick, StoreTick, StrategyTick};
        let mut data = RunData::with_charts(&[Chart::StorePrimaries]);
        for (i, addresses) in [vec!["b:1", "a:1"], vec!["a:1", "b:1", "c:1"]].into_iter().enumerate() {
            let primaries = addresses
                .iter()
                .map(|a| PrimaryTick {
                    address: (*a).into(),
                    sessions: a.len() as u64 + i as u64,
                    ..PrimaryTick::default()
                })
                .collect();
            let store = StoreTick { kind: "redis-cluster".into(), primaries, ..StoreTick::default() };
            let session = StrategyTick { store: Some(store), ..StrategyTick::default() };
            let strategies = std::collections::BTreeMap::from([(StrategyName::Session, session)]);
            data.push_tick(&Tick { t: i as f64 + 1.0, interval_s: 1.0, strategies });
        }
        let series = data.strategies[&StrategyName::Session].chart(Chart::StorePrimaries);
        let names: Vec<&str> = series.primaries.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(names, ["b:1", "a:1", "c:1"], "in order of first appearance");
        assert_eq!(series.primaries.iter().map(|(_, s)| s.len()).collect::<Vec<_>>(), [2, 2, 1]);
    }

    #[test]
    fn a_series_keeps_its_latest_points_once_full() {
        let mut s = Series::default();
        for i in 0..SERIES_CAPACITY + 10 {
            s.push(i as f64, i as f64);
        }
        assert_eq!(s.len(), SERIES_CAPACITY);
        assert_eq!(s.t.front().copied(), Some(10.0));
    }
}
