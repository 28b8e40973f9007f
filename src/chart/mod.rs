//! The chart catalogue: every chart the app and the reports draw, declared once, free of any GUI or
//! drawing crate. A chart's entry names it, titles it, describes its y axis and lists its lines,
//! each with its label, its colour and the function that reads its value from a tick.
//!
//! Contact points: `catalogue.rs`, one entry per chart (adding a chart is an entry there plus its
//! [`Text`]s), which defines [`Chart`] and its names in scenario files; `Reader`, which turns a
//! strategy's ticks, one after another, into the `Sample`s the lines read. `app::series` and
//! `report::series` both read ticks through it, and `app::charts` translates a chart's `Spec` into
//! egui_plot and `report::series` into plotters, so a figure on screen and in a PNG cannot disagree.

use crate::i18n::{Language, Text};
use crate::measure::{Action, ForeignTick, NodeTick, StrategyName};

pub use catalogue::Chart;
pub use headline::{Baseline, Headline};
pub(crate) use read::{Reader, Sample};

/// A colour: red, green, blue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

pub(crate) const BLUE: Rgb = Rgb(66, 133, 244);
pub(crate) const ORANGE: Rgb = Rgb(244, 140, 40);
pub(crate) const RED: Rgb = Rgb(220, 60, 60);
pub(crate) const GREEN: Rgb = Rgb(60, 170, 90);
pub(crate) const GREY: Rgb = Rgb(150, 150, 150);

/// The colours of per-node lines, in order of the nodes' first appearance (cycled).
pub(crate) const PALETTE: [Rgb; 8] =
    [BLUE, ORANGE, GREEN, RED, Rgb(150, 100, 200), Rgb(40, 170, 180), Rgb(200, 170, 40), Rgb(200, 90, 150)];

/// The colour of the `index`th node's line.
pub(crate) fn node_color(index: usize) -> Rgb {
    PALETTE[index % PALETTE.len()]
}

/// The colour of the `index`th Redis Cluster primary's line: the palette without the red of the
/// cluster's sum, from orange on, so the first primaries are not drawn in the first nodes' blue.
pub(crate) fn primary_color(index: usize) -> Rgb {
    const PRIMARIES: [Rgb; 7] =
        [ORANGE, GREEN, GREY, Rgb(150, 100, 200), Rgb(40, 170, 180), Rgb(200, 170, 40), Rgb(200, 90, 150)];
    PRIMARIES[index % PRIMARIES.len()]
}

/// A strategy's name as users read it ("Session", "세션"), over its charts, in its actions and
/// in the reports; `StrategyName::name` is the name in files and on the command line.
pub(crate) fn strategy_text(strategy: StrategyName) -> Text {
    match strategy {
        StrategyName::Session => Text::Session,
        StrategyName::Token => Text::Token,
    }
}

/// An event's action as users read it on a chart's marker ("Kill node", "노드 종료"); the
/// recordings and scenario files keep `Action::name` (`kill_node`).
pub(crate) fn action_text(action: Action) -> Text {
    match action {
        Action::KillNode => Text::KillNode,
        Action::AddNode => Text::AddNode,
        Action::RestartNode => Text::RestartNode,
        Action::RevokeUser => Text::RevokeUser,
        Action::RotateKey => Text::RotateKey,
        Action::SetLoad => Text::SetLoad,
        Action::SetRouting => Text::SetRouting,
        Action::RetireKeys => Text::RetireKeys,
        Action::RemoveNode => Text::RemoveNode,
    }
}

/// What a chart shows: its titles, its y axis and its lines, per strategy.
#[derive(Debug)]
pub(crate) struct Spec {
    /// The heading over a live chart, whose y axis carries the unit.
    pub title: Text,
    /// The title of a report figure, which stands alone and so names its unit.
    pub figure_title: Text,
    pub axis: Axis,
    /// A line per node, drawn under the fixed lines (a report fills them as bands).
    pub nodes: Option<NodeStack>,
    /// A line per primary of a Redis Cluster store, labelled by its address, drawn after the
    /// fixed lines: each primary's own share, however many the cluster has.
    pub primaries: Option<PrimaryLines>,
    /// The fixed lines, in legend order.
    pub lines: &'static [Line],
    /// What it shows of the user's own server (`[target.*]`).
    pub of_foreign: OfForeign,
}

/// What a chart can show of a foreign target, whose process the lab did not start or instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OfForeign {
    /// The driver's own figures (throughput, latency, errors): drawn as for the lab's nodes.
    Drawn,
    /// The process's memory and CPU: drawn where `metrics` or `pid` measure it.
    Process,
    /// What only the lab's nodes report (heap, auth checks, the store, the denylist).
    NotMeasured,
}

impl Spec {
    /// Whether the chart has anything to show of a strategy whose ticks carry `foreign` (the
    /// views say "not measured" where it has not, never plot a zero).
    pub fn measured(&self, foreign: Option<ForeignTick>) -> bool {
        match (foreign, self.of_foreign) {
            (None, _) | (_, OfForeign::Drawn) => true,
            (Some(foreign), OfForeign::Process) => foreign.process_measured(),
            (Some(_), OfForeign::NotMeasured) => false,
        }
    }
}

