//! What the live and replay views share: the export button, and the session and token charts
//! side by side.

use egui::Ui;

use crate::i18n::{Language, Text};
use crate::scenario::StrategyName;

use super::charts;
use super::series::RunData;

/// The export button, or the export's progress while one is written; whether it was clicked.
pub(crate) fn export_button(ui: &mut Ui, lang: Language, exporting: bool) -> bool {
    if exporting {
        ui.add(egui::Spinner::new());
        ui.label(lang.tr(Text::Exporting));
        false
    } else {
        ui.button(lang.tr(Text::Export)).clicked()
    }
}

/// The height of each of `charts` charts, so that they fill the view (within bounds).
pub(crate) fn chart_height(ui: &Ui, charts: usize) -> f32 {
    ((ui.available_height() - 120.0) / charts.max(1) as f32).clamp(90.0, 220.0)
}

/// Session and token charts in two columns; a run (or overlay) of one strategy only takes the
/// whole width.
pub(crate) fn side_by_side(
    ui: &mut Ui,
    data: &RunData,
    overlay: Option<charts::Overlay<'_>>,
    window: charts::Window,
    lang: Language,
) {
    let ran = |strategy: &StrategyName| {
        data.strategies.contains_key(strategy) || overlay.is_some_and(|o| o.data.strategies.contains_key(strategy))
    };
    let shown: Vec<StrategyName> = match StrategyName::BOTH.into_iter().filter(ran).collect::<Vec<_>>() {
        one if one.len() == 1 => one,
        _ => StrategyName::BOTH.to_vec(),
    };
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        ui.columns(shown.len(), |columns| {
            for (column, &strategy) in columns.iter_mut().zip(&shown) {
                charts::strategy_column(column, data, overlay, strategy, window, lang);
            }
        });
    });
}
