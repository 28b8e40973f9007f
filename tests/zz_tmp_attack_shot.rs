use std::path::PathBuf;
use std::time::{Duration, Instant};
use authlab::app::{AuthlabApp, Prefs, install_fonts};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
#[test]
fn shot() {
    let app = AuthlabApp::new(Prefs::default(), PathBuf::from(env!("CARGO_BIN_EXE_authlab"))).unwrap();
    let mut h = Harness::builder().with_size([1400.0, 900.0]).with_context_setup(install_fonts).wgpu()
        .build_ui_state(|ui, app: &mut AuthlabApp| app.show(ui), app);
    h.run();
    h.get_by_label("Attack lab").click();
    h.run();
    h.get_by_label("Run all attacks").click();
    h.step();
    let d = Instant::now() + Duration::from_secs(20);
    while h.state().attack_lab.is_running() { assert!(Instant::now() < d); std::thread::sleep(Duration::from_millis(20)); h.step(); }
    h.step();
    h.render().unwrap().save("/tmp/attack_pre.png").unwrap();
    eprintln!("err={:?} n={}", h.state().attack_lab.error, h.state().attack_lab.results().len());
    h.get_by_label("expired").click();
    h.step(); h.step();
    let img = h.render().unwrap();
    img.save("/tmp/attack_en.png").unwrap();
    h.get_by_label("한국어").click();
    h.step(); h.step();
    h.get_by_label("alg-none").click();
    h.step(); h.step();
    let img = h.render().unwrap();
    img.save("/tmp/attack_ko.png").unwrap();
}