/// A chart's y axis (the x axis is always seconds since the run started).
#[derive(Debug)]
pub(crate) struct Axis {
    /// The unit beside a live chart's y axis; none when the title says it.
    pub unit: Option<Text>,
    /// The y axis description of a report figure, which has one even when the title says it.
    pub description: Text,
    /// How a report figure scales the axis; the live charts are linear.
    pub scale: Scale,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scale {
    Linear,
    Log,
}

/// One value per node, each node's line stacked on those before it (in order of first
/// appearance), so the top line is the strategy's total. A node that is down, or absent from a
/// tick, adds nothing there.
#[derive(Debug)]
pub(crate) struct NodeStack {
    pub value: fn(&NodeTick) -> f64,
    /// What stands for `value` on a foreign target, whose process is all the lab can read (its
    /// RSS for the heap).
    pub of_process: fn(&NodeTick) -> f64,
}

/// One line per Redis Cluster primary: its value at a tick (none: no point there).
#[derive(Debug)]
pub(crate) struct PrimaryLines {
    /// The legend text, `{0}` standing for the primary's address.
    pub label: Text,
    pub value: fn(&crate::measure::PrimaryTick) -> Option<f64>,
}

impl PrimaryLines {
    /// Each primary of `sample`'s store, by address, with its value.
    pub fn read<'t>(&self, sample: &Sample<'t>) -> impl Iterator<Item = (&'t str, f64)> + use<'t> {
        let value = self.value;
        let primaries = sample.tick.store.as_ref().map_or(&[][..], |store| &store.primaries[..]);
        primaries.iter().filter_map(move |p| value(p).map(|v| (p.address.as_str(), v)))
    }
}

/// One fixed line of a chart.
#[derive(Debug)]
pub(crate) struct Line {
    pub label: Label,
    pub color: Rgb,
    /// Stroke width of a report figure, in pixels (2 by default): wider for a line that others may
    /// cover. The live charts draw every line alike.
    pub width: u32,
    /// Left out of a strategy that never has a value for it, instead of an empty legend entry.
    pub optional: bool,
    /// The line's value at a tick; none: no point there.
    pub value: fn(&Sample<'_>) -> Option<f64>,
}

impl Line {
    /// A line two pixels wide, always in the legend.
    const fn new(label: Label, color: Rgb, value: fn(&Sample<'_>) -> Option<f64>) -> Line {
        Line { label, color, width: 2, optional: false, value }
    }

    const fn width(self, width: u32) -> Line {
        Line { width, ..self }
    }

    const fn optional(self) -> Line {
        Line { optional: true, ..self }
    }
}

/// A legend label: translated, or the same in every language.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Label {
    Text(Text),
    Plain(&'static str),
}

impl Label {
    pub fn in_language(self, language: Language) -> &'static str {
        match self {
            Label::Text(text) => language.tr(text),
            Label::Plain(plain) => plain,
        }
    }
}

impl Chart {
    /// The charts shown when a scenario names none.
    pub const STANDARD: [Chart; 5] = [Chart::Throughput, Chart::Latency, Chart::Memory, Chart::Users, Chart::Errors];

    /// Its place in [`Chart::NAMES`], which is the catalogue's order.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Declares the charts (used once, by the [`catalogue`]): each entry is a variant with its doc, its name in scenario files and its
/// [`Spec`]. It defines [`Chart`], its names (`Chart::NAMES`, `name()`, `from_name()`, as
/// [`crate::names`] gives every named enum; the name is also the chart's file name in reports) and
/// [`Chart::spec`], in entry order.
macro_rules! charts {
    ($($(#[$doc:meta])* $variant:ident = $name:literal => $spec:expr,)*) => {
        /// One chart of the live and replay views and of the reports: what it plots over time,
        /// per strategy. Its entry in the catalogue (`src/chart/catalogue.rs`) says how.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum Chart {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        crate::names::named!(Chart { $($variant => $name),* });

        impl Chart {
            /// What the chart shows, and how each line reads its value.
            pub(crate) fn spec(self) -> &'static Spec {
                match self {
                    $(Chart::$variant => {
                        static SPEC: Spec = $spec;
                        &SPEC
                    })*
                }
            }
        }
    };
}

mod catalogue;
mod headline;
mod read;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chart_has_its_own_name_and_its_place_in_the_catalogue() {
        for (index, &(chart, name)) in Chart::NAMES.iter().enumerate() {
            assert_eq!(chart.index(), index);
            assert_eq!(chart.name(), name);
            let parsed: Chart = serde_json::from_str(&format!("\"{name}\"")).expect("the scenario name parses");
            assert_eq!(parsed, chart);
            let spec = chart.spec();
            assert!(
                !spec.lines.is_empty() || spec.nodes.is_some() || spec.primaries.is_some(),
                "{name} draws something"
            );
        }
    }
}
