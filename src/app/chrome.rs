//! The app's frame around the views: the top bar (which view, the language, presentation mode)
//! and the latest notices, each dismissable.

use egui::{RichText, Ui};

use crate::i18n::{Language, Text};

use super::{Notice, Prefs, View};

/// The views to switch between, and the preferences on the right.
pub(crate) fn top_bar(ui: &mut Ui, view: &mut View, prefs: &mut Prefs) {
    ui.horizontal(|ui| {
        ui.strong("authlab");
        ui.separator();
        for (choice, text) in [
            (View::Library, Text::Library),
            (View::Live, Text::Live),
            (View::Replay, Text::Replay),
            (View::Inspector, Text::Inspector),
            (View::AttackLab, Text::AttackLab),
        ] {
            ui.selectable_value(view, choice, prefs.language.tr(text));
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.checkbox(&mut prefs.presentation, prefs.language.tr(Text::Presentation));
            for language in Language::ALL {
                ui.selectable_value(&mut prefs.language, language, language.native_name());
            }
            ui.label(prefs.language.tr(Text::Language));
        });
    });
}

/// The latest three notices, newest first, each with a button that dismisses it.
pub(crate) fn notices_bar(ui: &mut Ui, notices: &mut Vec<Notice>) {
    let mut dismiss = None;
    for (i, notice) in notices.iter().enumerate().rev().take(3) {
        ui.horizontal(|ui| {
            let color = if notice.error { egui::Color32::from_rgb(220, 60, 60) } else { ui.visuals().text_color() };
            ui.label(RichText::new(&notice.text).color(color));
            if ui.small_button("×").clicked() {
                dismiss = Some(i);
            }
        });
    }
    if let Some(i) = dismiss {
        notices.remove(i);
    }
}
