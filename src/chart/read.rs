//! Reading a strategy's ticks in order into what the catalogue's lines read: a [`Sample`] per tick,
//! with what it takes from the ticks before (the CPU since the previous one, the nodes seen so far).

use std::collections::BTreeMap;

use crate::measure::StrategyTick;

use super::NodeStack;

/// What a line's reader sees of one strategy at one tick.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample<'a> {
    pub tick: &'a StrategyTick,
    /// The tick's length, in seconds.
    pub interval_s: f64,
    /// CPU seconds the strategy's nodes that are up spent since the previous tick (a node's first
    /// reading counts nothing).
    pub cpu_seconds: f64,
}

impl Sample<'_> {
    /// `count` over the tick's length (0 for a tick of no length).
    pub fn per_second(&self, count: u64) -> f64 {
        if self.interval_s > 0.0 { count as f64 / self.interval_s } else { 0.0 }
    }
}

/// One strategy's memory across its ticks, owned by whoever reads them in order: the app keeps one
/// per strategy as ticks arrive, a report figure starts one per panel. Both read every tick through
/// [`Reader::read`], so they see the same samples.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reader {
    last_cpu_seconds: BTreeMap<String, f64>,
    /// Every node seen so far, in order of first appearance.
    nodes: Vec<String>,
}

impl Reader {
    /// The sample of the strategy's next tick, `tick`, which lasted `interval_s` seconds.
    pub fn read<'a>(&mut self, tick: &'a StrategyTick, interval_s: f64) -> Sample<'a> {
        for node in &tick.nodes {
            if !self.nodes.contains(&node.id) {
                self.nodes.push(node.id.clone());
            }
        }
        let cpu_seconds = tick.cpu_seconds_since(&mut self.last_cpu_seconds);
        Sample { tick, interval_s, cpu_seconds }
    }

    /// Each node seen so far, in order of first appearance, with the bottom and top of its slice of
    /// `stack` at `sample`: its bottom is the top of the node before it.
    pub fn stack<'r>(&'r self, sample: &Sample<'_>, stack: &NodeStack) -> Vec<(&'r str, f64, f64)> {
        let mut bottom = 0.0;
        let value = if sample.tick.foreign.is_some() { stack.of_process } else { stack.value };
        self.nodes
            .iter()
            .map(|id| {
                let node = sample.tick.nodes.iter().find(|node| node.id == *id).filter(|node| node.up);
                let top = bottom + node.map_or(0.0, value);
                let slice = (id.as_str(), bottom, top);
                bottom = top;
                slice
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::NodeTick;

    fn node(id: &str, up: bool, heap_bytes: u64, cpu_seconds: f64) -> NodeTick {
        NodeTick { id: id.into(), up, heap_bytes, cpu_seconds, ..NodeTick::default() }
    }

    #[test]
    fn nodes_stack_in_order_of_first_appearance_and_a_node_down_or_gone_adds_nothing() {
        let heap = NodeStack { value: |node| node.heap_bytes as f64, of_process: |node| node.rss_bytes as f64 };
        let mut reader = Reader::default();
        let first = StrategyTick { nodes: vec![node("a", true, 1, 0.0)], ..StrategyTick::default() };
        let second =
            StrategyTick { nodes: vec![node("b", true, 2, 0.0), node("a", false, 1, 0.0)], ..StrategyTick::default() };
        let third = StrategyTick { nodes: vec![node("b", true, 4, 0.0)], ..StrategyTick::default() };
        let sample = reader.read(&first, 0.5);
        assert_eq!(reader.stack(&sample, &heap), [("a", 0.0, 1.0)]);
        let sample = reader.read(&second, 0.5);
        assert_eq!(reader.stack(&sample, &heap), [("a", 0.0, 0.0), ("b", 0.0, 2.0)]);
        let sample = reader.read(&third, 0.5);
        assert_eq!(reader.stack(&sample, &heap), [("a", 0.0, 0.0), ("b", 0.0, 4.0)]);
    }

    #[test]
    fn a_sample_carries_the_cpu_since_the_previous_tick() {
        let mut reader = Reader::default();
        let tick = |cpu| StrategyTick { nodes: vec![node("a", true, 0, cpu)], ..StrategyTick::default() };
        let (first, second) = (tick(1.0), tick(1.25));
        assert_eq!(reader.read(&first, 0.25).cpu_seconds, 0.0, "a first reading counts nothing");
        let sample = reader.read(&second, 0.25);
        assert_eq!(sample.cpu_seconds, 0.25);
        assert_eq!(sample.per_second(5), 20.0);
        assert_eq!(Sample { interval_s: 0.0, ..sample }.per_second(5), 0.0);
    }
}
