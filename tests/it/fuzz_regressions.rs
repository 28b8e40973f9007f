//! Inputs the fuzz targets (`fuzz/`) found to crash or hang the parsers, replayed on every
//! `cargo test`; and the writer of the fuzz targets' seed corpora (an ignored test, see
//! `fuzz/README.md`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

use authlab::recording::{Header, Recording, RecordingWriter, ScenarioInfo};
use authlab::scenario::StrategyName;
use authlab::token::access::{TokenAuthority, TokenPolicy};
use authlab::token::keys::{KeySet, SUPPORTED};

use crate::support::ticks;

fn seeds_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join("seeds").join(target)
}

/// The system allocator, refusing any single allocation over [`LARGEST_ALLOCATION`] (the test
/// process then aborts with "memory allocation of N bytes failed") and remembering, per thread, the
/// largest request, so a test can tell that reading a damaged file did not ask for gigabytes. Per
/// thread, because every integration test runs in this one process: another test's allocations on
/// another thread must not count.
struct Bounded;

const LARGEST_ALLOCATION: usize = 1 << 30;

thread_local! {
    static LARGEST_REQUEST: Cell<usize> = const { Cell::new(0) };
}

fn note_request(size: usize) {
    // `try_with`: the thread's slot may already be gone while the thread exits.
    let _ = LARGEST_REQUEST.try_with(|largest| largest.set(largest.get().max(size)));
}

/// The largest allocation this thread has asked for since the last call, which resets it.
fn largest_request_on_this_thread() -> usize {
    LARGEST_REQUEST.with(|largest| largest.replace(0))
}

unsafe impl GlobalAlloc for Bounded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_request(layout.size());
        if layout.size() > LARGEST_ALLOCATION { std::ptr::null_mut() } else { unsafe { System.alloc(layout) } }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_request(layout.size());
        if layout.size() > LARGEST_ALLOCATION { std::ptr::null_mut() } else { unsafe { System.alloc_zeroed(layout) } }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_request(new_size);
        if new_size > LARGEST_ALLOCATION {
            std::ptr::null_mut()
        } else {
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}

#[global_allocator]
static ALLOCATOR: Bounded = Bounded;

/// Found by the `recording` target (with `fuzz/dicts/recording.dict`): a recording one of whose
/// latency histograms declares a 3.75 GiB payload in its HdrHistogram header. The decoder allocated
/// and zeroed that much before finding the payload missing: replay and `authlab report` took
/// gigabytes (libFuzzer: out-of-memory, 2.7 GB RSS) for an 11 KB file.
#[test]
fn a_histogram_that_declares_a_huge_payload_is_treated_as_damaged() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_inputs/recording-hdr-4gib-payload.jsonl");
    let bytes = std::fs::read(&path).expect("the fuzz input");
    largest_request_on_this_thread();
    let recording = Recording::read_from(bytes.as_slice()).expect("the recording reads (its last line is damaged)");
    assert!(recording.truncated());
    let token = recording.summary().strategies.token.expect("the token side ran");
    assert!(token.latency_us.p50 > 0, "the undamaged ticks' latencies still count");
    let largest = largest_request_on_this_thread();
    assert!(largest < 64 << 20, "reading an 11 KB recording asked for {largest} bytes at once");
}

