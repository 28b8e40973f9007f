//! The eframe shell around [`AuthlabApp`]: opens the window, installs the fonts, and saves and
//! restores the preferences.

use std::path::PathBuf;

use egui::Ui;

use crate::i18n::Language;
use crate::recording::Recording;
use crate::scenario::parse_scenario;

use super::{AuthlabApp, Prefs};

/// The bundled Hangul font (NanumGothic, SIL Open Font License: see assets/).
pub const HANGUL_FONT: &[u8] = include_bytes!("../../assets/fonts/NanumGothic.ttf");

/// Adds the Hangul font as a fallback for every text style.
pub fn install_fonts(ctx: &egui::Context) {
    use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
    let families = [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
        .into_iter()
        .map(|family| InsertFontFamily { family, priority: FontPriority::Lowest })
        .collect();
    ctx.add_font(FontInsert::new("NanumGothic", egui::FontData::from_static(HANGUL_FONT), families));
}

/// The eframe shell around [`AuthlabApp`]: persistence of preferences.
struct EframeApp(AuthlabApp);

const PREFS_KEY: &str = "authlab-prefs";

impl eframe::App for EframeApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.0.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, PREFS_KEY, &self.0.prefs);
    }
}

/// How the app opens.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// Overrides the saved language.
    pub language: Option<Language>,
    /// Overrides the saved presentation mode.
    pub presentation: Option<bool>,
    /// A recording to replay.
    pub replay: Option<PathBuf>,
    /// A scenario file to start at once.
    pub start: Option<PathBuf>,
}

/// Opens the app window (glow renderer, so it runs on software OpenGL).
pub fn run_app(options: AppOptions) -> anyhow::Result<()> {
    let node_exe = std::env::current_exe()?;
    let replay = match &options.replay {
        Some(path) => Some(Recording::open(path)?),
        None => None,
    };
    let start = match &options.start {
        Some(path) => {
            let (origin, text) = crate::scenario::builtin::read_scenario_text(path)?;
            let scenario = parse_scenario(&text, &origin)?;
            Some((path.clone(), text, scenario))
        }
        None => None,
    };
    let native = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: egui::ViewportBuilder::default().with_inner_size([1400.0, 900.0]).with_title("authlab"),
        ..Default::default()
    };
    eframe::run_native(
        "authlab",
        native,
        Box::new(move |cc| {
            install_fonts(&cc.egui_ctx);
            let mut prefs: Prefs = cc.storage.and_then(|s| eframe::get_value(s, PREFS_KEY)).unwrap_or_default();
            prefs.language = options.language.unwrap_or(prefs.language);
            prefs.presentation = options.presentation.unwrap_or(prefs.presentation);
            let mut app = AuthlabApp::new(prefs, node_exe)?;
            if let Some(recording) = replay {
                app.replay_recording(recording);
            }
            if let Some((path, text, scenario)) = start {
                app.add_scenario(&path, text);
                app.start(scenario, &cc.egui_ctx);
            }
            Ok(Box::new(EframeApp(app)))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the app window could not open: {e}"))
}