/// A recording whose tick counts are near `u64::MAX` (a damaged or hand-edited file: the reader
/// takes any JSON number). Summing them overflowed in `RequestCounts::add`, which panicked in
/// debug builds (`authlab report`, replay) and wrapped to nonsense in release builds.
const HUGE_COUNTS: &str = concat!(
    r#"{"type":"header","format":"authlab-recording","version":1,"authlab_version":"0.1.0","#,
    r#""started_at":"2026-12-01T20:00:00Z","scenario":{"name":"seed","source":"","origin":"x.toml"},"#,
    r#""machine":{"os":"Linux","arch":"x86_64","cpus":2,"memory_bytes":1,"cpu_brand":"c","hostname":"h"}}"#,
    "\n",
    r#"{"type":"tick","t":0.25,"interval_s":0.25,"strategies":{"session":{"#,
    r#""requests":{"ok":18446744073709551615,"failed":1,"unauthorized":1,"server_error":0,"connection":0},"#,
    r#""latency_us":{"count":0,"p50":0,"p90":0,"p99":0,"p999":0,"max":0,"hdr":""},"throughput_rps":0,"#,
    r#""logins":18446744073709551615,"forced_relogins":0,"refreshes":0,"late":0,"dropped":0,"#,
    r#""users_logged_in":0,"sessions_held":0,"server_requests":18446744073709551615,"#,
    r#""nodes":[{"id":"session/1","up":true,"heap_bytes":18446744073709551615,"rss_bytes":1,"cpu_seconds":0,"#,
    r#""requests_total":0,"sessions":0},{"id":"session/2","up":true,"heap_bytes":1,"rss_bytes":1,"#,
    r#""cpu_seconds":0,"requests_total":0,"sessions":0}],"#,
    r#""store":{"kind":"memory","ops":18446744073709551615,"used_memory":null,"keys":null},"#,
    r#""credential_bytes_per_request":0,"denylist_entries":0,"simulated":false}}}"#,
    "\n",
);

#[test]
fn a_recording_with_counts_near_u64_max_sums_without_overflowing() {
    // The same tick twice: every sum of two counts overflows.
    let tick_line = HUGE_COUNTS.lines().nth(1).expect("a tick line");
    let text = format!("{HUGE_COUNTS}{tick_line}\n");
    let recording = Recording::read_from(text.as_bytes()).expect("a readable recording");
    let summary = recording.summary();
    let session = summary.strategies.session.expect("the session side ran");
    assert_eq!(session.requests.ok, u64::MAX, "a count too large to add up stays at the largest");
    assert_eq!(session.logins, u64::MAX);
    assert_eq!(session.heap_bytes.peak, u64::MAX);
    let range = recording.aggregate(StrategyName::Session, 0.0, 1.0).expect("both ticks are in range");
    assert_eq!(range.requests.total(), u64::MAX);
    assert_eq!(range.store_ops, u64::MAX);
}

/// Writes the seed corpora that need the crate's own writers: a small real recording (and a
/// truncated copy), and access tokens minted by a token node's authority for each algorithm.
/// Run by `fuzz/make-seeds.sh`.
#[test]
#[ignore = "writes fuzz/seeds; run by fuzz/make-seeds.sh"]
fn write_fuzz_seeds() {
    let recording_dir = seeds_dir("recording");
    std::fs::create_dir_all(&recording_dir).expect("the seeds directory");
    let source = authlab::scenario::builtin::BUILT_IN[0].1;
    let header = Header::with_machine(
        ScenarioInfo { name: "seed".into(), source: source.into(), origin: "seed.toml".into() },
        ticks::machine("seed"),
    );
    let path = recording_dir.join("run.jsonl");
    let mut writer = RecordingWriter::create(&path, &header).expect("a recording file");
    for i in 0..6 {
        writer.write_tick(&ticks::tick(i)).expect("a tick");
        if i == 2 {
            writer.write_event(&ticks::kill_event(0.7, "session/1", "node session/1 killed")).expect("an event");
        }
    }
    writer.finish().expect("the recording is written");
    let text = std::fs::read_to_string(&path).expect("the recording");
    std::fs::write(recording_dir.join("truncated.jsonl"), &text[..text.len() - 40]).expect("a truncated copy");

    let token_dir = seeds_dir("access_token");
    let bearer_dir = seeds_dir("bearer_header");
    for (i, alg) in SUPPORTED.into_iter().enumerate() {
        let authority = TokenAuthority::new(KeySet::generate(alg).expect("a key"), TokenPolicy::default(), true);
        let (token, _) = authority.issue("user0000001").expect("a token");
        let authorization = format!("Bearer {token}");
        // Mode 2i: the raw header, for the authority of this algorithm (see access_token.rs).
        let mut raw = vec![(2 * i) as u8];
        raw.extend_from_slice(authorization.as_bytes());
        std::fs::write(token_dir.join(format!("minted_{alg:?}.bin")), raw).expect("a token seed");
        std::fs::write(bearer_dir.join(format!("minted_{alg:?}.txt")), &authorization).expect("a bearer seed");
    }
}
